/*
 * Dense features: the word vectors of a token's +-2 window, scored against
 * a dense weight matrix W (L x 5D). For T tokens the inputs form a T x 5D
 * matrix X, and the emission scores gain X * W^T: one matrix product, which
 * is where BLAS pays, because it blocks the product for the cache and
 * vectorises it. bin/dense_bench measures it 18-46x faster than the plain C
 * loop at every batch size from one token up; the loop stays as the
 * reference the tests hold BLAS to. The trainers, whose W changes after
 * every sentence, score that way.
 *
 * A trained model's W is fixed, and a word's contribution at a window
 * position is the same wherever it occurs. So the model multiplies the
 * whole vocabulary once, when it is loaded (one V x D by D x L product
 * per position), and the tagger adds five precomputed rows per token
 * along with the rows of its sparse features. Building X for each
 * document and multiplying it cost a quarter of tagging time; the gather
 * costs a few percent. The table is V x 5 x L floats (21 MB for the default model);
 * a model whose table would pass NK_PROJ_MAX is scored document by document.
 */
#include "core.h"

#include "../base/blas.h"
#include <stdlib.h>
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

int nk_dense_project(nerkit_model *m, nerkit_error *err)
{
    const nk_lexicon *lx = &m->lex;
    const size_t V = lx->nwords, D = lx->dim, L = m->nlabels, R = NK_WINDOW * L;
    /* OpenBLAS's thread count is left to the program (nerkit-tag sets
     * one): a library that set it would take the BLAS threads of any host */
    if (!(m->feat.groups & NERKIT_FEAT_VECTORS) || !m->dense)
        return NERKIT_OK;
    if (!V || V * R * sizeof(float) > NK_PROJ_MAX)
        return NERKIT_OK;
    enum { BLOCK = 512 }; /* words dequantized at a time: 200 KB at D = 100 */
    float *x = nk_alloc(BLOCK * D, sizeof *x, err);
    float *proj = nk_alloc_huge(V * R, sizeof *proj, err);
    if (!x || !proj) {
        free(x);
        free(proj);
        return NERKIT_ERR_NOMEM;
    }
    for (size_t a = 0; a < V; a += BLOCK) {
        size_t n = V - a < BLOCK ? V - a : BLOCK;
        for (size_t w = 0; w < n; w++)
            for (size_t k = 0; k < D; k++)
                x[w * D + k] = (float)lx->vec[(a + w) * D + k] * lx->scale[a + w];
        /* position d's weights are columns d*D.. of W: proj[w][d] = x[w] W_d^T */
        for (size_t d = 0; d < NK_WINDOW; d++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)n, (blasint)L,
                        (blasint)D, 1.0f, x, (blasint)D, m->dense + d * D,
                        (blasint)(NK_WINDOW * D), 0.0f, proj + a * R + d * L, (blasint)R);
    }
    free(x);
    m->proj = proj;
    return NERKIT_OK;
}
