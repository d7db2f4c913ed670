/*
 * What every trainer shares: a corpus turned into feature slots and gold
 * labels once, before the first epoch, and scoring on the dev set.
 */
#ifndef NERKIT_TRAINER_H
#define NERKIT_TRAINER_H

#include "../src/embed/embed.h"

/* A corpus as trainers see it: token i has features slots[start[i] ..
 * start[i+1]) and gold label gold[i]; sentence s spans tokens
 * sent_first[s] .. sent_first[s+1]. */
typedef struct {
    const nerkit_corpus *corpus;
    size_t ntok, nsent;
    uint32_t *slots;
    size_t *start;
    size_t *sent_first;
    uint16_t *gold;
    int32_t *word;  /* each token's index in the model's lexicon, -1 if absent (crf_init
                     * renumbers them to its own compact ids) */
    size_t longest; /* tokens in the longest sentence */
    /* documents: d spans tokens doc_first[d] .. doc_first[d+1] and is a copy
     * (case copies) or the original of the corpus's document doc_src[d] */
    size_t ndoc;
    size_t *doc_first;
    size_t *doc_src;
    /* non-local features, with NERKIT_FEAT_NONLOCAL (else NULL): each
     * token's lower-cased word (nk_featbuf.h_lower) and its slots from the
     * last first pass, as nk_nonlocal_extract gives them */
    uint64_t *lower;
    uint32_t *nl;
    uint8_t *nl_n;
} nk_trainset;

/* The feature slots that occur in a training set (its slots and its
 * non-local ones), numbered 0 .. n-1 in slot order, so that weights take
 * n x L rather than 2^hash_bits x L. Looked up as the model's rows are
 * (nk_bitrank): 3/16 byte per slot of the hash table (768 KiB for 2^22)
 * where a plain slot -> id array would take 4 bytes. */
typedef struct {
    uint64_t *present;
    uint32_t *rank;
    uint32_t n;
    uint32_t *slot; /* n: each id's slot, increasing */
} nk_slotmap;

int nk_slotmap_build(nk_slotmap *sm, const nk_trainset *ts, unsigned hash_bits,
                     nerkit_error *err);
void nk_slotmap_free(nk_slotmap *sm);

/* The id + 1 of a slot, 0 for a slot the training set never has. */
static inline uint32_t nk_slotmap_id(const nk_slotmap *sm, uint32_t slot)
{
    return nk_bitrank(sm->present, sm->rank, slot);
}

/* Replaces each slot of ts by its id and drops slots with none (a dev
 * set's features never seen in training: their weights are zero). */
void nk_slotmap_remap(nk_trainset *ts, const nk_slotmap *sm);

/* Extracts features for every document of c, mapping its entity types onto
 * the model's by name (types the model lacks become O). With copies (the
 * training options; NULL for none), the case copies they ask for follow. */
int nk_trainset_build(nk_trainset *ts, const nerkit_corpus *c, const nerkit_model *m,
                      const nerkit_train_opts *copies, nerkit_error *err);
void nk_trainset_free(nk_trainset *ts);

/* Sets ts's non-local features from first-pass labels of all its tokens. */
int nk_trainset_nonlocal(nk_trainset *ts, const nerkit_model *m, const uint16_t *labels,
                         nk_nltab *tab, nerkit_error *err);

/* Drops features seen fewer than min_count times from ts. */
int nk_trainset_prune(nk_trainset *ts, unsigned min_count, unsigned hash_bits,
                      nerkit_error *err);

/* conlleval precision, recall and F1 of predicted labels against the gold
 * strings of ts's corpus, with predictions written in the corpus's scheme. */
int nk_trainset_score(const nk_trainset *ts, const nerkit_model *m, const uint16_t *pred,
                      double *p, double *r, double *f1, nerkit_error *err);

/* Gives m the word representations named in o: from cluster and vector
 * files, the words of train and each resource's most frequent words, with
 * their clusters and unit-length vectors; or the whole lexicon and
 * gazetteer of the model o->lexicon_from. Turns on the feature groups they
 * feed. */
int nk_train_resources(nerkit_model *m, const nerkit_corpus *train, const nerkit_train_opts *o,
                       nerkit_error *err);

/* The perceptron trainer: fills m's weights and transitions. */
int nk_train_perceptron(nerkit_model *m, nk_trainset *train, nk_trainset *dev,
                        const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                        nerkit_error *err);

/* With NERKIT_FEAT_NONLOCAL, before either trainer: gives train the
 * non-local features of held-out first-pass labels, each fold of its
 * documents tagged by a perceptron trained on the others (o->folds). */
int nk_train_nonlocal(nerkit_model *m, nk_trainset *train, nk_trainset *dev,
                      const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                      nerkit_error *err);

/* The CRF trainer (crf.c): the same, by the optimizer o->optimizer. It
 * replaces the slots of train and dev by its own feature ids. */
int nk_train_crf(nerkit_model *m, nk_trainset *train, nk_trainset *dev, const nerkit_train_opts *o,
                 nerkit_progress_fn progress, void *user, nerkit_error *err);

/* Fits m's probability scale (a perceptron's temperature) to the gold
 * labels of dev by maximum likelihood (calibrate.c). */
/* The running sum of several runs' weights (average.c): add each run's
 * model, then finish writes their mean into m. */
typedef struct {
    uint32_t *slots; /* the union of the runs' slots, increasing */
    float *rows;     /* n x L sums */
    uint32_t n;
    float *trans, *dense;
    size_t runs;
} nk_average;
int nk_average_add(nk_average *a, const nerkit_model *m, nerkit_error *err);
int nk_average_finish(nk_average *a, nerkit_model *m, nerkit_error *err);
void nk_average_free(nk_average *a);

int nk_calibrate(nerkit_model *m, const nk_trainset *dev, nerkit_error *err);

/* Case copies (case_copies.c): the document as given, lower-cased and
 * upper-cased. */
enum { NK_CASE_AS_IS, NK_CASE_LOWER, NK_CASE_UPPER };

/* Refuses fractions of documents outside 0 to 1. */
int nk_case_copies_check(const nerkit_train_opts *o, nerkit_error *err);

/* The set of 1 << NK_CASE_* that document d is trained in: always as is,
 * and each copy for a fraction of the documents, chosen by o->seed. */
unsigned nk_case_copies_of(const nerkit_train_opts *o, size_t d);

/* A re-cased document's text, reused from one document to the next. */
typedef struct {
    char *text;
    const char **tokens;
    size_t *len;
    size_t cap_text, cap_tokens;
} nk_recased;

/* out = src in case c (NK_CASE_LOWER or NK_CASE_UPPER), its tokens in r. */
int nk_recase(const nerkit_document *src, unsigned c, nk_recased *r, nerkit_document *out,
              nerkit_error *err);
void nk_recased_free(nk_recased *r);

/* Whether sentence s is trained with its non-local features in this pass:
 * a quarter are not, so that the same weights make the tagger's first
 * pass, which has none. On CoNLL-2003 dev (two seeds) a quarter gave 93.23
 * after the second pass, a half 92.88, three quarters 92.58 (one seed). */
bool nk_train_with_nonlocal(uint64_t seed, unsigned pass, size_t s);

/* Shuffles order[0..n) for a pass: the same seed and pass, the same order. */
void nk_train_shuffle(size_t *order, size_t n, uint64_t seed, unsigned pass);

#endif
