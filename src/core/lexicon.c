/*
 * The lexicon: word representations a model carries inside it (cluster
 * ids from Brown or k-means clusterings, and word vectors), so that tagging
 * needs no file beside the model.
 *
 * Words are keyed by the same 64-bit hash of their lower-cased code points
 * that the features already compute for every token, so a lookup costs one
 * probe of an open-addressing table and no string handling. Vectors are
 * stored as signed bytes with one scale per word: a quarter of the size of
 * floats, and the rounding (under 0.4% of a component's range) is far below
 * what changes a tag.
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

void nk_lexicon_free(nk_lexicon *lx)
{
    free(lx->key);
    free(lx->cluster);
    free(lx->vec);
    free(lx->scale);
    free(lx->table);
    memset(lx, 0, sizeof *lx);
}

/* Rebuilds the key -> word table: a power of two at least twice the words. */
static int index_words(nk_lexicon *lx, nerkit_error *err)
{
    size_t cap = 16;
    while (cap < 2 * lx->nwords)
        cap *= 2;
    uint32_t *t = malloc(cap * sizeof *t);
    if (!t)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory indexing the lexicon");
    memset(t, 0xff, cap * sizeof *t);
    for (uint32_t w = 0; w < lx->nwords; w++) {
        size_t i = (size_t)nk_mix64(lx->key[w]) & (cap - 1);
        while (t[i] != UINT32_MAX)
            i = (i + 1) & (cap - 1);
        t[i] = w;
    }
    free(lx->table);
    lx->table = t;
    lx->table_mask = cap - 1;
    return NERKIT_OK;
}

int32_t nk_lexicon_find(const nk_lexicon *lx, uint64_t key)
{
    if (!lx->nwords)
        return -1;
    size_t i = (size_t)nk_mix64(key) & lx->table_mask;
    for (uint32_t w; (w = lx->table[i]) != UINT32_MAX; i = (i + 1) & lx->table_mask)
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
    lx->nwords = (uint32_t)nwords;
    lx->nclusterings = nclusterings;
    lx->dim = dim;
    lx->key = nk_alloc(nwords + 1, sizeof *lx->key, err);
    lx->cluster = nk_alloc((size_t)nclusterings * nwords + 1, sizeof *lx->cluster, err);
    lx->vec = nk_alloc((size_t)dim * nwords + 1, sizeof *lx->vec, err);
    lx->scale = nk_alloc(nwords + 1, sizeof *lx->scale, err);
    if (!lx->key || !lx->cluster || !lx->vec || !lx->scale) {
        nk_lexicon_free(lx);
        return NERKIT_ERR_NOMEM;
    }
    if (nwords)
        memcpy(lx->key, keys, nwords * sizeof *keys);
    int rc = index_words(lx, err);
    if (rc)
        nk_lexicon_free(lx);
    return rc;
}

void nk_lexicon_set_vector(nk_lexicon *lx, uint32_t w, const float *v)
{
    float max = 0;
    for (uint32_t d = 0; d < lx->dim; d++)
        if (fabsf(v[d]) > max)
            max = fabsf(v[d]);
    float scale = max > 0 ? max / 127.0f : 0;
    lx->scale[w] = scale;
    for (uint32_t d = 0; d < lx->dim; d++)
        lx->vec[(size_t)w * lx->dim + d] = scale > 0 ? (int8_t)lrintf(v[d] / scale) : 0;
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
