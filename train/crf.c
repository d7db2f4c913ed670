/*
 * Linear-chain CRF training: the compact parameter index, the penalised
 * negative log-likelihood with its gradient on several threads, dev
 * scoring and export. The optimisers live in crf_lbfgs.c and crf_sgd.c.
 *
 * For a sentence x with gold labels y the loss is log Z(x) - score(x, y),
 * and its gradient for a weight is the expected count of its feature under
 * the model minus the gold count: label marginals for feature weights,
 * edge marginals for transitions, both from one forward-backward pass
 * (src/marginals.c) over the same BILOU lattice the tagger decodes. A
 * dense weight's feature is a real input, a component of a word vector in
 * the token's window, so its counts are that input times the label
 * marginal or gold indicator.
 */
#include "crf.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One shard's evaluation of the objective, on its own thread. */
struct crf_job {
    crf_problem *P;
    const double *w;
    int t;
    pthread_t tid;
    bool started;
};

/* Feature ids in slot order, and for each feature the labels it is seen
 * with in training, one weight each. */
static int build_index(crf_problem *P, nk_trainset *tr, nerkit_error *err)
{
    const size_t L = P->L;
    int rc = nk_slotmap_build(&P->feat, tr, P->m->feat.hash_bits, err);
    if (rc)
        return rc;
    const uint32_t nfeat = P->feat.n;
    P->first = nk_alloc((size_t)nfeat + 1, sizeof *P->first, err);
    /* which labels each feature is seen with: nfeat x L bits */
    size_t words = ((size_t)nfeat * L + 63) / 64;
    uint64_t *seen = nk_alloc(words, sizeof *seen, err);
    if (!P->first || !seen) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    nk_slotmap_remap(tr, &P->feat);
    if (P->dev)
        nk_slotmap_remap(P->dev, &P->feat);
    for (size_t i = 0; i < tr->ntok; i++) {
        for (size_t k = tr->start[i]; k < tr->start[i + 1]; k++) {
            size_t bit = (size_t)tr->slots[k] * L + tr->gold[i];
            seen[bit >> 6] |= (uint64_t)1 << (bit & 63);
        }
        for (size_t k = 0; tr->nl_n && k < tr->nl_n[i]; k++) {
            size_t f = nk_slotmap_id(&P->feat, tr->nl[i * NK_NL_MAX + k]) - 1;
            size_t bit = f * L + tr->gold[i];
            seen[bit >> 6] |= (uint64_t)1 << (bit & 63);
        }
    }
    size_t nemit = 0;
    for (size_t b = 0; b < words; b++)
        nemit += (size_t)__builtin_popcountll(seen[b]);
    P->nemit = nemit;
    P->dense = nemit + L * L;
    P->n = P->dense + P->K * L;
    if (!(P->label = nk_alloc(nemit, sizeof *P->label, err))) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    size_t j = 0;
    for (uint32_t f = 0; f < nfeat; f++) {
        P->first[f] = j;
        for (size_t y = 0; y < L; y++) {
            size_t bit = (size_t)f * L + y;
            if (seen[bit >> 6] >> (bit & 63) & 1)
                P->label[j++] = (uint16_t)y;
        }
    }
    P->first[nfeat] = j;
out:
    free(seen);
    return rc;
}

/* Compact ids for the lexicon words of train and dev, in place of their
 * lexicon indices, with their vectors as the dense inputs use them. */
static int index_words(crf_problem *P, nerkit_error *err)
{
    const nk_lexicon *lx = &P->m->lex;
    const size_t D = lx->dim;
    nk_trainset *sets[] = {P->train, P->dev};
    int32_t *id = nk_alloc(lx->nwords, sizeof *id, err);
    if (!id)
        return NERKIT_ERR_NOMEM;
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; sets[k] && i < sets[k]->ntok; i++)
            if (sets[k]->word[i] >= 0)
                id[sets[k]->word[i]] = 1;
    uint32_t nwords = 0;
    for (uint32_t x = 0; x < lx->nwords; x++)
        if (id[x])
            id[x] = (int32_t)++nwords;
    P->nwords = nwords;
    P->vec = nk_alloc((size_t)nwords * D, sizeof *P->vec, err);
    P->wscore = nk_alloc((size_t)nwords * NK_WINDOW * P->L, sizeof *P->wscore, err);
    int rc = P->vec && P->wscore ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (uint32_t x = 0; x < lx->nwords && !rc; x++)
        if (id[x] && !nk_lexicon_vector(lx, x, P->vec + (size_t)(id[x] - 1) * D))
            memset(P->vec + (size_t)(id[x] - 1) * D, 0, D * sizeof *P->vec);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; sets[k] && i < sets[k]->ntok; i++)
            if (sets[k]->word[i] >= 0)
                sets[k]->word[i] = id[sets[k]->word[i]] - 1;
    free(id);
    return rc;
}

/* Contiguous runs of sentences with about the same number of tokens. */
static void make_shards(crf_problem *P)
{
    const nk_trainset *tr = P->train;
    size_t s = 0;
    P->shard[0] = 0;
    for (int t = 1; t < P->threads; t++) {
        size_t goal = tr->ntok * (size_t)t / (size_t)P->threads;
        while (s < tr->nsent && tr->sent_first[s] < goal)
            s++;
        P->shard[t] = s;
    }
    P->shard[P->threads] = tr->nsent;
}

static int work_init(crf_work *W, const crf_problem *P, size_t longest, nerkit_error *err)
{
    const size_t L = P->L;
    if (nk_fb_reserve(&W->fb, L, longest, err))
        return NERKIT_ERR_NOMEM;
    W->g = nk_alloc(P->n, sizeof *W->g, err);
    W->marg = nk_alloc(L, sizeof *W->marg, err);
    W->wgrad = nk_alloc((size_t)P->nwords * NK_WINDOW * L, sizeof *W->wgrad, err);
    W->em = nk_alloc(longest * L, sizeof *W->em, err);
    W->trans = nk_alloc(L * L, sizeof *W->trans, err);
    W->vprep = nk_alloc(nk_viterbi_prep_size(&P->m->lat), sizeof *W->vprep, err);
    W->vwork = nk_alloc(longest * P->m->lat.stride, sizeof *W->vwork, err);
    return W->g && W->marg && W->wgrad && W->em && W->trans && W->vprep && W->vwork ? NERKIT_OK
                                                                          : NERKIT_ERR_NOMEM;
}

static void work_free(crf_work *W)
{
    nk_fb_free(&W->fb);
    free(W->g);
    free(W->marg);
    free(W->wgrad);
    free(W->em);
    free(W->trans);
    free(W->vprep);
    free(W->vwork);
}

int crf_init(crf_problem *P, const nerkit_model *m, nk_trainset *train, nk_trainset *dev,
             int threads, double l2, nerkit_error *err)
{
    memset(P, 0, sizeof *P);
    P->m = m;
    P->L = m->nlabels;
    P->train = train;
    P->dev = dev;
    P->l2 = l2;
    P->K = m->feat.groups & NERKIT_FEAT_VECTORS ? NK_WINDOW * (size_t)m->lex.dim : 0;
    P->threads = threads < 1 ? 1 : (size_t)threads > train->nsent ? (int)train->nsent : threads;
    size_t longest = train->longest;
    if (dev && dev->longest > longest)
        longest = dev->longest;
    int rc = build_index(P, train, err);
    if (rc || (P->K && (rc = index_words(P, err))))
        goto fail;
    P->shard = nk_alloc((size_t)P->threads + 1, sizeof *P->shard, err);
    P->work = nk_alloc((size_t)P->threads, sizeof *P->work, err);
    P->jobs = nk_alloc((size_t)P->threads, sizeof *P->jobs, err);
    P->pred = dev ? nk_alloc(dev->ntok, sizeof *P->pred, err) : NULL;
    if (!P->shard || !P->work || !P->jobs || (dev && !P->pred)) {
        rc = NERKIT_ERR_NOMEM;
        goto fail;
    }
    for (int t = 0; t < P->threads; t++)
        if ((rc = work_init(&P->work[t], P, longest, err)))
            goto fail;
    make_shards(P);
    return NERKIT_OK;
fail:
    crf_free(P);
    return rc;
}

void crf_free(crf_problem *P)
{
    for (int t = 0; P->work && t < P->threads; t++)
        work_free(&P->work[t]);
    free(P->work);
    free(P->jobs);
    free(P->shard);
    nk_slotmap_free(&P->feat);
    free(P->first);
    free(P->label);
    free(P->vec);
    free(P->wscore);
    free(P->pred);
    nk_nltab_free(&P->tab);
    memset(P, 0, sizeof *P);
}

/* y += a * x over the L labels. */
static void axpy(double *restrict y, double a, const double *restrict x, size_t L)
{
    for (size_t k = 0; k < L; k++)
        y[k] += a * x[k];
}

/* The compact id of the word at window offset d (0 .. NK_WINDOW) of token
 * i of the sentence at a (n tokens) of ts: -1 past the sentence's ends or
 * for a word without a vector. */
static int32_t window_word(const nk_trainset *ts, size_t a, size_t n, size_t i, int d)
{
    long j = (long)i + d - NK_WINDOW / 2;
    return j >= 0 && j < (long)n ? ts->word[a + (size_t)j] : -1;
}

static void word_scores(const crf_problem *P, const double *w, int32_t u)
{
    const size_t L = P->L, D = P->K / NK_WINDOW;
    const float *v = P->vec + (size_t)u * D;
    double *s = P->wscore + (size_t)u * NK_WINDOW * L;
    memset(s, 0, NK_WINDOW * L * sizeof *s);
    for (size_t d = 0; d < NK_WINDOW; d++)
        for (size_t c = 0; c < D; c++)
            axpy(s + d * L, v[c], w + P->dense + (d * D + c) * L, L);
}

void crf_load_dense(const crf_problem *P, const double *w, const nk_trainset *ts, size_t first,
                    size_t end)
{
    if (!P->K)
        return; /* word ids are still the lexicon's, for the clusters */
    if (!ts)
        for (uint32_t u = 0; u < P->nwords; u++)
            word_scores(P, w, (int32_t)u);
    for (size_t i = first; ts && i < end; i++)
        if (ts->word[i] >= 0)
            word_scores(P, w, ts->word[i]);
}

void crf_fold_dense(const crf_problem *P, crf_work *W, size_t first, size_t end, double *g)
{
    const size_t L = P->L, D = P->K / NK_WINDOW, R = NK_WINDOW * L;
    for (size_t i = first; P->K && i < end; i++) {
        int32_t u = P->train->word[i];
        if (u < 0)
            continue;
        double *acc = W->wgrad + (size_t)u * R;
        bool any = false;
        for (size_t r = 0; r < R && !any; r++)
            any = acc[r] != 0;
        /* a word seen twice is folded the first time */
        if (!any)
            continue;
        const float *v = P->vec + (size_t)u * D;
        for (size_t d = 0; d < NK_WINDOW; d++)
            for (size_t c = 0; c < D; c++)
                axpy(g + P->dense + (d * D + c) * L, v[c], acc + d * L, L);
        memset(acc, 0, R * sizeof *acc);
    }
}

/* The feature + 1 of token i's k-th non-local slot, 0 if never trained. */
static uint32_t nonlocal_feature(const crf_problem *P, const nk_trainset *ts, size_t i, size_t k)
{
    return nk_slotmap_id(&P->feat, ts->nl[i * NK_NL_MAX + k]);
}

/* Scores of tokens a .. a+n of ts against every label, into E (n x L);
 * nl adds the non-local features ts has. */
static void emissions(const crf_problem *P, const nk_trainset *ts, size_t a, size_t n, bool nl,
                      const double *w, double wscale, double *restrict E)
{
    const size_t L = P->L;
    nl = nl && ts->nl_n;
    for (size_t i = 0; i < n; i++) {
        double *restrict e = E + i * L;
        memset(e, 0, L * sizeof *e);
        for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++) {
            uint32_t f = ts->slots[k];
            for (size_t j = P->first[f]; j < P->first[f + 1]; j++)
                e[P->label[j]] += w[j];
        }
        for (size_t k = 0; nl && k < ts->nl_n[a + i]; k++) {
            uint32_t f = nonlocal_feature(P, ts, a + i, k);
            for (size_t j = f ? P->first[f - 1] : 0; f && j < P->first[f]; j++)
                e[P->label[j]] += w[j];
        }
        for (int d = 0; P->K && d < NK_WINDOW; d++) {
            int32_t u = window_word(ts, a, n, i, d);
            if (u >= 0)
                axpy(e, 1.0, P->wscore + ((size_t)u * NK_WINDOW + (size_t)d) * L, L);
        }
        for (size_t y = 0; y < L; y++)
            e[y] *= wscale;
    }
}

void crf_load_transitions(const crf_problem *P, crf_work *W, const double *w, double wscale)
{
    for (size_t k = 0; k < P->L * P->L; k++)
        W->fb.T[k] = wscale * w[P->nemit + k];
    nk_fb_transitions(&W->fb, &P->m->lat);
}

double crf_sentence(const crf_problem *P, crf_work *W, const double *w, double wscale, size_t s,
                    double *g, double coef)
{
    const size_t L = P->L;
    const nk_trainset *ts = P->train;
    const nk_lattice *lat = &P->m->lat;
    size_t a = ts->sent_first[s], n = ts->sent_first[s + 1] - a;
    const uint16_t *gold = ts->gold + a;
    const double *tw = w + P->nemit;
    const bool nl = ts->nl_n && nk_train_with_nonlocal(0, 0, s);
    emissions(P, ts, a, n, nl, w, wscale, W->fb.E);
    double gold_score = 0;
    for (size_t i = 0; i < n; i++) {
        gold_score += W->fb.E[i * L + gold[i]];
        if (i > 0)
            gold_score += wscale * tw[gold[i - 1] * L + gold[i]];
    }
    if (!nk_fb_forward(&W->fb, lat, n))
        return INFINITY;
    nk_fb_backward(&W->fb, lat, n);
    for (size_t i = 0; i < n; i++) {
        for (size_t y = 0; y < L; y++)
            W->marg[y] = coef * nk_fb_marginal(&W->fb, i, y);
        W->marg[gold[i]] -= coef;
        for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++) {
            uint32_t f = ts->slots[k];
            for (size_t j = P->first[f]; j < P->first[f + 1]; j++)
                g[j] += W->marg[P->label[j]];
        }
        for (size_t k = 0; nl && k < ts->nl_n[a + i]; k++) {
            uint32_t f = nonlocal_feature(P, ts, a + i, k);
            for (size_t j = f ? P->first[f - 1] : 0; f && j < P->first[f]; j++)
                g[j] += W->marg[P->label[j]];
        }
        for (int d = 0; P->K && d < NK_WINDOW; d++) {
            int32_t u = window_word(ts, a, n, i, d);
            if (u >= 0)
                axpy(W->wgrad + ((size_t)u * NK_WINDOW + (size_t)d) * L, 1.0, W->marg, L);
        }
    }
    nk_fb_edge_marginals(&W->fb, lat, n, coef, g + P->nemit);
    for (size_t i = 1; i < n; i++)
        g[P->nemit + gold[i - 1] * L + gold[i]] -= coef;
    return W->fb.logz - gold_score;
}

static void *run_shard(void *arg)
{
    struct crf_job *job = arg;
    crf_problem *P = job->P;
    crf_work *W = &P->work[job->t];
    memset(W->g, 0, P->n * sizeof *W->g);
    crf_load_transitions(P, W, job->w, 1.0);
    double f = 0;
    size_t first = P->shard[job->t], end = P->shard[job->t + 1];
    for (size_t s = first; s < end; s++)
        f += crf_sentence(P, W, job->w, 1.0, s, W->g, 1.0);
    crf_fold_dense(P, W, P->train->sent_first[first], P->train->sent_first[end], W->g);
    W->f = f;
    return NULL;
}

double crf_objective(crf_problem *P, const double *w, double *g)
{
    struct crf_job *jobs = P->jobs;
    crf_load_dense(P, w, NULL, 0, 0);
    for (int t = 0; t < P->threads; t++) {
        jobs[t].P = P;
        jobs[t].w = w;
        jobs[t].t = t;
        /* a thread that cannot start has its shard done here instead */
        jobs[t].started = t > 0 && pthread_create(&jobs[t].tid, NULL, run_shard, &jobs[t]) == 0;
    }
    for (int t = 0; t < P->threads; t++)
        if (!jobs[t].started)
            run_shard(&jobs[t]);
    for (int t = 1; t < P->threads; t++)
        if (jobs[t].started)
            pthread_join(jobs[t].tid, NULL);
    double f = 0;
    memcpy(g, P->work[0].g, P->n * sizeof *g);
    for (int t = 0; t < P->threads; t++) {
        f += P->work[t].f;
        if (t > 0)
            for (size_t j = 0; j < P->n; j++)
                g[j] += P->work[t].g[j];
    }
    double norm = 0;
    for (size_t j = 0; j < P->n; j++) {
        norm += w[j] * w[j];
        g[j] += P->l2 * w[j];
    }
    return f + 0.5 * P->l2 * norm;
}

int crf_dev_score(crf_problem *P, const double *w, double wscale, double *p, double *r,
                  double *f1, nerkit_error *err)
{
    const size_t L = P->L;
    nk_trainset *dv = P->dev;
    crf_work *W = &P->work[0];
    for (size_t k = 0; k < L * L; k++)
        W->trans[k] = (float)(wscale * w[P->nemit + k]);
    nk_viterbi_prepare(&P->m->lat, W->trans, W->vprep);
    crf_load_dense(P, w, NULL, 0, 0);
    /* as the tagger: with non-local features, a first pass without them
     * gives the labels they come from */
    const bool two = P->m->feat.groups & NERKIT_FEAT_NONLOCAL;
    int rc = NERKIT_OK;
    for (int pass = 0; pass <= two && !rc; pass++) {
        for (size_t s = 0; s < dv->nsent; s++) {
            size_t a = dv->sent_first[s], n = dv->sent_first[s + 1] - a;
            emissions(P, dv, a, n, pass == 1, w, wscale, W->fb.E);
            for (size_t k = 0; k < n * L; k++)
                W->em[k] = (float)W->fb.E[k];
            nk_viterbi(&P->m->lat, W->vprep, W->em, n, W->vwork, P->pred + a);
        }
        if (two && pass == 0)
            rc = nk_trainset_nonlocal(dv, P->m, P->pred, &P->tab, err);
    }
    return rc ? rc : nk_trainset_score(dv, P->m, P->pred, p, r, f1, err);
}

int crf_export(const crf_problem *P, const double *w, double wscale, nerkit_model *m,
               nerkit_error *err)
{
    const size_t L = P->L;
    uint32_t *slots = nk_alloc((size_t)P->feat.n + 1, sizeof *slots, err);
    if (!slots)
        return NERKIT_ERR_NOMEM;
    uint32_t nrows = 0;
    for (uint32_t f = 0; f < P->feat.n; f++) {
        bool any = false;
        for (size_t j = P->first[f]; j < P->first[f + 1] && !any; j++)
            any = (float)(wscale * w[j]) != 0.0f;
        if (any)
            slots[nrows++] = P->feat.slot[f];
    }
    int rc = nk_model_set_rows(m, slots, nrows, err);
    for (uint32_t f = 0, r = 0; f < P->feat.n && !rc; f++) {
        if (r == nrows || P->feat.slot[f] != slots[r])
            continue;
        float *row = m->rows + (size_t)r++ * L;
        for (size_t j = P->first[f]; j < P->first[f + 1]; j++)
            row[P->label[j]] = (float)(wscale * w[j]);
    }
    for (size_t k = 0; k < L * L; k++)
        m->trans[k] = (float)(wscale * w[P->nemit + k]);
    for (size_t y = 0; y < L; y++)
        for (size_t k = 0; k < P->K; k++)
            m->dense[y * P->K + k] = (float)(wscale * w[P->dense + k * L + y]);
    free(slots);
    return rc;
}

int nk_train_crf(nerkit_model *m, nk_trainset *train, nk_trainset *dev, const nerkit_train_opts *o,
                 nerkit_progress_fn progress, void *user, nerkit_error *err)
{
    bool sgd = o->optimizer && strcmp(o->optimizer, "sgd") == 0;
    if (!sgd && o->optimizer && strcmp(o->optimizer, "lbfgs") != 0)
        return nk_fail(err, NERKIT_ERR_ARG, "unknown CRF optimizer '%s' (lbfgs, sgd)",
                       o->optimizer);
    if (!(o->l1 >= 0) || !(o->l2 >= 0))
        return nk_fail(err, NERKIT_ERR_ARG, "penalties must be zero or positive (l1 %g, l2 %g)",
                       o->l1, o->l2);
    crf_problem P;
    int rc = crf_init(&P, m, train, dev, sgd ? 1 : o->threads, o->l2, err);
    if (rc)
        return rc;
    rc = (sgd ? nk_train_crf_sgd : nk_train_crf_lbfgs)(m, &P, o, progress, user, err);
    crf_free(&P);
    return rc;
}
