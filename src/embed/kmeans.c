/*
 * k-means clustering of word vectors, at several granularities in one run:
 * k-means++ seeding, then Lloyd iterations until no word changes cluster.
 *
 * The assignment step is where the time goes (words x k x dimension
 * multiply-adds per iteration), so squared distances are taken as
 * |x|^2 - 2 x.c + |c|^2 with the cross terms of a whole batch of words
 * against all centres computed by one cblas_sgemm. Vectors are made unit
 * length first (unless told not to): for word vectors, direction carries
 * the meaning and length mostly frequency, and on the unit sphere
 * Euclidean distance orders neighbours as cosine similarity does.
 */
#include "embed.h"

#include "../base/blas.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_FLOATS (1 << 21) /* batch x k distances: 8 MiB */

NK_OPTS_LAST(nerkit_kmeans_opts, user);

void nerkit_kmeans_opts_init_sized(nerkit_kmeans_opts *o, size_t size)
{
    const nerkit_kmeans_opts d = {.size = sizeof d, .iterations = 100, .seed = 1, .normalize = 1};
    nk_opts_init(o, size, &d, sizeof d);
}

void nk_sqdist(const float *X, size_t n, size_t d, const float *xnorm, const float *C, size_t k,
               const float *cnorm, float *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            out[i * k + j] = xnorm[i] + cnorm[j];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)k, (int)d, -2.0f, X, (int)d,
                C, (int)d, 1.0f, out, (int)k);
}

/* splitmix64: a small, good generator, so a seed gives the same clusters
 * everywhere */
static uint64_t next_random(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return nk_mix64(*state);
}

static double uniform(uint64_t *state)
{
    return (double)(next_random(state) >> 11) * (1.0 / 9007199254740992.0);
}

static float row_norm2(const float *x, size_t d)
{
    float s = 0;
    for (size_t j = 0; j < d; j++)
        s += x[j] * x[j];
    return s;
}

/* Scratch for clustering n vectors of d components into up to k groups. */
typedef struct {
    float *C, *cnorm; /* k x d centres and their squared norms */
    float *dist;      /* batch x k distances */
    float *best;      /* n: each vector's squared distance to its centre */
    double *sum;      /* k x d */
    size_t *count;    /* k */
    size_t batch;
} kmeans_work;

/* k-means++ (Arthur & Vassilvitskii 2007): each new centre is a vector
 * drawn with probability proportional to its squared distance to the
 * nearest centre so far, which spreads the seeds over the data. */
static void seed_centres(const float *X, size_t n, size_t d, const float *xnorm, size_t k,
                         uint64_t *rng, kmeans_work *w)
{
    size_t pick = (size_t)(next_random(rng) % n);
    for (size_t c = 0; c < k; c++) {
        memcpy(w->C + c * d, X + pick * d, d * sizeof *w->C);
        w->cnorm[c] = xnorm[pick];
        if (c + 1 == k)
            break;
        /* the distance of every vector to the new centre: one product */
        float *dot = w->dist;
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0f, X, (int)d, w->C + c * d, 1,
                    0.0f, dot, 1);
        double total = 0;
        for (size_t i = 0; i < n; i++) {
            float di = xnorm[i] - 2 * dot[i] + w->cnorm[c];
            di = di > 0 ? di : 0;
            if (c == 0 || di < w->best[i])
                w->best[i] = di;
            total += w->best[i];
        }
        if (total <= 0) { /* fewer distinct vectors than k: any vector will do */
            pick = (pick + 1) % n;
            continue;
        }
        double r = uniform(rng) * total, acc = 0;
        pick = n - 1;
        for (size_t i = 0; i < n; i++) {
            acc += w->best[i];
            if (acc > r && w->best[i] > 0) {
                pick = i;
                break;
            }
        }
    }
}

/* Assigns every vector to its nearest centre; returns how many moved. */
static size_t assign_all(const float *X, size_t n, size_t d, const float *xnorm, size_t k,
                         kmeans_work *w, uint32_t *assign, double *inertia)
{
    size_t moved = 0;
    *inertia = 0;
    for (size_t i0 = 0; i0 < n; i0 += w->batch) {
        size_t m = n - i0 < w->batch ? n - i0 : w->batch;
        nk_sqdist(X + i0 * d, m, d, xnorm + i0, w->C, k, w->cnorm, w->dist);
        for (size_t i = 0; i < m; i++) {
            const float *row = w->dist + i * k;
            uint32_t best = 0;
            for (size_t j = 1; j < k; j++)
                if (row[j] < row[best])
                    best = (uint32_t)j;
            moved += assign[i0 + i] != best;
            assign[i0 + i] = best;
            w->best[i0 + i] = row[best] > 0 ? row[best] : 0;
            *inertia += w->best[i0 + i];
        }
    }
    return moved;
}

/* Centres as the means of their vectors. A cluster left empty takes the
 * vector farthest from its own centre (from a cluster that can spare it),
 * the usual repair, and deterministic. */
static void update_centres(const float *X, size_t n, size_t d, size_t k, kmeans_work *w,
                           uint32_t *assign)
{
    memset(w->sum, 0, k * d * sizeof *w->sum);
    memset(w->count, 0, k * sizeof *w->count);
    for (size_t i = 0; i < n; i++) {
        double *s = w->sum + (size_t)assign[i] * d;
        for (size_t j = 0; j < d; j++)
            s[j] += X[i * d + j];
        w->count[assign[i]]++;
    }
    for (size_t c = 0; c < k; c++) {
        if (w->count[c])
            continue;
        size_t far = n;
        for (size_t i = 0; i < n; i++)
            if (w->count[assign[i]] > 1 && (far == n || w->best[i] > w->best[far]))
                far = i;
        if (far == n)
            break; /* fewer vectors than clusters */
        double *from = w->sum + (size_t)assign[far] * d, *to = w->sum + c * d;
        for (size_t j = 0; j < d; j++) {
            from[j] -= X[far * d + j];
            to[j] += X[far * d + j];
        }
        w->count[assign[far]]--;
        w->count[c] = 1;
        assign[far] = (uint32_t)c;
        w->best[far] = 0;
    }
    for (size_t c = 0; c < k; c++) {
        if (!w->count[c])
            continue;
        for (size_t j = 0; j < d; j++)
            w->C[c * d + j] = (float)(w->sum[c * d + j] / (double)w->count[c]);
        w->cnorm[c] = row_norm2(w->C + c * d, d);
    }
}

static void work_free(kmeans_work *w)
{
    free(w->C);
    free(w->cnorm);
    free(w->dist);
    free(w->best);
    free(w->sum);
    free(w->count);
}

/* The largest k of ks sizes the scratch, which every level then reuses. */
static int work_alloc(kmeans_work *w, size_t n, size_t d, size_t kmax, nerkit_error *err)
{
    memset(w, 0, sizeof *w);
    w->batch = BATCH_FLOATS / kmax;
    w->batch = w->batch < 16 ? 16 : w->batch > n ? n : w->batch;
    w->C = malloc(kmax * d * sizeof *w->C);
    w->cnorm = malloc(kmax * sizeof *w->cnorm);
    /* the batch distances also hold the seeding's n dot products */
    w->dist = malloc((w->batch * kmax > n ? w->batch * kmax : n) * sizeof *w->dist);
    w->best = malloc(n * sizeof *w->best);
    w->sum = malloc(kmax * d * sizeof *w->sum);
    w->count = malloc(kmax * sizeof *w->count);
    if (!w->C || !w->cnorm || !w->dist || !w->best || !w->sum || !w->count) {
        work_free(w);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory clustering %zu vectors", n);
    }
    return NERKIT_OK;
}

nerkit_clusters *nerkit_kmeans(const nerkit_vectors *v, const size_t *ks, size_t nks,
                               const nerkit_kmeans_opts *given, nerkit_error *err)
{
    nerkit_kmeans_opts opts;
    const nerkit_kmeans_opts *o = &opts;
    if (NK_OPTS_TAKE(&opts, given, nerkit_kmeans_opts_init, err))
        return NULL;
    const size_t n = v->words.n, d = v->dim;
    size_t kmax = 0;
    for (size_t l = 0; l < nks; l++) {
        if (ks[l] < 1 || ks[l] > n || ks[l] > UINT32_MAX)
            return nk_fail_null(err, NERKIT_ERR_ARG, "%zu clusters of %zu words: want 1 to %zu",
                                ks[l], n, n);
        kmax = ks[l] > kmax ? ks[l] : kmax;
    }
    if (!nks || o->iterations < 1)
        return nk_fail_null(err, NERKIT_ERR_ARG, "k-means wants a cluster count and at least "
                                                 "one iteration");
    double start = nk_now();
    nerkit_clusters *c = nk_alloc(1, sizeof *c, err);
    float *unit = NULL, *xnorm = nk_alloc(n, sizeof *xnorm, err);
    uint32_t *assign = nk_alloc(n, sizeof *assign, err);
    kmeans_work w = {0};
    int rc = c && xnorm && assign ? work_alloc(&w, n, d, kmax, err) : NERKIT_ERR_NOMEM;
    if (!rc && (!(c->k = nk_alloc(nks, sizeof *c->k, err)) ||
                !(c->id = nk_alloc(n * nks, sizeof *c->id, err))))
        rc = NERKIT_ERR_NOMEM;
    const float *X = v->data;
    if (!rc && o->normalize) {
        if (!(unit = nk_alloc(n * d, sizeof *unit, err))) {
            rc = NERKIT_ERR_NOMEM;
        } else {
            for (size_t i = 0; i < n; i++) {
                float s = sqrtf(row_norm2(v->data + i * d, d));
                for (size_t j = 0; j < d; j++)
                    unit[i * d + j] = s > 0 ? v->data[i * d + j] / s : 0;
            }
            X = unit;
        }
    }
    for (size_t i = 0; !rc && i < n; i++)
        xnorm[i] = row_norm2(X + i * d, d);
    /* the clusters carry their own copy of the words, so they outlive v */
    for (size_t i = 0; !rc && i < n; i++) {
        size_t idx;
        rc = nk_wordtab_add(&c->words, nk_wordtab_word(&v->words, i), v->words.len[i], &idx, err);
    }
    c->nlevels = rc ? 0 : nks;
    c->cap = n;
    for (size_t l = 0; l < nks && !rc; l++) {
        const size_t k = ks[l];
        c->k[l] = (uint32_t)k;
        uint64_t rng = o->seed;
        seed_centres(X, n, d, xnorm, k, &rng, &w);
        memset(assign, 0xff, n * sizeof *assign);
        nerkit_kmeans_progress p = {l, nks, k, 0, o->iterations, n, 0, 0};
        for (unsigned it = 1; it <= o->iterations && p.changed; it++) {
            p.changed = assign_all(X, n, d, xnorm, k, &w, assign, &p.inertia);
            update_centres(X, n, d, k, &w, assign);
            p.iteration = it;
            p.seconds = nk_now() - start;
            if (o->progress)
                o->progress(&p, o->user);
        }
        for (size_t i = 0; i < n; i++)
            c->id[i * nks + l] = assign[i];
    }
    work_free(&w);
    free(unit);
    free(xnorm);
    free(assign);
    if (rc) {
        nerkit_clusters_free(c);
        return NULL;
    }
    return c;
}
