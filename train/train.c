/*
 * nerkit_train: builds the label set and the feature sets, then hands over
 * to the chosen trainer.
 */
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

NK_OPTS_LAST(nerkit_train_opts, prune);

void nerkit_train_opts_init_sized(nerkit_train_opts *o, size_t size)
{
    const nerkit_train_opts d = {.size = sizeof d,
                                 .algorithm = "perceptron",
                                 .features = NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL,
                                 .hash_bits = 22,
                                 .min_count = 1,
                                 .epochs = 30,
                                 .patience = 4,
                                 .seed = 1,
                                 .threads = 1,
                                 .optimizer = "lbfgs",
                                 .l2 = 0.5,
                                 .iterations = 300,
                                 .iteration_patience = 20,
                                 .delta = 1e-5,
                                 .eta = 0.05,
                                 .lexicon_words = 50000,
                                 .folds = 2,
                                 .self_lexicon_words = 1000,
                                 .seeds = 1};
    nk_opts_init(o, size, &d, sizeof d);
}

bool nk_train_with_nonlocal(uint64_t seed, unsigned pass, size_t s)
{
    return nk_mix64(nk_hash_step(nk_hash_step(seed, pass), s)) % 4 != 0;
}

void nk_train_shuffle(size_t *order, size_t n, uint64_t seed, unsigned pass)
{
    uint64_t rng = seed * 0x2545F4914F6CDD1DULL + pass;
    for (size_t s = n; s > 1; s--) {
        size_t j = (size_t)(nk_mix64(rng += 0x9e3779b97f4a7c15ULL) % s);
        size_t tmp = order[s - 1];
        order[s - 1] = order[j];
        order[j] = tmp;
    }
}

int nk_trainset_build(nk_trainset *ts, const nerkit_corpus *c, const nerkit_model *m,
                      const nerkit_train_opts *copies, nerkit_error *err)
{
    memset(ts, 0, sizeof *ts);
    ts->corpus = c;
    size_t ndoc = nerkit_corpus_ndocuments(c);
    unsigned char *cases = nk_alloc(ndoc + 1, sizeof *cases, err);
    if (!cases)
        return NERKIT_ERR_NOMEM;
    for (size_t d = 0; d < ndoc; d++) {
        nerkit_document doc;
        nerkit_corpus_document(c, d, &doc);
        cases[d] = copies ? (unsigned char)nk_case_copies_of(copies, d) : 1u << NK_CASE_AS_IS;
        unsigned k = (unsigned)__builtin_popcount(cases[d]);
        ts->ntok += k * doc.ntokens;
        ts->nsent += k * doc.nsentences;
        ts->ndoc += k;
    }
    ts->start = nk_alloc(ts->ntok + 1, sizeof *ts->start, err);
    ts->sent_first = nk_alloc(ts->nsent + 1, sizeof *ts->sent_first, err);
    ts->gold = nk_alloc(ts->ntok + 1, sizeof *ts->gold, err);
    ts->word = nk_alloc(ts->ntok + 1, sizeof *ts->word, err);
    ts->doc_first = nk_alloc(ts->ndoc + 1, sizeof *ts->doc_first, err);
    ts->doc_src = nk_alloc(ts->ndoc + 1, sizeof *ts->doc_src, err);
    bool nonlocal = m->feat.groups & NERKIT_FEAT_NONLOCAL;
    if (nonlocal) {
        ts->lower = nk_alloc(ts->ntok + 1, sizeof *ts->lower, err);
        ts->nl = nk_alloc((ts->ntok + 1) * NK_NL_MAX, sizeof *ts->nl, err);
        ts->nl_n = nk_alloc(ts->ntok + 1, sizeof *ts->nl_n, err);
    }
    /* corpus type t -> model type */
    size_t nct = nerkit_corpus_ntypes(c);
    int *map = nk_alloc(nct + 1, sizeof *map, err);
    if (!ts->start || !ts->sent_first || !ts->gold || !ts->word || !ts->doc_first ||
        !ts->doc_src || !map ||
        (nonlocal && (!ts->lower || !ts->nl || !ts->nl_n))) {
        free(map);
        free(cases);
        nk_trainset_free(ts);
        return NERKIT_ERR_NOMEM;
    }
    for (size_t t = 0; t < nct; t++) {
        const char *name = nerkit_corpus_type(c, t);
        map[t] = nk_model_type_index(m, name, strlen(name));
    }

    nk_featbuf fb = {0};
    nk_recased rec = {0};
    size_t cap = 0, nslots = 0, sent = 0, tok = 0, tdoc = 0;
    int rc = NERKIT_OK;
    /* the originals first, then each copy: without copies the set is
     * what it always was */
    for (unsigned cs = NK_CASE_AS_IS; cs <= NK_CASE_UPPER && !rc; cs++) {
        for (size_t d = 0; d < ndoc && !rc; d++) {
            if (!(cases[d] & 1u << cs))
                continue;
            nerkit_document doc;
            size_t first = nerkit_corpus_document(c, d, &doc);
            if ((cs != NK_CASE_AS_IS && (rc = nk_recase(&doc, cs, &rec, &doc, err))) ||
                (rc = nk_features_extract(&m->feat, &m->lex, &m->gaz, &doc, &fb, err)))
                break;
            if (nslots + fb.nslots > cap) {
                size_t ncap = cap ? cap : 1 << 20;
                while (ncap < nslots + fb.nslots)
                    ncap *= 2;
                if (!nk_resize(&ts->slots, ncap, sizeof *ts->slots)) {
                    rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory extracting features");
                    break;
                }
                cap = ncap;
            }
            memcpy(ts->slots + nslots, fb.slots, fb.nslots * sizeof *fb.slots);
            for (size_t i = 0; i < doc.ntokens; i++) {
                ts->start[tok + i] = nslots + fb.start[i];
                uint16_t l = nk_corpus_bilou(c, first + i);
                int t = l ? map[NK_LABEL_TYPE(l)] : -1;
                ts->gold[tok + i] = t < 0 ? 0 : NK_LABEL(t, NK_LABEL_PART(l));
            }
            memcpy(ts->word + tok, fb.word, doc.ntokens * sizeof *fb.word);
            if (nonlocal)
                memcpy(ts->lower + tok, fb.h_lower, doc.ntokens * sizeof *fb.h_lower);
            ts->doc_first[tdoc] = tok;
            ts->doc_src[tdoc++] = d;
            nslots += fb.nslots;
            for (size_t s = 0; s < doc.nsentences; s++) {
                ts->sent_first[sent++] = tok;
                tok += doc.sentence_len[s];
                if (doc.sentence_len[s] > ts->longest)
                    ts->longest = doc.sentence_len[s];
            }
        }
    }
    free(map);
    free(cases);
    nk_featbuf_free(&fb);
    nk_recased_free(&rec);
    ts->start[ts->ntok] = nslots;
    ts->sent_first[ts->nsent] = ts->ntok;
    ts->doc_first[ts->ndoc] = ts->ntok;
    if (rc)
        nk_trainset_free(ts);
    return rc;
}

void nk_trainset_free(nk_trainset *ts)
{
    free(ts->slots);
    free(ts->start);
    free(ts->sent_first);
    free(ts->gold);
    free(ts->word);
    free(ts->doc_first);
    free(ts->doc_src);
    free(ts->lower);
    free(ts->nl);
    free(ts->nl_n);
    memset(ts, 0, sizeof *ts);
}

int nk_trainset_nonlocal(nk_trainset *ts, const nerkit_model *m, const uint16_t *labels,
                         nk_nltab *tab, nerkit_error *err)
{
    int rc = NERKIT_OK;
    for (size_t d = 0; d < ts->ndoc && !rc; d++) {
        size_t first = ts->doc_first[d], n = ts->doc_first[d + 1] - first;
        rc = nk_nonlocal_extract(tab, ts->lower + first, labels + first, n, m->feat.hash_bits,
                                 ts->nl + first * NK_NL_MAX, ts->nl_n + first, err);
    }
    return rc;
}

/* Removes slots whose count is below the cut, compacting in place. Their
 * weights stay zero, so a tagger that still extracts them scores the same. */
static void drop_rare(nk_trainset *ts, const uint32_t *count, unsigned min_count)
{
    size_t out = 0, k = 0;
    for (size_t i = 0; i < ts->ntok; i++) {
        size_t end = ts->start[i + 1];
        ts->start[i] = out;
        for (; k < end; k++)
            if (count[ts->slots[k]] >= min_count)
                ts->slots[out++] = ts->slots[k];
    }
    ts->start[ts->ntok] = out;
}

int nk_trainset_prune(nk_trainset *ts, unsigned min_count, unsigned hash_bits,
                      nerkit_error *err)
{
    if (min_count <= 1)
        return NERKIT_OK;
    uint32_t *count = nk_alloc((size_t)1 << hash_bits, sizeof *count, err);
    if (!count)
        return NERKIT_ERR_NOMEM;
    for (size_t k = 0; k < ts->start[ts->ntok]; k++)
        if (count[ts->slots[k]] < UINT32_MAX)
            count[ts->slots[k]]++;
    drop_rare(ts, count, min_count);
    free(count);
    return NERKIT_OK;
}

int nk_trainset_score(const nk_trainset *ts, const nerkit_model *m, const uint16_t *pred,
                      double *p, double *r, double *f1, nerkit_error *err)
{
    nerkit_eval *ev = nerkit_eval_new();
    const char **names = nk_alloc(ts->ntok + 1, sizeof *names, err);
    int rc = NERKIT_OK;
    if (!ev || !names) {
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory scoring");
        goto out;
    }
    nerkit_corpus_label_strings(ts->corpus, m, pred, NERKIT_SCHEME_AUTO, names);
    for (size_t s = 0; s < ts->nsent && !rc; s++) {
        for (size_t i = ts->sent_first[s]; i < ts->sent_first[s + 1] && !rc; i++) {
            size_t glen;
            const char *g = nerkit_corpus_label(ts->corpus, i, &glen);
            if (nerkit_eval_token(ev, g, glen, names[i], strlen(names[i])))
                rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory scoring");
        }
        nerkit_eval_boundary(ev);
    }
    nerkit_eval_scores(ev, p, r, f1);
out:
    nerkit_eval_free(ev);
    free(names);
    return rc;
}

/* One training: the non-local features' first passes, then the model's. */
static int train_once(nerkit_model *m, nk_trainset *tr, nk_trainset *dv,
                      const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                      nerkit_error *err)
{
    int rc = NERKIT_OK;
    if (o->features & NERKIT_FEAT_NONLOCAL)
        rc = nk_train_nonlocal(m, tr, dv, o, progress, user, err);
    if (!rc)
        rc = (strcmp(o->algorithm, "crf") == 0 ? nk_train_crf : nk_train_perceptron)(
            m, tr, dv, o, progress, user, err);
    return rc;
}

/* The caller's progress function, told which run an epoch is of. */
typedef struct {
    nerkit_progress_fn fn;
    void *user;
    unsigned run, runs;
} run_progress;

static int report_run(const nerkit_progress *p, void *user)
{
    const run_progress *rp = user;
    nerkit_progress q = *p;
    q.run = rp->run;
    q.runs = rp->runs;
    return rp->fn(&q, rp->user);
}

/* The dev scores of the averaged model, tagged as nerkit-tag tags. */
static int report_average(const nerkit_model *m, const nk_trainset *dv, unsigned runs,
                          nerkit_progress_fn progress, void *user, nerkit_error *err)
{
    uint16_t *pred = nk_alloc(dv->ntok + 1, sizeof *pred, err);
    nerkit_tagger *t = pred ? nerkit_tagger_new(m, err) : NULL;
    int rc = t ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (size_t d = 0; !rc && d < nerkit_corpus_ndocuments(dv->corpus); d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(dv->corpus, d, &doc);
        rc = nerkit_tag_document(t, &doc, pred + first, err);
    }
    nerkit_progress p = {.dev_p = -1, .dev_r = -1, .dev_f1 = -1, .best = 1, .runs = runs};
    if (!rc)
        rc = nk_trainset_score(dv, m, pred, &p.dev_p, &p.dev_r, &p.dev_f1, err);
    nerkit_tagger_free(t);
    free(pred);
    if (!rc && progress && progress(&p, user))
        rc = NERKIT_OK; /* nothing is left to stop */
    return rc;
}

/* The training set of a run: the seed also chooses which documents are
 * copied in other casings. */
static int build_train(nk_trainset *tr, const nerkit_corpus *train, const nerkit_model *m,
                       const nerkit_train_opts *o, nerkit_error *err)
{
    int rc = nk_trainset_build(tr, train, m, o, err);
    return rc ? rc : nk_trainset_prune(tr, o->min_count, o->hash_bits, err);
}

/* The rows of a trained model made compact as the options say: a CRF keeps
 * floats, as rounding would move its probabilities. */
static int compact(nerkit_model *m, const nerkit_train_opts *o, nerkit_error *err)
{
    bool crf = strcmp(o->algorithm, "crf") == 0;
    bool bytes = o->weights ? strcmp(o->weights, "int8") == 0 : !crf;
    return nk_model_compact(m, bytes ? NK_ROWS_I8 : NK_ROWS_F32, o->prune, err);
}

/* Trains m once per seed and keeps the mean of the runs' weights; then
 * makes its rows compact. */
static int train_runs(nerkit_model *m, const nerkit_corpus *train, nk_trainset *tr,
                      nk_trainset *dv, const nerkit_train_opts *opts, nerkit_progress_fn progress,
                      void *user, nerkit_error *err)
{
    if (opts->seeds == 1) {
        int rc = train_once(m, tr, dv, opts, progress, user, err);
        return rc ? rc : compact(m, opts, err);
    }
    nerkit_train_opts o = *opts;
    run_progress rp = {progress, user, 0, (unsigned)opts->seeds};
    nk_average avg = {0};
    int rc = NERKIT_OK;
    const bool copies = opts->case_lower > 0 || opts->case_upper > 0;
    for (size_t k = 0; k < opts->seeds && !rc; k++) {
        o.seed = opts->seed + k;
        rp.run = (unsigned)k + 1;
        if (k && copies) {
            nk_trainset_free(tr);
            if ((rc = build_train(tr, train, m, &o, err)))
                break;
        }
        rc = train_once(m, tr, dv, &o, progress ? report_run : NULL, &rp, err);
        if (!rc)
            rc = nk_average_add(&avg, m, err);
    }
    if (!rc)
        rc = nk_average_finish(&avg, m, err);
    nk_average_free(&avg);
    if (!rc)
        rc = compact(m, opts, err);
    if (!rc && dv)
        rc = report_average(m, dv, (unsigned)opts->seeds, progress, user, err);
    return rc;
}

nerkit_model *nerkit_train(const nerkit_corpus *train, const nerkit_corpus *dev,
                           const nerkit_train_opts *given, nerkit_progress_fn progress,
                           void *user, nerkit_error *err)
{
    nerkit_train_opts o;
    const nerkit_train_opts *opts = &o;
    if (NK_OPTS_TAKE(&o, given, nerkit_train_opts_init, err))
        return NULL;
    bool crf = strcmp(opts->algorithm, "crf") == 0;
    if (!crf && strcmp(opts->algorithm, "perceptron") != 0)
        return nk_fail_null(err, NERKIT_ERR_ARG, "unknown training algorithm '%s'",
                            opts->algorithm);
    if (!(opts->prob_scale >= 0 && opts->prob_scale <= 1e6))
        return nk_fail_null(err, NERKIT_ERR_ARG, "probability scale %g: want 0 to 1e6",
                            opts->prob_scale);
    if (crf && opts->prob_scale > 0)
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "a probability scale is for the perceptron: a CRF's scores are "
                            "log-potentials as they are");
    if (nk_case_copies_check(opts, err))
        return NULL;
    if ((opts->features & NERKIT_FEAT_NONLOCAL) && (opts->folds < 2 || opts->folds > 100))
        return nk_fail_null(err, NERKIT_ERR_ARG, "%zu folds: want 2 to 100", opts->folds);
    if (opts->weights && strcmp(opts->weights, "float") != 0 && strcmp(opts->weights, "int8") != 0)
        return nk_fail_null(err, NERKIT_ERR_ARG, "weights '%s': want float or int8",
                            opts->weights);
    if (!(opts->prune >= 0 && opts->prune <= 100))
        return nk_fail_null(err, NERKIT_ERR_ARG, "prune %g: want 0 to 100", opts->prune);
    if (opts->seeds < 1 || opts->seeds > 64)
        return nk_fail_null(err, NERKIT_ERR_ARG, "%zu seeds: want 1 to 64", opts->seeds);
    if (opts->seeds > 1 && (crf || opts->checkpoint || opts->resume))
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "several seeds are for the perceptron, without checkpoints");
    if (opts->threads < 0 || opts->threads > NERKIT_THREADS_MAX)
        return nk_fail_null(err, NERKIT_ERR_ARG, "%d threads: want 1 to %d", opts->threads,
                            NERKIT_THREADS_MAX);
    if (opts->lexicon_from && (opts->ncluster_files || opts->vectors_file))
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "%s: a lexicon taken from a model comes with its vectors and "
                            "clusters: not with cluster or vector files",
                            opts->lexicon_from);
    if (nerkit_corpus_ntokens(train) == 0)
        return nk_fail_null(err, NERKIT_ERR_ARG, "%s: the training corpus has no tokens",
                            nk_corpus_name(train));
    if (!nerkit_corpus_has_labels(train))
        return nk_fail_null(err, NERKIT_ERR_ARG, "%s: the training corpus has no label column",
                            nk_corpus_name(train));
    /* a model that can only say O is of no use: most likely the label
     * column is not the entity column */
    if (nerkit_corpus_ntypes(train) == 0)
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "%s: the training corpus has no entities: every label is O (is "
                            "--label-col the column of the entity labels?)",
                            nk_corpus_name(train));
    /* a dev set that cannot be scored would pick epochs by an F1 of 0 */
    if (dev && !nerkit_corpus_has_labels(dev))
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "%s: the development corpus has no label column (one column: "
                            "tokens only); the dev set needs gold labels to be scored",
                            nk_corpus_name(dev));
    if (dev && nerkit_corpus_nsentences(dev) == 0)
        return nk_fail_null(err, NERKIT_ERR_ARG, "%s: the development corpus has no sentences",
                            nk_corpus_name(dev));

    size_t ntypes = nerkit_corpus_ntypes(train);
    const char **types = nk_alloc(ntypes + 1, sizeof *types, err);
    size_t *lens = nk_alloc(ntypes + 1, sizeof *lens, err);
    if (!types || !lens) {
        free(types);
        free(lens);
        return NULL;
    }
    for (size_t t = 0; t < ntypes; t++) {
        types[t] = nerkit_corpus_type(train, t);
        lens[t] = strlen(types[t]);
    }
    /* the case copies would otherwise teach the features that read case that
     * a word in lower case may be a name, in cased text too */
    bool copies = opts->case_lower > 0 || opts->case_upper > 0;
    nk_featcfg feat = {opts->features | (copies ? NERKIT_FEAT_CASELESS : 0), opts->hash_bits};
    nerkit_model *m = nk_model_new(opts->algorithm, nerkit_corpus_scheme(train), types, lens,
                                   ntypes, &feat, err);
    free(types);
    free(lens);
    if (!m)
        return NULL;

    nk_trainset tr = {0}, dv = {0};
    int rc = nk_train_resources(m, train, opts, err);
    if (!rc && opts->ngazetteer_files && m->gaz.nstates)
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "%s: the model has gazetteer lists of its own, which cannot take more "
                     "(they keep hashes, not phrases): not with gazetteer files",
                     opts->lexicon_from);
    else if (!rc && opts->ngazetteer_files &&
        !(rc = nk_gazetteer_read(opts->gazetteer_files, opts->ngazetteer_files, &m->gaz, err)))
        m->feat.groups |= NERKIT_FEAT_GAZETTEER;
    if (!rc)
        rc = build_train(&tr, train, m, opts, err);
    if (!rc && dev)
        rc = nk_trainset_build(&dv, dev, m, NULL, err);
    if (!rc)
        rc = train_runs(m, train, &tr, dev ? &dv : NULL, opts, progress, user, err);
    if (!rc && !crf && opts->prob_scale > 0)
        m->prob_scale = (float)opts->prob_scale;
    else if (!rc && !crf && dev)
        rc = nk_calibrate(m, &dv, err);
    nk_trainset_free(&tr);
    nk_trainset_free(&dv);
    if (rc) {
        nerkit_model_free(m);
        return NULL;
    }
    return m;
}
