/*
 * Where BLAS pays for the dense scores: the product of T tokens' window
 * vectors (T x 5D) with the L x 5D weights, by cblas_sgemm and by the plain
 * C loop, for several batch sizes and vector sizes. Prints the median time
 * of each (over RUNS repeats) and their ratio.
 *
 *   dense_bench [RUNS]
 */
#include "../src/internal.h"

#include <cblas.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call of one way of computing the scores. */
static double time_it(bool blas, const float *x, size_t T, size_t K, const float *w, size_t L,
                      float *em, int runs)
{
    double t[15];
    size_t reps = 1 + (size_t)(2e7 / (double)(T * K * L)); /* about 20 M multiply-adds */
    for (int r = 0; r < runs; r++) {
        double a = nk_now();
        for (size_t k = 0; k < reps; k++) {
            if (blas)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)T, (blasint)L,
                            (blasint)K, 1.0f, x, (blasint)K, w, (blasint)K, 1.0f, em, (blasint)L);
            else
                nk_dense_scores_plain(x, T, K, w, L, em);
        }
        t[r] = (nk_now() - a) / (double)reps;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp);
    return t[runs / 2];
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 15)
        runs = 5;
    openblas_set_num_threads(1); /* per thread, as the tagger uses it */
    const size_t dims[] = {50, 100, 300}, batches[] = {1, 4, 16, 64, 256, 1024, 4096};
    const size_t L = 17;
    printf("%5s %6s %12s %12s %8s\n", "dim", "tokens", "plain us", "blas us", "speedup");
    for (size_t a = 0; a < 3; a++) {
        size_t K = NK_WINDOW * dims[a];
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
            size_t T = batches[b];
            float *x = malloc(T * K * sizeof *x), *w = malloc(L * K * sizeof *w),
                  *em = calloc(T * L, sizeof *em);
            for (size_t i = 0; i < T * K; i++)
                x[i] = (float)(i % 7) * 0.1f;
            for (size_t i = 0; i < L * K; i++)
                w[i] = (float)(i % 5) * 0.01f;
            double p = time_it(false, x, T, K, w, L, em, runs);
            double q = time_it(true, x, T, K, w, L, em, runs);
            printf("%5zu %6zu %12.2f %12.2f %7.2fx\n", dims[a], T, p * 1e6, q * 1e6, p / q);
            free(x);
            free(w);
            free(em);
        }
    }
    return 0;
}
