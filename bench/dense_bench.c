/*
 * Where BLAS pays for the dense scores. First the product of T tokens'
 * window vectors (T x 5D) with the L x 5D weights, as the trainers score a
 * sentence, by cblas_sgemm and by the plain C loop, for several batch sizes
 * and vector sizes. Then what the tagger does instead: scoring each word
 * once at every window position (nk_dense_word, one cblas_sgemv), against
 * the same scores computed by plain loops, over a vocabulary. Prints the
 * median time of each (over RUNS repeats) and their ratio.
 *
 *   dense_bench [RUNS]
 */
#include "../src/core/core.h"

#include "../src/base/blas.h"
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

/* A model of L = 17 labels with V random word vectors of dimension D and
 * random dense weights. */
static nerkit_model *vector_model(size_t V, size_t D)
{
    const char *types[] = {"LOC", "MISC", "ORG", "PER"};
    size_t lens[] = {3, 4, 3, 3};
    nk_featcfg feat = {NERKIT_FEAT_WORD | NERKIT_FEAT_VECTORS, 10};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 4, &feat, NULL);
    uint64_t *keys = malloc(V * sizeof *keys);
    float *v = malloc(D * sizeof *v);
    size_t K = NK_WINDOW * D;
    m->dense = malloc(m->nlabels * K * sizeof *m->dense);
    if (!m || !keys || !v || !m->dense)
        abort();
    for (size_t w = 0; w < V; w++)
        keys[w] = 17 + 31 * w;
    if (nk_lexicon_init(&m->lex, keys, V, 0, (uint32_t)D, NULL))
        abort();
    for (size_t w = 0; w < V; w++) {
        for (size_t k = 0; k < D; k++)
            v[k] = (float)((w + k) % 11) * 0.1f - 0.5f;
        nk_lexicon_set_vector(&m->lex, (uint32_t)w, v);
    }
    for (size_t i = 0; i < m->nlabels * K; i++)
        m->dense[i] = (float)(i % 5) * 0.01f;
    free(keys);
    free(v);
    return m;
}

/* A word's scores by plain loops: its vector times each position's weights. */
static void word_plain(const nerkit_model *m, uint32_t w, float *x, float *out)
{
    const size_t D = m->lex.dim, L = m->nlabels, K = NK_WINDOW * D;
    if (!nk_lexicon_vector(&m->lex, w, x))
        abort();
    for (size_t d = 0; d < NK_WINDOW; d++)
        for (size_t y = 0; y < L; y++) {
            const float *wy = m->dense + y * K + d * D;
            float sum = 0;
            for (size_t k = 0; k < D; k++)
                sum += x[k] * wy[k];
            out[d * L + y] = sum;
        }
}

static void bench_words(int runs)
{
    const size_t V = 62000, dims[] = {50, 100, 300};
    printf("\nscoring each of %zu words at the window positions (17 labels)\n", V);
    printf("%5s %12s %12s %8s\n", "dim", "plain ms", "blas ms", "speedup");
    for (size_t a = 0; a < 3; a++) {
        nerkit_model *m = vector_model(V, dims[a]);
        const size_t R = NK_WINDOW * m->nlabels;
        float *x = malloc(dims[a] * sizeof *x), *tmp = malloc(R * sizeof *tmp),
              *out = malloc(R * sizeof *out);
        if (!x || !tmp || !out)
            abort();
        double tp[15], tb[15];
        for (int r = 0; r < runs; r++) {
            double t0 = nk_now();
            for (uint32_t w = 0; w < V; w++)
                word_plain(m, w, x, out);
            double t1 = nk_now();
            for (uint32_t w = 0; w < V; w++)
                if (!nk_dense_word(m, w, x, tmp, out))
                    abort();
            tp[r] = t1 - t0;
            tb[r] = nk_now() - t1;
        }
        qsort(tp, (size_t)runs, sizeof *tp, cmp);
        qsort(tb, (size_t)runs, sizeof *tb, cmp);
        printf("%5zu %12.2f %12.2f %7.2fx\n", dims[a], tp[runs / 2] * 1e3, tb[runs / 2] * 1e3,
               tp[runs / 2] / tb[runs / 2]);
        free(x);
        free(tmp);
        free(out);
        nerkit_model_free(m);
    }
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
    bench_words(runs);
    return 0;
}
