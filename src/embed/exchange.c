/*
 * Word classes by the exchange algorithm (Martin, Liermann and Ney 1998),
 * for nerkit-embed --exchange.
 *
 * The model is the class bigram model behind Brown clustering: the text's
 * log-likelihood under it is, up to terms that do not depend on the
 * classes, F = sum_cd f(N(c,d)) - sum_c f(N(c,.)) - sum_d f(N(.,d)) with
 * f(x) = x log x, N(c,d) the count of class c followed by class d. Each
 * word in turn leaves its class and joins the one that raises F most.
 * Only the classes next to the word's neighbours enter the gain of a move,
 * so a sweep costs the sum over words of k times their neighbouring
 * classes, not k squared per word. The gains of all k classes are summed
 * together, one neighbouring class at a time: each adds a whole row of the
 * counts (or of their transpose), read in order, where scoring one class
 * at a time read one scattered cell of every row.
 *
 * The counts are integers and each gain is computed the same way by
 * whichever thread computes it, so the classes do not depend on the
 * number of threads: threads only split the candidate classes of one
 * word, and the best is chosen in class order.
 */
#include "embed.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FTAB (1 << 20) /* x log x looked up below this, computed above */
/* a word's candidate classes are split between threads only when scoring
 * them costs much more than waking the helpers and waiting for them */
#define PARALLEL_WORK 32768

/* Items and their ordered bigram counts, both ways: item i is followed by
 * snext[e] snum[e] times for srow[i] <= e < srow[i+1], and preceded by
 * pprev[e] pnum[e] times for prow[i] <= e < prow[i+1]. */
typedef struct {
    size_t n;
    size_t *srow, *prow;
    uint32_t *snext, *pprev;
    int64_t *snum, *pnum;
} graph;

typedef struct xch xch;

typedef struct {
    xch *x;
    pthread_t th;
    size_t lo, hi;    /* candidate classes [lo, hi) of the current word */
} part;

/* The helpers wait for a new round (round changes) or stop; the caller
 * waits until all of them have finished the round (done). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t start, finish;
    uint64_t round;
    size_t done;
    bool stop;
} crew;

struct xch {
    const graph *g;
    size_t k;
    uint32_t *cls;
    int64_t *m, *mt;  /* k x k class bigram counts, and their transpose */
    double *gain;     /* the current word's gain for each class */
    int64_t *left, *right; /* N(c,.) and N(.,c) */
    /* the word being placed: its counts by neighbouring class */
    int64_t *s, *p, self, wl, wr;
    uint32_t *sl, *pl;
    size_t nsl, npl;
    const double *ftab;
    /* the threads beyond the caller */
    part *parts;
    size_t nparts;
    crew crew;
};

static double *ftab_new(nerkit_error *err)
{
    double *t = nk_alloc(FTAB, sizeof *t, err);
    if (t)
        for (size_t i = 1; i < FTAB; i++)
            t[i] = (double)i * log((double)i);
    return t;
}

static inline double xlogx(const double *t, int64_t x)
{
    return x < FTAB ? t[x] : (double)x * log((double)x);
}

static void graph_free(graph *g)
{
    free(g->srow);
    free(g->prow);
    free(g->snext);
    free(g->pprev);
    free(g->snum);
    free(g->pnum);
    memset(g, 0, sizeof *g);
}

/* Allocates g for n items and nnz bigrams, with zeroed row starts. */
static int graph_alloc(graph *g, size_t n, size_t nnz, nerkit_error *err)
{
    memset(g, 0, sizeof *g);
    g->n = n;
    g->srow = nk_alloc(n + 1, sizeof *g->srow, err);
    g->prow = nk_alloc(n + 1, sizeof *g->prow, err);
    g->snext = nk_alloc(nnz + 1, sizeof *g->snext, err);
    g->pprev = nk_alloc(nnz + 1, sizeof *g->pprev, err);
    g->snum = nk_alloc(nnz + 1, sizeof *g->snum, err);
    g->pnum = nk_alloc(nnz + 1, sizeof *g->pnum, err);
    if (g->srow && g->prow && g->snext && g->pprev && g->snum && g->pnum)
        return NERKIT_OK;
    graph_free(g);
    return NERKIT_ERR_NOMEM;
}

/* Fills the predecessor lists from the successor lists, which are complete. */
static void graph_transpose(graph *g)
{
    size_t nnz = g->srow[g->n];
    for (size_t e = 0; e < nnz; e++)
        g->prow[g->snext[e] + 1]++;
    for (size_t i = 0; i < g->n; i++)
        g->prow[i + 1] += g->prow[i];
    for (size_t i = 0; i < g->n; i++)
        for (size_t e = g->srow[i]; e < g->srow[i + 1]; e++) {
            size_t d = g->snext[e];
            size_t at = g->prow[d]++;
            g->pprev[at] = (uint32_t)i;
            g->pnum[at] = g->snum[e];
        }
    /* each row start moved to the next row's: shift them back */
    memmove(g->prow + 1, g->prow, g->n * sizeof *g->prow);
    g->prow[0] = 0;
}

/* The words' graph from the stored bigrams (sorted by word, then next). */
static int graph_of_cooc(graph *g, const nk_cooc *c, size_t n, nerkit_error *err)
{
    if (graph_alloc(g, n, c->n, err))
        return NERKIT_ERR_NOMEM;
    for (size_t e = 0; e < c->n; e++) {
        g->srow[(c->key[e] >> 32) + 1]++;
        g->snext[e] = (uint32_t)(c->key[e] & 0xffffffffu);
        /* a bigram weighs one unit: the window is 1 */
        g->snum[e] = (int64_t)(c->val[e] / NK_COOC_UNIT);
    }
    for (size_t i = 0; i < n; i++)
        g->srow[i + 1] += g->srow[i];
    graph_transpose(g);
    return NERKIT_OK;
}

/* The classes' graph from the k x k class bigram counts m. */
static int graph_of_classes(graph *g, const int64_t *m, size_t k, nerkit_error *err)
{
    size_t nnz = 0;
    for (size_t i = 0; i < k * k; i++)
        nnz += m[i] != 0;
    if (graph_alloc(g, k, nnz, err))
        return NERKIT_ERR_NOMEM;
    size_t e = 0;
    for (size_t c = 0; c < k; c++) {
        for (size_t d = 0; d < k; d++)
            if (m[c * k + d]) {
                g->snext[e] = (uint32_t)d;
                g->snum[e++] = m[c * k + d];
            }
        g->srow[c + 1] = e;
    }
    graph_transpose(g);
    return NERKIT_OK;
}

/* Adds (sign 1) or removes (sign -1) the current word to or from class b. */
static void place(xch *x, size_t b, int64_t sign)
{
    const size_t k = x->k;
    for (size_t i = 0; i < x->nsl; i++) {
        size_t d = x->sl[i];
        x->m[b * k + d] += sign * x->s[d];
        x->mt[d * k + b] += sign * x->s[d];
    }
    for (size_t i = 0; i < x->npl; i++) {
        size_t c = x->pl[i];
        x->m[c * k + b] += sign * x->p[c];
        x->mt[b * k + c] += sign * x->p[c];
    }
    x->m[b * k + b] += sign * x->self;
    x->mt[b * k + b] += sign * x->self;
    x->left[b] += sign * x->wl;
    x->right[b] += sign * x->wr;
}

/* g[b] += f(v[b] + add) - f(v[b]) for b in [lo, hi). */
static void add_row(const double *t, const int64_t *v, int64_t add, double *g, size_t lo,
                    size_t hi)
{
    for (size_t b = lo; b < hi; b++)
        g[b] += xlogx(t, v[b] + add) - xlogx(t, v[b]);
}

/* x->g[lo, hi): the change of F when the current word, out of every
 * class, joins each class. */
static void gains(const xch *x, size_t lo, size_t hi)
{
    const size_t k = x->k;
    const double *t = x->ftab;
    double *g = x->gain;
    for (size_t b = lo; b < hi; b++)
        g[b] = 0;
    /* cell (b, d) gains s[d], cell (c, b) gains p[c] */
    for (size_t i = 0; i < x->nsl; i++)
        add_row(t, x->mt + x->sl[i] * k, x->s[x->sl[i]], g, lo, hi);
    for (size_t i = 0; i < x->npl; i++)
        add_row(t, x->m + x->pl[i] * k, x->p[x->pl[i]], g, lo, hi);
    for (size_t b = lo; b < hi; b++) {
        /* the rows counted the cell (b, b) twice, apart: count it once, whole */
        int64_t bb = x->m[b * k + b], sb = x->s[b], pb = x->p[b];
        g[b] -= xlogx(t, bb + sb) - xlogx(t, bb) + xlogx(t, bb + pb) - xlogx(t, bb);
        g[b] += xlogx(t, bb + sb + pb + x->self) - xlogx(t, bb);
        g[b] -= xlogx(t, x->left[b] + x->wl) - xlogx(t, x->left[b]);
        g[b] -= xlogx(t, x->right[b] + x->wr) - xlogx(t, x->right[b]);
    }
}

static void *part_main(void *arg)
{
    part *p = arg;
    xch *x = p->x;
    crew *c = &x->crew;
    uint64_t seen = 0;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->round == seen && !c->stop)
            pthread_cond_wait(&c->start, &c->mu);
        if (c->stop)
            break;
        seen = c->round;
        pthread_mutex_unlock(&c->mu);
        gains(x, p->lo, p->hi);
        pthread_mutex_lock(&c->mu);
        if (++c->done == x->nparts)
            pthread_cond_signal(&c->finish);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* x->g for the current word, the helpers scoring their share. */
static void gains_shared(xch *x)
{
    crew *c = &x->crew;
    size_t per = (x->k + x->nparts) / (x->nparts + 1);
    for (size_t t = 0; t < x->nparts; t++) {
        x->parts[t].lo = per * (t + 1) < x->k ? per * (t + 1) : x->k;
        x->parts[t].hi = per * (t + 2) < x->k ? per * (t + 2) : x->k;
    }
    pthread_mutex_lock(&c->mu);
    c->round++;
    c->done = 0;
    pthread_cond_broadcast(&c->start);
    pthread_mutex_unlock(&c->mu);
    gains(x, 0, per < x->k ? per : x->k);
    pthread_mutex_lock(&c->mu);
    while (c->done < x->nparts)
        pthread_cond_wait(&c->finish, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

/* Gathers item w's counts by neighbouring class into x->s, x->p. */
static void gather(xch *x, size_t w)
{
    const graph *g = x->g;
    x->nsl = x->npl = 0;
    x->self = x->wl = x->wr = 0;
    for (size_t e = g->srow[w]; e < g->srow[w + 1]; e++) {
        x->wl += g->snum[e];
        if (g->snext[e] == w) {
            x->self += g->snum[e];
            continue;
        }
        uint32_t d = x->cls[g->snext[e]];
        if (!x->s[d])
            x->sl[x->nsl++] = d;
        x->s[d] += g->snum[e];
    }
    for (size_t e = g->prow[w]; e < g->prow[w + 1]; e++) {
        x->wr += g->pnum[e];
        if (g->pprev[e] == w)
            continue;
        uint32_t c = x->cls[g->pprev[e]];
        if (!x->p[c])
            x->pl[x->npl++] = c;
        x->p[c] += g->pnum[e];
    }
}

/* One sweep over the items in order; returns how many changed class. */
static size_t sweep(xch *x)
{
    size_t moved = 0;
    for (size_t w = 0; w < x->g->n; w++) {
        gather(x, w);
        size_t a = x->cls[w], b;
        place(x, a, -1);
        if (x->nparts && x->k * (x->nsl + x->npl + 4) >= PARALLEL_WORK)
            gains_shared(x);
        else
            gains(x, 0, x->k);
        /* the first of the best, unless staying is as good: a sweep
         * without gain moves nothing */
        b = a;
        for (size_t c = 0; c < x->k; c++)
            if (x->gain[c] > x->gain[b])
                b = c;
        place(x, b, 1);
        x->cls[w] = (uint32_t)b;
        moved += b != a;
        for (size_t i = 0; i < x->nsl; i++)
            x->s[x->sl[i]] = 0;
        for (size_t i = 0; i < x->npl; i++)
            x->p[x->pl[i]] = 0;
    }
    return moved;
}

/* Classes the items of g into k: cls receives them, m the k x k counts. */
static int exchange(const graph *g, size_t k, unsigned iterations, int threads,
                    const double *ftab, uint32_t *cls, int64_t *m, nerkit_error *err)
{
    xch x = {.g = g, .k = k, .cls = cls, .m = m, .ftab = ftab};
    x.mt = nk_alloc(k * k, sizeof *x.mt, err);
    x.gain = nk_alloc(k, sizeof *x.gain, err);
    x.left = nk_alloc(k, sizeof *x.left, err);
    x.right = nk_alloc(k, sizeof *x.right, err);
    x.s = nk_alloc(k, sizeof *x.s, err);
    x.p = nk_alloc(k, sizeof *x.p, err);
    x.sl = nk_alloc(k, sizeof *x.sl, err);
    x.pl = nk_alloc(k, sizeof *x.pl, err);
    int rc = x.mt && x.gain && x.left && x.right && x.s && x.p && x.sl && x.pl ? NERKIT_OK
                                                                          : NERKIT_ERR_NOMEM;
    pthread_mutex_init(&x.crew.mu, NULL);
    pthread_cond_init(&x.crew.start, NULL);
    pthread_cond_init(&x.crew.finish, NULL);
    if (!rc && threads > 1 && (x.parts = nk_alloc((size_t)threads - 1, sizeof *x.parts, err))) {
        /* a helper that cannot start leaves its share to the others: the
         * classes are the same */
        for (size_t t = 0; t < (size_t)threads - 1; t++) {
            x.parts[x.nparts].x = &x;
            if (pthread_create(&x.parts[x.nparts].th, NULL, part_main, &x.parts[x.nparts]) == 0)
                x.nparts++;
        }
    }
    if (!rc) {
        memset(m, 0, k * k * sizeof *m);
        /* Martin et al.'s start: the k - 1 most frequent items alone, the
         * rest together in the last class; the first sweep spreads them.
         * (Rank modulo k starts with every class taken by a mix, which
         * sweeps often cannot untangle: a class can only empty one item
         * at a time, and each move must pay.) */
        for (size_t w = 0; w < g->n; w++)
            cls[w] = (uint32_t)(w < k - 1 ? w : k - 1);
        for (size_t w = 0; w < g->n; w++)
            for (size_t e = g->srow[w]; e < g->srow[w + 1]; e++) {
                m[cls[w] * k + cls[g->snext[e]]] += g->snum[e];
                x.mt[cls[g->snext[e]] * k + cls[w]] += g->snum[e];
                x.left[cls[w]] += g->snum[e];
                x.right[cls[g->snext[e]]] += g->snum[e];
            }
        for (unsigned it = 0; it < iterations && sweep(&x); it++)
            ;
    }
    pthread_mutex_lock(&x.crew.mu);
    x.crew.stop = true;
    pthread_cond_broadcast(&x.crew.start);
    pthread_mutex_unlock(&x.crew.mu);
    for (size_t t = 0; t < x.nparts; t++)
        pthread_join(x.parts[t].th, NULL);
    pthread_mutex_destroy(&x.crew.mu);
    pthread_cond_destroy(&x.crew.start);
    pthread_cond_destroy(&x.crew.finish);
    free(x.mt);
    free(x.gain);
    free(x.left);
    free(x.right);
    free(x.s);
    free(x.p);
    free(x.sl);
    free(x.pl);
    free(x.parts);
    return rc ? nk_fail(err, rc, "out of memory for %zu classes", k) : NERKIT_OK;
}

int nk_exchange(const nk_cooc *c, size_t n, const size_t *ks, size_t nks, unsigned iterations,
                int threads, uint32_t *ids, nerkit_error *err)
{
    /* the levels from the largest k down, each over the one before */
    size_t *order = nk_alloc(nks + 1, sizeof *order, err);
    double *ftab = ftab_new(err);
    uint32_t *map = NULL, *cls = NULL;
    int64_t *m = NULL;
    graph g = {0};
    int rc = order && ftab ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (size_t l = 0; !rc && l < nks; l++) {
        size_t at = l;
        while (at > 0 && ks[order[at - 1]] < ks[l]) {
            order[at] = order[at - 1];
            at--;
        }
        order[at] = l;
    }
    size_t kmax = nks ? ks[order[0]] : 0;
    if (!rc && (!(map = nk_alloc(n, sizeof *map, err)) ||
                !(cls = nk_alloc(n > kmax ? n : kmax, sizeof *cls, err)) ||
                !(m = nk_alloc(kmax * kmax, sizeof *m, err))))
        rc = NERKIT_ERR_NOMEM;
    if (!rc)
        rc = graph_of_cooc(&g, c, n, err);
    size_t kprev = 0;
    for (size_t i = 0; !rc && i < nks; i++) {
        size_t k = ks[order[i]];
        if (k != kprev) {
            if (i > 0) { /* the items are now the classes of the last level */
                graph_free(&g);
                if ((rc = graph_of_classes(&g, m, kprev, err)))
                    break;
            }
            if ((rc = exchange(&g, k, iterations, threads, ftab, cls, m, err)))
                break;
            for (size_t w = 0; w < n; w++)
                map[w] = i == 0 ? cls[w] : cls[map[w]];
        }
        for (size_t w = 0; w < n; w++)
            ids[w * nks + order[i]] = map[w];
        kprev = k;
    }
    graph_free(&g);
    free(order);
    free(ftab);
    free(map);
    free(cls);
    free(m);
    return rc;
}
