/*
 * Batch CRF training with liblbfgs: L-BFGS for the L2 penalty, OWL-QN
 * (its orthant-wise variant) when there is an L1 penalty, which drives
 * most feature weights to exactly zero and so makes small models.
 *
 * Every iteration scores dev with the current weights; the best iterate
 * by dev F1 is the one kept, and training stops after iteration_patience
 * iterations without a gain, when the objective's relative decrease over
 * the last 10 iterations falls below delta, or after `iterations`.
 */
#include "crf.h"

#include <lbfgs.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    crf_problem *P;
    nerkit_model *m;
    const nerkit_train_opts *o;
    nerkit_progress_fn progress;
    void *user;
    nerkit_error *err;
    double t_last;
    double best_f1;
    unsigned since_best;
    bool exported;
    int rc; /* an error inside a callback */
} run;

static lbfgsfloatval_t evaluate(void *instance, const lbfgsfloatval_t *x, lbfgsfloatval_t *g,
                                const int n, const lbfgsfloatval_t step)
{
    (void)n;
    (void)step;
    run *R = instance;
    return crf_objective(R->P, x, g);
}

/* Returning non-zero stops liblbfgs, which then returns that value. */
enum { STOP_PLATEAU = 1, STOP_CALLER, STOP_ERROR };

static int iteration(void *instance, const lbfgsfloatval_t *x, const lbfgsfloatval_t *g,
                     const lbfgsfloatval_t fx, const lbfgsfloatval_t xnorm,
                     const lbfgsfloatval_t gnorm, const lbfgsfloatval_t step, int n, int k,
                     int ls)
{
    (void)g;
    (void)xnorm;
    (void)step;
    (void)n;
    run *R = instance;
    double now = nk_now(), secs = now - R->t_last;
    R->t_last = now;
    nerkit_progress pr = {(unsigned)k, secs,
                          (double)R->P->train->ntok * ls / (secs > 0 ? secs : 1e-9),
                          -1, -1, -1, -1, 0, fx, gnorm, 0, 0, 0, 0};
    if (R->o->stop && *R->o->stop) {
        R->rc = nk_fail(R->err, NERKIT_ERR_INTERRUPTED, "interrupted after iteration %d", k);
        return STOP_ERROR;
    }
    bool improved = true;
    if (R->P->dev) {
        if ((R->rc = crf_dev_score(R->P, x, 1.0, &pr.dev_p, &pr.dev_r, &pr.dev_f1, R->err)))
            return STOP_ERROR;
        improved = pr.dev_f1 > R->best_f1;
    }
    if (improved) {
        R->best_f1 = pr.dev_f1;
        R->since_best = 0;
        if ((R->rc = crf_export(R->P, x, 1.0, R->m, R->err)))
            return STOP_ERROR;
        R->exported = true;
    } else {
        R->since_best++;
    }
    pr.best = improved;
    if (R->progress && R->progress(&pr, R->user))
        return STOP_CALLER;
    return R->P->dev && R->since_best >= R->o->iteration_patience ? STOP_PLATEAU : 0;
}

int nk_train_crf_lbfgs(nerkit_model *m, crf_problem *P, const nerkit_train_opts *o,
                       nerkit_progress_fn progress, void *user, nerkit_error *err)
{
    if (P->n > INT32_MAX)
        return nk_fail(err, NERKIT_ERR_ARG, "%zu CRF weights: more than L-BFGS can take", P->n);
    lbfgs_parameter_t param;
    lbfgs_parameter_init(&param);
    param.max_iterations = (int)o->iterations;
    param.past = 10;
    param.delta = o->delta;
    /* the stopping rules above decide; this only catches an exact optimum */
    param.epsilon = 1e-7;
    if (o->l1 > 0) {
        param.orthantwise_c = o->l1;
        param.orthantwise_start = 0;
        param.orthantwise_end = (int)P->n;
        /* OWL-QN in liblbfgs requires the backtracking line search */
        param.linesearch = LBFGS_LINESEARCH_BACKTRACKING;
    }
    lbfgsfloatval_t *x = lbfgs_malloc((int)P->n);
    if (!x)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu CRF weights", P->n);
    for (size_t j = 0; j < P->n; j++)
        x[j] = 0;
    run R = {P, m, o, progress, user, err, nk_now(), -1, 0, false, NERKIT_OK};
    lbfgsfloatval_t fx;
    int ret = lbfgs((int)P->n, x, &fx, evaluate, iteration, &R, &param);
    int rc = R.rc;
    if (!rc && ret == LBFGSERR_OUTOFMEMORY)
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory in L-BFGS (%zu weights)", P->n);
    else if (!rc && ret >= LBFGSERR_INVALID_N && ret <= LBFGSERR_INVALID_ORTHANTWISE_END)
        rc = nk_fail(err, NERKIT_ERR_ARG, "L-BFGS refused its parameters (liblbfgs code %d)",
                     ret);
    /* Any other end (converged, line search gave up near the optimum,
     * iteration limit) leaves a usable model. Without dev the last
     * iterate is the model. */
    if (!rc && (!P->dev || !R.exported))
        rc = crf_export(P, x, 1.0, m, err);
    lbfgs_free(x);
    return rc;
}
