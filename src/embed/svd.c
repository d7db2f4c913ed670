/*
 * Truncated SVD of a sparse square matrix by randomized range finding
 * (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1): the range of
 * A is caught by A * Omega for a Gaussian Omega with a few more columns
 * than the rank wanted, sharpened by power iterations (A A^T)^q, and an
 * orthonormal basis Q of it reduces the problem to the SVD of the small
 * matrix B = Q^T A.
 *
 * The sparse x dense products are written here, split over threads by
 * rows; QR and the small SVD come from LAPACKE, and the one large dense
 * product, Q times the left singular vectors of B, from cblas_sgemm.
 */
#include "embed.h"

#include "../base/blas.h"
#include <lapacke.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const nk_csr *A;
    const float *vals, *X;
    float *Y;
    size_t k, from, to;
} spmm_part;

/* y += v x over k floats */
static inline void axpy(float *restrict y, const float *restrict x, float v, size_t k)
{
    const size_t k8 = k & ~(size_t)7;
    /* blocks of a fixed 8 are what the compiler vectorises at -O2 */
    for (size_t t = 0; t < k8; t += 8)
        for (size_t u = 0; u < 8; u++)
            y[t + u] += v * x[t + u];
    for (size_t t = k8; t < k; t++)
        y[t] += v * x[t];
}

/* Rows [from, to) of Y = M X, M having A's pattern and the values vals. */
static void *spmm_rows(void *arg)
{
    const spmm_part *p = arg;
    const nk_csr *A = p->A;
    const size_t k = p->k;
    for (size_t i = p->from; i < p->to; i++) {
        float *y = p->Y + i * k;
        memset(y, 0, k * sizeof *y);
        for (size_t e = A->row[i]; e < A->row[i + 1]; e++)
            if (p->vals[e] != 0.0f)
                axpy(y, p->X + (size_t)A->col[e] * k, p->vals[e], k);
    }
    return NULL;
}

void nk_spmm(const nk_csr *A, const float *vals, const float *X, float *Y, size_t k, int threads)
{
    enum { MAX_THREADS = 256 };
    spmm_part part[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    size_t nt = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : (size_t)threads;
    if (nt > A->n)
        nt = A->n ? A->n : 1;
    /* equal shares of nonzeros, not of rows: frequent words have long rows */
    size_t nnz = A->row[A->n], r = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t goal = nnz / nt * (t + 1);
        part[t] = (spmm_part){A, vals, X, Y, k, r, r};
        while (r < A->n && (t + 1 == nt || A->row[r] < goal))
            r++;
        part[t].to = r;
    }
    size_t started = 0;
    for (size_t t = 1; t < nt; t++, started++)
        if (pthread_create(&tid[t], NULL, spmm_rows, &part[t]) != 0)
            break;
    spmm_rows(&part[0]);
    for (size_t t = 1; t < nt; t++) {
        if (t <= started)
            pthread_join(tid[t], NULL);
        else
            spmm_rows(&part[t]); /* no thread could be started: do it here */
    }
}

/* A standard normal deviate that depends only on (seed, i): Box-Muller on
 * the two halves of a hash, so Omega is the same for any thread count. */
static float gaussian(uint64_t seed, uint64_t i)
{
    uint64_t h = nk_mix64(seed ^ nk_mix64(i + 0x9e3779b97f4a7c15ULL));
    double u1 = ((double)(h >> 40) + 0.5) / (double)(1 << 24);
    double u2 = (double)(h & 0xffffff) / (double)(1 << 24);
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

/* Replaces the n x k row-major Y by an orthonormal basis of its columns. */
static int orthonormalize(float *Y, size_t n, size_t k, float *tau, nerkit_error *err)
{
    lapack_int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)k, Y,
                                     (lapack_int)k, tau);
    if (!info)
        info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, (lapack_int)n, (lapack_int)k, (lapack_int)k, Y,
                              (lapack_int)k, tau);
    if (info)
        return nk_fail(err, info == LAPACK_WORK_MEMORY_ERROR ? NERKIT_ERR_NOMEM : NERKIT_ERR_ARG,
                       "QR of a %zu x %zu matrix failed (LAPACK info %d)", n, k, (int)info);
    return NERKIT_OK;
}

int nk_rsvd(const nk_csr *A, const nk_rsvd_opts *o, float *U, float *sigma, nerkit_error *err)
{
    const size_t n = A->n, rank = o->rank;
    if (rank < 1 || rank > n)
        return nk_fail(err, NERKIT_ERR_ARG, "rank %zu of a %zu x %zu matrix", rank, n, n);
    const size_t k = rank + o->oversample < n ? rank + o->oversample : n;
    if (n > (size_t)INT32_MAX / k)
        return nk_fail(err, NERKIT_ERR_ARG, "a %zu x %zu matrix is too large for LAPACK", n, k);
    float *Y = malloc(n * k * sizeof *Y), *Z = malloc(n * k * sizeof *Z);
    float *tau = malloc(k * sizeof *tau), *Ub = malloc(k * k * sizeof *Ub);
    int rc = NERKIT_OK;
    if (!Y || !Z || !tau || !Ub) {
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the SVD (%zu x %zu floats)", n, k);
        goto done;
    }
    const unsigned steps = 2 + 2 * o->power_iters;
    unsigned step = 0;
    for (size_t i = 0; i < n * k; i++)
        Z[i] = gaussian(o->seed, i);
    nk_spmm(A, A->a, Z, Y, k, o->threads);
    if (o->step)
        o->step(++step, steps, o->user);
    if ((rc = orthonormalize(Y, n, k, tau, err)))
        goto done;
    for (unsigned q = 0; q < o->power_iters; q++) {
        /* orthonormalizing after every product keeps the small singular
         * values from drowning in rounding error (algorithm 4.4) */
        nk_spmm(A, A->at, Y, Z, k, o->threads);
        if (o->step)
            o->step(++step, steps, o->user);
        if ((rc = orthonormalize(Z, n, k, tau, err)))
            goto done;
        nk_spmm(A, A->a, Z, Y, k, o->threads);
        if (o->step)
            o->step(++step, steps, o->user);
        if ((rc = orthonormalize(Y, n, k, tau, err)))
            goto done;
    }
    /* Z = A^T Q is B^T row-major, which is B (k x n) column-major */
    nk_spmm(A, A->at, Y, Z, k, o->threads);
    if (o->step)
        o->step(++step, steps, o->user);
    /* 'O': B's right singular vectors overwrite Z, which is not needed
     * any more, instead of taking another k x n array. That needs k < n;
     * a matrix so small that k = n takes 'S' and a k x k array. */
    float unused, *vt = k < n ? &unused : malloc(k * k * sizeof *vt);
    lapack_int info = vt ? LAPACKE_sgesdd(LAPACK_COL_MAJOR, k < n ? 'O' : 'S', (lapack_int)k,
                                          (lapack_int)n, Z, (lapack_int)k, tau, Ub, (lapack_int)k,
                                          vt, k < n ? 1 : (lapack_int)k)
                         : LAPACK_WORK_MEMORY_ERROR;
    if (vt != &unused)
        free(vt);
    if (info) {
        rc = nk_fail(err, info == LAPACK_WORK_MEMORY_ERROR ? NERKIT_ERR_NOMEM : NERKIT_ERR_ARG,
                     "SVD of a %zu x %zu matrix failed (LAPACK info %d)", k, n, (int)info);
        goto done;
    }
    memcpy(sigma, tau, rank * sizeof *sigma);
    /* U = Q Ub[:, :rank]; Ub is column-major, so its first rank columns
     * are the first rank rows of the row-major array Ub^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)rank, (int)k, 1.0f, Y,
                (int)k, Ub, (int)k, 0.0f, U, (int)rank);
done:
    free(Y);
    free(Z);
    free(tau);
    free(Ub);
    return rc;
}
