/*
 * Structured averaged perceptron (Collins 2002) over BILOU with Viterbi
 * decoding inside training.
 *
 * Weights are integers: each update adds or subtracts 1, so w is exact in
 * int32 and the running sum for averaging is exact in int64. Averaging uses
 * the timestamp trick: alongside w keep u = sum of (step * update); the
 * average after c steps is w - u / c, with no pass over untouched weights
 * per step. Integer arithmetic also makes training bit-for-bit repeatable.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t L;
    size_t rows;
    int32_t *w;  /* rows x L */
    int64_t *u;
    int32_t *wt; /* L x L transitions */
    int64_t *ut;
    int64_t c;   /* update step, one per sentence */
    /* scratch */
    float *em, *trans, *score;
    int64_t *sw, *su;
    uint16_t *back, *path;
} perceptron;

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    return nk_mix64(z);
}

/* Emission scores of one sentence with the current weights (avg = false) or
 * the averaged ones. */
static void score_sentence(const perceptron *P, const nk_trainset *ts, size_t a, size_t n,
                           bool avg)
{
    const size_t L = P->L;
    double inv = 1.0 / (double)P->c;
    for (size_t i = 0; i < n; i++) {
        float *e = P->em + i * L;
        int64_t *sw = P->sw, *su = P->su;
        memset(sw, 0, L * sizeof *sw);
        memset(su, 0, L * sizeof *su);
        for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++) {
            size_t off = (size_t)ts->slots[k] * L;
            for (size_t y = 0; y < L; y++)
                sw[y] += P->w[off + y];
            if (avg)
                for (size_t y = 0; y < L; y++)
                    su[y] += P->u[off + y];
        }
        for (size_t y = 0; y < L; y++)
            e[y] = (float)((double)sw[y] - (avg ? (double)su[y] * inv : 0.0));
    }
}

static void set_transitions(perceptron *P, bool avg)
{
    double inv = 1.0 / (double)P->c;
    for (size_t k = 0; k < P->L * P->L; k++)
        P->trans[k] = (float)((double)P->wt[k] - (avg ? (double)P->ut[k] * inv : 0.0));
}

static void update(perceptron *P, const nk_trainset *ts, size_t a, size_t n,
                   const uint16_t *gold, const uint16_t *pred)
{
    const size_t L = P->L;
    const int64_t c = P->c;
    for (size_t i = 0; i < n; i++) {
        if (gold[i] != pred[i]) {
            for (size_t k = ts->start[a + i]; k < ts->start[a + i + 1]; k++) {
                size_t off = (size_t)ts->slots[k] * L;
                P->w[off + gold[i]]++;
                P->u[off + gold[i]] += c;
                P->w[off + pred[i]]--;
                P->u[off + pred[i]] -= c;
            }
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

/* Tags every sentence of ts with the averaged weights. */
static void decode_averaged(perceptron *P, const nerkit_model *m, const nk_trainset *ts,
                            uint16_t *out)
{
    set_transitions(P, true);
    for (size_t s = 0; s < ts->nsent; s++) {
        size_t a = ts->sent_first[s], n = ts->sent_first[s + 1] - a;
        score_sentence(P, ts, a, n, true);
        nk_viterbi(&m->lat, P->em, n, P->trans, P->score, P->back, out + a);
    }
}

/* Copies the averaged weights into the model: only rows with a non-zero
 * weight are kept. */
static int export_weights(const perceptron *P, nerkit_model *m, nerkit_error *err)
{
    const size_t L = P->L;
    double inv = 1.0 / (double)P->c;
    uint32_t *slots = nk_alloc(P->rows, sizeof *slots, err);
    if (!slots)
        return NERKIT_ERR_NOMEM;
    uint32_t nrows = 0;
    for (size_t r = 0; r < P->rows; r++) {
        bool any = false;
        for (size_t y = 0; y < L && !any; y++)
            any = P->w[r * L + y] != 0 || P->u[r * L + y] != 0;
        if (any)
            slots[nrows++] = (uint32_t)r;
    }
    int rc = nk_model_set_rows(m, slots, nrows, err);
    for (uint32_t k = 0; k < nrows && !rc; k++) {
        float *dst = m->rows + (size_t)k * L;
        size_t off = (size_t)slots[k] * L;
        for (size_t y = 0; y < L; y++)
            dst[y] = (float)((double)P->w[off + y] - (double)P->u[off + y] * inv);
    }
    free(slots);
    for (size_t k = 0; k < L * L; k++)
        m->trans[k] = (float)((double)P->wt[k] - (double)P->ut[k] * inv);
    return rc;
}

static void perceptron_free(perceptron *P)
{
    free(P->w);
    free(P->u);
    free(P->wt);
    free(P->ut);
    free(P->em);
    free(P->trans);
    free(P->score);
    free(P->sw);
    free(P->su);
    free(P->back);
    free(P->path);
}

int nk_train_perceptron(nerkit_model *m, nk_trainset *train, nk_trainset *dev,
                        const nerkit_train_opts *o, nerkit_progress_fn progress, void *user,
                        nerkit_error *err)
{
    perceptron P = {0};
    const size_t L = m->nlabels;
    size_t longest = train->longest;
    if (dev && dev->longest > longest)
        longest = dev->longest;
    P.L = L;
    P.rows = (size_t)1 << m->feat.hash_bits;
    P.c = 1;
    P.w = nk_alloc(P.rows * L, sizeof *P.w, err);
    P.u = nk_alloc(P.rows * L, sizeof *P.u, err);
    P.wt = nk_alloc(L * L, sizeof *P.wt, err);
    P.ut = nk_alloc(L * L, sizeof *P.ut, err);
    P.em = nk_alloc(longest * L, sizeof *P.em, err);
    P.trans = nk_alloc(L * L, sizeof *P.trans, err);
    P.score = nk_alloc(2 * L, sizeof *P.score, err);
    P.sw = nk_alloc(L, sizeof *P.sw, err);
    P.su = nk_alloc(L, sizeof *P.su, err);
    P.back = nk_alloc(longest * L, sizeof *P.back, err);
    P.path = nk_alloc(longest, sizeof *P.path, err);
    size_t *order = nk_alloc(train->nsent, sizeof *order, err);
    uint16_t *pred = dev ? nk_alloc(dev->ntok, sizeof *pred, err) : NULL;
    int rc = NERKIT_OK;
    if (!P.w || !P.u || !P.wt || !P.ut || !P.em || !P.trans || !P.score || !P.sw || !P.su || !P.back ||
        !P.path || !order || (dev && !pred)) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    for (size_t s = 0; s < train->nsent; s++)
        order[s] = s;

    double best_f1 = -1;
    unsigned since_best = 0;
    for (unsigned epoch = 1; epoch <= o->epochs; epoch++) {
        double t0 = nk_now();
        uint64_t rng = o->seed * 0x2545F4914F6CDD1DULL + epoch;
        for (size_t s = train->nsent; s > 1; s--) {
            size_t j = (size_t)(splitmix(&rng) % s);
            size_t tmp = order[s - 1];
            order[s - 1] = order[j];
            order[j] = tmp;
        }
        size_t errors = 0;
        for (size_t k = 0; k < train->nsent; k++) {
            size_t s = order[k];
            size_t a = train->sent_first[s], n = train->sent_first[s + 1] - a;
            score_sentence(&P, train, a, n, false);
            set_transitions(&P, false);
            nk_viterbi(&m->lat, P.em, n, P.trans, P.score, P.back, P.path);
            const uint16_t *gold = train->gold + a;
            size_t wrong = 0;
            for (size_t i = 0; i < n; i++)
                wrong += gold[i] != P.path[i];
            if (wrong)
                update(&P, train, a, n, gold, P.path);
            errors += wrong;
            P.c++;
        }
        double secs = nk_now() - t0;
        nerkit_progress pr = {epoch, secs, train->ntok / (secs > 0 ? secs : 1e-9),
                              (double)errors / (double)train->ntok, -1, -1, -1, 0};
        bool improved = true;
        if (dev) {
            decode_averaged(&P, m, dev, pred);
            if ((rc = nk_trainset_score(dev, m, pred, &pr.dev_p, &pr.dev_r, &pr.dev_f1, err)))
                goto out;
            improved = pr.dev_f1 > best_f1;
        }
        if (improved) {
            best_f1 = pr.dev_f1;
            since_best = 0;
            if ((rc = export_weights(&P, m, err)))
                goto out;
        } else {
            since_best++;
        }
        pr.best = improved;
        if (progress && progress(&pr, user))
            break;
        if (dev && since_best >= o->patience)
            break;
        if (errors == 0)
            break;
    }
out:
    perceptron_free(&P);
    free(order);
    free(pred);
    return rc;
}
