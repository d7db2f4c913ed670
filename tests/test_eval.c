/*
 * Unit tests for the conlleval-compatible evaluation. Expected counts and
 * reports were worked out by hand from conlleval.pl's rules (and agree with
 * what the script prints for the same input).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nerkit.h"

/* Feeds "GOLD GUESS" pairs; an empty string is a boundary (blank line). */
static void feed(nerkit_eval *e, const char *const *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = pairs[i];
        if (p[0] == '\0') {
            nerkit_eval_boundary(e);
            continue;
        }
        const char *space = strchr(p, ' ');
        assert_non_null(space);
        assert_int_equal(nerkit_eval_token(e, p, (size_t)(space - p), space + 1, strlen(space + 1)),
                         NERKIT_OK);
    }
}

#define FEED(e, ...)                                                                     \
    do {                                                                                 \
        static const char *const pairs_[] = { __VA_ARGS__ };                             \
        feed((e), pairs_, sizeof pairs_ / sizeof pairs_[0]);                             \
    } while (0)

/* The report as a string (caller frees). */
static char *report(const nerkit_eval *e)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(nerkit_eval_report(e, f), NERKIT_OK);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

static void assert_report(const nerkit_eval *e, const char *expected)
{
    char *got = report(e);
    assert_string_equal(got, expected);
    free(got);
}

static void assert_scores(const nerkit_eval *e, double p, double r, double f)
{
    double gp, gr, gf;
    nerkit_eval_scores(e, &gp, &gr, &gf);
    assert_float_equal(gp, p, 1e-9);
    assert_float_equal(gr, r, 1e-9);
    assert_float_equal(gf, f, 1e-9);
}

static void test_empty_input(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    assert_non_null(e);
    /* No accuracy line at all when there are no tokens. */
    assert_report(e, "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n");
    assert_scores(e, 0, 0, 0);
    nerkit_eval_free(e);
}

static void test_boundaries_only(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "", "", "");
    assert_report(e, "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n");
    nerkit_eval_free(e);
}

static void test_perfect_iob2(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "B-PER B-PER", "I-PER I-PER", "O O", "B-LOC B-LOC");
    assert_report(e,
                  "processed 4 tokens with 2 phrases; found: 2 phrases; correct: 2.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    assert_scores(e, 100, 100, 100);
    nerkit_eval_free(e);
}

static void test_partial_match(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* PER is guessed one token short: a chunk, but not a correct one. The
     * LOC chunk is still open at the end and counts as correct. */
    FEED(e, "B-PER B-PER", "I-PER O", "O O", "B-LOC B-LOC", "I-LOC I-LOC");
    assert_report(e,
                  "processed 5 tokens with 2 phrases; found: 2 phrases; correct: 1.\n"
                  "accuracy:  80.00%; precision:  50.00%; recall:  50.00%; FB1:  50.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n");
    assert_scores(e, 50, 50, 50);
    nerkit_eval_free(e);
}

static void test_unequal_precision_recall(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* 3 gold chunks, 2 guessed, 1 right: P 50, R 33.33, F1 40. */
    FEED(e, "B-ORG B-ORG", "O O", "B-ORG B-LOC", "O O", "B-ORG O");
    assert_report(e,
                  "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 1.\n"
                  "accuracy:  60.00%; precision:  50.00%; recall:  33.33%; FB1:  40.00\n"
                  "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
                  "              ORG: precision: 100.00%; recall:  33.33%; FB1:  50.00  1\n");
    assert_scores(e, 50, 100.0 / 3, 40);
    nerkit_eval_free(e);
}

static void test_i_after_o_starts_a_chunk(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* IOB1-style I- after O opens a chunk, so B-PER I-PER and I-PER I-PER
     * are the same chunk; B- then splits adjacent chunks. */
    FEED(e, "B-PER I-PER", "I-PER I-PER", "O O", "I-LOC I-LOC", "B-LOC I-LOC");
    assert_report(e,
                  "processed 5 tokens with 3 phrases; found: 2 phrases; correct: 1.\n"
                  "accuracy:  60.00%; precision:  50.00%; recall:  33.33%; FB1:  40.00\n"
                  "              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_type_switch_inside_chunk(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* I-ORG after B-PER ends the PER chunk and starts an ORG one. */
    FEED(e, "B-PER B-PER", "I-PER I-ORG", "I-PER I-ORG");
    assert_report(e,
                  "processed 3 tokens with 1 phrases; found: 2 phrases; correct: 0.\n"
                  "accuracy:  33.33%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
                  "              ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
                  "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n");
    assert_scores(e, 0, 0, 0);
    nerkit_eval_free(e);
}

static void test_guessed_type_absent_from_gold(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "O B-FOO", "O I-FOO");
    assert_report(e,
                  "processed 2 tokens with 0 phrases; found: 1 phrases; correct: 0.\n"
                  "accuracy:   0.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
                  "              FOO: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n");
    nerkit_eval_free(e);
}

static void test_nothing_guessed(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "B-MISC O", "O O");
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 0 phrases; correct: 0.\n"
                  "accuracy:  50.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
                  "             MISC: precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n");
    nerkit_eval_free(e);
}

static void test_bioes(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "B-PER B-PER", "E-PER E-PER", "S-LOC S-LOC", "O O", "B-ORG B-ORG", "I-ORG I-ORG",
         "E-ORG O");
    assert_report(e,
                  "processed 7 tokens with 3 phrases; found: 3 phrases; correct: 2.\n"
                  "accuracy:  85.71%; precision:  66.67%; recall:  66.67%; FB1:  66.67\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_bioes_quirks(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* conlleval has no rule for S: two S-LOC in a row are one chunk. E-E
     * does split, so two E-LOC in a row are two chunks. */
    FEED(e, "S-LOC S-LOC", "S-LOC S-LOC", "O O", "E-LOC E-LOC", "E-LOC E-LOC");
    assert_report(e,
                  "processed 5 tokens with 3 phrases; found: 3 phrases; correct: 3.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  3\n");
    nerkit_eval_free(e);
}

static void test_bracket_tags(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* '[' and ']' are one-token chunks, even when repeated. */
    FEED(e, "[-NP [-NP", "[-NP [-NP", "]-NP O");
    assert_report(e,
                  "processed 3 tokens with 3 phrases; found: 2 phrases; correct: 2.\n"
                  "accuracy:  66.67%; precision: 100.00%; recall:  66.67%; FB1:  80.00\n"
                  "               NP: precision: 100.00%; recall:  66.67%; FB1:  80.00  2\n");
    nerkit_eval_free(e);
}

static void test_types_containing_dashes(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* The type is everything after the first '-'. */
    FEED(e, "B-creative-work B-creative-work", "I-creative-work I-creative-work", "O B-a-b-");
    assert_report(e,
                  "processed 3 tokens with 1 phrases; found: 2 phrases; correct: 1.\n"
                  "accuracy:  66.67%; precision:  50.00%; recall: 100.00%; FB1:  66.67\n"
                  "             a-b-: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n"
                  "    creative-work: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_boundary_separates_chunks(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* Without the boundary this would be one PER chunk. The boundary is
     * not a token. */
    FEED(e, "B-PER B-PER", "", "I-PER I-PER");
    assert_report(e,
                  "processed 2 tokens with 2 phrases; found: 2 phrases; correct: 2.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  2\n");
    nerkit_eval_free(e);

    e = nerkit_eval_new();
    FEED(e, "B-PER B-PER", "I-PER I-PER");
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_boundary_closes_chunks(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* The guess runs to the end of the sentence like the gold, so both
     * chunks end at the boundary: correct. */
    FEED(e, "O O", "B-LOC B-LOC", "I-LOC I-LOC", "", "O O");
    assert_report(e,
                  "processed 4 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_o_token_differs_from_boundary(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* A -DOCSTART- line reaches the evaluator as a token O/O: it ends
     * chunks like a boundary, but it is counted. */
    FEED(e, "B-PER B-PER", "O O", "I-PER I-PER");
    assert_report(e,
                  "processed 3 tokens with 2 phrases; found: 2 phrases; correct: 2.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  2\n");
    nerkit_eval_free(e);
}

static void test_labels_without_dash(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* Dash-less B/I make chunks of the empty type, which conlleval lists
     * once for the gold table and once for the guessed one. */
    FEED(e, "B B", "I I", "O O", "B O");
    assert_report(e,
                  "processed 4 tokens with 2 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy:  75.00%; precision: 100.00%; recall:  50.00%; FB1:  66.67\n"
                  "                 : precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n"
                  "                 : precision: 100.00%; recall:  50.00%; FB1:  66.67  1\n");
    nerkit_eval_free(e);

    /* Only in the gold table: listed once. */
    e = nerkit_eval_new();
    FEED(e, "B O");
    assert_report(e,
                  "processed 1 tokens with 1 phrases; found: 0 phrases; correct: 0.\n"
                  "accuracy:   0.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
                  "                 : precision:   0.00%; recall:   0.00%; FB1:   0.00  0\n");
    nerkit_eval_free(e);
}

static void test_type_zero_is_empty(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* Perl treats the type "0" as false and replaces it by "", so B-0 and
     * B are the same label, even for accuracy. */
    FEED(e, "B-0 B", "O O");
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "                 : precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "                 : precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_accuracy_compares_tag_strings(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* S and L play no role in chunking, but are still different tags. */
    FEED(e, "S-LOC L-LOC", "O O");
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy:  50.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_types_sorted_bytewise(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    FEED(e, "B-per B-per", "B-PER B-PER", "B-Zeta B-Zeta", "B-2 B-2", "B-10 B-10", "B-ORG B-ORG",
         "B-ORG-X B-ORG-X", "B-a_long_type_name_here B-a_long_type_name_here");
    assert_report(e,
                  "processed 8 tokens with 8 phrases; found: 8 phrases; correct: 8.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "               10: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "                2: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              ORG: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "            ORG-X: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "             Zeta: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "a_long_type_name_here: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n"
                  "              per: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_lengths_and_copies(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* Only len bytes are labels; the buffer is reused afterwards. */
    char gold[32], guess[32];
    strcpy(gold, "B-LOCATION");
    strcpy(guess, "B-LOCxyz");
    assert_int_equal(nerkit_eval_token(e, gold, 5, guess, 5), NERKIT_OK);
    strcpy(gold, "I-LOC");
    strcpy(guess, "I-LOC");
    assert_int_equal(nerkit_eval_token(e, gold, 5, guess, 5), NERKIT_OK);
    memset(gold, 'Z', sizeof gold);
    memset(guess, 'Z', sizeof guess);
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              LOC: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    nerkit_eval_free(e);
}

static void test_report_mid_stream(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    /* A report covers the input so far, as if it ended there; it must not
     * disturb the chunk still being read. */
    FEED(e, "B-PER B-PER");
    assert_report(e,
                  "processed 1 tokens with 1 phrases; found: 1 phrases; correct: 1.\n"
                  "accuracy: 100.00%; precision: 100.00%; recall: 100.00%; FB1: 100.00\n"
                  "              PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1\n");
    FEED(e, "I-PER O");
    assert_report(e,
                  "processed 2 tokens with 1 phrases; found: 1 phrases; correct: 0.\n"
                  "accuracy:  50.00%; precision:   0.00%; recall:   0.00%; FB1:   0.00\n"
                  "              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1\n");
    nerkit_eval_free(e);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    nerkit_eval *e = nerkit_eval_new();
    assert_int_equal(nerkit_eval_token(NULL, "O", 1, "O", 1), NERKIT_ERR_ARG);
    assert_int_equal(nerkit_eval_report(NULL, stdout), NERKIT_ERR_ARG);
    assert_int_equal(nerkit_eval_report(e, NULL), NERKIT_ERR_ARG);
    nerkit_eval_boundary(NULL);
    nerkit_eval_free(NULL);
    nerkit_eval_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_boundaries_only),
        cmocka_unit_test(test_perfect_iob2),
        cmocka_unit_test(test_partial_match),
        cmocka_unit_test(test_unequal_precision_recall),
        cmocka_unit_test(test_i_after_o_starts_a_chunk),
        cmocka_unit_test(test_type_switch_inside_chunk),
        cmocka_unit_test(test_guessed_type_absent_from_gold),
        cmocka_unit_test(test_nothing_guessed),
        cmocka_unit_test(test_bioes),
        cmocka_unit_test(test_bioes_quirks),
        cmocka_unit_test(test_bracket_tags),
        cmocka_unit_test(test_types_containing_dashes),
        cmocka_unit_test(test_boundary_separates_chunks),
        cmocka_unit_test(test_boundary_closes_chunks),
        cmocka_unit_test(test_o_token_differs_from_boundary),
        cmocka_unit_test(test_labels_without_dash),
        cmocka_unit_test(test_type_zero_is_empty),
        cmocka_unit_test(test_accuracy_compares_tag_strings),
        cmocka_unit_test(test_types_sorted_bytewise),
        cmocka_unit_test(test_lengths_and_copies),
        cmocka_unit_test(test_report_mid_stream),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
