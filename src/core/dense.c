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
 * position is the same wherever it occurs, so the tagger scores each word
 * once (nk_dense_word: its vector against the five positions' weights, one
 * matrix-vector product) and keeps the scores of the words it has seen in
 * a small cache: the words of a text repeat, and the cache holds nearly
 * all of its tokens' words. Multiplying every document's inputs instead
 * cost a quarter of tagging time; a table of the whole vocabulary's scores
 * cost 55 MB and a tenth of a second at each load.
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
                /* outside the sentence, not in the lexicon, or without a vector */
                if (w < 0 || !nk_lexicon_vector(lx, (uint32_t)w, dst))
                    memset(dst, 0, D * sizeof *dst);
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

void nk_dense_project(const nerkit_model *m, const float *x, float *tmp)
{
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)(m->nlabels * NK_WINDOW),
                (blasint)m->lex.dim, 1.0f, m->dense, (blasint)m->lex.dim, x, 1, 0.0f, tmp, 1);
}

bool nk_dense_word(const nerkit_model *m, uint32_t w, float *x, float *tmp, float *out)
{
    const size_t L = m->nlabels;
    if (!nk_lexicon_vector(&m->lex, w, x))
        return false;
    /* W's rows are (label, position) pairs of D weights: one product gives
     * tmp[y * NK_WINDOW + d], which the tagger wants position by position */
    nk_dense_project(m, x, tmp);
    for (size_t d = 0; d < NK_WINDOW; d++)
        for (size_t y = 0; y < L; y++)
            out[d * L + y] = tmp[y * NK_WINDOW + d];
    return true;
}
