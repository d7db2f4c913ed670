/*
 * Structured averaged perceptron (Collins 2002) over BILOU with Viterbi
 * decoding inside training.
 *
 * Weights are integers: each update adds or subtracts 1, so w is exact in
 * int32 and the running sum for averaging is exact in int64. Averaging uses
 * the timestamp trick: alongside w keep u = sum of (step * update); the
 * average after c steps is w - u / c, with no pass over untouched weights
 * per step. Integer arithmetic also makes training bit-for-bit repeatable.
 *
 * Rows exist only for the slots the training set has (feat), not for every
 * slot of the hash table: 2^22 rows of 49 labels took 2.5 GB whatever the
 * corpus. Only those slots are ever updated, so every other row would stay
 * zero: a dev set's slots without a row score zero, as they did.
 *
 * Word vectors, when the model has them, add dense weights: a float row of
 * NK_WINDOW * dim per label, averaged the same way with double sums. Their
 * scores come from one BLAS product per sentence; OpenBLAS on one thread
 * adds in a fixed order, so training stays repeatable on a machine.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t L;
    nk_slotmap feat;
    int32_t *w;  /* feat.n x L */
    int64_t *u;
    int32_t *wt; /* L x L transitions */
    int64_t *ut;
    int64_t c;   /* update step, one per sentence */
    const nk_lexicon *lex;
    size_t K;    /* dense inputs per token; 0 without word vectors */
    float *wd;   /* L x K dense weights */
    double *ud;  /* their step-weighted sums */
    float *wd_avg;
    /* scratch */
    float *x;    /* the dense inputs of the sentence being scored */
    float *em, *trans, *prep, *work; /* trans and what nk_viterbi makes of it */
    int64_t *sw, *su;
    uint16_t *path;
    const nk_lattice *lat;
} perceptron;

static void gather(const perceptron *P, uint32_t slot, bool avg)
{
    uint32_t id = nk_slotmap_id(&P->feat, slot);
    if (!id)
        return;
    const size_t L = P->L, off = (size_t)(id - 1) * L;
    for (size_t y = 0; y < L; y++)
        P->sw[y] += P->w[off + y];
    if (avg)
        for (size_t y = 0; y < L; y++)
            P->su[y] += P->u[off + y];
}

/* Emission scores of one sentence with the current weights (avg = false) or
 * the averaged ones; nl adds the non-local features ts has. */
static void score_sentence(const perceptron *P, const nk_trainset *ts, size_t a, size_t n,
                           bool avg, bool nl)
{
    const size_t L = P->L;
    double inv = 1.0 / (double)P->c;
    nl = nl && ts->nl_n;
    for (size_t i = 0; i < n; i++) {
        float *e = P->em + i * L;
        int64_t *sw = P->sw, *su = P->su;
        memset(sw, 0, L * sizeof *sw);
        memset(su, 0, L * sizeof *su);
        for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++)
            gather(P, ts->slots[k], avg);
        for (size_t k = 0; nl && k < ts->nl_n[a + i]; k++)
            gather(P, ts->nl[(a + i) * NK_NL_MAX + k], avg);
        for (size_t y = 0; y < L; y++)
            e[y] = (float)((double)sw[y] - (avg ? (double)su[y] * inv : 0.0));
    }
    if (P->K) {
        nerkit_document one = {NULL, NULL, n, &n, 1};
        nk_dense_inputs(P->lex, ts->word + a, &one, P->x);
        nk_dense_scores(P->x, n, P->K, avg ? P->wd_avg : P->wd, L, P->em);
    }
}

/* The averaged dense weights, for scoring with averaged weights. */
static void average_dense(const perceptron *P, float *out)
{
    double inv = 1.0 / (double)P->c;
    for (size_t k = 0; k < P->L * P->K; k++)
        out[k] = (float)((double)P->wd[k] - P->ud[k] * inv);
}

static void set_transitions(perceptron *P, bool avg)
{
    double inv = 1.0 / (double)P->c;
    for (size_t k = 0; k < P->L * P->L; k++)
        P->trans[k] = (float)((double)P->wt[k] - (avg ? (double)P->ut[k] * inv : 0.0));
    nk_viterbi_prepare(P->lat, P->trans, P->prep);
}

static void step(perceptron *P, uint32_t slot, uint16_t gold, uint16_t pred)
{
    size_t off = (size_t)(nk_slotmap_id(&P->feat, slot) - 1) * P->L;
    P->w[off + gold]++;
    P->u[off + gold] += P->c;
    P->w[off + pred]--;
    P->u[off + pred] -= P->c;
}

static void update(perceptron *P, const nk_trainset *ts, size_t a, size_t n,
                   const uint16_t *gold, const uint16_t *pred, bool nl)
{
    nl = nl && ts->nl_n;
    const size_t L = P->L;
    const int64_t c = P->c;
    for (size_t i = 0; i < n; i++) {
        if (gold[i] != pred[i]) {
            const float *x = P->x + i * P->K;
            float *wg = P->wd + gold[i] * P->K, *wp = P->wd + pred[i] * P->K;
            double *ug = P->ud + gold[i] * P->K, *up = P->ud + pred[i] * P->K;
            for (size_t k = 0; k < P->K; k++) {
                wg[k] += x[k];
                ug[k] += (double)c * x[k];
                wp[k] -= x[k];
                up[k] -= (double)c * x[k];
            }
            for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++)
                step(P, ts->slots[k], gold[i], pred[i]);
            for (size_t k = 0; nl && k < ts->nl_n[a + i]; k++)
                step(P, ts->nl[(a + i) * NK_NL_MAX + k], gold[i], pred[i]);
        }
        if (i > 0 && (gold[i] != pred[i] || gold[i - 1] != pred[i - 1])) {
            size_t g = gold[i - 1] * L + gold[i], p = pred[i - 1] * L + pred[i];
            P->wt[g]++;
            P->ut[g] += c;
            P->wt[p]--;
            P->ut[p] -= c;
        }
    }
}

/* Tags sentences sent[0..n) of ts (all when sent is NULL) with the
 * averaged weights. */
static void decode_averaged(perceptron *P, const nerkit_model *m, const nk_trainset *ts,
                            const size_t *sent, size_t nsent, bool nl, uint16_t *out)
{
    set_transitions(P, true);
    if (P->K)
        average_dense(P, P->wd_avg);
    for (size_t k = 0; k < nsent; k++) {
        size_t s = sent ? sent[k] : k;
        size_t a = ts->sent_first[s], n = ts->sent_first[s + 1] - a;
        score_sentence(P, ts, a, n, true, nl);
        nk_viterbi(&m->lat, P->prep, P->em, n, P->work, out + a);
    }
}

/* Tags all of ts as the tagger does: with non-local features (nl), a first
 * pass without them gives the labels they come from, then a second pass. */
static int decode_all(perceptron *P, const nerkit_model *m, nk_trainset *ts, bool nl,
                      nk_nltab *tab, uint16_t *out, nerkit_error *err)
{
    decode_averaged(P, m, ts, NULL, ts->nsent, false, out);
    if (!nl)
        return NERKIT_OK;
    int rc = nk_trainset_nonlocal(ts, m, out, tab, err);
    if (!rc)
        decode_averaged(P, m, ts, NULL, ts->nsent, true, out);
    return rc;
}

/* Copies the averaged weights into the model: only rows with a non-zero
 * weight are kept. */
static int export_weights(const perceptron *P, nerkit_model *m, nerkit_error *err)
{
    const size_t L = P->L;
    double inv = 1.0 / (double)P->c;
    uint32_t *slots = nk_alloc(P->feat.n, sizeof *slots, err);
    uint32_t *row = nk_alloc(P->feat.n, sizeof *row, err);
    int rc = NERKIT_OK;
    if (!slots || !row) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    uint32_t nrows = 0;
    for (uint32_t r = 0; r < P->feat.n; r++) {
        bool any = false;
        for (size_t y = 0; y < L && !any; y++)
            any = P->w[(size_t)r * L + y] != 0 || P->u[(size_t)r * L + y] != 0;
        if (any) {
            row[nrows] = r;
            slots[nrows++] = P->feat.slot[r];
        }
    }
    rc = nk_model_set_rows(m, slots, nrows, err);
    for (uint32_t k = 0; k < nrows && !rc; k++) {
        float *dst = m->rows + (size_t)k * L;
        size_t off = (size_t)row[k] * L;
        for (size_t y = 0; y < L; y++)
            dst[y] = (float)((double)P->w[off + y] - (double)P->u[off + y] * inv);
    }
out:
    free(slots);
    free(row);
    if (rc)
        return rc;
    for (size_t k = 0; k < L * L; k++)
        m->trans[k] = (float)((double)P->wt[k] - (double)P->ut[k] * inv);
    if (P->K)
        average_dense(P, m->dense);
    return rc;
}

static void perceptron_free(perceptron *P)
{
    nk_slotmap_free(&P->feat);
    free(P->w);
    free(P->u);
    free(P->wt);
    free(P->ut);
    free(P->em);
    free(P->trans);
    free(P->prep);
    free(P->sw);
    free(P->su);
    free(P->work);
    free(P->path);
    free(P->wd);
    free(P->ud);
    free(P->wd_avg);
    free(P->x);
}

static uint64_t hash_array(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = nk_hash_step(h, s[i]);
    return h;
}

/* What a checkpoint must come from to be resumed here: the same corpora as
 * features and labels, label set and options that shape the training. */
static uint64_t fingerprint(const nerkit_model *m, const nk_trainset *train,
                            const nk_trainset *dev, const nerkit_train_opts *o)
{
    uint64_t h = nk_hash_step(NK_HASH_INIT, o->seed);
    h = nk_hash_step(h, m->feat.groups);
    h = nk_hash_step(h, m->feat.hash_bits);
    for (size_t t = 0; t < m->ntypes; t++)
        h = hash_array(h, m->types[t], strlen(m->types[t]) + 1);
    const nk_trainset *sets[] = {train, dev};
    for (size_t k = 0; k < 2; k++) {
        const nk_trainset *ts = sets[k];
        if (!ts) {
            h = nk_hash_step(h, 0);
            continue;
        }
        h = nk_hash_step(h, ts->ntok);
        h = hash_array(h, ts->slots, ts->start[ts->ntok] * sizeof *ts->slots);
        h = hash_array(h, ts->start, (ts->ntok + 1) * sizeof *ts->start);
        h = hash_array(h, ts->gold, ts->ntok * sizeof *ts->gold);
        h = hash_array(h, ts->sent_first, (ts->nsent + 1) * sizeof *ts->sent_first);
        if (ts->word)
            h = hash_array(h, ts->word, ts->ntok * sizeof *ts->word);
        if (ts->nl_n) {
            h = hash_array(h, ts->nl, ts->ntok * NK_NL_MAX * sizeof *ts->nl);
            h = hash_array(h, ts->nl_n, ts->ntok);
        }
    }
    return nk_mix64(h);
}

/* Gives m the weights of the best epoch that a checkpoint held. */
static void take_weights(nerkit_model *m, nerkit_model *best)
{
#define SWAP(f)                                                                                   \
    do {                                                                                          \
        __typeof__(m->f) tmp = m->f;                                                              \
        m->f = best->f;                                                                           \
        best->f = tmp;                                                                            \
    } while (0)
    SWAP(rows);
    SWAP(nrows);
    SWAP(present);
    SWAP(rank);
    SWAP(trans);
    SWAP(dense);
#undef SWAP
}

/* A first pass for the non-local features: trained on the sentences of
 * the other folds, it tags this fold's with its best epoch. */
typedef struct {
    const size_t *train, *held;
    size_t ntrain, nheld;
    uint16_t *pred;
    unsigned k, K; /* fold k + 1 of K */
} fold;

/* Trains m's weights on train (f: on some sentences, for a first pass). */
static int run(nerkit_model *m, nk_trainset *train, nk_trainset *dev, const nerkit_train_opts *o,
               nerkit_progress_fn progress, void *user, const fold *f, nerkit_error *err)
{
    perceptron P = {0};
    nk_nltab tab = {0};
    const bool nonlocal = !f && (m->feat.groups & NERKIT_FEAT_NONLOCAL);
    const char *checkpoint = f ? NULL : o->checkpoint, *resume = f ? NULL : o->resume;
    const size_t nsent = f ? f->ntrain : train->nsent;
    const size_t L = m->nlabels;
    size_t longest = train->longest;
    if (dev && dev->longest > longest)
        longest = dev->longest;
    P.L = L;
    P.c = 1;
    int rc = nk_slotmap_build(&P.feat, train, m->feat.hash_bits, err);
    if (rc)
        return rc;
    P.w = nk_alloc((size_t)P.feat.n * L, sizeof *P.w, err);
    P.u = nk_alloc((size_t)P.feat.n * L, sizeof *P.u, err);
    P.wt = nk_alloc(L * L, sizeof *P.wt, err);
    P.ut = nk_alloc(L * L, sizeof *P.ut, err);
    P.lex = &m->lex;
    P.K = (m->feat.groups & NERKIT_FEAT_VECTORS) ? NK_WINDOW * (size_t)m->lex.dim : 0;
    P.wd = nk_alloc(L * P.K, sizeof *P.wd, err);
    P.ud = nk_alloc(L * P.K, sizeof *P.ud, err);
    P.wd_avg = nk_alloc(L * P.K, sizeof *P.wd_avg, err);
    P.x = nk_alloc(longest * P.K, sizeof *P.x, err);
    P.em = nk_alloc(longest * L, sizeof *P.em, err);
    P.trans = nk_alloc(L * L, sizeof *P.trans, err);
    P.lat = &m->lat;
    P.prep = nk_alloc(nk_viterbi_prep_size(&m->lat), sizeof *P.prep, err);
    P.sw = nk_alloc(L, sizeof *P.sw, err);
    P.su = nk_alloc(L, sizeof *P.su, err);
    P.work = nk_alloc(longest * m->lat.stride, sizeof *P.work, err);
    P.path = nk_alloc(longest, sizeof *P.path, err);
    size_t *order = nk_alloc(train->nsent, sizeof *order, err);
    uint16_t *pred = dev ? nk_alloc(dev->ntok, sizeof *pred, err) : NULL;
    if (!P.w || !P.u || !P.wd || !P.ud || !P.wd_avg || !P.x || !P.wt || !P.ut || !P.em ||
        !P.trans || !P.prep || !P.sw || !P.su || !P.work || !P.path || !order ||
        (dev && !pred)) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    size_t ntok = 0; /* in the sentences trained on */
    for (size_t s = 0; s < nsent; s++) {
        order[s] = f ? f->train[s] : s;
        ntok += train->sent_first[order[s] + 1] - train->sent_first[order[s]];
    }

    nk_checkpoint ck = {.L = L, .rows = P.feat.n, .n = train->nsent, .w = P.w, .wt = P.wt,
                        .u = P.u, .ut = P.ut, .K = P.K, .wd = P.wd, .ud = P.ud,
                        .order = order, .best_score = -1};
    if (checkpoint || resume)
        ck.fingerprint = fingerprint(m, train, dev, o);
    if (resume) {
        nerkit_model *best;
        if ((rc = nk_checkpoint_load(resume, &ck, &best, err)))
            goto out;
        take_weights(m, best);
        nerkit_model_free(best);
        P.c = ck.step;
    }
    double best_f1 = ck.best_score;
    unsigned since_best = ck.since_best;
    bool stopped = ck.stopped;
    for (unsigned epoch = ck.epoch + 1; !stopped && epoch <= o->epochs; epoch++) {
        double t0 = nk_now();
        nk_train_shuffle(order, nsent, o->seed, epoch);
        size_t errors = 0;
        for (size_t k = 0; k < nsent; k++) {
            if (o->stop && *o->stop) {
                rc = nk_fail(err, NERKIT_ERR_INTERRUPTED, "interrupted in epoch %u", epoch);
                goto out;
            }
            size_t s = order[k];
            size_t a = train->sent_first[s], n = train->sent_first[s + 1] - a;
            bool nl = nonlocal && nk_train_with_nonlocal(o->seed, epoch, s);
            score_sentence(&P, train, a, n, false, nl);
            set_transitions(&P, false);
            nk_viterbi(&m->lat, P.prep, P.em, n, P.work, P.path);
            const uint16_t *gold = train->gold + a;
            size_t wrong = 0;
            for (size_t i = 0; i < n; i++)
                wrong += gold[i] != P.path[i];
            if (wrong)
                update(&P, train, a, n, gold, P.path, nl);
            errors += wrong;
            P.c++;
        }
        double secs = nk_now() - t0;
        nerkit_progress pr = {epoch, secs, ntok / (secs > 0 ? secs : 1e-9),
                              (double)errors / (double)ntok, -1, -1, -1, 0, 0, 0,
                              f ? f->k + 1 : 0, f ? f->K : 0, 0, 0};
        bool improved = true;
        if (dev) {
            if ((rc = decode_all(&P, m, dev, nonlocal, &tab, pred, err)) ||
                (rc = nk_trainset_score(dev, m, pred, &pr.dev_p, &pr.dev_r, &pr.dev_f1, err)))
                goto out;
            improved = pr.dev_f1 > best_f1;
        }
        if (improved) {
            best_f1 = pr.dev_f1;
            since_best = 0;
            if (f)
                decode_averaged(&P, m, train, f->held, f->nheld, false, f->pred);
            else if ((rc = export_weights(&P, m, err)))
                goto out;
        } else {
            since_best++;
        }
        pr.best = improved;
        stopped = (dev && since_best >= o->patience) || errors == 0;
        if (checkpoint) {
            ck.epoch = epoch;
            ck.since_best = since_best;
            ck.stopped = stopped;
            ck.best_score = best_f1;
            ck.step = P.c;
            if ((rc = nk_checkpoint_save(checkpoint, m, &ck, err)))
                goto out;
        }
        if (progress && progress(&pr, user))
            break;
    }
out:
    perceptron_free(&P);
    nk_nltab_free(&tab);
    free(order);
    free(pred);
    return rc;
}

int nk_train_perceptron(nerkit_model *m, nk_trainset *train, nk_trainset *dev,
                        const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                        nerkit_error *err)
{
    return run(m, train, dev, o, progress, user, NULL, err);
}

int nk_train_nonlocal(nerkit_model *m, nk_trainset *train, nk_trainset *dev,
                      const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                      nerkit_error *err)
{
    const size_t K = o->folds, ndoc = nerkit_corpus_ndocuments(train->corpus);
    size_t *part = nk_alloc(train->nsent, sizeof *part, err);
    size_t *in = nk_alloc(train->nsent, sizeof *in, err);
    size_t *out = nk_alloc(train->nsent, sizeof *out, err);
    uint16_t *pred = nk_alloc(train->ntok, sizeof *pred, err);
    size_t *orig_first = nk_alloc(ndoc + 1, sizeof *orig_first, err);
    nk_nltab tab = {0};
    int rc = NERKIT_OK;
    if (!part || !in || !out || !pred || !orig_first) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    /* whole documents to a fold, so that a first pass never saw the
     * document it tags, as on new text; sentences when there are too few
     * documents. A case copy goes where its original went: the originals
     * come first in the set, and a copy's sentences follow its original's
     * one for one. */
    for (size_t d = 0, s = 0; d < train->ndoc; d++) {
        size_t s0 = s;
        if (d < ndoc)
            orig_first[d] = s0;
        for (; s < train->nsent && train->sent_first[s] < train->doc_first[d + 1]; s++)
            part[s] = d < ndoc ? (ndoc >= K ? d : s) % K
                               : part[orig_first[train->doc_src[d]] + (s - s0)];
    }
    for (size_t k = 0; k < K && !rc; k++) {
        fold f = {in, out, 0, 0, pred, (unsigned)k, (unsigned)K};
        for (size_t s = 0; s < train->nsent; s++) {
            if (part[s] == k)
                out[f.nheld++] = s;
            else
                in[f.ntrain++] = s;
        }
        rc = run(m, train, dev, o, progress, user, &f, err);
    }
    if (!rc)
        rc = nk_trainset_nonlocal(train, m, pred, &tab, err);
done:
    free(part);
    free(in);
    free(out);
    free(pred);
    free(orig_first);
    nk_nltab_free(&tab);
    return rc;
}
