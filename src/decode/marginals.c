/*
 * Forward-backward over the BILOU lattice: the partition function, label
 * marginals and the probability of any fixed run of labels (an entity
 * span, a whole n-best path) under a linear-chain CRF.
 *
 * Numerics: scaled probabilities rather than log space. Log space needs a
 * log-sum-exp per lattice edge (about a hundred per token with four types),
 * which would make CRF training several times slower; scaling needs one
 * exp per label and token plus multiply-adds. Each position's scores are
 * shifted by their maximum before exp, and the transition scores by theirs,
 * so no potential exceeds 1 and the best label of a position has
 * potential 1; alpha is renormalised to sum 1 at every position and beta
 * shares the same factors. What is left can only underflow if every
 * allowed path is more than e^700 times less likely than a forbidden one,
 * which nk_fb_forward reports rather than hides.
 *
 * Forbidden BILOU transitions are never visited (only the lattice's
 * predecessor lists are walked), so they carry zero probability whatever
 * their stored weight.
 */
#include "decode.h"

#include <math.h>
#include <stdlib.h>

int nk_fb_reserve(nk_fb *f, size_t L, size_t n, nerkit_error *err)
{
    if (!f->T) {
        f->L = L;
        f->T = nk_alloc(L * L, sizeof *f->T, err);
        f->v = nk_alloc(L, sizeof *f->v, err);
        if (!f->T || !f->v) {
            nk_fb_free(f);
            return NERKIT_ERR_NOMEM;
        }
    }
    if (n <= f->cap)
        return NERKIT_OK;
    if (!nk_resize(&f->E, n * L, sizeof *f->E) || !nk_resize(&f->alpha, n * L, sizeof *f->alpha) ||
        !nk_resize(&f->beta, n * L, sizeof *f->beta) ||
        !nk_resize(&f->scale, n + 1, sizeof *f->scale))
        return nk_fail(err, NERKIT_ERR_NOMEM,
                       "out of memory computing probabilities for a sentence of %zu tokens", n);
    f->cap = n;
    return NERKIT_OK;
}

void nk_fb_free(nk_fb *f)
{
    free(f->E);
    free(f->T);
    free(f->v);
    free(f->alpha);
    free(f->beta);
    free(f->scale);
    *f = (nk_fb){0};
}

void nk_fb_transitions(nk_fb *f, const nk_lattice *lat)
{
    const size_t L = f->L;
    double top = -INFINITY;
    for (size_t y = 0; y < L; y++)
        for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++)
            if (f->T[lat->pred[k] * L + y] > top)
                top = f->T[lat->pred[k] * L + y];
    /* forbidden entries become 0 so that nk_fb_path can multiply blindly;
     * v holds a column's allowed potentials while the column is cleared */
    for (size_t y = 0; y < L; y++) {
        size_t a = lat->pred_start[y], b = lat->pred_start[y + 1];
        for (size_t k = a; k < b; k++)
            f->v[k - a] = exp(f->T[lat->pred[k] * L + y] - top);
        for (size_t p = 0; p < L; p++)
            f->T[p * L + y] = 0;
        for (size_t k = a; k < b; k++)
            f->T[lat->pred[k] * L + y] = f->v[k - a];
    }
    f->tshift = top;
}

bool nk_fb_forward(nk_fb *f, const nk_lattice *lat, size_t n)
{
    const size_t L = f->L;
    double logz = 0;
    for (size_t t = 0; t < n; t++) {
        double *e = f->E + t * L;
        double top = e[0];
        for (size_t y = 1; y < L; y++)
            top = e[y] > top ? e[y] : top;
        for (size_t y = 0; y < L; y++)
            e[y] = exp(e[y] - top);
        logz += top;
    }
    logz += (double)(n ? n - 1 : 0) * f->tshift;
    for (size_t t = 0; t < n; t++) {
        const double *e = f->E + t * L;
        double *a = f->alpha + t * L, sum = 0;
        if (t == 0) {
            for (size_t y = 0; y < L; y++)
                sum += a[y] = lat->can_start[y] ? e[y] : 0.0;
        } else {
            const double *prev = a - L;
            for (size_t y = 0; y < L; y++) {
                double s = 0;
                for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++)
                    s += prev[lat->pred[k]] * f->T[lat->pred[k] * L + y];
                sum += a[y] = s * e[y];
            }
        }
        if (!(sum > 0) || !isfinite(sum))
            return false;
        for (size_t y = 0; y < L; y++)
            a[y] /= sum;
        f->scale[t] = sum;
        logz += log(sum);
    }
    double end = n ? 0 : 1;
    for (size_t y = 0; n && y < L; y++)
        end += lat->can_end[y] ? f->alpha[(n - 1) * L + y] : 0.0;
    if (!(end > 0))
        return false;
    f->scale[n] = end;
    f->logz = logz + log(end);
    return true;
}

void nk_fb_backward(nk_fb *f, const nk_lattice *lat, size_t n)
{
    const size_t L = f->L;
    if (n == 0)
        return;
    double *b = f->beta + (n - 1) * L;
    for (size_t y = 0; y < L; y++)
        b[y] = lat->can_end[y] ? 1.0 / f->scale[n] : 0.0;
    for (size_t t = n - 1; t > 0; t--) {
        const double *e = f->E + t * L, *next = f->beta + t * L;
        double *cur = f->beta + (t - 1) * L;
        for (size_t y = 0; y < L; y++) {
            f->v[y] = e[y] * next[y] / f->scale[t];
            cur[y] = 0;
        }
        for (size_t y = 0; y < L; y++)
            for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++)
                cur[lat->pred[k]] += f->T[lat->pred[k] * L + y] * f->v[y];
    }
}

void nk_fb_edge_marginals(const nk_fb *f, const nk_lattice *lat, size_t n, double coef,
                          double *acc)
{
    const size_t L = f->L;
    for (size_t t = 1; t < n; t++) {
        const double *a = f->alpha + (t - 1) * L, *e = f->E + t * L, *b = f->beta + t * L;
        double c = coef / f->scale[t];
        for (size_t y = 0; y < L; y++) {
            double w = c * e[y] * b[y];
            for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++) {
                size_t p = lat->pred[k];
                acc[p * L + y] += a[p] * f->T[p * L + y] * w;
            }
        }
    }
}

double nk_fb_path(const nk_fb *f, size_t a, const uint16_t *labels, size_t len)
{
    const size_t L = f->L;
    if (len == 0)
        return 1.0;
    double p = f->alpha[a * L + labels[0]];
    for (size_t i = 1; i < len; i++) {
        size_t t = a + i;
        p *= f->T[labels[i - 1] * L + labels[i]] * f->E[t * L + labels[i]] / f->scale[t];
    }
    return p * f->beta[(a + len - 1) * L + labels[len - 1]];
}
