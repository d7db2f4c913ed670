/*
 * The CRF: forward-backward, span probabilities and n-best against
 * brute-force enumeration of every label sequence of short sentences; the
 * training gradient against finite differences; training on a small
 * synthetic task (L-BFGS, OWL-QN, SGD); and the public confidence, n-best
 * and calibration calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <signal.h>

#include <cmocka.h>

#include "../train/crf.h"

#define MAXN 5
#define MAXL 13 /* three entity types */

static uint64_t rng_state = 42;

static double uniform(double lo, double hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return lo + (hi - lo) * (double)(rng_state >> 11) / (double)(1ULL << 53);
}

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol))) {                                                           \
            print_error("%s = %.12g but %s = %.12g (tolerance %g)\n", #a, a_, #b, b_,              \
                        (double)(tol));                                                            \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- brute force over every label sequence */

static bool allowed(const nk_lattice *lat, uint16_t p, uint16_t y)
{
    for (size_t k = lat->pred_start[y]; k < lat->pred_start[y + 1]; k++)
        if (lat->pred[k] == p)
            return true;
    return false;
}

/* Calls fn for every valid sequence of n labels with its score. */
typedef void (*visit_fn)(const uint16_t *seq, size_t n, double score, void *user);

static void enumerate(const nk_lattice *lat, const float *em, const float *trans, size_t n,
                      visit_fn fn, void *user)
{
    const size_t L = lat->nlabels;
    uint16_t seq[MAXN] = {0};
    for (;;) {
        bool ok = lat->can_start[seq[0]] && lat->can_end[seq[n - 1]];
        double score = 0;
        for (size_t t = 0; t < n && ok; t++) {
            score += em[t * L + seq[t]];
            if (t > 0) {
                ok = allowed(lat, seq[t - 1], seq[t]);
                score += trans[seq[t - 1] * L + seq[t]];
            }
        }
        if (ok)
            fn(seq, n, score, user);
        size_t t = 0;
        while (t < n && ++seq[t] == L)
            seq[t++] = 0;
        if (t == n)
            return;
    }
}

typedef struct {
    size_t L;
    double shift; /* subtracted from every score before exp */
    double z;
    double node[MAXN * MAXL];
    double edge[MAXL * MAXL];
    /* span probabilities: [a][b][type] */
    double span[MAXN][MAXN][3];
} brute;

static void visit_sums(const uint16_t *seq, size_t n, double score, void *user)
{
    brute *B = user;
    double p = exp(score - B->shift);
    B->z += p;
    for (size_t t = 0; t < n; t++) {
        B->node[t * B->L + seq[t]] += p;
        if (t > 0)
            B->edge[seq[t - 1] * B->L + seq[t]] += p;
        if (seq[t] && (NK_LABEL_PART(seq[t]) == NK_L || NK_LABEL_PART(seq[t]) == NK_U)) {
            size_t a = t;
            while (NK_LABEL_PART(seq[a]) != NK_B && NK_LABEL_PART(seq[a]) != NK_U)
                a--;
            B->span[a][t][NK_LABEL_TYPE(seq[t])] += p;
        }
    }
}

static double max_score;
static void visit_max(const uint16_t *seq, size_t n, double score, void *user)
{
    (void)seq;
    (void)n;
    (void)user;
    if (score > max_score)
        max_score = score;
}

static void brute_sums(const nk_lattice *lat, const float *em, const float *trans, size_t n,
                       brute *B)
{
    memset(B, 0, sizeof *B);
    B->L = lat->nlabels;
    max_score = -INFINITY;
    enumerate(lat, em, trans, n, visit_max, NULL);
    B->shift = max_score;
    enumerate(lat, em, trans, n, visit_sums, B);
}

static void random_scores(float *em, size_t n, float *trans, size_t L, double range)
{
    for (size_t k = 0; k < n * L; k++)
        em[k] = (float)uniform(-range, range);
    for (size_t k = 0; k < L * L; k++)
        trans[k] = (float)uniform(-range, range);
}

static void run_fb(nk_fb *f, const nk_lattice *lat, const float *em, const float *trans, size_t n)
{
    const size_t L = lat->nlabels;
    assert_int_equal(nk_fb_reserve(f, L, n, NULL), NERKIT_OK);
    for (size_t k = 0; k < L * L; k++)
        f->T[k] = trans[k];
    nk_fb_transitions(f, lat);
    for (size_t k = 0; k < n * L; k++)
        f->E[k] = em[k];
    assert_true(nk_fb_forward(f, lat, n));
    nk_fb_backward(f, lat, n);
}

/* Marginals sum to 1 at every position and equal the brute-force ones;
 * log Z too; forbidden transitions get nothing whatever their weight. */
static void test_marginals_brute_force(void **state)
{
    (void)state;
    nk_lattice lat;
    assert_int_equal(nk_lattice_init(&lat, 2, NULL), NERKIT_OK);
    const size_t L = lat.nlabels;
    nk_fb f = {0};
    float em[MAXN * MAXL], trans[MAXL * MAXL];
    double edge[MAXL * MAXL];
    for (int trial = 0; trial < 40; trial++) {
        size_t n = 1 + (size_t)trial % MAXN;
        /* wide score ranges too: scaling must hold where exp() alone overflows */
        double range = trial % 4 == 3 ? 400.0 : 3.0;
        random_scores(em, n, trans, L, range);
        if (trial % 2)
            for (uint16_t p = 0; p < L; p++)
                for (uint16_t y = 0; y < L; y++)
                    if (!allowed(&lat, p, y))
                        trans[p * L + y] = 1000.0f;
        run_fb(&f, &lat, em, trans, n);
        brute B;
        brute_sums(&lat, em, trans, n, &B);
        assert_close(f.logz, B.shift + log(B.z), 1e-9 * fmax(1.0, fabs(f.logz)));
        for (size_t t = 0; t < n; t++) {
            double sum = 0;
            for (size_t y = 0; y < L; y++) {
                sum += nk_fb_marginal(&f, t, y);
                assert_close(nk_fb_marginal(&f, t, y), B.node[t * L + y] / B.z, 1e-9);
            }
            assert_close(sum, 1.0, 1e-12);
        }
        memset(edge, 0, sizeof edge);
        nk_fb_edge_marginals(&f, &lat, n, 1.0, edge);
        for (size_t k = 0; k < L * L; k++)
            assert_close(edge[k], B.edge[k] / B.z, 1e-9);
    }
    nk_fb_free(&f);
    nk_lattice_free(&lat);
}

/* P(tokens a..b form one entity of type T) from nk_fb_path equals the sum
 * over every sequence holding exactly that chunk. */
static void test_span_probability_brute_force(void **state)
{
    (void)state;
    nk_lattice lat;
    assert_int_equal(nk_lattice_init(&lat, 2, NULL), NERKIT_OK);
    const size_t L = lat.nlabels;
    nk_fb f = {0};
    float em[MAXN * MAXL], trans[MAXL * MAXL];
    uint16_t run[MAXN];
    for (int trial = 0; trial < 20; trial++) {
        size_t n = 1 + (size_t)trial % MAXN;
        random_scores(em, n, trans, L, 2.0);
        run_fb(&f, &lat, em, trans, n);
        brute B;
        brute_sums(&lat, em, trans, n, &B);
        for (size_t a = 0; a < n; a++)
            for (size_t b = a; b < n; b++)
                for (size_t type = 0; type < 2; type++) {
                    for (size_t t = a; t <= b; t++)
                        run[t - a] = NK_LABEL(type, a == b   ? NK_U
                                                    : t == a ? NK_B
                                                    : t == b ? NK_L
                                                             : NK_I);
                    assert_close(nk_fb_path(&f, a, run, b - a + 1), B.span[a][b][type] / B.z, 1e-9);
                }
    }
    nk_fb_free(&f);
    nk_lattice_free(&lat);
}

/* ---- n-best */

typedef struct {
    double score[20000];
    size_t count;
} all_scores;

static void visit_collect(const uint16_t *seq, size_t n, double score, void *user)
{
    (void)seq;
    (void)n;
    all_scores *A = user;
    A->score[A->count++] = score;
}

static int by_score_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void test_nbest_brute_force(void **state)
{
    (void)state;
    nk_lattice lat;
    assert_int_equal(nk_lattice_init(&lat, 2, NULL), NERKIT_OK);
    const size_t L = lat.nlabels;
    nk_nbest w = {0};
    float em[MAXN * MAXL], trans[MAXL * MAXL];
    static all_scores A;
    static uint16_t paths[200 * MAXN];
    const size_t ks[] = {1, 2, 5, 37, 200};
    for (int trial = 0; trial < 25; trial++) {
        size_t n = 1 + (size_t)trial % MAXN, k = ks[trial % 5];
        random_scores(em, n, trans, L, 2.0);
        A.count = 0;
        enumerate(&lat, em, trans, n, visit_collect, &A);
        qsort(A.score, A.count, sizeof *A.score, by_score_desc);
        assert_int_equal(nk_nbest_reserve(&w, L, n, k, NULL), NERKIT_OK);
        size_t got = nk_nbest_decode(&w, &lat, em, n, trans, paths, MAXN);
        assert_int_equal(got, A.count < k ? A.count : k);
        for (size_t r = 0; r < got; r++) {
            const uint16_t *p = paths + r * MAXN;
            /* the path is valid, its score is what is claimed, and the
             * claimed scores are the brute-force top-k */
            double s = 0;
            assert_true(lat.can_start[p[0]] && lat.can_end[p[n - 1]]);
            for (size_t t = 0; t < n; t++) {
                s += em[t * L + p[t]];
                if (t > 0) {
                    assert_true(allowed(&lat, p[t - 1], p[t]));
                    s += trans[p[t - 1] * L + p[t]];
                }
            }
            assert_close(s, w.best[r], 1e-9);
            assert_close(w.best[r], A.score[r], 1e-9);
            for (size_t q = 0; q < r; q++)
                assert_true(memcmp(p, paths + q * MAXN, n * sizeof *p) != 0);
        }
    }
    nk_nbest_free(&w);
    nk_lattice_free(&lat);
}

/* ---- training */

static size_t pick(uint64_t *s, size_t n)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)(*s >> 33) % n;
}

/* A labelled corpus where people follow "Mr" or precede "said", places
 * follow "in" or "to" and organisations end in "Corp": names are drawn
 * from pools that differ between train and test, so the model must learn
 * from context and shape. */
static char *synthetic(size_t nsent, int test, uint64_t seed)
{
    static const char *const first[2][6] = {{"Anna", "Boris", "Carl", "Dora", "Emil", "Fritz"},
                                            {"Greta", "Hugo", "Ines", "Jonas", "Klara", "Lutz"}};
    static const char *const place[2][6] = {{"Oslo", "Paris", "Rome", "Lima", "Kyiv", "Bern"},
                                            {"Quito", "Riga", "Sofia", "Tunis", "Vaduz", "Minsk"}};
    static const char *const org[2][4] = {{"Acme", "Bolt", "Crane", "Delta"},
                                          {"Ember", "Fjord", "Gamma", "Helix"}};
    size_t cap = nsent * 160 + 64, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    uint64_t s = seed;
#define PUT(...) (len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__))
    PUT("-DOCSTART- O\n\n");
    for (size_t k = 0; k < nsent; k++) {
        const char *a = first[test][pick(&s, 6)], *b = first[test][pick(&s, 6)];
        const char *p = place[test][pick(&s, 6)], *o = org[test][pick(&s, 4)];
        switch (pick(&s, 4)) {
        case 0: PUT("Mr O\n%s B-PER\n%s I-PER\nwent O\nhome O\n. O\n\n", a, b); break;
        case 1: PUT("%s B-PER\nsaid O\nit O\nrained O\nin O\n%s B-LOC\n. O\n\n", a, p); break;
        case 2:
            PUT("they O\nflew O\nto O\n%s B-LOC\nwith O\n%s B-ORG\nCorp I-ORG\n. O\n\n", p, o);
            break;
        default: PUT("shares O\nof O\n%s B-ORG\nCorp I-ORG\nfell O\n. O\n\n", o); break;
        }
    }
#undef PUT
    return buf;
}

static nerkit_corpus *parse(const char *text)
{
    nerkit_reader_opts ro;
    nerkit_reader_opts_init(&ro);
    nerkit_error err;
    nerkit_corpus *c = nerkit_corpus_parse(text, strlen(text), "synthetic", &ro, &err);
    if (!c)
        print_error("%s\n", err.message);
    assert_non_null(c);
    return c;
}

static double f1_on(const nerkit_model *m, const nerkit_corpus *c)
{
    nerkit_error err;
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    size_t n = nerkit_corpus_ntokens(c);
    uint16_t *labels = malloc(n * sizeof *labels);
    const char **names = malloc(n * sizeof *names);
    nerkit_eval *ev = nerkit_eval_new();
    assert_true(t && labels && names && ev);
    assert_int_equal(nerkit_tag_corpus(t, c, labels, &err), NERKIT_OK);
    nerkit_corpus_label_strings(c, m, labels, NERKIT_SCHEME_AUTO, names);
    for (size_t i = 0; i < n; i++) {
        size_t glen;
        const char *g = nerkit_corpus_label(c, i, &glen);
        assert_int_equal(nerkit_eval_token(ev, g, glen, names[i], strlen(names[i])), NERKIT_OK);
    }
    double p, r, f1;
    nerkit_eval_scores(ev, &p, &r, &f1);
    nerkit_eval_free(ev);
    free(labels);
    free(names);
    nerkit_tagger_free(t);
    return f1;
}

/* Options for a short training on a small corpus. */
static void small_run(nerkit_train_opts *o, const char *optimizer, double l1, double l2)
{
    nerkit_train_opts_init(o);
    /* the CRF's own loop: no first-pass perceptrons of non-local features */
    o->features = NERKIT_FEAT_ALL;
    o->optimizer = optimizer;
    o->l1 = l1;
    o->l2 = l2;
    o->iterations = 60;
    o->epochs = 8;
    o->threads = 2;
}

static nerkit_model *train(const nerkit_corpus *c, const char *algorithm, const char *optimizer,
                           double l1, double l2)
{
    nerkit_train_opts o;
    small_run(&o, optimizer, l1, l2);
    o.algorithm = algorithm;
    o.hash_bits = 14;
    nerkit_error err;
    nerkit_model *m = nerkit_train(c, NULL, &o, NULL, NULL, &err);
    if (!m)
        print_error("%s\n", err.message);
    assert_non_null(m);
    return m;
}

/* Gives m a lexicon of words[0..n) with vectors vec (n x dim) and turns
 * on the dense features, as nk_train_resources does. */
static void give_vectors(nerkit_model *m, const char *const *words, size_t n, uint32_t dim,
                         const float *vec)
{
    uint64_t *keys = malloc(n * sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n; i++) /* in key order, as the lexicon wants them */
        for (size_t j = (keys[i] = nk_lower_hash(words[i], strlen(words[i])), i);
             j > 0 && keys[j - 1] > keys[j]; j--) {
            uint64_t k = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = k;
        }
    assert_int_equal(nk_lexicon_init(&m->lex, keys, n, 0, dim, NULL), NERKIT_OK);
    for (size_t i = 0; i < n; i++) {
        int32_t w = nk_lexicon_find(&m->lex, nk_lower_hash(words[i], strlen(words[i])));
        nk_lexicon_set_vector(&m->lex, (uint32_t)w, vec + i * dim);
    }
    m->feat.groups |= NERKIT_FEAT_VECTORS;
    m->dense = calloc(m->nlabels * NK_WINDOW * dim, sizeof *m->dense);
    assert_non_null(m->dense);
    free(keys);
}

/* The analytic gradient of the objective against central differences, at
 * a random point of a small model, on 2 threads; and the objective is the
 * same on 1 and 3 threads. With vectors, every dense weight is checked. */
static void check_gradient(bool vectors)
{
    char *text = synthetic(12, 0, 7);
    nerkit_corpus *c = parse(text);
    const char *types[] = {"LOC", "ORG", "PER"};
    size_t lens[] = {3, 3, 3};
    nk_featcfg feat = {NERKIT_FEAT_WORD | NERKIT_FEAT_SHAPE | NERKIT_FEAT_WINDOW, 10};
    nerkit_model *m = nk_model_new("crf", NERKIT_SCHEME_IOB2, types, lens, 3, &feat, NULL);
    assert_non_null(m);
    if (vectors) {
        /* some words of the corpus, so that windows mix known and unknown */
        const char *words[] = {"Mr", "said", "in", "to", "Corp", "Anna", "Oslo", "Acme", "."};
        float vec[9 * 4];
        for (size_t k = 0; k < 9 * 4; k++)
            vec[k] = (float)uniform(-1, 1);
        give_vectors(m, words, 9, 4, vec);
    }
    nk_trainset ts;
    assert_int_equal(nk_trainset_build(&ts, c, m, NULL, NULL), NERKIT_OK);
    crf_problem P;
    assert_int_equal(crf_init(&P, m, &ts, NULL, 2, 0.3, NULL), NERKIT_OK);
    assert_int_equal(P.n - P.dense, vectors ? m->nlabels * NK_WINDOW * 4 : 0);
    double *w = malloc(P.n * sizeof *w), *g = malloc(P.n * sizeof *g),
           *g2 = malloc(P.n * sizeof *g2);
    assert_true(w && g && g2);
    for (size_t j = 0; j < P.n; j++)
        w[j] = uniform(-1, 1);
    double f = crf_objective(&P, w, g);
    assert_true(isfinite(f) && f > 0);
    const double h = 1e-5;
    size_t checked = 0;
    for (size_t j = 0; j < P.n; j += j < P.dense ? 1 + P.dense / 400 : 1) {
        double keep = w[j];
        w[j] = keep + h;
        double up = crf_objective(&P, w, g2);
        w[j] = keep - h;
        double down = crf_objective(&P, w, g2);
        w[j] = keep;
        double numeric = (up - down) / (2 * h);
        assert_close(g[j], numeric, 1e-5 * fmax(1.0, fabs(numeric)));
        checked++;
    }
    assert_true(checked > 100);
    /* the transitions and the dense weights are part of it: their gradient
     * is more than the penalty's */
    size_t moved = 0, dense_moved = 0;
    for (size_t j = P.nemit; j < P.dense; j++)
        moved += g[j] != 0;
    for (size_t j = P.dense; j < P.n; j++)
        dense_moved += fabs(g[j] - 0.3 * w[j]) > 1e-3;
    assert_true(moved > 10);
    if (vectors)
        assert_true(dense_moved > (P.n - P.dense) / 2);
    for (int threads = 1; threads <= 3; threads += 2) {
        crf_free(&P);
        nk_trainset_free(&ts);
        assert_int_equal(nk_trainset_build(&ts, c, m, NULL, NULL), NERKIT_OK);
        assert_int_equal(crf_init(&P, m, &ts, NULL, threads, 0.3, NULL), NERKIT_OK);
        assert_close(crf_objective(&P, w, g2), f, 1e-9 * f);
    }
    crf_free(&P);
    nk_trainset_free(&ts);
    free(w);
    free(g);
    free(g2);
    nerkit_model_free(m);
    nerkit_corpus_free(c);
    free(text);
}

static void test_gradient_finite_differences(void **state)
{
    (void)state;
    check_gradient(false);
}

static void test_gradient_dense(void **state)
{
    (void)state;
    check_gradient(true);
}

static void test_learns_synthetic_task(void **state)
{
    (void)state;
    char *tr = synthetic(300, 0, 1), *te = synthetic(100, 1, 2);
    nerkit_corpus *ctr = parse(tr), *cte = parse(te);
    nerkit_model *m = train(ctr, "crf", "lbfgs", 0, 1);
    assert_string_equal(nerkit_model_algorithm(m), "crf");
    assert_true(nerkit_model_has_probabilities(m));
    double f1 = f1_on(m, cte);
    if (f1 < 99)
        print_error("L-BFGS: F1 %.2f on unseen names\n", f1);
    assert_true(f1 >= 99);

    /* OWL-QN learns it too, with a sparser model */
    nerkit_model *sparse = train(ctr, "crf", "lbfgs", 1.0, 0);
    f1 = f1_on(sparse, cte);
    if (f1 < 95 || sparse->nrows >= m->nrows)
        print_error("OWL-QN: F1 %.2f, %u rows against %u\n", f1, sparse->nrows, m->nrows);
    assert_true(f1 >= 95);
    assert_true(sparse->nrows < m->nrows / 2);

    nerkit_model *sgd = train(ctr, "crf", "sgd", 0, 1);
    f1 = f1_on(sgd, cte);
    if (f1 < 99)
        print_error("SGD: F1 %.2f\n", f1);
    assert_true(f1 >= 99);

    nerkit_model_free(m);
    nerkit_model_free(sparse);
    nerkit_model_free(sgd);
    nerkit_corpus_free(ctr);
    nerkit_corpus_free(cte);
    free(tr);
    free(te);
}

/* A task only the word vectors can solve: in "the X arrived ." X is a
 * person or a place by its vector alone (near one axis or the other), its
 * spelling says nothing and the test sentences hold words never seen in
 * training. Without vectors the CRF can only guess one type for all;
 * with them L-BFGS and SGD both learn it. */
static nerkit_model *train_on_vectors(const nerkit_corpus *c, const char *optimizer,
                                      const char *const *words, size_t nwords, const float *vec)
{
    const char *types[] = {"LOC", "PER"};
    size_t lens[] = {3, 3};
    nk_featcfg feat = {NERKIT_FEAT_WORD | NERKIT_FEAT_SHAPE | NERKIT_FEAT_WINDOW, 12};
    nerkit_model *m = nk_model_new("crf", NERKIT_SCHEME_IOB2, types, lens, 2, &feat, NULL);
    assert_non_null(m);
    if (vec)
        give_vectors(m, words, nwords, 4, vec);
    nk_trainset ts;
    assert_int_equal(nk_trainset_build(&ts, c, m, NULL, NULL), NERKIT_OK);
    nerkit_train_opts o;
    small_run(&o, optimizer, 0, 1);
    nerkit_error err;
    int rc = nk_train_crf(m, &ts, NULL, &o, NULL, NULL, &err);
    if (rc)
        print_error("%s\n", err.message);
    assert_int_equal(rc, NERKIT_OK);
    nk_trainset_free(&ts);
    return m;
}

static void test_learns_from_vectors(void **state)
{
    (void)state;
    enum { NAMES = 40, WORDS = NAMES + 3 };
    static char name[NAMES][8];
    const char *words[WORDS] = {"the", "arrived", "."};
    float vec[WORDS * 4];
    bool person[NAMES];
    uint64_t s = 11;
    for (size_t k = 0; k < WORDS * 4; k++)
        vec[k] = (float)uniform(-0.3, 0.3);
    for (size_t i = 0; i < NAMES; i++) {
        snprintf(name[i], sizeof name[i], "w%02zu", i);
        words[3 + i] = name[i];
        person[i] = pick(&s, 2);
        vec[(3 + i) * 4 + (person[i] ? 0 : 1)] += 1;
    }
    /* names 0-19 in training, 20-39 in the test */
    char *text[2];
    for (int t = 0; t < 2; t++) {
        size_t cap = 40000, len = (size_t)snprintf(text[t] = malloc(cap), cap, "-DOCSTART- O\n\n");
        for (size_t k = 0; k < 300; k++) {
            size_t i = (size_t)t * NAMES / 2 + pick(&s, NAMES / 2);
            len += (size_t)snprintf(text[t] + len, cap - len, "the O\n%s B-%s\narrived O\n. O\n\n",
                                    name[i], person[i] ? "PER" : "LOC");
        }
    }
    nerkit_corpus *tr = parse(text[0]), *te = parse(text[1]);
    nerkit_model *blind = train_on_vectors(tr, "lbfgs", words, WORDS, NULL);
    double f1 = f1_on(blind, te);
    if (f1 >= 70)
        print_error("without vectors: F1 %.2f\n", f1);
    assert_true(f1 < 70);
    nerkit_model_free(blind);
    const char *optimizers[] = {"lbfgs", "sgd"};
    for (size_t k = 0; k < 2; k++) {
        nerkit_model *m = train_on_vectors(tr, optimizers[k], words, WORDS, vec);
        f1 = f1_on(m, te);
        if (f1 < 99)
            print_error("%s with vectors: F1 %.2f\n", optimizers[k], f1);
        assert_true(f1 >= 99);
        nerkit_model_free(m);
    }
    nerkit_corpus_free(tr);
    nerkit_corpus_free(te);
    free(text[0]);
    free(text[1]);
}

/* A stop request (what nerkit-train's SIGINT handler makes) ends CRF
 * training with NERKIT_ERR_INTERRUPTED and no model, by either optimizer;
 * here the progress callback asks after the second round. */
static int stop_after_two(const nerkit_progress *p, void *user)
{
    if (p->epoch >= 2)
        *(volatile sig_atomic_t *)user = 1;
    return 0;
}

static void test_stop_request(void **state)
{
    (void)state;
    char *text = synthetic(300, 0, 1);
    nerkit_corpus *c = parse(text);
    const char *optimizers[] = {"lbfgs", "sgd"};
    for (size_t k = 0; k < 2; k++) {
        volatile sig_atomic_t stop = 0;
        nerkit_train_opts o;
        small_run(&o, optimizers[k], 0, 1);
        o.algorithm = "crf";
        o.hash_bits = 14;
        o.stop = &stop;
        nerkit_error err = {0};
        nerkit_model *m = nerkit_train(c, NULL, &o, stop_after_two, (void *)&stop, &err);
        if (m || err.code != NERKIT_ERR_INTERRUPTED)
            fail_msg("%s: model %p, code %d (%s)", optimizers[k], (void *)m, (int)err.code,
                     err.message);
        assert_non_null(strstr(err.message, k == 0 ? "interrupted after iteration 3"
                                                   : "interrupted in pass 3"));
    }
    nerkit_corpus_free(c);
    free(text);
}

static void test_bad_options(void **state)
{
    (void)state;
    char *text = synthetic(10, 0, 3);
    nerkit_corpus *c = parse(text);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.algorithm = "crf";
    o.hash_bits = 12;
    nerkit_error err;
    o.optimizer = "newton";
    assert_null(nerkit_train(c, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "newton"));
    o.optimizer = "sgd";
    o.l1 = 1;
    assert_null(nerkit_train(c, NULL, &o, NULL, NULL, &err));
    assert_non_null(strstr(err.message, "L1"));
    nerkit_corpus_free(c);
    free(text);
}

/* ---- the public calls */

typedef struct {
    nerkit_model *crf, *perceptron;
    nerkit_corpus *test;
    char *text[2];
} models;

static int setup_models(void **state)
{
    models *M = calloc(1, sizeof *M);
    M->text[0] = synthetic(200, 0, 5);
    M->text[1] = synthetic(60, 1, 6);
    nerkit_corpus *tr = parse(M->text[0]);
    M->test = parse(M->text[1]);
    /* a weakly trained CRF, so that probabilities are not all near 1 */
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.algorithm = "crf";
    o.hash_bits = 14;
    o.iterations = 8;
    o.l2 = 5;
    nerkit_error err;
    M->crf = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    M->perceptron = train(tr, "perceptron", NULL, 0, 0);
    nerkit_corpus_free(tr);
    *state = M;
    return M->crf && M->perceptron ? 0 : -1;
}

static int teardown_models(void **state)
{
    models *M = *state;
    nerkit_model_free(M->crf);
    nerkit_model_free(M->perceptron);
    nerkit_corpus_free(M->test);
    free(M->text[0]);
    free(M->text[1]);
    free(M);
    return 0;
}

/* Entity probabilities through the public call equal brute-force sums
 * over the model's own scores, and the labels are nerkit_tag_document's. */
static void test_confidence_api(void **state)
{
    models *M = *state;
    nerkit_error err;
    nerkit_tagger *t = nerkit_tagger_new(M->crf, &err);
    assert_non_null(t);
    const size_t L = nerkit_model_nlabels(M->crf);
    /* sentences short enough to enumerate */
    const char *tok[] = {"Mr",   "Greta", "Lutz", "went", "in", "Riga",  ".",    "Gamma",
                         "Corp", "fell",  "Hugo", "said", "to", "Vaduz", "Helix"};
    size_t len[15], sent[] = {4, 3, 3, 2, 3};
    for (size_t i = 0; i < 15; i++)
        len[i] = strlen(tok[i]);
    nerkit_document doc = {tok, len, 15, sent, 5};
    uint16_t plain[15], labels[15];
    nerkit_entity ents[15], spans[15];
    size_t nents;
    assert_int_equal(nerkit_tag_document(t, &doc, plain, &err), NERKIT_OK);
    assert_int_equal(nerkit_tag_confidence(t, &doc, labels, ents, &nents, &err), NERKIT_OK);
    assert_memory_equal(plain, labels, sizeof labels);
    assert_int_equal(nerkit_entities(labels, 15, spans), nents);
    assert_true(nents >= 4);
    const float *em;
    assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);
    size_t first = 0, e = 0, uncertain = 0;
    for (size_t s = 0; s < doc.nsentences; first += sent[s++]) {
        brute B;
        brute_sums(&M->crf->lat, em + first * L, M->crf->trans, sent[s], &B);
        for (; e < nents && ents[e].start < first + sent[s]; e++) {
            assert_true(ents[e].start == spans[e].start && ents[e].end == spans[e].end &&
                        ents[e].type == spans[e].type);
            double want =
                B.span[ents[e].start - first][ents[e].end - 1 - first][ents[e].type] / B.z;
            assert_close(ents[e].prob, want, 1e-9);
            uncertain += ents[e].prob < 0.9;
        }
    }
    assert_int_equal(e, nents);
    assert_true(uncertain > 0);
    nerkit_tagger_free(t);

    /* a perceptron model has no probabilities, and says so */
    t = nerkit_tagger_new(M->perceptron, &err);
    assert_false(nerkit_model_has_probabilities(M->perceptron));
    assert_int_equal(nerkit_tag_confidence(t, &doc, labels, ents, &nents, &err),
                     NERKIT_ERR_UNSUPPORTED);
    assert_int_equal(err.code, NERKIT_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "perceptron"));
    nerkit_tagger_free(t);
}

/* Mean -log P(gold labels) of c's sentences under m with its scores
 * multiplied by s. */
static double gold_nll(nerkit_model *m, const nerkit_corpus *c, double s)
{
    nerkit_error err;
    nk_trainset ts = {0};
    assert_int_equal(nk_trainset_build(&ts, c, m, NULL, &err), NERKIT_OK);
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    const size_t L = m->nlabels;
    nk_fb fb = {0};
    assert_int_equal(nk_fb_reserve(&fb, L, ts.longest, &err), NERKIT_OK);
    double nll = 0;
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(c, d, &doc);
        const float *em;
        assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);
        for (size_t k = 0, a = 0; k < doc.nsentences; a += doc.sentence_len[k++]) {
            size_t n = doc.sentence_len[k];
            for (size_t i = 0; i < L * L; i++)
                fb.T[i] = s * m->trans[i];
            nk_fb_transitions(&fb, &m->lat);
            for (size_t i = 0; i < n * L; i++)
                fb.E[i] = s * em[a * L + i];
            assert_true(nk_fb_forward(&fb, &m->lat, n));
            nk_fb_backward(&fb, &m->lat, n);
            nll -= log(nk_fb_path(&fb, 0, ts.gold + first + a, n));
        }
    }
    nk_fb_free(&fb);
    nerkit_tagger_free(t);
    nk_trainset_free(&ts);
    return nll / (double)nerkit_corpus_nsentences(c);
}

/* A perceptron trained with a dev set gets the scale that maximises the
 * likelihood of the dev labels, and its confidences are the probabilities
 * of its scaled scores; without a dev set it has none unless given one. */
static void test_perceptron_probabilities(void **state)
{
    models *M = *state;
    nerkit_corpus *tr = parse(M->text[0]);
    /* a dev set the model cannot get all right (every other place called
     * an organisation), or the likeliest scale would be infinite */
    char *noisy = strdup(M->text[1]);
    bool flip = false;
    for (char *p = noisy; (p = strstr(p, "B-LOC")); p += 5, flip = !flip)
        if (flip)
            memcpy(p, "B-ORG", 5);
    nerkit_corpus *dev = parse(noisy);
    nerkit_train_opts o;
    small_run(&o, NULL, 0, 0);
    o.algorithm = "perceptron";
    o.hash_bits = 14;
    nerkit_error err;
    nerkit_model *m = nerkit_train(tr, dev, &o, NULL, NULL, &err);
    assert_non_null(m);
    assert_true(nerkit_model_has_probabilities(m));
    double s = nerkit_model_prob_scale(m);
    assert_true(s > 0);
    double at = gold_nll(m, dev, s);
    assert_true(at > 0.01);
    assert_true(at < gold_nll(m, dev, s * 0.9));
    assert_true(at < gold_nll(m, dev, s * 1.1));

    /* a confidence is the span's probability under the scaled scores */
    const char *tok[] = {"Mr", "Greta", "Lutz", "went"};
    size_t len[4] = {2, 5, 4, 4}, sent[] = {4};
    nerkit_document doc = {tok, len, 4, sent, 1};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    uint16_t labels[4];
    nerkit_entity ents[4];
    size_t nents;
    assert_int_equal(nerkit_tag_confidence(t, &doc, labels, ents, &nents, &err), NERKIT_OK);
    assert_true(nents >= 1);
    const float *em;
    assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);
    const size_t L = m->nlabels;
    float sem[4 * MAXL], strans[MAXL * MAXL];
    for (size_t i = 0; i < 4 * L; i++)
        sem[i] = (float)(s * em[i]);
    for (size_t i = 0; i < L * L; i++)
        strans[i] = (float)(s * m->trans[i]);
    brute B;
    brute_sums(&m->lat, sem, strans, 4, &B);
    for (size_t e = 0; e < nents; e++)
        assert_close(ents[e].prob, B.span[ents[e].start][ents[e].end - 1][ents[e].type] / B.z,
                     1e-5);
    nerkit_tagger_free(t);
    nerkit_model_free(m);

    /* no dev set: no probabilities, unless a scale is given */
    m = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    assert_false(nerkit_model_has_probabilities(m));
    nerkit_model_free(m);
    o.prob_scale = 0.25;
    m = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    assert_true(nerkit_model_prob_scale(m) == 0.25);
    nerkit_model_free(m);
    o.algorithm = "crf";
    assert_null(nerkit_train(tr, NULL, &o, NULL, NULL, &err));
    assert_non_null(strstr(err.message, "probability scale"));
    nerkit_corpus_free(tr);
    nerkit_corpus_free(dev);
    free(noisy);
}

static void test_entities(void **state)
{
    (void)state;
    const uint16_t labels[] = {0,
                               NK_LABEL(1, NK_U),
                               NK_LABEL(0, NK_B),
                               NK_LABEL(0, NK_I),
                               NK_LABEL(0, NK_L),
                               NK_LABEL(2, NK_B),
                               NK_LABEL(2, NK_L),
                               NK_LABEL(1, NK_B),
                               0};
    nerkit_entity e[9];
    assert_int_equal(nerkit_entities(labels, 9, e), 3);
    assert_true(e[0].start == 1 && e[0].end == 2 && e[0].type == 1 && e[0].prob == -1);
    assert_true(e[1].start == 2 && e[1].end == 5 && e[1].type == 0);
    assert_true(e[2].start == 5 && e[2].end == 7 && e[2].type == 2);
}

/* n-best through the public call: rank 0 is the Viterbi labelling, scores
 * and probabilities fall with rank, probabilities equal exp(score - log Z)
 * by brute force, and a sentence with fewer sequences than k says so. */
static void test_nbest_api(void **state)
{
    models *M = *state;
    nerkit_error err;
    nerkit_tagger *t = nerkit_tagger_new(M->crf, &err);
    const size_t k = 4;
    const char *tok[] = {"Mr", "Greta", "Lutz", "went", "home", ".", "Riga"};
    size_t len[] = {2, 5, 4, 4, 4, 1, 4}, sent[] = {6, 1};
    nerkit_document doc = {tok, len, 7, sent, 2};
    uint16_t plain[7], labels[4 * 7];
    double scores[4 * 2], probs[4 * 2];
    size_t found[2];
    assert_int_equal(nerkit_tag_document(t, &doc, plain, &err), NERKIT_OK);
    assert_int_equal(nerkit_tag_nbest(t, &doc, k, labels, scores, probs, found, &err), NERKIT_OK);
    assert_memory_equal(labels, plain, sizeof plain);
    assert_int_equal(found[0], k);
    /* one token: O or U- of one of 3 types */
    assert_int_equal(found[1], 4);
    const float *em;
    assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);
    nk_fb f = {0};
    run_fb(&f, &M->crf->lat, em, M->crf->trans, 6);
    for (size_t r = 0; r < k; r++) {
        if (r > 0) {
            assert_true(scores[r * 2] <= scores[(r - 1) * 2]);
            assert_true(probs[r * 2] <= probs[(r - 1) * 2]);
        }
        assert_close(probs[r * 2], exp(scores[r * 2] - f.logz), 1e-9);
        assert_close(probs[r * 2], nk_fb_path(&f, 0, labels + r * 7, 6), 1e-9);
    }
    double sum = 0;
    for (size_t r = 0; r < 4; r++)
        sum += probs[r * 2 + 1];
    assert_close(sum, 1.0, 1e-6);
    nk_fb_free(&f);

    /* ranks past what a sentence has: O, -inf, 0 */
    uint16_t lab6[6 * 7];
    double sc6[6 * 2], pr6[6 * 2];
    assert_int_equal(nerkit_tag_nbest(t, &doc, 6, lab6, sc6, pr6, found, &err), NERKIT_OK);
    assert_int_equal(found[1], 4);
    assert_true(lab6[4 * 7 + 6] == 0 && isinf(sc6[4 * 2 + 1]) && pr6[5 * 2 + 1] == 0);
    assert_int_equal(nerkit_tag_nbest(t, &doc, 0, lab6, sc6, pr6, found, &err), NERKIT_ERR_ARG);
    nerkit_tagger_free(t);

    /* a perceptron model: scores, and probabilities -1 */
    t = nerkit_tagger_new(M->perceptron, &err);
    assert_int_equal(nerkit_tag_nbest(t, &doc, k, labels, scores, probs, found, &err), NERKIT_OK);
    assert_true(probs[0] == -1 && scores[0] >= scores[2]);
    nerkit_tagger_free(t);
}

static void test_calibration(void **state)
{
    models *M = *state;
    nerkit_error err;
    nerkit_tagger *t = nerkit_tagger_new(M->crf, &err);
    nerkit_calibration_bin bins[10];
    double ece = -1;
    assert_int_equal(nerkit_calibration(t, M->test, bins, 10, &ece, &err), NERKIT_OK);
    size_t total = 0;
    double gap = 0;
    for (size_t b = 0; b < 10; b++) {
        assert_true(bins[b].correct <= bins[b].count);
        if (bins[b].count) {
            assert_true(bins[b].confidence >= b / 10.0 && bins[b].confidence <= (b + 1) / 10.0);
            gap += fabs((double)bins[b].correct - bins[b].confidence * (double)bins[b].count);
        }
        total += bins[b].count;
    }
    assert_true(total > 50);
    assert_close(ece, gap / (double)total, 1e-12);
    assert_true(ece >= 0 && ece <= 1);
    /* the same text with every place relabelled an organisation: the
     * same entities are predicted, and the LOC ones are now wrong */
    char *moved = strdup(M->text[1]);
    for (char *p = moved; (p = strstr(p, "B-LOC")); p += 5)
        memcpy(p, "B-ORG", 5);
    nerkit_corpus *wrong = parse(moved);
    nerkit_calibration_bin wbins[10];
    assert_int_equal(nerkit_calibration(t, wrong, wbins, 10, &ece, &err), NERKIT_OK);
    size_t right = 0, wright = 0, wtotal = 0;
    for (size_t b = 0; b < 10; b++) {
        right += bins[b].correct;
        wright += wbins[b].correct;
        wtotal += wbins[b].count;
    }
    assert_int_equal(wtotal, total);
    assert_true(wright + 10 < right);
    nerkit_corpus_free(wrong);
    free(moved);
    nerkit_tagger_free(t);
    t = nerkit_tagger_new(M->perceptron, &err);
    assert_int_equal(nerkit_calibration(t, M->test, bins, 10, &ece, &err), NERKIT_ERR_UNSUPPORTED);
    nerkit_tagger_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marginals_brute_force),
        cmocka_unit_test(test_span_probability_brute_force),
        cmocka_unit_test(test_nbest_brute_force),
        cmocka_unit_test(test_entities),
        cmocka_unit_test(test_gradient_finite_differences),
        cmocka_unit_test(test_gradient_dense),
        cmocka_unit_test(test_learns_synthetic_task),
        cmocka_unit_test(test_learns_from_vectors),
        cmocka_unit_test(test_stop_request),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test_setup_teardown(test_confidence_api, setup_models, teardown_models),
        cmocka_unit_test_setup_teardown(test_nbest_api, setup_models, teardown_models),
        cmocka_unit_test_setup_teardown(test_calibration, setup_models, teardown_models),
        cmocka_unit_test_setup_teardown(test_perceptron_probabilities, setup_models,
                                        teardown_models),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
