/*
 * The model in memory: label set, feature configuration, weights and
 * transitions. Weights are kept as compact rows of L floats, one per
 * feature slot that has any non-zero weight, found through a compact
 * bitmap index (nk_model_row): a tagger touches one cached index word and
 * one contiguous row per feature, and a model trained on a small corpus
 * stays small.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

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
    free(m->present);
    free(m->rank);
    free(m->rows);
    free(m->trans);
    nk_lattice_free(&m->lat);
    nk_lexicon_free(&m->lex);
    nk_phrases_free(&m->gaz);
    free(m->dense);
    free(m->proj);
    free(m);
}

int nk_model_set_rows(nerkit_model *m, const uint32_t *slots, uint32_t nrows, nerkit_error *err)
{
    size_t words = ((size_t)1 << m->feat.hash_bits) / 64;
    float *rows = nk_alloc_huge((size_t)nrows * m->nlabels, sizeof *rows, err);
    if (!rows)
        return NERKIT_ERR_NOMEM;
    free(m->rows);
    m->rows = rows;
    m->nrows = nrows;
    memset(m->present, 0, words * sizeof *m->present);
    for (uint32_t r = 0; r < nrows; r++)
        m->present[slots[r] >> 6] |= (uint64_t)1 << (slots[r] & 63);
    nk_bitrank_build(m->present, m->rank, words);
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
