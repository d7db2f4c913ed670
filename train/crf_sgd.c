/*
 * CRF training by stochastic gradient descent, for corpora too large for
 * batch training: one sentence at a time, in a new shuffled order every
 * pass, on one thread (each step depends on the one before).
 *
 * The L2 penalty is spread over the sentences (l2 / N each) and applied
 * as weight decay through a common scale factor, w = scale * v, so a step
 * touches only the weights of the sentence's features instead of all of
 * them. The step size falls as eta / (1 + eta * l2/N * t) after t
 * sentences, the schedule for which SGD on a strongly convex objective
 * converges (Bottou; CRFsuite uses the same).
 */
#include "crf.h"

#include <math.h>
#include <stdlib.h>

int nk_train_crf_sgd(nerkit_model *m, crf_problem *P, const nerkit_train_opts *o,
                     nerkit_progress_fn progress, void *user, nerkit_error *err)
{
    const nk_trainset *tr = P->train;
    const double lambda = o->l2 / (double)tr->nsent;
    if (o->l1 > 0)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "an L1 penalty needs the L-BFGS optimizer (OWL-QN); SGD takes L2 only");
    if (!(o->eta > 0) || o->eta * lambda >= 1)
        return nk_fail(err, NERKIT_ERR_ARG, "SGD learning rate %g out of range for l2 %g", o->eta,
                       o->l2);
    double *v = nk_alloc(P->n, sizeof *v, err);
    size_t *order = nk_alloc(tr->nsent, sizeof *order, err);
    int rc = NERKIT_OK;
    if (!v || !order) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    for (size_t s = 0; s < tr->nsent; s++)
        order[s] = s;
    crf_work *W = &P->work[0];
    double scale = 1, best_f1 = -1;
    uint64_t t = 0;
    unsigned since_best = 0;
    for (unsigned epoch = 1; epoch <= o->epochs; epoch++) {
        double t0 = nk_now(), loss = 0;
        nk_train_shuffle(order, tr->nsent, o->seed, epoch);
        for (size_t k = 0; k < tr->nsent; k++) {
            if (o->stop && *o->stop) {
                rc = nk_fail(err, NERKIT_ERR_INTERRUPTED, "interrupted in pass %u", epoch);
                goto out;
            }
            double eta = o->eta / (1 + o->eta * lambda * (double)t++);
            scale *= 1 - eta * lambda;
            if (scale < 1e-9) {
                /* fold the scale in before v grows past double range */
                for (size_t j = 0; j < P->n; j++)
                    v[j] *= scale;
                scale = 1;
            }
            size_t a = tr->sent_first[order[k]], end = tr->sent_first[order[k] + 1];
            crf_load_transitions(P, W, v, scale);
            crf_load_dense(P, v, tr, a, end);
            loss += crf_sentence(P, W, v, scale, order[k], v, -eta / scale);
            crf_fold_dense(P, W, a, end, v);
            if (!isfinite(loss)) {
                rc = nk_fail(err, NERKIT_ERR_ARG,
                             "SGD diverged in pass %u (learning rate %g too high)", epoch, o->eta);
                goto out;
            }
        }
        double norm = 0;
        for (size_t j = 0; j < P->n; j++)
            norm += v[j] * v[j];
        double secs = nk_now() - t0;
        /* the objective as the pass met it, sentence by sentence */
        nerkit_progress pr = {epoch, secs, (double)tr->ntok / (secs > 0 ? secs : 1e-9),
                              -1, -1, -1, -1, 0, loss + 0.5 * o->l2 * scale * scale * norm, 0, 0, 0,
                              0, 0};
        bool improved = true;
        if (P->dev) {
            if ((rc = crf_dev_score(P, v, scale, &pr.dev_p, &pr.dev_r, &pr.dev_f1, err)))
                goto out;
            improved = pr.dev_f1 > best_f1;
        }
        if (improved) {
            best_f1 = pr.dev_f1;
            since_best = 0;
            if ((rc = crf_export(P, v, scale, m, err)))
                goto out;
        } else {
            since_best++;
        }
        pr.best = improved;
        if (progress && progress(&pr, user))
            break;
        if (P->dev && since_best >= o->patience)
            break;
    }
out:
    free(v);
    free(order);
    return rc;
}
