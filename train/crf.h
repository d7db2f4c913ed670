/*
 * The linear-chain CRF trainer: what its optimisers (crf_lbfgs.c,
 * crf_sgd.c) share. crf.c turns the training set into a compact parameter
 * vector and computes the penalised negative log-likelihood and its
 * gradient, on several threads, plus dev scoring and export into the model.
 */
#ifndef NERKIT_CRF_H
#define NERKIT_CRF_H

#include "trainer.h"

/* One thread's scratch. */
typedef struct {
    nk_fb fb;
    double *g;      /* its shard's gradient */
    double f;       /* its shard's objective */
    double *marg;   /* L */
    double *wgrad;  /* nwords x NK_WINDOW x L: coef (marginal - gold) summed per word and
                     * window offset, until crf_fold_dense turns it into gradient */
    float *em;      /* longest x L, for Viterbi on dev */
    float *trans;   /* L x L */
    float *vprep;   /* trans as nk_viterbi_prepare makes it */
    float *vwork;   /* longest x lat.stride */
} crf_work;

/* The parameters are not a dense table of 2^hash_bits x L weights: for
 * CoNLL-2003 that is 71 M doubles (570 MB), and L-BFGS keeps a dozen more
 * vectors of the same size. Even rows only for the 478 k slots that occur
 * would be 8.1 M weights, over 1 GB with the L-BFGS history. Like
 * CRFsuite, there is one weight per (feature slot, label) pair that occurs
 * in training, then the L x L transitions: 0.57 M weights, 4.5 MB per
 * vector, small enough that the gradient loops run in cache. A pair never
 * seen in training could only learn to push its label down, which the
 * transitions and the pairs that are seen already do: dev F1 is as good as
 * the perceptron's, which has full rows.
 *
 * With word vectors the dense weights follow the transitions: K x L, each
 * input's weights for every label side by side (the model stores them
 * L x K). A token's dense score is the sum over its window of each word's
 * vector times the weights of that offset, and a word's product is the
 * same wherever it occurs: so the products (NK_WINDOW x dim x L
 * multiply-adds) are made once per distinct word into wscore, not once per
 * token, and the gradient is gathered per word and offset and multiplied
 * by the vector once per shard (crf_fold_dense). With 100-dimensional
 * vectors on CoNLL-2003 that takes an L-BFGS iteration from 2.3 s to 0.8 s.
 * Every sum runs in a fixed order, so training stays bit-for-bit
 * repeatable. */
typedef struct {
    const nerkit_model *m;
    size_t L;
    nk_trainset *train, *dev; /* their slots replaced by compact feature ids */
    nk_slotmap feat;          /* the features: slots that occur in training */
    size_t *first;            /* feat.n + 1: feature f's weights are first[f] .. first[f+1] */
    uint16_t *label;          /* nemit: the label of each feature weight */
    size_t nemit;             /* feature weights; the transitions follow */
    size_t K;                 /* dense inputs per token: NK_WINDOW * dim, 0 without vectors */
    size_t dense;             /* where the dense weights start: nemit + L * L */
    uint32_t nwords;          /* lexicon words in train or dev; their word ids replaced by
                               * compact ones */
    float *vec;               /* nwords x dim: their vectors */
    double *wscore;           /* nwords x NK_WINDOW x L: each word's dense scores */
    size_t n;                 /* all weights: nemit + L * L + K * L */
    double l2;
    int threads;
    size_t *shard;            /* threads + 1: sentence boundaries of the shards */
    crf_work *work;           /* threads */
    struct crf_job *jobs;     /* threads: the work of crf_objective (crf.c) */
    uint16_t *pred;           /* dev predictions */
    /* non-local features stay slots, looked up in feat: dev's change with
     * each first pass */
    nk_nltab tab;
} crf_problem;

int crf_init(crf_problem *P, const nerkit_model *m, nk_trainset *train, nk_trainset *dev,
             int threads, double l2, nerkit_error *err);
void crf_free(crf_problem *P);

/* The objective at w: the negative log-likelihood of train plus
 * l2 / 2 |w|^2 (no L1: OWL-QN adds that itself); its gradient goes to g.
 * Computed on P->threads threads, each over its own shard of sentences;
 * the shards' sums are added in shard order, so the result depends on the
 * thread count but not on scheduling. INFINITY if a sentence's scores
 * overflow. */
double crf_objective(crf_problem *P, const double *w, double *g);

/* Loads the transitions of weights wscale * w into W for the passes below. */
void crf_load_transitions(const crf_problem *P, crf_work *W, const double *w, double wscale);

/* Fills P->wscore under weights w for the words of tokens first .. end of
 * ts, or for every word if ts is NULL. (The scores take no wscale:
 * emissions apply it to the whole.) */
void crf_load_dense(const crf_problem *P, const double *w, const nk_trainset *ts, size_t first,
                    size_t end);

/* Adds the dense gradient that crf_sentence gathered in W for train tokens
 * first .. end to g, and clears it: once per shard in batch training. */
void crf_fold_dense(const crf_problem *P, crf_work *W, size_t first, size_t end, double *g);

/* One training sentence under weights wscale * w, with transitions and
 * dense scores loaded: returns its negative log-likelihood and adds coef
 * times its gradient to g, but the dense part to W->wgrad (g may be w:
 * the scores are computed before anything is added). */
double crf_sentence(const crf_problem *P, crf_work *W, const double *w, double wscale, size_t s,
                    double *g, double coef);

/* Tags dev with weights wscale * w and scores it (conlleval P, R, F1). */
int crf_dev_score(crf_problem *P, const double *w, double wscale, double *p, double *r,
                  double *f1, nerkit_error *err);

/* Writes weights wscale * w into m: a row for every feature with a
 * non-zero weight, the transitions and the dense weights. */
int crf_export(const crf_problem *P, const double *w, double wscale, nerkit_model *m,
               nerkit_error *err);

int nk_train_crf_lbfgs(nerkit_model *m, crf_problem *P, const nerkit_train_opts *o,
                       nerkit_progress_fn progress, void *user, nerkit_error *err);
int nk_train_crf_sgd(nerkit_model *m, crf_problem *P, const nerkit_train_opts *o,
                     nerkit_progress_fn progress, void *user, nerkit_error *err);

#endif
