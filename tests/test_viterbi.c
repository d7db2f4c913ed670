/*
 * Unit tests for BILOU Viterbi decoding: on many small random instances the
 * decoder's best path must score exactly what brute-force enumeration of
 * every valid BILOU sequence finds, and must itself be valid. Validity is
 * derived here independently of the library's lattice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "../src/decode/decode.h"

enum { MAX_TYPES = 2, MAX_L = 1 + 4 * MAX_TYPES, MAX_N = 6 };

/* ------------------------------------------------ independent validity */

/* Label y as (type, part) without the library's macros: 0 is O, then 4 per
 * type in the order B, I, L, U. */
static int part_of(int y) { return y == 0 ? -1 : (y - 1) % 4; }
static int type_of(int y) { return y == 0 ? -1 : (y - 1) / 4; }

enum { PB = 0, PI = 1, PL = 2, PU = 3 };

/* State machine: outside (-1) or inside an open entity of type t. */
static bool step(int *inside, int y)
{
    int p = part_of(y), t = type_of(y);
    if (*inside < 0) {
        /* outside: O, B-t or U-t */
        if (y == 0 || p == PU)
            return true;
        if (p == PB) {
            *inside = t;
            return true;
        }
        return false; /* I or L without a B */
    }
    /* inside type t: only I-t or L-t */
    if (t != *inside)
        return false;
    if (p == PI)
        return true;
    if (p == PL) {
        *inside = -1;
        return true;
    }
    return false;
}

static bool valid_sequence(const uint16_t *path, size_t n, size_t L)
{
    int inside = -1;
    for (size_t i = 0; i < n; i++) {
        if (path[i] >= L || !step(&inside, path[i]))
            return false;
    }
    return inside < 0;
}

static double path_score(const float *em, const float *trans, size_t L, const uint16_t *path,
                         size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        s += em[i * L + path[i]];
        if (i > 0)
            s += trans[path[i - 1] * L + path[i]];
    }
    return s;
}

/* Depth-first enumeration of every valid sequence, pruning invalid prefixes. */
typedef struct {
    const float *em, *trans;
    size_t L, n;
    uint16_t cur[MAX_N];
    double best;
    size_t count;
} search;

static void enumerate(search *s, size_t i, int inside, double acc)
{
    if (i == s->n) {
        if (inside < 0) {
            s->count++;
            if (acc > s->best)
                s->best = acc;
        }
        return;
    }
    for (size_t y = 0; y < s->L; y++) {
        int in = inside;
        if (!step(&in, (int)y))
            continue;
        double a = acc + s->em[i * s->L + y];
        if (i > 0)
            a += s->trans[s->cur[i - 1] * s->L + y];
        s->cur[i] = (uint16_t)y;
        enumerate(s, i + 1, in, a);
    }
}

/* Number of valid sequences of length n over ntypes types, by a separate
 * count (dynamic programming over outside / inside-type). */
static size_t count_valid(size_t ntypes, size_t n)
{
    /* out: ways to be outside after k tokens; in: inside a given type */
    size_t out = 1, in = 0;
    for (size_t k = 0; k < n; k++) {
        /* outside -> outside by O or U-t; -> inside t by B-t; inside -> inside by I, -> out by L */
        size_t nout = out * (1 + ntypes) + in * ntypes;
        size_t nin = out + in; /* per type */
        out = nout;
        in = nin;
    }
    return out;
}

/* ------------------------------------------------------------------ rng */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static float rnd_float(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)((rng_next(s) >> 11) * (1.0 / 9007199254740992.0));
}

/* ---------------------------------------------------------------- tests */

static void test_lattice_matches_rules(void **state)
{
    (void)state;
    for (size_t nt = 1; nt <= 3; nt++) {
        nk_lattice lat;
        assert_int_equal(nk_lattice_init(&lat, nt, NULL), NERKIT_OK);
        size_t L = 1 + 4 * nt;
        assert_int_equal(lat.nlabels, L);
        for (size_t y = 0; y < L; y++) {
            /* start: allowed exactly when valid from outside */
            int in = -1;
            assert_int_equal(lat.can_start[y], step(&in, (int)y));
            /* end: allowed when the label leaves us outside (O, L, U) */
            int p = part_of((int)y);
            assert_int_equal(lat.can_end[y], y == 0 || p == PL || p == PU);
            /* predecessors: exactly the labels x with x -> y valid */
            bool listed[1 + 4 * 3] = {false};
            for (size_t k = lat.pred_start[y]; k < lat.pred_start[y + 1]; k++) {
                assert_true(lat.pred[k] < L);
                assert_false(listed[lat.pred[k]]);
                listed[lat.pred[k]] = true;
            }
            for (size_t x = 0; x < L; x++) {
                /* after x, are we inside? */
                int px = part_of((int)x);
                int state_after = (x != 0 && (px == PB || px == PI)) ? type_of((int)x) : -1;
                bool ok = step(&state_after, (int)y);
                if (listed[x] != ok)
                    fail_msg("ntypes %zu: %zu -> %zu listed %d, valid %d", nt, x, y, listed[x],
                             ok);
            }
        }
        nk_lattice_free(&lat);
    }
}

static void test_count_valid_sequences(void **state)
{
    (void)state;
    /* the enumerator visits exactly as many sequences as counted separately */
    static float zeros[MAX_N * MAX_L], tzeros[MAX_L * MAX_L];
    for (size_t nt = 1; nt <= MAX_TYPES; nt++)
        for (size_t n = 1; n <= MAX_N; n++) {
            search s = {zeros, tzeros, 1 + 4 * nt, n, {0}, -INFINITY, 0};
            enumerate(&s, 0, -1, 0);
            assert_int_equal(s.count, count_valid(nt, n));
        }
    /* hand-checked: 1 type, 1 token: O, U; 2 tokens: OO OU UO UU BL = 5 */
    assert_int_equal(count_valid(1, 1), 2);
    assert_int_equal(count_valid(1, 2), 5);
}

/* Runs one instance and compares decoder and enumeration. */
static void check_instance(size_t ntypes, size_t n, const float *em, const float *trans)
{
    nk_lattice lat;
    assert_int_equal(nk_lattice_init(&lat, ntypes, NULL), NERKIT_OK);
    size_t L = lat.nlabels;
    float prep[MAX_L * MAX_L + 64], work[MAX_N * 16];
    assert_true(nk_viterbi_prep_size(&lat) <= sizeof prep / sizeof *prep);
    assert_true(n * lat.stride <= sizeof work / sizeof *work);
    uint16_t path[MAX_N];
    for (size_t i = 0; i < n; i++)
        path[i] = 0xFFFF;
    nk_viterbi_prepare(&lat, trans, prep);
    nk_viterbi(&lat, prep, em, n, work, path);
    nk_lattice_free(&lat);

    search s = {em, trans, L, n, {0}, -INFINITY, 0};
    enumerate(&s, 0, -1, 0);
    assert_true(s.count > 0);

    if (!valid_sequence(path, n, L)) {
        char buf[128] = "";
        for (size_t i = 0; i < n; i++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %u", path[i]);
        fail_msg("ntypes %zu n %zu: invalid path%s", ntypes, n, buf);
    }
    double got = path_score(em, trans, L, path, n);
    if (fabs(got - s.best) > 1e-4)
        fail_msg("ntypes %zu n %zu: Viterbi path scores %.6f, best valid path %.6f", ntypes, n,
                 got, s.best);
}

static void test_random_instances_match_brute_force(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    size_t instances = 0;
    for (int rep = 0; rep < 150; rep++)
        for (size_t nt = 1; nt <= MAX_TYPES; nt++)
            for (size_t n = 1; n <= MAX_N; n++) {
                size_t L = 1 + 4 * nt;
                float em[MAX_N * MAX_L], trans[MAX_L * MAX_L];
                for (size_t k = 0; k < n * L; k++)
                    em[k] = rnd_float(&rng, -3, 3);
                for (size_t k = 0; k < L * L; k++)
                    trans[k] = rnd_float(&rng, -3, 3);
                check_instance(nt, n, em, trans);
                instances++;
            }
    assert_int_equal(instances, 150 * MAX_TYPES * MAX_N);
}

/* Forbidden transitions and forbidden starts / ends with huge scores must
 * not tempt the decoder. */
static void test_forbidden_moves_are_never_taken(void **state)
{
    (void)state;
    uint64_t rng = 777;
    for (int rep = 0; rep < 100; rep++)
        for (size_t nt = 1; nt <= MAX_TYPES; nt++)
            for (size_t n = 1; n <= MAX_N; n++) {
                size_t L = 1 + 4 * nt;
                float em[MAX_N * MAX_L], trans[MAX_L * MAX_L];
                for (size_t i = 0; i < n; i++)
                    for (size_t y = 0; y < L; y++) {
                        float e = rnd_float(&rng, -1, 1);
                        int p = part_of((int)y);
                        /* I- and L- look great at the start, B- and I- at the end */
                        if (i == 0 && (p == PI || p == PL))
                            e += 50;
                        if (i == n - 1 && (p == PB || p == PI))
                            e += 50;
                        em[i * L + y] = e;
                    }
                for (size_t x = 0; x < L; x++)
                    for (size_t y = 0; y < L; y++) {
                        int px = part_of((int)x);
                        int st = (x != 0 && (px == PB || px == PI)) ? type_of((int)x) : -1;
                        bool ok = step(&st, (int)y);
                        trans[x * L + y] = ok ? rnd_float(&rng, -1, 1) : 100;
                    }
                check_instance(nt, n, em, trans);
            }
}

/* A hand-made case: strong evidence for a two-token PER entity. */
static void test_hand_made_case(void **state)
{
    (void)state;
    nk_lattice lat;
    assert_int_equal(nk_lattice_init(&lat, 2, NULL), NERKIT_OK);
    enum { L = 9, N = 4 };
    float em[N * L] = {0}, trans[L * L] = {0};
    /* token 1 looks like B-type1, token 2 like L-type1, token 3 like U-type0 */
    em[0 * L + 0] = 1;
    em[1 * L + NK_LABEL(1, NK_B)] = 2;
    em[2 * L + NK_LABEL(1, NK_L)] = 2;
    em[3 * L + NK_LABEL(0, NK_U)] = 2;
    float prep[L * L + 64], work[N * 16];
    uint16_t path[N];
    nk_viterbi_prepare(&lat, trans, prep);
    nk_viterbi(&lat, prep, em, N, work, path);
    assert_int_equal(path[0], 0);
    assert_int_equal(path[1], NK_LABEL(1, NK_B));
    assert_int_equal(path[2], NK_LABEL(1, NK_L));
    assert_int_equal(path[3], NK_LABEL(0, NK_U));
    /* a transition penalty against B-1 -> L-1 that outweighs the emissions
     * turns the pair into something else that is still valid */
    trans[NK_LABEL(1, NK_B) * L + NK_LABEL(1, NK_L)] = -10;
    nk_viterbi_prepare(&lat, trans, prep);
    nk_viterbi(&lat, prep, em, N, work, path);
    assert_true(valid_sequence(path, N, L));
    assert_false(path[1] == NK_LABEL(1, NK_B) && path[2] == NK_LABEL(1, NK_L));
    nk_lattice_free(&lat);
}

/* The decoder keeps no back-pointers: it finds each step's best predecessor
 * again on the way back. Ties must still go where a decoder with
 * back-pointers sends them (the first best predecessor in label order, the
 * first best last label), or a new build would tag text differently from
 * the last. The reference below is that decoder, written from the rules
 * (step) alone; scores are small integers, so ties are everywhere. */
static void reference_path(size_t L, const float *em, size_t n, const float *trans,
                           uint16_t *path)
{
    enum { MAX_LONG = 40, MAX_LABELS = 21 };
    float score[MAX_LONG][MAX_LABELS];
    uint16_t back[MAX_LONG][MAX_LABELS];
    assert_true(n <= MAX_LONG && L <= MAX_LABELS);
    for (size_t y = 0; y < L; y++) {
        int inside = -1;
        score[0][y] = step(&inside, (int)y) ? em[y] : -INFINITY;
    }
    for (size_t t = 1; t < n; t++)
        for (size_t y = 0; y < L; y++) {
            float best = -INFINITY;
            uint16_t arg = 0;
            for (size_t p = 0; p < L; p++) {
                int px = part_of((int)p);
                int inside = (p != 0 && (px == PB || px == PI)) ? type_of((int)p) : -1;
                if (!step(&inside, (int)y))
                    continue;
                float v = score[t - 1][p] + trans[p * L + y];
                if (v > best) {
                    best = v;
                    arg = (uint16_t)p;
                }
            }
            score[t][y] = best + em[t * L + y];
            back[t][y] = arg;
        }
    float best = -INFINITY;
    uint16_t arg = 0;
    for (size_t y = 0; y < L; y++) {
        int py = part_of((int)y);
        bool ends = y == 0 || py == PL || py == PU;
        if (ends && score[n - 1][y] > best) {
            best = score[n - 1][y];
            arg = (uint16_t)y;
        }
    }
    path[n - 1] = arg;
    for (size_t t = n - 1; t > 0; t--)
        path[t - 1] = back[t][path[t]];
}

static void test_ties_break_as_with_back_pointers(void **state)
{
    (void)state;
    enum { TYPES = 5, LL = 1 + 4 * TYPES, LONG = 40 };
    uint64_t rng = 4242;
    for (int rep = 0; rep < 400; rep++) {
        size_t nt = 1 + rep % TYPES, L = 1 + 4 * nt, n = 1 + rng_next(&rng) % LONG;
        float em[LONG * LL], trans[LL * LL], prep[LL * LL + 256], work[LONG * 32];
        for (size_t k = 0; k < n * L; k++)
            em[k] = (float)(rng_next(&rng) % 3);
        for (size_t k = 0; k < L * L; k++)
            trans[k] = (float)(rng_next(&rng) % 3) - 1;
        nk_lattice lat;
        assert_int_equal(nk_lattice_init(&lat, nt, NULL), NERKIT_OK);
        assert_true(nk_viterbi_prep_size(&lat) <= sizeof prep / sizeof *prep);
        assert_true(n * lat.stride <= sizeof work / sizeof *work);
        uint16_t got[LONG], want[LONG];
        nk_viterbi_prepare(&lat, trans, prep);
        nk_viterbi(&lat, prep, em, n, work, got);
        nk_lattice_free(&lat);
        reference_path(L, em, n, trans, want);
        for (size_t i = 0; i < n; i++)
            if (got[i] != want[i])
                fail_msg("types %zu, %zu tokens: label %zu is %u, a decoder with back-pointers "
                         "gives %u", nt, n, i, got[i], want[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lattice_matches_rules),
        cmocka_unit_test(test_count_valid_sequences),
        cmocka_unit_test(test_random_instances_match_brute_force),
        cmocka_unit_test(test_forbidden_moves_are_never_taken),
        cmocka_unit_test(test_hand_made_case),
        cmocka_unit_test(test_ties_break_as_with_back_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
