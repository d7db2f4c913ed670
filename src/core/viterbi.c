/*
 * First-order Viterbi decoding over BILOU labels.
 *
 * Transitions the scheme forbids (I- after O, B-PER then L-LOC, ...) are not
 * scored at all: each label keeps the list of labels allowed before it, so
 * the decoder cannot emit an invalid sequence and does less work than with
 * a full L x L matrix.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>

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
    size_t L = 1 + 4 * ntypes;
    lat->nlabels = L;
    lat->pred = nk_alloc(L * L, sizeof *lat->pred, err);
    lat->pred_start = nk_alloc(L + 1, sizeof *lat->pred_start, err);
    lat->can_start = nk_alloc(L, sizeof *lat->can_start, err);
    lat->can_end = nk_alloc(L, sizeof *lat->can_end, err);
    if (!lat->pred || !lat->pred_start || !lat->can_start || !lat->can_end) {
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
    lat->pred = NULL;
    lat->pred_start = NULL;
    lat->can_start = lat->can_end = NULL;
}

void nk_viterbi(const nk_lattice *lat, const float *em, size_t n, const float *trans,
                float *score, uint16_t *back, uint16_t *path)
{
    const size_t L = lat->nlabels;
    if (n == 0)
        return;
    float *cur = score, *next = score + L;
    for (size_t y = 0; y < L; y++)
        cur[y] = lat->can_start[y] ? em[y] : -INFINITY;
    for (size_t t = 1; t < n; t++) {
        const float *e = em + t * L;
        uint16_t *bp = back + t * L;
        for (size_t y = 0; y < L; y++) {
            float best = -INFINITY;
            uint16_t arg = 0;
            for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++) {
                uint16_t p = lat->pred[k];
                float v = cur[p] + trans[p * L + y];
                if (v > best) {
                    best = v;
                    arg = p;
                }
            }
            next[y] = best + e[y];
            bp[y] = arg;
        }
        float *tmp = cur;
        cur = next;
        next = tmp;
    }
    float best = -INFINITY;
    uint16_t arg = 0;
    for (size_t y = 0; y < L; y++) {
        if (lat->can_end[y] && cur[y] > best) {
            best = cur[y];
            arg = (uint16_t)y;
        }
    }
    path[n - 1] = arg;
    for (size_t t = n - 1; t > 0; t--)
        path[t - 1] = back[t * L + path[t]];
}
