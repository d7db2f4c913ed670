/*
 * Decoders beyond Viterbi, over the tagger's emission scores: scaled
 * forward-backward marginals (also the CRF trainer's), entity confidence,
 * n-best labellings. Their scratch lives in the tagger, which does not
 * know its type (nk_tagger_scratch).
 *
 * May use: core/, base/.
 */
#ifndef NERKIT_DECODE_H
#define NERKIT_DECODE_H

#include "../core/core.h"

/* ---- probabilities (marginals.c): scaled forward-backward for the CRF */

/* Scratch and results for one sentence of up to cap positions. The caller
 * writes label scores into E (n x L) and transition scores into T (L x L,
 * then nk_fb_transitions); the passes turn both into potentials in place. */
typedef struct {
    size_t L, cap;
    double *E;            /* n x L: scores in, exp(score - max of the position) out */
    double *T;            /* L x L: exp(score - tshift); 0 where BILOU forbids */
    double tshift;
    double *alpha, *beta; /* n x L, scaled: P(y_t = y) = alpha * beta */
    double *scale;        /* n + 1 normalisers: one per position, then the end */
    double logz;          /* log partition function */
    double *v;            /* L scratch */
} nk_fb;

int nk_fb_reserve(nk_fb *f, size_t L, size_t n, nerkit_error *err);
void nk_fb_free(nk_fb *f);
void nk_fb_transitions(nk_fb *f, const nk_lattice *lat);
/* false when the scores are too far apart for double precision */
bool nk_fb_forward(nk_fb *f, const nk_lattice *lat, size_t n);
void nk_fb_backward(nk_fb *f, const nk_lattice *lat, size_t n);

static inline double nk_fb_marginal(const nk_fb *f, size_t t, size_t y)
{
    return f->alpha[t * f->L + y] * f->beta[t * f->L + y];
}

/* Adds coef * P(y_{t-1} = p, y_t = y), summed over t, to acc[p * L + y]. */
void nk_fb_edge_marginals(const nk_fb *f, const nk_lattice *lat, size_t n, double coef,
                          double *acc);

/* P(y_a .. y_{a+len-1} = labels[0 .. len)): for an entity's labels, its
 * probability; for a whole sentence, the sequence's. */
double nk_fb_path(const nk_fb *f, size_t a, const uint16_t *labels, size_t len);

/* ---- n-best (nbest.c) */

typedef struct {
    size_t L, K;
    double *score;      /* n x L x K partial path scores, best first */
    uint32_t *back;     /* their back-pointers: previous label << 16 | its rank */
    uint16_t *count;    /* n x L: entries used */
    double *best;       /* K: scores of the best full paths */
    uint32_t *best_back;
    size_t *cursor;     /* L: merge positions */
    uint16_t *ends;     /* L: labels that may end a sentence */
    size_t cap_entries, cap_cells, cap_k, cap_labels;
} nk_nbest;

int nk_nbest_reserve(nk_nbest *w, size_t L, size_t n, size_t k, nerkit_error *err);
void nk_nbest_free(nk_nbest *w);

/* The K best paths (K as reserved) through em (n x L floats): path r goes
 * to paths + r * stride and its score to w->best[r]. Returns how many
 * paths the sentence has, at most K. */
size_t nk_nbest_decode(nk_nbest *w, const nk_lattice *lat, const float *em, size_t n,
                       const float *trans, uint16_t *paths, size_t stride);

/* ---- a tagger's scratch for the decoders beyond Viterbi (decoders.c) */

typedef struct {
    nk_fb fb;
    nk_nbest nb;
} nk_decoders;

void nk_decoders_free(nk_decoders *d);
/* Reserves fb for sentences of up to longest tokens and loads m's transitions. */
int nk_decoders_prepare_fb(nk_decoders *d, const nerkit_model *m, size_t longest,
                           nerkit_error *err);
/* Forward pass over one sentence's emission scores; *logz gets log Z. */
int nk_decoders_forward(nk_decoders *d, const nerkit_model *m, const float *em, size_t n,
                        double *logz, nerkit_error *err);

/* NERKIT_OK when m has probabilities; else NERKIT_ERR_UNSUPPORTED with the
 * one message every caller gives for it. */
int nk_need_probabilities(const nerkit_model *m, nerkit_error *err);

/* The tagger's decoder scratch, made on its first use; NULL when there is
 * no memory for it. */
nk_decoders *nk_tagger_decoders(nerkit_tagger *t);

#endif
