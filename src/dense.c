/*
 * Dense features: the word vectors of a token's +-2 window, scored against
 * a dense weight matrix. For a document of T tokens the inputs form a
 * T x (5 * D) matrix X, and the emission scores gain X * W^T for the L x 5D
 * weights W: one matrix product, which is where BLAS pays, because it
 * blocks the product for the cache and vectorises it. bin/dense_bench
 * measures it 18-46x faster than the plain C loop at every batch size from
 * one token up, so BLAS is always used; the loop stays as the reference the
 * tests hold BLAS to.
 */
#include "internal.h"

#include <cblas.h>
#include <string.h>

void nk_dense_inputs(const nk_lexicon *lx, const int32_t *word, const nerkit_document *doc,
                     float *x)
{
    const size_t D = lx->dim, K = NK_WINDOW * D;
    size_t first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        for (size_t i = 0; i < n; i++) {
            float *row = x + (first + i) * K;
            for (int d = -NK_WINDOW / 2; d <= NK_WINDOW / 2; d++) {
                float *dst = row + (size_t)(d + NK_WINDOW / 2) * D;
                long j = (long)i + d;
                int32_t w = j >= 0 && j < (long)n ? word[first + (size_t)j] : -1;
                if (w < 0) {
                    /* outside the sentence or not in the lexicon */
                    memset(dst, 0, D * sizeof *dst);
                    continue;
                }
                const int8_t *q = lx->vec + (size_t)w * D;
                float scale = lx->scale[w];
                for (size_t k = 0; k < D; k++)
                    dst[k] = (float)q[k] * scale;
            }
        }
    }
}

void nk_dense_scores_plain(const float *x, size_t T, size_t K, const float *w, size_t L,
                           float *em)
{
    for (size_t t = 0; t < T; t++) {
        const float *xt = x + t * K;
        for (size_t y = 0; y < L; y++) {
            const float *wy = w + y * K;
            float sum = 0;
            for (size_t k = 0; k < K; k++)
                sum += xt[k] * wy[k];
            em[t * L + y] += sum;
        }
    }
}

void nk_dense_scores(const float *x, size_t T, size_t K, const float *w, size_t L, float *em)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)T, (blasint)L, (blasint)K, 1.0f,
                x, (blasint)K, w, (blasint)K, 1.0f, em, (blasint)L);
}
