/*
 * Non-local features (nk_nonlocal_extract) and the tagger's second pass:
 * a token's features come from the first-pass labels of the other mentions
 * of its word, never its own, and a model with the nonlocal group retags a
 * later "Trump" that its first pass missed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/core/core.h"
#include "../train/trainer.h"

enum { MAXTOK = 16 };

typedef struct {
    const char *tok[MAXTOK];
    size_t len[MAXTOK], sent[MAXTOK];
    uint64_t lower[MAXTOK];
    uint32_t slots[MAXTOK * NK_NL_MAX];
    uint8_t count[MAXTOK];
    nerkit_document doc;
} nldoc;

/* The non-local features of tokens (sentences of sl tokens) under first-pass
 * labels. */
static void extract(nldoc *d, const char *const *tokens, size_t n, const size_t *sl, size_t nsent,
                    const uint16_t *labels)
{
    assert_true(n <= MAXTOK);
    for (size_t i = 0; i < n; i++) {
        d->tok[i] = tokens[i];
        d->len[i] = strlen(tokens[i]);
        d->lower[i] = nk_lower_hash(tokens[i], d->len[i]);
    }
    memcpy(d->sent, sl, nsent * sizeof *sl);
    d->doc = (nerkit_document){d->tok, d->len, n, d->sent, nsent};
    nk_nltab tab = {0};
    nerkit_error err = {0};
    assert_int_equal(nk_nonlocal_extract(&tab, d->lower, labels, n, 20, d->slots, d->count, &err),
                     NERKIT_OK);
    nk_nltab_free(&tab);
}

#define PER(part) NK_LABEL(0, part)
#define LOC(part) NK_LABEL(1, part)
#define ORG(part) NK_LABEL(2, part)

/* "Donald Trump" tagged PER, a later "Trump" missed: the later one gets
 * both features, the earlier one none (its other mention says O). */
static void test_later_mention(void **state)
{
    (void)state;
    static const char *const toks[] = {"Donald", "Trump", "met",   "Smith",
                                       ".",      "Trump", "spoke", "."};
    static const size_t sl[] = {5, 3};
    static const uint16_t lab[] = {PER(NK_B), PER(NK_L), 0, PER(NK_U), 0, 0, 0, 0};
    nldoc d;
    extract(&d, toks, 8, sl, 2, lab);
    assert_int_equal(d.count[5], 2);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(d.count[i], 0);
    assert_int_equal(d.count[6], 0);
    for (size_t k = 0; k < 2; k++)
        assert_true(d.slots[5 * NK_NL_MAX + k] < (1u << 20));
    assert_int_not_equal(d.slots[5 * NK_NL_MAX], d.slots[5 * NK_NL_MAX + 1]);
}

/* Lower-cased words match ("TRUMP" and "Trump"); a word seen once has no
 * other mention, so no feature, whatever its label. */
static void test_case_and_single_mention(void **state)
{
    (void)state;
    static const char *const toks[] = {"TRUMP", "visits", "Oslo", "Trump"};
    static const size_t sl[] = {4};
    static const uint16_t lab[] = {PER(NK_U), 0, LOC(NK_U), 0};
    nldoc d;
    extract(&d, toks, 4, sl, 1, lab);
    assert_int_equal(d.count[2], 0);
    assert_int_equal(d.count[3], 2);
    assert_int_equal(d.count[0], 0);
}

/* The majority type leaves out the token's own label: with Paris tagged
 * LOC, LOC, ORG the ORG one sees "all LOC", each LOC one sees "half LOC". */
static void test_majority_leaves_out_own_label(void **state)
{
    (void)state;
    static const char *const toks[] = {"Paris", "Paris", "Paris"};
    static const size_t sl[] = {1, 1, 1};
    static const uint16_t lab[] = {LOC(NK_U), LOC(NK_U), ORG(NK_U)};
    nldoc d;
    extract(&d, toks, 3, sl, 3, lab);
    /* token 0: majority only; tokens 1 and 2: majority, then the previous
     * entity label (LOC U for both) */
    assert_int_equal(d.count[0], 1);
    assert_int_equal(d.count[1], 2);
    assert_int_equal(d.count[2], 2);
    assert_int_equal(d.slots[0], d.slots[1 * NK_NL_MAX]);
    assert_int_not_equal(d.slots[0], d.slots[2 * NK_NL_MAX]);
    assert_int_equal(d.slots[1 * NK_NL_MAX + 1], d.slots[2 * NK_NL_MAX + 1]);
}

/* Many mentions stay linear and exact: 12 "Smith"s, the first 8 PER. */
static void test_many_mentions(void **state)
{
    (void)state;
    const char *toks[12];
    size_t sl[12];
    uint16_t lab[12];
    for (size_t i = 0; i < 12; i++) {
        toks[i] = "Smith";
        sl[i] = 1;
        lab[i] = i < 8 ? PER(NK_U) : 0;
    }
    nldoc d;
    extract(&d, toks, 12, sl, 12, lab);
    /* every later O one sees 8 of 11 PER: the same features */
    for (size_t i = 9; i < 12; i++) {
        assert_int_equal(d.count[i], 2);
        assert_int_equal(d.slots[i * NK_NL_MAX], d.slots[8 * NK_NL_MAX]);
    }
}

/* The table starts small and grows with the document's words: the cells it
 * holds when it grows must all be moved, so a document of many words gives
 * the same features from a new table (grown several times) as from one
 * already large enough. */
static void test_table_grows(void **state)
{
    (void)state;
    enum { N = 3000, W = 700 };
    uint64_t *lower = malloc(N * sizeof *lower);
    uint16_t *lab = malloc(N * sizeof *lab);
    uint32_t *a = malloc(N * NK_NL_MAX * sizeof *a), *b = malloc(N * NK_NL_MAX * sizeof *b);
    uint8_t *ca = malloc(N), *cb = malloc(N);
    assert_true(lower && lab && a && b && ca && cb);
    /* W words tagged with types, then each again untagged, over and over */
    for (size_t i = 0; i < N; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%zu", i % W);
        lower[i] = nk_lower_hash(w, strlen(w));
        lab[i] = i >= W ? 0 : i % 3 == 0 ? PER(NK_U) : i % 3 == 1 ? LOC(NK_U) : ORG(NK_U);
    }
    nerkit_error err = {0};
    nk_nltab fresh = {0}, big = {0};
    assert_int_equal(nk_nonlocal_extract(&big, lower, lab, N, 20, a, ca, &err), NERKIT_OK);
    assert_int_equal(nk_nonlocal_extract(&big, lower, lab, N, 20, a, ca, &err), NERKIT_OK);
    assert_int_equal(nk_nonlocal_extract(&fresh, lower, lab, N, 20, b, cb, &err), NERKIT_OK);
    assert_memory_equal(ca, cb, N);
    for (size_t i = 0; i < N; i++)
        assert_memory_equal(a + i * NK_NL_MAX, b + i * NK_NL_MAX, ca[i] * sizeof *a);
    /* every later mention has both: its word's type, its previous label */
    for (size_t i = W; i < N; i++)
        assert_int_equal(cb[i], 2);
    nk_nltab_free(&fresh);
    nk_nltab_free(&big);
    free(lower);
    free(lab);
    free(a);
    free(b);
    free(ca);
    free(cb);
}

static void test_features_parse_nonlocal(void **state)
{
    (void)state;
    uint32_t mask = 0;
    nerkit_error err = {0};
    assert_int_equal(nerkit_features_parse("all,nonlocal", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL);
    assert_int_equal(nerkit_features_parse("all", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_ALL);
    assert_int_equal(nerkit_features_parse("word,nonlocal", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_WORD | NERKIT_FEAT_NONLOCAL);
    assert_int_equal(nerkit_features_parse("nonlocals", &mask, &err), NERKIT_ERR_ARG);
}

/* A model of word features and transitions tags "Donald Trump" PER and,
 * alone, "Trump" O; a row on the non-local features of the later "Trump"
 * makes the second pass tag it U-PER. Without the nonlocal group the same
 * weights tag as the first pass. */
static void test_second_pass_retags(void **state)
{
    (void)state;
    static const char *const toks[] = {"Donald", "Trump", "won", ".", "Trump", "spoke", "."};
    static const size_t sl[] = {4, 3};
    nldoc d;
    static const uint16_t first[] = {PER(NK_B), PER(NK_L), 0, 0, 0, 0, 0};
    extract(&d, toks, 7, sl, 2, first);
    assert_int_equal(d.count[4], 2);

    const char *type = "PER";
    size_t tlen = 3;
    nk_featcfg cfg = {NERKIT_FEAT_WORD | NERKIT_FEAT_NONLOCAL, 20};
    nerkit_error err = {0};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, &type, &tlen, 1, &cfg, &err);
    assert_non_null(m);
    nk_featbuf fb = {0};
    assert_int_equal(nk_features_extract(&cfg, NULL, NULL, &d.doc, &fb, &err), NERKIT_OK);
    /* each token's slots are the bias, then its word */
    assert_int_equal(fb.start[1], 2);
    uint32_t donald = fb.slots[1], trump = fb.slots[fb.start[1] + 1];
    uint32_t nl0 = d.slots[4 * NK_NL_MAX], nl1 = d.slots[4 * NK_NL_MAX + 1];
    uint32_t want[4] = {donald, trump, nl0, nl1};
    for (size_t a = 1; a < 4; a++) /* sort */
        for (size_t b = a; b > 0 && want[b - 1] > want[b]; b--) {
            uint32_t x = want[b];
            want[b] = want[b - 1];
            want[b - 1] = x;
        }
    assert_int_equal(nk_model_set_rows(m, want, 4, &err), NERKIT_OK);
    uint32_t r;
    const size_t L = m->nlabels;
    assert_int_not_equal(r = nk_model_row(m, donald), 0);
    m->rows[(r - 1) * L + PER(NK_B)] = 5;
    assert_int_not_equal(r = nk_model_row(m, trump), 0);
    m->rows[(r - 1) * L + PER(NK_U)] = -1;
    assert_int_not_equal(r = nk_model_row(m, nl0), 0);
    m->rows[(r - 1) * L + PER(NK_U)] = 1.5f;
    assert_int_not_equal(r = nk_model_row(m, nl1), 0);
    m->rows[(r - 1) * L + PER(NK_U)] = 1.5f;

    uint16_t labels[7];
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_non_null(t);
    assert_int_equal(nerkit_tag_document(t, &d.doc, labels, &err), NERKIT_OK);
    const uint16_t two_pass[] = {PER(NK_B), PER(NK_L), 0, 0, PER(NK_U), 0, 0};
    assert_memory_equal(labels, two_pass, sizeof labels);
    nerkit_tagger_free(t);

    m->feat.groups &= ~(uint32_t)NERKIT_FEAT_NONLOCAL;
    assert_non_null(t = nerkit_tagger_new(m, &err));
    assert_int_equal(nerkit_tag_document(t, &d.doc, labels, &err), NERKIT_OK);
    assert_memory_equal(labels, first, sizeof labels);
    nerkit_tagger_free(t);
    nk_featbuf_free(&fb);
    nerkit_model_free(m);
}

/* With case copies the training set still knows its documents: the copies
 * follow the originals, each as long as its original, with the same words
 * once lower-cased and the same labels, so that the first-pass folds can
 * put a copy where its original went; and training with both runs. */
static void test_documents_with_case_copies(void **state)
{
    (void)state;
    const char *txt = "-DOCSTART- O\n\nAnna B-PER\nsaw O\nRiga B-LOC\n\n"
                      "-DOCSTART- O\n\nBob B-PER\nleft O\n\nHe O\nwent O\nhome O\n\n"
                      "-DOCSTART- O\n\nParis B-LOC\n\n";
    nerkit_error err;
    nerkit_corpus *c = nerkit_corpus_parse(txt, strlen(txt), "docs", NULL, &err);
    assert_non_null(c);
    const char *types[] = {"LOC", "PER"};
    size_t lens[] = {3, 3};
    nk_featcfg feat = {NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL, 14};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 2, &feat, &err);
    assert_non_null(m);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.case_lower = o.case_upper = 1;
    nk_trainset ts;
    assert_int_equal(nk_trainset_build(&ts, c, m, &o, &err), NERKIT_OK);
    assert_int_equal(ts.ndoc, 9);
    assert_int_equal(ts.ntok, 3 * 9);
    assert_int_equal(ts.nsent, 3 * 4);
    for (size_t d = 0; d < ts.ndoc; d++) {
        size_t src = ts.doc_src[d], a = ts.doc_first[d], b = ts.doc_first[src];
        size_t n = ts.doc_first[d + 1] - a;
        if (d < 3)
            assert_int_equal(src, d);
        assert_int_equal(n, ts.doc_first[src + 1] - b);
        assert_memory_equal(ts.lower + a, ts.lower + b, n * sizeof *ts.lower);
        assert_memory_equal(ts.gold + a, ts.gold + b, n * sizeof *ts.gold);
    }
    nk_trainset_free(&ts);
    nerkit_model_free(m);

    o.features = NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL;
    o.hash_bits = 14;
    o.epochs = 3;
    m = nerkit_train(c, c, &o, NULL, NULL, &err);
    if (!m)
        fail_msg("%s", err.message);
    nerkit_model_free(m);
    nerkit_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later_mention),
        cmocka_unit_test(test_case_and_single_mention),
        cmocka_unit_test(test_majority_leaves_out_own_label),
        cmocka_unit_test(test_many_mentions),
        cmocka_unit_test(test_table_grows),
        cmocka_unit_test(test_features_parse_nonlocal),
        cmocka_unit_test(test_second_pass_retags),
        cmocka_unit_test(test_documents_with_case_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
