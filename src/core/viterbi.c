/*
 * First-order Viterbi decoding over BILOU labels.
 *
 * Transitions the scheme forbids (I- after O, B-PER then L-LOC, ...) are not
 * scored at all, so the decoder cannot emit an invalid sequence and does
 * less work than with a full L x L matrix. The forward pass exploits the
 * shape of what is left: O, every B- and every U- may follow the same
 * labels (O, every L-, every U-), so their scores are one small dense
 * block; an I- or L- may follow only the B- or I- of its own type, two
 * candidates each. Each position's scores are laid out as
 *
 *     O | B-1..B-K | U-1..U-K | pad | I-1..I-K | L-1..L-K | pad
 *
 * so that the block is a few vector max-adds and the I-/L- updates run
 * over the types side by side. The forward pass keeps only the best
 * score of each label, without back-pointers (a branch per candidate was
 * most of the old loop's time); the way back finds each step's argmax
 * again, among the few predecessors of the one label chosen, over the
 * same sums in the same order, so the path and its ties are the same as
 * a decoder that kept back-pointers.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>

#define ROUND4(n) (((n) + 3) & ~(size_t)3)

/* Whether label b may follow label a (0 is O). */
static bool allowed(uint16_t a, uint16_t b)
{
    bool a_open = a != 0 && (NK_LABEL_PART(a) == NK_B || NK_LABEL_PART(a) == NK_I);
    bool b_cont = b != 0 && (NK_LABEL_PART(b) == NK_I || NK_LABEL_PART(b) == NK_L);
    if (a_open)
        return b_cont && NK_LABEL_TYPE(a) == NK_LABEL_TYPE(b);
    return !b_cont;
}

int nk_lattice_init(nk_lattice *lat, size_t ntypes, nerkit_error *err)
{
    const size_t K = ntypes, L = 1 + 4 * K;
    *lat = (nk_lattice){.nlabels = L, .ntypes = K, .nopen = 1 + 2 * K};
    lat->open_pad = ROUND4(lat->nopen);
    lat->stride = ROUND4(lat->open_pad + 2 * K);
    lat->pred = nk_alloc(L * L, sizeof *lat->pred, err);
    lat->pred_start = nk_alloc(L + 1, sizeof *lat->pred_start, err);
    lat->can_start = nk_alloc(L, sizeof *lat->can_start, err);
    lat->can_end = nk_alloc(L, sizeof *lat->can_end, err);
    lat->place = nk_alloc(L, sizeof *lat->place, err);
    if (!lat->pred || !lat->pred_start || !lat->can_start || !lat->can_end || !lat->place) {
        nk_lattice_free(lat);
        return NERKIT_ERR_NOMEM;
    }
    size_t k = 0;
    for (uint16_t y = 0; y < L; y++) {
        lat->pred_start[y] = k;
        for (uint16_t p = 0; p < L; p++)
            if (allowed(p, y))
                lat->pred[k++] = p;
        /* a sentence starts and ends "outside" an entity */
        lat->can_start[y] = allowed(0, y);
        lat->can_end[y] = allowed(y, 0);
        size_t x = y ? NK_LABEL_TYPE(y) : 0;
        switch (y ? NK_LABEL_PART(y) : -1) {
        case NK_B: lat->place[y] = (uint16_t)(1 + x); break;
        case NK_U: lat->place[y] = (uint16_t)(1 + K + x); break;
        case NK_I: lat->place[y] = (uint16_t)(lat->open_pad + x); break;
        case NK_L: lat->place[y] = (uint16_t)(lat->open_pad + K + x); break;
        default: lat->place[y] = 0;
        }
    }
    lat->pred_start[L] = k;
    return NERKIT_OK;
}

void nk_lattice_free(nk_lattice *lat)
{
    free(lat->pred);
    free(lat->pred_start);
    free(lat->can_start);
    free(lat->can_end);
    free(lat->place);
    lat->pred = NULL;
    lat->pred_start = NULL;
    lat->can_start = lat->can_end = NULL;
    lat->place = NULL;
}

/* The labels that may follow "outside": O, U-x, then L-x, the rows of the
 * block (in the order of their places below). */
static size_t outside_label(const nk_lattice *lat, size_t i)
{
    const size_t K = lat->ntypes;
    return i == 0 ? 0 : i <= K ? NK_LABEL(i - 1, NK_U) : NK_LABEL(i - 1 - K, NK_L);
}

/* The order of prep: the block (nopen rows of open_pad), the I-/L- moves
 * (B->I, I->I, B->L, I->L, K each), then trans as given, for the way back. */
size_t nk_viterbi_prep_size(const nk_lattice *lat)
{
    return lat->nopen * lat->open_pad + 4 * lat->ntypes + lat->nlabels * lat->nlabels;
}

void nk_viterbi_prepare(const nk_lattice *lat, const float *trans, float *prep)
{
    const size_t L = lat->nlabels, K = lat->ntypes, A = lat->nopen, Ap = lat->open_pad;
    float *block = prep, *moves = prep + A * Ap, *copy = moves + 4 * K;
    for (size_t i = 0; i < A; i++) {
        const size_t p = outside_label(lat, i);
        for (size_t j = 0; j < Ap; j++)
            block[i * Ap + j] = -INFINITY;
        for (size_t y = 0; y < L; y++)
            if (lat->place[y] < A)
                block[i * Ap + lat->place[y]] = trans[p * L + y];
    }
    for (size_t x = 0; x < K; x++) {
        const size_t b = NK_LABEL(x, NK_B), in = NK_LABEL(x, NK_I), l = NK_LABEL(x, NK_L);
        moves[x] = trans[b * L + in];
        moves[K + x] = trans[in * L + in];
        moves[2 * K + x] = trans[b * L + l];
        moves[3 * K + x] = trans[in * L + l];
    }
    for (size_t k = 0; k < L * L; k++)
        copy[k] = trans[k];
}

/* The larger of a and b: maxps, where fmaxf's NaN rules would not vectorize. */
static inline float max2(float a, float b) { return a > b ? a : b; }

void nk_viterbi(const nk_lattice *lat, const float *prep, const float *em, size_t n, float *work,
                uint16_t *path)
{
    const size_t L = lat->nlabels, K = lat->ntypes, A = lat->nopen, Ap = lat->open_pad,
                 S = lat->stride;
    if (n == 0)
        return;
    const float *block = prep, *bi = prep + A * Ap, *ii = bi + K, *bl = ii + K, *il = bl + K,
                *trans = il + K;
    for (size_t j = 0; j < S; j++)
        work[j] = -INFINITY;
    for (size_t y = 0; y < L; y++)
        if (lat->can_start[y])
            work[lat->place[y]] = em[y];
    for (size_t t = 1; t < n; t++) {
        const float *restrict prev = work + (t - 1) * S;
        float *restrict cur = work + t * S;
        const float *e = em + t * L;
        /* two running maxima halve the chain of dependent max-adds */
        float other[ROUND4(1 + 2 * NK_MAX_TYPES)];
        for (size_t j = 0; j < Ap; j++) {
            cur[j] = prev[0] + block[j];
            other[j] = -INFINITY;
        }
        /* row i's label, outside_label(i), is U-(i-1) at place i + K up
         * to K, then L-(i-1-K) at place Ap + i - 1 */
        for (size_t i = 1; i < A; i += 2) {
            const float c = prev[i <= K ? i + K : Ap + i - 1];
            const float *restrict row = block + i * Ap;
            for (size_t j = 0; j < Ap; j++)
                other[j] = max2(c + row[j], other[j]);
            if (i + 1 < A) {
                const float d = prev[i + 1 <= K ? i + 1 + K : Ap + i];
                for (size_t j = 0; j < Ap; j++)
                    cur[j] = max2(d + row[Ap + j], cur[j]);
            }
        }
        for (size_t j = 0; j < Ap; j++)
            cur[j] = max2(other[j], cur[j]);
        cur[0] += e[0];
        for (size_t x = 0; x < K; x++) {
            const float b = prev[1 + x], in = prev[Ap + x];
            const float *ex = e + 1 + 4 * x;
            cur[1 + x] += ex[NK_B];
            cur[1 + K + x] += ex[NK_U];
            cur[Ap + x] = max2(b + bi[x], in + ii[x]) + ex[NK_I];
            cur[Ap + K + x] = max2(b + bl[x], in + il[x]) + ex[NK_L];
        }
    }
    const float *last = work + (n - 1) * S;
    float best = -INFINITY;
    uint16_t arg = 0;
    for (size_t y = 0; y < L; y++) {
        if (lat->can_end[y] && last[lat->place[y]] > best) {
            best = last[lat->place[y]];
            arg = (uint16_t)y;
        }
    }
    path[n - 1] = arg;
    for (size_t t = n - 1; t > 0; t--) {
        const float *prev = work + (t - 1) * S;
        const size_t y = path[t];
        float top = -INFINITY;
        uint16_t from = 0;
        for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++) {
            const uint16_t p = lat->pred[k];
            const float v = prev[lat->place[p]] + trans[p * L + y];
            if (v > top) {
                top = v;
                from = p;
            }
        }
        path[t - 1] = from;
    }
}
