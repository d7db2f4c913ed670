/*
 * The model in memory: label set, feature configuration, weights and
 * transitions. Weights are kept as compact rows, one per feature slot that
 * has any non-zero weight, found through a compact bitmap index
 * (nk_model_row): a tagger touches one cached index word and one
 * contiguous row per feature, and a model trained on a small corpus stays
 * small. Trainers make rows of floats; nk_model_compact then drops the rows
 * that never decide anything and stores the rest as bytes.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

nerkit_model *nk_model_new(const char *algorithm, nerkit_scheme scheme, const char *const *types,
                           const size_t *type_len, size_t ntypes, const nk_featcfg *feat,
                           nerkit_error *err)
{
    if (ntypes > NK_MAX_TYPES)
        return nk_fail_null(err, NERKIT_ERR_ARG, "%zu entity types; at most %d are supported",
                            ntypes, NK_MAX_TYPES);
    for (size_t t = 0; t < ntypes; t++)
        if (type_len[t] < 1 || type_len[t] > NK_MAX_TYPE_LEN)
            return nk_fail_null(err, NERKIT_ERR_ARG,
                                "entity type '%.20s' of %zu bytes: want 1 to %d", types[t],
                                type_len[t], NK_MAX_TYPE_LEN);
    if (feat->hash_bits < 10 || feat->hash_bits > 28)
        return nk_fail_null(err, NERKIT_ERR_ARG, "hash bits %u out of range 10-28",
                            feat->hash_bits);
    nerkit_model *m = nk_alloc(1, sizeof *m, err);
    if (!m)
        return NULL;
    snprintf(m->algorithm, sizeof m->algorithm, "%s", algorithm);
    m->prob_scale = strcmp(algorithm, "crf") == 0 ? 1.0f : 0.0f;
    m->scheme = scheme == NERKIT_SCHEME_AUTO ? NERKIT_SCHEME_IOB2 : scheme;
    m->feat = *feat;
    m->ntypes = ntypes;
    m->nlabels = 1 + 4 * ntypes;
    size_t L = m->nlabels;
    m->types = nk_alloc(ntypes, sizeof *m->types, err);
    m->names = nk_alloc(1 + 6 * ntypes, sizeof *m->names, err);
    size_t words = ((size_t)1 << feat->hash_bits) / 64;
    m->present = nk_alloc(words, sizeof *m->present, err);
    m->rank = nk_alloc(words, sizeof *m->rank, err);
    m->trans = nk_alloc(L * L, sizeof *m->trans, err);
    if (!m->types || !m->names || !m->present || !m->rank || !m->trans ||
        nk_lattice_init(&m->lat, ntypes, err)) {
        nerkit_model_free(m);
        return NULL;
    }
    m->names[0] = strdup("O");
    bool ok = m->names[0] != NULL;
    for (size_t t = 0; t < ntypes && ok; t++) {
        m->types[t] = strndup(types[t], type_len[t]);
        ok = m->types[t] != NULL;
        for (size_t r = 0; r < 6 && ok; r++) {
            char *s = malloc(type_len[t] + 3);
            if (!s) {
                ok = false;
                break;
            }
            s[0] = "BIESLU"[r];
            s[1] = '-';
            memcpy(s + 2, types[t], type_len[t]);
            s[type_len[t] + 2] = '\0';
            m->names[1 + r * ntypes + t] = s;
        }
    }
    if (!ok) {
        nerkit_model_free(m);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory building model");
    }
    return m;
}

void nerkit_model_free(nerkit_model *m)
{
    if (!m)
        return;
    if (m->types)
        for (size_t t = 0; t < m->ntypes; t++)
            free(m->types[t]);
    if (m->names)
        for (size_t i = 0; i < 1 + 6 * m->ntypes; i++)
            free(m->names[i]);
    free(m->types);
    free(m->names);
    if (!m->rows_borrowed) {
        free(m->present);
        free(m->rows);
        free(m->qrows);
    }
    free(m->rank);
    free(m->trans);
    nk_lattice_free(&m->lat);
    nk_lexicon_free(&m->lex);
    nk_phrases_free(&m->gaz);
    free(m->dense);
    nk_tokcache_free(m->tokens);
    if (m->map_heap)
        free(m->map);
    else if (m->map)
        munmap(m->map, m->map_len);
    free(m);
}

int nk_model_set_rows(nerkit_model *m, const uint32_t *slots, uint32_t nrows, nerkit_error *err)
{
    size_t words = ((size_t)1 << m->feat.hash_bits) / 64;
    float *rows = nk_alloc_huge((size_t)nrows * m->nlabels, sizeof *rows, err);
    if (!rows)
        return NERKIT_ERR_NOMEM;
    free(m->rows);
    free(m->qrows);
    m->qrows = NULL;
    m->rowfmt = NK_ROWS_F32;
    m->rows = rows;
    m->nrows = nrows;
    memset(m->present, 0, words * sizeof *m->present);
    for (uint32_t r = 0; r < nrows; r++)
        m->present[slots[r] >> 6] |= (uint64_t)1 << (slots[r] & 63);
    nk_bitrank_build(m->present, m->rank, words);
    return NERKIT_OK;
}

void nk_row_encode_i8(const float *w, size_t L, int8_t *q)
{
    float max = 0;
    for (size_t y = 0; y < L; y++)
        max = fabsf(w[y]) > max ? fabsf(w[y]) : max;
    uint8_t code = max > 0 ? nk_scale_encode(max, 127) : 0;
    float inv = code ? 1 / nk_scale_decode(code) : 0;
    q[0] = (int8_t)code;
    for (size_t y = 0; y < L; y++) {
        float v = w[y] * inv;
        q[1 + y] = (int8_t)lrintf(v < -127 ? -127 : v > 127 ? 127 : v);
    }
}

void nk_row_encode(const nerkit_model *m, const float *w, void *row)
{
    if (m->rowfmt == NK_ROWS_I8)
        nk_row_encode_i8(w, m->nlabels, row);
    else
        memcpy(row, w, m->nlabels * sizeof *w);
}

int nk_model_own_rows(nerkit_model *m, nerkit_error *err)
{
    if (!m->rows_borrowed)
        return NERKIT_OK;
    const size_t words = ((size_t)1 << m->feat.hash_bits) / 64;
    const size_t bytes = (size_t)m->nrows * nk_row_bytes(m);
    uint64_t *present = nk_alloc(words, sizeof *present, err);
    void *rows = nk_alloc_huge(bytes + 1, 1, err);
    if (!present || !rows) {
        free(present);
        free(rows);
        return NERKIT_ERR_NOMEM;
    }
    memcpy(present, m->present, words * sizeof *present);
    memcpy(rows, m->rowfmt == NK_ROWS_I8 ? (void *)m->qrows : (void *)m->rows, bytes);
    m->present = present;
    if (m->rowfmt == NK_ROWS_I8)
        m->qrows = rows;
    else
        m->rows = rows;
    m->rows_borrowed = false;
    return NERKIT_OK;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int nk_model_compact(nerkit_model *m, nk_rowfmt fmt, double prune, nerkit_error *err)
{
    const size_t L = m->nlabels, words = ((size_t)1 << m->feat.hash_bits) / 64;
    if (m->rowfmt != NK_ROWS_F32)
        return nk_fail(err, NERKIT_ERR_ARG, "the model's rows are compact already");
    /* rows read in place from a file: the bitmap and the rows change */
    int rc = nk_model_own_rows(m, err);
    if (rc)
        return rc;
    float *max = nk_alloc((size_t)m->nrows + 1, sizeof *max, err);
    float *sorted = nk_alloc((size_t)m->nrows + 1, sizeof *sorted, err);
    int8_t *q = fmt == NK_ROWS_I8 ? nk_alloc_huge((size_t)m->nrows * (L + 1) + 1, 1, err) : NULL;
    if (!max || !sorted || (fmt == NK_ROWS_I8 && !q)) {
        free(max);
        free(sorted);
        free(q);
        return NERKIT_ERR_NOMEM;
    }
    for (uint32_t r = 0; r < m->nrows; r++) {
        max[r] = 0;
        for (size_t y = 0; y < L; y++)
            max[r] = fmaxf(max[r], fabsf(m->rows[(size_t)r * L + y]));
    }
    memcpy(sorted, max, (size_t)m->nrows * sizeof *max);
    qsort(sorted, m->nrows, sizeof *sorted, cmp_float);
    float cut = m->nrows ? (float)prune * sorted[m->nrows / 2] : 0;
    /* rows stay in slot order, so the kept ones move down in place, and
     * the bitmap loses the slots of the dropped ones as it is walked */
    uint32_t r = 0, kept = 0;
    for (size_t w = 0; w < words; w++)
        for (uint64_t bits = m->present[w]; bits; bits &= bits - 1, r++) {
            if (max[r] > 0 && max[r] >= cut) {
                const float *src = m->rows + (size_t)r * L;
                if (q) {
                    nk_row_encode_i8(src, L, q + (size_t)kept * (L + 1));
                } else {
                    memmove(m->rows + (size_t)kept * L, src, L * sizeof *src);
                }
                kept++;
            } else {
                m->present[w] &= ~((uint64_t)1 << __builtin_ctzll(bits));
            }
        }
    nk_bitrank_build(m->present, m->rank, words);
    if (m->nrows && !kept) {
        free(max);
        free(sorted);
        free(q);
        return nk_fail(err, NERKIT_ERR_ARG,
                       "--prune %g drops every weight row: the model would tag nothing", prune);
    }
    m->nrows = kept;
    if (q) {
        free(m->rows);
        m->rows = NULL;
        m->qrows = q;
        m->rowfmt = NK_ROWS_I8;
    }
    free(max);
    free(sorted);
    return NERKIT_OK;
}

uint32_t nk_bitrank_build(const uint64_t *present, uint32_t *rank, size_t words)
{
    uint32_t before = 0;
    for (size_t w = 0; w < words; w++) {
        rank[w] = before;
        before += (uint32_t)__builtin_popcountll(present[w]);
    }
    return before;
}

int nk_model_type_index(const nerkit_model *m, const char *name, size_t len)
{
    for (size_t t = 0; t < m->ntypes; t++)
        if (strlen(m->types[t]) == len && memcmp(m->types[t], name, len) == 0)
            return (int)t;
    return -1;
}

size_t nerkit_model_nlabels(const nerkit_model *m) { return m->nlabels; }
size_t nerkit_model_ntypes(const nerkit_model *m) { return m->ntypes; }
const char *nerkit_model_type(const nerkit_model *m, size_t t) { return m->types[t]; }
const char *nerkit_model_algorithm(const nerkit_model *m) { return m->algorithm; }
nerkit_scheme nerkit_model_scheme(const nerkit_model *m) { return m->scheme; }
uint32_t nerkit_model_features(const nerkit_model *m) { return m->feat.groups; }

int nerkit_model_share_tokens(nerkit_model *m, nerkit_error *err)
{
    if (m->tokens)
        return NERKIT_OK;
    m->tokens = nk_tokcache_shared(m, err);
    return m->tokens ? NERKIT_OK : (err ? err->code : NERKIT_ERR_IO);
}
