/*
 * Co-occurrence counts and their PPMI weighting, for nerkit-embed.
 *
 * A counting thread packs each (word, context, weight) into one 64-bit
 * integer in a buffer of its own; when the buffer is full it sorts it with a
 * radix sort, sums equal pairs, and merges the result into the shared store,
 * a sorted array of distinct pairs. Sorting runs outside any lock; only the
 * linear merge is serialised, and it happens once per few million pairs.
 * Only pairs with word <= context are kept, since the counts of a
 * symmetric window are symmetric.
 *
 * Weights are integers (NK_COOC_UNIT / distance, rounded) rather than
 * floats: integer sums do not depend on the order in which threads add
 * them, so the counts, and the vectors computed from them, are the same
 * for any number of threads.
 */
#include "embed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WEIGHT_BITS 16
#define RADIX_BITS 11

int nk_pairbuf_init(nk_pairbuf *b, size_t cap, size_t vocab, unsigned window, bool ordered,
                    nerkit_error *err)
{
    memset(b, 0, sizeof *b);
    if (window < 1 || window > NK_EMBED_MAX_WINDOW)
        return nk_fail(err, NERKIT_ERR_ARG, "window %u: must be 1 to %d", window,
                       NK_EMBED_MAX_WINDOW);
    if (vocab > NK_EMBED_MAX_VOCAB)
        return nk_fail(err, NERKIT_ERR_ARG, "vocabulary of %zu words: at most %d", vocab,
                       NK_EMBED_MAX_VOCAB);
    while (b->bits < 1 || ((size_t)1 << b->bits) < vocab)
        b->bits++;
    b->window = window;
    b->ordered = ordered;
    /* a word next to itself counts once from each side, so at most 2 units */
    for (unsigned d = 1; d <= window; d++)
        b->weight[d] = (uint16_t)((NK_COOC_UNIT + d / 2) / d);
    b->cap = cap < window + 1 ? window + 1 : cap;
    b->raw = malloc(b->cap * sizeof *b->raw);
    b->aux = malloc(b->cap * sizeof *b->aux);
    if (!b->raw || !b->aux) {
        nk_pairbuf_free(b);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu co-occurrence pairs", cap);
    }
    return NERKIT_OK;
}

void nk_pairbuf_free(nk_pairbuf *b)
{
    free(b->raw);
    free(b->aux);
    memset(b, 0, sizeof *b);
}

size_t nk_pairs_add(nk_pairbuf *b, const uint32_t *ids, size_t n, size_t i)
{
    const unsigned sa = WEIGHT_BITS + b->bits;
    for (; i < n && b->n + b->window <= b->cap; i++) {
        uint64_t w = ids[i];
        if (w == NK_OOV)
            continue;
        size_t end = i + b->window < n ? i + b->window : n - 1;
        for (size_t j = i + 1; j <= end; j++) {
            uint64_t c = ids[j];
            if (c == NK_OOV)
                continue;
            bool swap = !b->ordered && c < w;
            uint64_t lo = swap ? c : w, hi = swap ? w : c;
            uint64_t weight = (uint64_t)b->weight[j - i] << (!b->ordered && w == c);
            b->raw[b->n++] = lo << sa | hi << WEIGHT_BITS | weight;
        }
    }
    return i;
}

/* LSD radix sort of *a (n entries) on bits [lo, hi); *tmp is scratch. The
 * sorted entries end up in *a (the two pointers may be swapped). */
static void radix_sort(uint64_t **a, uint64_t **tmp, size_t n, unsigned lo, unsigned hi)
{
    size_t count[1 << RADIX_BITS];
    for (unsigned shift = lo; shift < hi; shift += RADIX_BITS) {
        unsigned width = hi - shift < RADIX_BITS ? hi - shift : RADIX_BITS;
        uint64_t mask = ((uint64_t)1 << width) - 1;
        memset(count, 0, sizeof count);
        const uint64_t *src = *a;
        for (size_t i = 0; i < n; i++)
            count[(src[i] >> shift) & mask]++;
        if (count[(src[0] >> shift) & mask] == n)
            continue; /* every entry has the same digit here */
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        uint64_t *dst = *tmp;
        for (size_t i = 0; i < n; i++)
            dst[count[(src[i] >> shift) & mask]++] = src[i];
        *tmp = *a;
        *a = dst;
    }
}

void nk_pairs_reduce(nk_pairbuf *b)
{
    if (!b->n)
        return;
    radix_sort(&b->raw, &b->aux, b->n, WEIGHT_BITS, WEIGHT_BITS + 2 * b->bits);
    const uint64_t idmask = ((uint64_t)1 << b->bits) - 1;
    size_t m = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < b->n; i++) {
        uint64_t x = b->raw[i], pair = x >> WEIGHT_BITS, w = x & ((1u << WEIGHT_BITS) - 1);
        if (m && pair == last) {
            b->aux[m - 1] += w;
            continue;
        }
        last = pair;
        /* m <= i: the key overwrites an entry already read */
        b->raw[m] = (pair >> b->bits) << 32 | (pair & idmask);
        b->aux[m++] = w;
    }
    b->n = m;
}

/* Drops the pairs whose weight is at most the prune level, raising the
 * level until the store is back under three quarters of its bound. As in
 * word2vec's vocabulary, a pair dropped once may come back and count again
 * from zero: an approximation that only touches rare pairs. */
static void prune(nk_cooc *c, size_t max_pairs)
{
    while (c->n > max_pairs - max_pairs / 4) {
        c->prune_level += NK_COOC_UNIT;
        c->prunes++;
        size_t m = 0;
        for (size_t i = 0; i < c->n; i++)
            if (c->val[i] > c->prune_level) {
                c->key[m] = c->key[i];
                c->val[m++] = c->val[i];
            }
        c->n = m;
    }
}

int nk_cooc_merge(nk_cooc *c, nk_pairbuf *b, size_t max_pairs, nerkit_error *err)
{
    size_t m = b->n, n = c->n;
    b->n = 0;
    if (!m)
        return NERKIT_OK;
    if (n + m > c->cap) {
        size_t cap = c->cap + c->cap / 2 > n + m ? c->cap + c->cap / 2 : n + m;
        if (!nk_resize(&c->key, cap, sizeof *c->key) || !nk_resize(&c->val, cap, sizeof *c->val))
            return nk_fail(err, NERKIT_ERR_NOMEM,
                           "out of memory for %zu co-occurring pairs (lower --max-pairs)", cap);
        c->cap = cap;
    }
    /* merge from the back, so the store is its own destination: the write
     * position never falls below the next old entry to read */
    size_t i = n, j = m, out = n + m;
    while (j > 0) {
        uint64_t kb = b->raw[j - 1];
        if (i > 0 && c->key[i - 1] > kb) {
            out--;
            c->key[out] = c->key[i - 1];
            c->val[out] = c->val[--i];
        } else {
            uint64_t v = b->aux[--j];
            if (i > 0 && c->key[i - 1] == kb)
                v += c->val[--i];
            out--;
            c->key[out] = kb;
            c->val[out] = v;
        }
    }
    /* old entries [0, i) are in place; close the gap left by pairs summed */
    size_t tail = n + m - out;
    memmove(c->key + i, c->key + out, tail * sizeof *c->key);
    memmove(c->val + i, c->val + out, tail * sizeof *c->val);
    c->n = i + tail;
    if (c->n > max_pairs)
        prune(c, max_pairs);
    return NERKIT_OK;
}

void nk_cooc_free(nk_cooc *c)
{
    free(c->key);
    free(c->val);
    memset(c, 0, sizeof *c);
}

/* The PPMI of a stored pair in both directions: *wc for word a, context b,
 * and *cw for word b, context a. */
static void ppmi_pair(const double *lrow, const double *lctx, uint64_t key, uint64_t val,
                      float *wc, float *cw)
{
    size_t a = key >> 32, b = key & 0xffffffffu;
    double lx = log((double)val);
    double ab = lx - lrow[a] - lctx[b], ba = lx - lrow[b] - lctx[a];
    *wc = ab > 0 ? (float)ab : 0.0f;
    *cw = ba > 0 ? (float)ba : 0.0f;
}

int nk_ppmi(const nk_cooc *c, size_t n, double cds, nk_csr *out, nerkit_error *err)
{
    memset(out, 0, sizeof *out);
    double *lrow = nk_alloc(n, sizeof *lrow, err), *lctx = nk_alloc(n, sizeof *lctx, err);
    size_t *next = nk_alloc(n + 1, sizeof *next, err);
    out->row = nk_alloc(n + 1, sizeof *out->row, err);
    int rc = lrow && lctx && next && out->row ? NERKIT_OK : NERKIT_ERR_NOMEM;
    if (rc)
        goto done;
    out->n = n;
    /* the matrix is symmetric: a row's total is also its column's */
    for (size_t i = 0; i < c->n; i++) {
        size_t a = c->key[i] >> 32, b = c->key[i] & 0xffffffffu;
        lrow[a] += (double)c->val[i];
        if (a != b)
            lrow[b] += (double)c->val[i];
    }
    /* PMI(w, c) = log X(w,c) - log X(w) - log Pcds(c), where the smoothed
     * context distribution Pcds(c) = X(c)^cds / sum X^cds gives rare
     * contexts more weight and so tempers PMI's bias towards them. The
     * fixed-point unit cancels out. */
    double zc = 0;
    for (size_t w = 0; w < n; w++)
        zc += lrow[w] > 0 ? pow(lrow[w], cds) : 0;
    for (size_t w = 0; w < n; w++) {
        double l = lrow[w] > 0 ? log(lrow[w]) : 0;
        lrow[w] = l;
        lctx[w] = cds * l - log(zc > 0 ? zc : 1);
    }
    /* the stored entries: both directions of every pair with a positive
     * PPMI either way, so that A and its transpose share one pattern */
    for (size_t i = 0; i < c->n; i++) {
        float wc, cw;
        ppmi_pair(lrow, lctx, c->key[i], c->val[i], &wc, &cw);
        if (wc > 0 || cw > 0) {
            size_t a = c->key[i] >> 32, b = c->key[i] & 0xffffffffu;
            next[a + 1]++;
            if (a != b)
                next[b + 1]++;
        }
    }
    for (size_t w = 0; w < n; w++)
        next[w + 1] += next[w];
    memcpy(out->row, next, (n + 1) * sizeof *next);
    size_t nnz = out->row[n];
    out->col = nk_alloc(nnz, sizeof *out->col, err);
    out->a = nk_alloc(nnz, sizeof *out->a, err);
    out->at = nk_alloc(nnz, sizeof *out->at, err);
    if (!out->col || !out->a || !out->at) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    /* Entries come by increasing (a, b) with a <= b, so row r first gets
     * its columns below r (in increasing order, from earlier rows) and
     * then its own, from r up: every row comes out sorted. */
    for (size_t i = 0; i < c->n; i++) {
        float wc, cw;
        ppmi_pair(lrow, lctx, c->key[i], c->val[i], &wc, &cw);
        if (!(wc > 0 || cw > 0))
            continue;
        size_t a = c->key[i] >> 32, b = c->key[i] & 0xffffffffu;
        size_t p = next[a]++;
        out->col[p] = (uint32_t)b;
        out->a[p] = wc;
        out->at[p] = cw;
        if (a != b) {
            p = next[b]++;
            out->col[p] = (uint32_t)a;
            out->a[p] = cw;
            out->at[p] = wc;
        }
    }
done:
    free(lrow);
    free(lctx);
    free(next);
    if (rc) {
        nk_csr_free(out);
        nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the PPMI matrix (%zu words)", n);
    }
    return rc;
}

void nk_csr_free(nk_csr *m)
{
    free(m->row);
    free(m->col);
    free(m->a);
    free(m->at);
    memset(m, 0, sizeof *m);
}
