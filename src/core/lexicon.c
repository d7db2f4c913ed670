/*
 * The lexicon: word representations a model carries inside it (cluster
 * ids from Brown or k-means clusterings, and word vectors), so that tagging
 * needs no file beside the model.
 *
 * Words are keyed by the same 64-bit hash of their lower-cased code points
 * that the features already compute for every token, and kept sorted. The
 * keys are hashes, so their top bits spread the words evenly: a table of
 * where each top-bits bucket starts (about two words a bucket) finds a word
 * with one read of that small table and one of the keys, and it is rebuilt
 * from the keys in a fraction of a millisecond. The model file holds the
 * sorted keys, the cluster ids and the vectors as the tagger uses them, so
 * a loaded model maps them in place.
 *
 * Vectors have 4-bit components (-7 to 7, two a byte) times one scale per
 * word. That is an eighth of the size of floats; the models are trained on
 * the vectors as stored, so the rounding is part of what they learn, not an
 * error added after. Read from a file, only the words that have a vector
 * take room for one.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t nk_lower_hash(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t h = NK_HASH_INIT;
    for (size_t k = 0; k < len;) {
        uint32_t cp;
        size_t n = nk_utf8_decode(u + k, len - k, &cp);
        if (!n) {
            cp = 0xFFFD;
            n = 1;
        }
        k += n;
        h = nk_hash_step(h, nk_cp_lower(cp));
    }
    return h;
}

uint8_t nk_scale_encode(float max, int levels)
{
    /* the smallest scale at least max / levels: with target = f * 2^x, f
     * in [0.5, 1), the exponent is x - 1 and the eighths round up */
    int x;
    float f = frexpf(max / (float)levels, &x);
    int e = x - 1 + 20, m = (int)ceilf((2 * f - 1) * 8);
    if (m == 8) {
        m = 0;
        e++;
    }
    if (!(max > 0) || e < 0)
        return 1;
    if (e > 31)
        return 255;
    return (uint8_t)(e * 8 + m) ? (uint8_t)(e * 8 + m) : 1;
}

void nk_lexicon_free(nk_lexicon *lx)
{
    if (!lx->borrowed) {
        free(lx->key);
        free(lx->cluster);
        free(lx->cvalue);
        free(lx->vec);
        free(lx->vec_scale);
        free(lx->has_vec);
    }
    free(lx->vec_rank);
    free(lx->bucket);
    memset(lx, 0, sizeof *lx);
}

/* The index is built at every load, so each process holds it alone: a
 * bucket for every 8 words (128 KB for the default model's 161,000 words,
 * where one for every 2 took 512 KB) keeps a lookup to the keys of about
 * one cache line, and the tagger looks words up only for tokens its cache
 * does not hold. */
int nk_lexicon_index(nk_lexicon *lx, nerkit_error *err)
{
    unsigned bits = 1;
    while (bits < 31 && ((size_t)1 << bits) < lx->nwords / 8)
        bits++;
    size_t nb = (size_t)1 << bits;
    uint32_t *b = nk_alloc(nb + 1, sizeof *b, err);
    if (!b)
        return NERKIT_ERR_NOMEM;
    uint32_t w = 0;
    for (size_t k = 0; k <= nb; k++) {
        while (w < lx->nwords && (k == nb || lx->key[w] >> (64 - bits) < k))
            w++;
        b[k] = w;
    }
    free(lx->bucket);
    lx->bucket = b;
    lx->bucket_bits = bits;
    if (lx->has_vec) {
        size_t words = ((size_t)lx->nwords + 63) / 64;
        uint32_t *rank = nk_alloc(words + 1, sizeof *rank, err);
        if (!rank)
            return NERKIT_ERR_NOMEM;
        if (nk_bitrank_build(lx->has_vec, rank, words) != lx->nvec) {
            free(rank);
            return nk_fail(err, NERKIT_ERR_MODEL, "the lexicon's vector count does not match");
        }
        free(lx->vec_rank);
        lx->vec_rank = rank;
    }
    return NERKIT_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int nk_lexicon_set_clustering(nk_lexicon *lx, uint32_t c, const uint32_t *ids, bool brown,
                              nerkit_error *err)
{
    const size_t n = lx->nwords, nc = lx->nclusterings;
    if (c >= nc || lx->borrowed)
        return nk_fail(err, NERKIT_ERR_ARG, "no clustering %u to set", c);
    uint32_t *v = nk_alloc(n + 1, sizeof *v, err);
    if (!v)
        return NERKIT_ERR_NOMEM;
    size_t k = 0;
    for (size_t w = 0; w < n; w++)
        if (ids[w])
            v[k++] = ids[w];
    qsort(v, k, sizeof *v, cmp_u32);
    size_t distinct = 0;
    for (size_t i = 0; i < k; i++)
        if (!distinct || v[i] != v[distinct - 1])
            v[distinct++] = v[i];
    if (distinct > UINT16_MAX) {
        free(v);
        return nk_fail(err, NERKIT_ERR_ARG, "a clustering of %zu clusters: at most %d", distinct,
                       UINT16_MAX);
    }
    uint32_t *all = realloc(lx->cvalue, ((size_t)lx->cstart[c] + distinct + 1) * sizeof *all);
    if (!all) {
        free(v);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building the lexicon");
    }
    lx->cvalue = all;
    memcpy(all + lx->cstart[c], v, distinct * sizeof *v);
    for (size_t w = 0; w < n; w++) {
        uint16_t id = 0;
        if (ids[w]) {
            const uint32_t *at = bsearch(&ids[w], v, distinct, sizeof *v, cmp_u32);
            id = (uint16_t)(at - v + 1);
        }
        lx->cluster[w * nc + c] = id;
    }
    free(v);
    lx->brown[c] = brown;
    for (uint32_t d = c + 1; d <= NK_MAX_CLUSTERINGS; d++)
        lx->cstart[d] = lx->cstart[c] + (uint32_t)distinct;
    return NERKIT_OK;
}

int32_t nk_lexicon_find(const nk_lexicon *lx, uint64_t key)
{
    if (!lx->nwords)
        return -1;
    uint64_t b = key >> (64 - lx->bucket_bits);
    for (uint32_t w = lx->bucket[b]; w < lx->bucket[b + 1]; w++)
        if (lx->key[w] == key)
            return (int32_t)w;
    return -1;
}

int nk_lexicon_init(nk_lexicon *lx, const uint64_t *keys, size_t nwords, uint32_t nclusterings,
                    uint32_t dim, nerkit_error *err)
{
    memset(lx, 0, sizeof *lx);
    if (nwords > NK_MAX_LEXICON || nclusterings > NK_MAX_CLUSTERINGS || dim > NK_MAX_DIM)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "lexicon too large: %zu words (at most %d), %u clusterings (%d), %u "
                       "dimensions (%d)",
                       nwords, NK_MAX_LEXICON, nclusterings, NK_MAX_CLUSTERINGS, dim, NK_MAX_DIM);
    for (size_t w = 1; w < nwords; w++)
        if (keys[w] <= keys[w - 1])
            return nk_fail(err, NERKIT_ERR_ARG, "lexicon keys not sorted or repeated");
    lx->nwords = (uint32_t)nwords;
    lx->nclusterings = nclusterings;
    lx->dim = dim;
    lx->nvec = dim ? (uint32_t)nwords : 0;
    lx->key = nk_alloc(nwords + 1, sizeof *lx->key, err);
    lx->cluster = nk_alloc((size_t)nclusterings * nwords + 1, sizeof *lx->cluster, err);
    lx->vec = nk_alloc((size_t)NK_VEC_BYTES(dim) * lx->nvec + 1, 1, err);
    lx->vec_scale = nk_alloc((size_t)lx->nvec + 1, 1, err);
    int rc = lx->key && lx->cluster && lx->vec && lx->vec_scale ? NERKIT_OK : NERKIT_ERR_NOMEM;
    if (!rc && nwords)
        memcpy(lx->key, keys, nwords * sizeof *keys);
    if (!rc)
        rc = nk_lexicon_index(lx, err);
    if (rc)
        nk_lexicon_free(lx);
    return rc;
}

long nk_lexicon_vector_at(const nk_lexicon *lx, uint32_t w)
{
    long v = w;
    if (!lx->dim)
        return -1;
    if (lx->has_vec)
        v = (long)nk_bitrank(lx->has_vec, lx->vec_rank, w) - 1;
    return v >= 0 && lx->vec_scale[v] ? v : -1;
}

void nk_lexicon_set_vector(nk_lexicon *lx, uint32_t w, const float *v)
{
    float max = 0;
    for (uint32_t d = 0; d < lx->dim; d++)
        if (fabsf(v[d]) > max)
            max = fabsf(v[d]);
    /* a vector of zeros is stored as none: it scores nothing either way */
    uint8_t code = max > 0 ? nk_scale_encode(max, 7) : 0;
    float scale = nk_scale_decode(code);
    uint8_t *q = lx->vec + (size_t)w * NK_VEC_BYTES(lx->dim);
    memset(q, 0, NK_VEC_BYTES(lx->dim));
    for (uint32_t d = 0; code && d < lx->dim; d++) {
        long c = lrintf(v[d] / scale);
        c = c < -7 ? -7 : c > 7 ? 7 : c;
        q[d / 2] |= (uint8_t)((c + 8) << (4 * (d & 1)));
    }
    lx->vec_scale[w] = code;
}

bool nk_lexicon_vector(const nk_lexicon *lx, uint32_t w, float *out)
{
    long v = nk_lexicon_vector_at(lx, w);
    if (v < 0)
        return false;
    const uint8_t *q = lx->vec + (size_t)v * NK_VEC_BYTES(lx->dim);
    float scale = nk_scale_decode(lx->vec_scale[v]);
    for (uint32_t d = 0; d < lx->dim; d++)
        out[d] = (float)((q[d / 2] >> (4 * (d & 1)) & 15) - 8) * scale;
    return true;
}

int nk_lexicon_own(nk_lexicon *lx, nerkit_error *err)
{
    if (!lx->borrowed)
        return NERKIT_OK;
    size_t n = lx->nwords, nv = lx->nvec, words = (n + 63) / 64;
    uint64_t *key = nk_alloc(n + 1, sizeof *key, err);
    uint16_t *cluster = nk_alloc(n * lx->nclusterings + 1, sizeof *cluster, err);
    uint32_t *cvalue = nk_alloc((size_t)lx->cstart[lx->nclusterings] + 1, sizeof *cvalue, err);
    uint8_t *vec = nk_alloc(nv * NK_VEC_BYTES(lx->dim) + 1, 1, err);
    uint8_t *scale = nk_alloc(nv + 1, 1, err);
    uint64_t *has = lx->has_vec ? nk_alloc(words + 1, sizeof *has, err) : NULL;
    if (!key || !cluster || !cvalue || !vec || !scale || (lx->has_vec && !has)) {
        free(key);
        free(cluster);
        free(cvalue);
        free(vec);
        free(scale);
        free(has);
        return NERKIT_ERR_NOMEM;
    }
    memcpy(key, lx->key, n * sizeof *key);
    memcpy(cluster, lx->cluster, n * lx->nclusterings * sizeof *cluster);
    memcpy(cvalue, lx->cvalue, lx->cstart[lx->nclusterings] * sizeof *cvalue);
    memcpy(vec, lx->vec, nv * NK_VEC_BYTES(lx->dim));
    memcpy(scale, lx->vec_scale, nv);
    if (has)
        memcpy(has, lx->has_vec, words * sizeof *has);
    lx->key = key;
    lx->cluster = cluster;
    lx->cvalue = cvalue;
    lx->vec = vec;
    lx->vec_scale = scale;
    lx->has_vec = has;
    lx->borrowed = false;
    return NERKIT_OK;
}

uint32_t nk_brown_path(const char *bits, size_t len)
{
    /* a leading 1 marks the length, so "01" and "1" differ */
    if (len > 31)
        len = 31;
    uint32_t p = 1;
    for (size_t i = 0; i < len; i++)
        p = p << 1 | (uint32_t)(bits[i] == '1');
    return p;
}
