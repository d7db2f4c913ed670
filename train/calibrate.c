/*
 * Probabilities for a perceptron model: one temperature, fitted on held-out
 * data.
 *
 * A perceptron's label-sequence scores rank sequences well, but their scale
 * is whatever the updates made it. Read as a CRF's log-potentials after
 * multiplying them by a factor s, they define a distribution over label
 * sequences; s is chosen to maximise the likelihood of the gold labels of
 * the dev set. That is Platt scaling with one parameter ("temperature
 * scaling"): it cannot change which sequence is best, so the tags and F1
 * stay exactly as they were, and it needs no change to the trainer.
 *
 * The negative log-likelihood is convex in s (log Z is a log-sum-exp of
 * functions linear in s, minus a linear term), so a golden-section search
 * over log s finds its minimum. The dev set is scored once, by the tagger
 * the model will tag with, and each trial scale costs one forward pass per
 * sentence through the decoders that compute confidences at tag time: the
 * probabilities fitted are exactly the ones nerkit-tag reports.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* the search range of s; perceptron scores of real models need 1e-3 to 1 */
#define SCALE_MIN 1e-6
#define SCALE_MAX 1e3
#define GOLDEN_STEPS 64 /* a bound; the search stops once its two trials are one float */

typedef struct {
    nerkit_model *m;
    const nk_trainset *dev;
    const float *em; /* dev tokens x L emission scores */
    nk_decoders d;
} fit;

/* Mean negative log-likelihood per sentence of the dev set's gold labels
 * with the scores multiplied by s; HUGE_VAL when s makes them overflow. */
static double nll(fit *f, double s, nerkit_error *err)
{
    nerkit_model *m = f->m;
    const size_t L = m->nlabels;
    m->prob_scale = (float)s;
    if (nk_decoders_prepare_fb(&f->d, m, f->dev->longest, err))
        return NAN;
    double total = 0;
    for (size_t k = 0; k < f->dev->nsent; k++) {
        size_t a = f->dev->sent_first[k], n = f->dev->sent_first[k + 1] - a;
        if (n == 0)
            continue;
        const float *em = f->em + a * L;
        const uint16_t *gold = f->dev->gold + a;
        double g = 0;
        for (size_t t = 0; t < n; t++) {
            g += em[t * L + gold[t]];
            if (t)
                g += m->trans[gold[t - 1] * L + gold[t]];
        }
        double logz;
        nerkit_error ignored;
        if (nk_decoders_forward(&f->d, m, em, n, &logz, &ignored))
            return HUGE_VAL;
        total += logz - (double)m->prob_scale * g;
    }
    return total / (double)(f->dev->nsent ? f->dev->nsent : 1);
}

/* The dev set's emission scores, one document at a time, as tagging makes
 * them. */
static float *score_dev(const nerkit_model *m, const nk_trainset *dev, nerkit_error *err)
{
    const size_t L = m->nlabels;
    float *em = nk_alloc(dev->ntok ? dev->ntok * L : 1, sizeof *em, err);
    nerkit_tagger *t = em ? nerkit_tagger_new(m, err) : NULL;
    if (!t) {
        free(em);
        return NULL;
    }
    for (size_t d = 0; d < nerkit_corpus_ndocuments(dev->corpus); d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(dev->corpus, d, &doc);
        const float *e;
        if (nk_tagger_score(t, &doc, &e, err)) {
            nerkit_tagger_free(t);
            free(em);
            return NULL;
        }
        memcpy(em + first * L, e, doc.ntokens * L * sizeof *em);
    }
    nerkit_tagger_free(t);
    return em;
}

int nk_calibrate(nerkit_model *m, const nk_trainset *dev, nerkit_error *err)
{
    fit f = {.m = m, .dev = dev};
    float *em = score_dev(m, dev, err);
    if (!em)
        return err->code;
    f.em = em;
    const double phi = (sqrt(5.0) - 1) / 2;
    double lo = log(SCALE_MIN), hi = log(SCALE_MAX);
    double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
    double f1 = nll(&f, exp(x1), err), f2 = nll(&f, exp(x2), err);
    /* the model stores s as a float, and nll() scores with that float:
     * once both trials round to the same one, no further step can tell
     * them apart, and each would cost a pass over the dev set */
    for (int i = 0; i < GOLDEN_STEPS && !isnan(f1) && !isnan(f2) &&
                    (float)exp(x1) != (float)exp(x2);
         i++) {
        if (f1 <= f2) {
            hi = x2, x2 = x1, f2 = f1;
            x1 = hi - phi * (hi - lo);
            f1 = nll(&f, exp(x1), err);
        } else {
            lo = x1, x1 = x2, f1 = f2;
            x2 = lo + phi * (hi - lo);
            f2 = nll(&f, exp(x2), err);
        }
    }
    int rc = NERKIT_OK;
    if (isnan(f1) || isnan(f2)) {
        rc = err->code;
        m->prob_scale = 0;
    } else if (!isfinite(f1 < f2 ? f1 : f2)) {
        rc = nk_fail(err, NERKIT_ERR_MODEL,
                     "no probability scale fits the dev set: the model's scores overflow at "
                     "every scale tried");
        m->prob_scale = 0;
    } else {
        m->prob_scale = (float)exp(f1 <= f2 ? x1 : x2);
    }
    nk_decoders_free(&f.d);
    free(em);
    return rc;
}
