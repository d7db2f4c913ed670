/*
 * The K best label sequences of a sentence (list Viterbi).
 *
 * Each lattice cell (position, label) keeps its K best partial paths,
 * sorted, with a back-pointer (previous label, rank there). A cell's list
 * is a K-way merge of its allowed predecessors' lists, each shifted by one
 * transition score; since those lists are sorted the merge stops after K
 * picks. The cost is O(n * edges * K) time and n * L * K cells of memory,
 * and the result is exact: every path's score is a sum of cell steps, so
 * the k-th best full path extends one of the K best partial paths of every
 * cell it passes through.
 */
#include "decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nk_nbest_reserve(nk_nbest *w, size_t L, size_t n, size_t k, nerkit_error *err)
{
    size_t cells = (n ? n : 1) * L;
    if (cells * k > w->cap_entries) {
        if (!nk_resize(&w->score, cells * k, sizeof *w->score) ||
            !nk_resize(&w->back, cells * k, sizeof *w->back))
            goto nomem;
        w->cap_entries = cells * k;
    }
    if (cells > w->cap_cells) {
        if (!nk_resize(&w->count, cells, sizeof *w->count))
            goto nomem;
        w->cap_cells = cells;
    }
    if (k > w->cap_k) {
        if (!nk_resize(&w->best, k, sizeof *w->best) ||
            !nk_resize(&w->best_back, k, sizeof *w->best_back))
            goto nomem;
        w->cap_k = k;
    }
    if (L > w->cap_labels) {
        if (!nk_resize(&w->cursor, L, sizeof *w->cursor) ||
            !nk_resize(&w->ends, L, sizeof *w->ends))
            goto nomem;
        w->cap_labels = L;
    }
    w->L = L;
    w->K = k;
    return NERKIT_OK;
nomem:
    return nk_fail(err, NERKIT_ERR_NOMEM,
                   "out of memory for %zu-best lists of a sentence of %zu tokens", k, n);
}

void nk_nbest_free(nk_nbest *w)
{
    free(w->score);
    free(w->back);
    free(w->count);
    free(w->best);
    free(w->best_back);
    free(w->cursor);
    free(w->ends);
    *w = (nk_nbest){0};
}

/* The best K of the paths in the lists of cells from[0..m) at one
 * position, each extended by trans[from[j] * L + y] (or by nothing when
 * trans is NULL). Ties go to the earlier list, then the lower rank, so the
 * result is deterministic. Returns how many were written. */
static size_t merge(nk_nbest *w, const double *score, const uint16_t *count, const uint16_t *from,
                    size_t m, const float *trans, size_t y, double *out, uint32_t *out_back)
{
    const size_t L = w->L, K = w->K;
    for (size_t j = 0; j < m; j++)
        w->cursor[j] = 0;
    size_t got = 0;
    while (got < K) {
        double best = -INFINITY;
        size_t arg = m;
        for (size_t j = 0; j < m; j++) {
            size_t p = from[j], r = w->cursor[j];
            if (r >= count[p])
                continue;
            double v = score[p * K + r] + (trans ? (double)trans[p * L + y] : 0.0);
            if (arg == m || v > best) {
                best = v;
                arg = j;
            }
        }
        if (arg == m)
            break;
        out[got] = best;
        out_back[got++] = (uint32_t)from[arg] << 16 | (uint32_t)w->cursor[arg]++;
    }
    return got;
}

size_t nk_nbest_decode(nk_nbest *w, const nk_lattice *lat, const float *em, size_t n,
                       const float *trans, uint16_t *paths, size_t stride)
{
    const size_t L = w->L, K = w->K;
    if (n == 0) {
        w->best[0] = 0;
        return 1;
    }
    for (size_t y = 0; y < L; y++) {
        w->count[y] = lat->can_start[y];
        w->score[y * K] = em[y];
    }
    for (size_t t = 1; t < n; t++) {
        const double *prev = w->score + (t - 1) * L * K;
        const uint16_t *pcount = w->count + (t - 1) * L;
        for (size_t y = 0; y < L; y++) {
            size_t cell = t * L + y, a = lat->pred_start[y];
            size_t got = merge(w, prev, pcount, lat->pred + a, lat->pred_start[y + 1] - a, trans, y,
                               w->score + cell * K, w->back + cell * K);
            for (size_t r = 0; r < got; r++)
                w->score[cell * K + r] += em[t * L + y];
            w->count[cell] = (uint16_t)got;
        }
    }
    size_t nends = 0;
    for (size_t y = 0; y < L; y++)
        if (lat->can_end[y])
            w->ends[nends++] = (uint16_t)y;
    size_t got = merge(w, w->score + (n - 1) * L * K, w->count + (n - 1) * L, w->ends, nends, NULL,
                       0, w->best, w->best_back);
    for (size_t r = 0; r < got; r++) {
        uint16_t *path = paths + r * stride;
        size_t y = w->best_back[r] >> 16, rank = w->best_back[r] & 0xffff;
        for (size_t t = n; t-- > 0;) {
            path[t] = (uint16_t)y;
            uint32_t b = w->back[(t * L + y) * K + rank];
            y = b >> 16;
            rank = b & 0xffff;
        }
    }
    return got;
}
