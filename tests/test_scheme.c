/*
 * Unit tests for tag schemes: detection of IOB1 / IOB2 / BIOES / BILOU from
 * a corpus's labels, reading any scheme into BILOU (nk_to_bilou, including
 * the conlleval reading of invalid sequences), and writing BILOU back in any
 * scheme (nerkit_model_label_strings): a round trip through every pair of
 * schemes must give back exactly the labels an independent encoder writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/text/text.h"

static nerkit_corpus *parse(const char *text, size_t len)
{
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(text, len, "t.conll", NULL, &err);
    if (!c)
        fail_msg("parse error: %s\n--- input:\n%.*s", err.message, (int)len, text);
    return c;
}

static nerkit_scheme detect(const char *text)
{
    nerkit_corpus *c = parse(text, strlen(text));
    nerkit_scheme s = nerkit_corpus_scheme(c);
    nerkit_corpus_free(c);
    return s;
}

/* ------------------------------------------------------------ detection */

static void test_detect_iob1(void **state)
{
    (void)state;
    /* I- starts entities; B- only where an entity follows one of its type */
    const char *text = "Peter I-PER\nSmith I-PER\nMary B-PER\nvisited O\nParis I-LOC\n\n"
                       "EU I-ORG\nsaid O\n";
    assert_int_equal(detect(text), NERKIT_SCHEME_IOB1);
    nerkit_corpus *c = parse(text, strlen(text));
    /* types LOC 0, ORG 1, PER 2 */
    assert_int_equal(nk_corpus_bilou(c, 0), NK_LABEL(2, NK_B));
    assert_int_equal(nk_corpus_bilou(c, 1), NK_LABEL(2, NK_L));
    assert_int_equal(nk_corpus_bilou(c, 2), NK_LABEL(2, NK_U));
    assert_int_equal(nk_corpus_bilou(c, 3), 0);
    assert_int_equal(nk_corpus_bilou(c, 4), NK_LABEL(0, NK_U));
    assert_int_equal(nk_corpus_bilou(c, 5), NK_LABEL(1, NK_U));
    nerkit_corpus_free(c);
    /* IOB1 without any B- at all */
    assert_int_equal(detect("Peter I-PER\nSmith I-PER\nsaid O\n"), NERKIT_SCHEME_IOB1);
    /* an entity of another type right after: still an I- start */
    assert_int_equal(detect("EU I-ORG\nGerman I-MISC\nB B-MISC\n"), NERKIT_SCHEME_IOB1);
}

static void test_detect_iob2(void **state)
{
    (void)state;
    assert_int_equal(detect("Peter B-PER\nSmith I-PER\nvisited O\nParis B-LOC\n"),
                     NERKIT_SCHEME_IOB2);
    /* B- after an entity of the same type is in both; a B- after O decides */
    assert_int_equal(detect("Peter B-PER\nMary B-PER\n"), NERKIT_SCHEME_IOB2);
    /* one stray I- start among B- starts is still IOB2 */
    const char *text = "Peter B-PER\nSmith I-PER\nsaid O\n\nEU B-ORG\nrejects O\n"
                       "German B-MISC\ncall O\n\nthe O\nUN I-ORG\nsaid O\n\nParis B-LOC\n";
    assert_int_equal(detect(text), NERKIT_SCHEME_IOB2);
    nerkit_corpus *c = parse(text, strlen(text));
    /* the stray I- start is read as a one-token entity */
    assert_int_equal(nk_corpus_bilou(c, 8), NK_LABEL(2, NK_U));
    nerkit_corpus_free(c);
    /* only O: nothing to tell, IOB2 */
    assert_int_equal(detect("a O\nb O\n"), NERKIT_SCHEME_IOB2);
}

static void test_detect_bioes_bilou(void **state)
{
    (void)state;
    assert_int_equal(detect("Peter B-PER\nSmith E-PER\nvisited O\nParis S-LOC\n"),
                     NERKIT_SCHEME_BIOES);
    assert_int_equal(detect("Paris S-LOC\n"), NERKIT_SCHEME_BIOES);
    assert_int_equal(detect("Peter B-PER\nJ. I-PER\nSmith E-PER\n"), NERKIT_SCHEME_BIOES);
    assert_int_equal(detect("Peter B-PER\nSmith L-PER\nvisited O\nParis U-LOC\n"),
                     NERKIT_SCHEME_BILOU);
    assert_int_equal(detect("Paris U-LOC\n"), NERKIT_SCHEME_BILOU);
    assert_int_equal(detect("a O\n\nPeter B-PER\nSmith L-PER\n"), NERKIT_SCHEME_BILOU);
}

/* ------------------------------------------------- round trip of schemes */

enum { NTYPE_NAMES = 3, MAX_SENT = 4, MAX_LEN = 14 };
static const char *const type_names[NTYPE_NAMES] = {"PER", "LOC", "MISC"};

typedef struct {
    size_t nsent;
    size_t len[MAX_SENT];
    /* per token: entity type name index (-1 outside), position in entity, entity length */
    int type[MAX_SENT][MAX_LEN];
    int pos[MAX_SENT][MAX_LEN];
    int elen[MAX_SENT][MAX_LEN];
} spans;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

/* Random non-overlapping entities; entities are often adjacent, also of the
 * same type, which is what tells the schemes apart. */
static void random_spans(uint64_t *rng, spans *sp)
{
    sp->nsent = 1 + rnd(rng, MAX_SENT);
    for (size_t s = 0; s < sp->nsent; s++) {
        size_t n = 1 + rnd(rng, MAX_LEN);
        sp->len[s] = n;
        size_t i = 0;
        while (i < n) {
            if (rnd(rng, 5) < 2) {
                sp->type[s][i] = -1;
                i++;
                continue;
            }
            int t = (int)rnd(rng, NTYPE_NAMES);
            size_t el = 1 + rnd(rng, 4);
            if (el > n - i)
                el = n - i;
            for (size_t k = 0; k < el; k++) {
                sp->type[s][i + k] = t;
                sp->pos[s][i + k] = (int)k;
                sp->elen[s][i + k] = (int)el;
            }
            i += el;
        }
    }
}

static bool has_entities(const spans *sp)
{
    for (size_t s = 0; s < sp->nsent; s++)
        for (size_t i = 0; i < sp->len[s]; i++)
            if (sp->type[s][i] >= 0)
                return true;
    return false;
}

/* The label of token i of sentence s in scheme, written independently of
 * the library. */
static void encode(const spans *sp, size_t s, size_t i, nerkit_scheme scheme, char out[16])
{
    int t = sp->type[s][i];
    if (t < 0) {
        strcpy(out, "O");
        return;
    }
    int pos = sp->pos[s][i], el = sp->elen[s][i];
    bool first = pos == 0, last = pos == el - 1;
    char p;
    switch (scheme) {
    case NERKIT_SCHEME_IOB1:
        /* B- only on the first token of an entity that directly follows
         * another entity of the same type */
        p = (first && i > 0 && sp->type[s][i - 1] == t) ? 'B' : 'I';
        break;
    case NERKIT_SCHEME_IOB2:
        p = first ? 'B' : 'I';
        break;
    case NERKIT_SCHEME_BIOES:
        p = first && last ? 'S' : first ? 'B' : last ? 'E' : 'I';
        break;
    case NERKIT_SCHEME_BILOU:
        p = first && last ? 'U' : first ? 'B' : last ? 'L' : 'I';
        break;
    default:
        fail_msg("bad scheme");
        return;
    }
    snprintf(out, 16, "%c-%s", p, type_names[t]);
}

static char *corpus_text(const spans *sp, nerkit_scheme scheme, size_t *len)
{
    size_t cap = 64 * MAX_SENT * (MAX_LEN + 1) + 1, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t s = 0; s < sp->nsent; s++) {
        if (s > 0)
            text[n++] = '\n';
        for (size_t i = 0; i < sp->len[s]; i++) {
            char lab[16];
            encode(sp, s, i, scheme, lab);
            n += (size_t)snprintf(text + n, cap - n, "w%zu_%zu %s\n", s, i, lab);
        }
    }
    text[n] = '\0';
    *len = n;
    return text;
}

static const nerkit_scheme all_schemes[4] = {NERKIT_SCHEME_IOB1, NERKIT_SCHEME_IOB2,
                                             NERKIT_SCHEME_BIOES, NERKIT_SCHEME_BILOU};

static void test_round_trip_all_scheme_pairs(void **state)
{
    (void)state;
    uint64_t rng = 20240601;
    size_t checked = 0, detected = 0;
    for (int trial = 0; trial < 300; trial++) {
        spans sp;
        random_spans(&rng, &sp);
        for (int from = 0; from < 4; from++) {
            size_t len;
            char *text = corpus_text(&sp, all_schemes[from], &len);
            nerkit_corpus *c = parse(text, len);
            free(text);
            if (has_entities(&sp)) {
                assert_int_equal(nerkit_corpus_scheme(c), all_schemes[from]);
                detected++;
            }
            assert_int_equal(nerkit_corpus_nsentences(c), sp.nsent);

            /* a model over the corpus's own types */
            size_t nt = nerkit_corpus_ntypes(c);
            const char *types[NTYPE_NAMES + 1];
            size_t lens[NTYPE_NAMES + 1];
            int corpus_type_of[NTYPE_NAMES]; /* type_names index -> corpus type */
            for (int k = 0; k < NTYPE_NAMES; k++)
                corpus_type_of[k] = -1;
            for (size_t t = 0; t < nt; t++) {
                types[t] = nerkit_corpus_type(c, t);
                lens[t] = strlen(types[t]);
                for (int k = 0; k < NTYPE_NAMES; k++)
                    if (strcmp(types[t], type_names[k]) == 0)
                        corpus_type_of[k] = (int)t;
            }
            nk_featcfg feat = {NERKIT_FEAT_ALL, 10};
            nerkit_error err = {0};
            nerkit_model *m =
                nk_model_new("perceptron", all_schemes[from], types, lens, nt, &feat, &err);
            assert_non_null(m);

            size_t tok = 0;
            for (size_t s = 0; s < sp.nsent; s++) {
                size_t n = sp.len[s];
                uint16_t ids[MAX_LEN];
                for (size_t i = 0; i < n; i++) {
                    ids[i] = nk_corpus_bilou(c, tok + i);
                    /* the BILOU id is the one the spans imply */
                    uint16_t want = 0;
                    if (sp.type[s][i] >= 0) {
                        int ct = corpus_type_of[sp.type[s][i]];
                        assert_true(ct >= 0);
                        int pos = sp.pos[s][i], el = sp.elen[s][i];
                        int part = el == 1 ? NK_U : pos == 0 ? NK_B : pos == el - 1 ? NK_L : NK_I;
                        want = NK_LABEL(ct, part);
                    }
                    assert_int_equal(ids[i], want);
                }
                for (int to = 0; to < 4; to++) {
                    const char *out[MAX_LEN];
                    nerkit_model_label_strings(m, ids, n, all_schemes[to], out);
                    for (size_t i = 0; i < n; i++) {
                        char want[16];
                        encode(&sp, s, i, all_schemes[to], want);
                        if (strcmp(out[i], want) != 0)
                            fail_msg("trial %d %s -> %s, sentence %zu token %zu: '%s', expected "
                                     "'%s'",
                                     trial, nerkit_scheme_name(all_schemes[from]),
                                     nerkit_scheme_name(all_schemes[to]), s, i, out[i], want);
                        checked++;
                    }
                }
                tok += n;
            }
            assert_int_equal(tok, nerkit_corpus_ntokens(c));

            /* the whole corpus at once, sentence by sentence inside; AUTO is
             * the corpus's own scheme and gives the input back */
            size_t N = nerkit_corpus_ntokens(c);
            uint16_t *all = malloc(N * sizeof *all);
            const char **out = malloc(N * sizeof *out);
            assert_non_null(all);
            assert_non_null(out);
            for (size_t i = 0; i < N; i++)
                all[i] = nk_corpus_bilou(c, i);
            for (int to = 0; to <= 4; to++) {
                nerkit_scheme target = to == 4 ? NERKIT_SCHEME_AUTO : all_schemes[to];
                nerkit_scheme enc = to == 4 ? all_schemes[from] : all_schemes[to];
                nerkit_corpus_label_strings(c, m, all, target, out);
                tok = 0;
                for (size_t s = 0; s < sp.nsent; s++)
                    for (size_t i = 0; i < sp.len[s]; i++, tok++) {
                        char want[16];
                        encode(&sp, s, i, enc, want);
                        assert_string_equal(out[tok], want);
                    }
            }
            free(all);
            free(out);
            nerkit_model_free(m);
            nerkit_corpus_free(c);
        }
    }
    /* the generator really produced work */
    assert_true(checked > 10000);
    assert_true(detected > 1000);
}

/* IOB1 written across a sentence boundary: an entity at the start of a
 * sentence gets I- even when the previous sentence ended with the same type. */
static void test_iob1_sentence_boundary(void **state)
{
    (void)state;
    const char *text = "Peter I-PER\n\nMary I-PER\n";
    nerkit_corpus *c = parse(text, strlen(text));
    const char *types[] = {"PER"};
    size_t lens[] = {3};
    nk_featcfg feat = {NERKIT_FEAT_ALL, 10};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB1, types, lens, 1, &feat, NULL);
    assert_non_null(m);
    uint16_t ids[2] = {NK_LABEL(0, NK_U), NK_LABEL(0, NK_U)};
    const char *out[2];
    nerkit_corpus_label_strings(c, m, ids, NERKIT_SCHEME_IOB1, out);
    assert_string_equal(out[0], "I-PER");
    assert_string_equal(out[1], "I-PER");
    /* in one sentence the second is B- */
    nerkit_model_label_strings(m, ids, 2, NERKIT_SCHEME_IOB1, out);
    assert_string_equal(out[0], "I-PER");
    assert_string_equal(out[1], "B-PER");
    /* AUTO is the model's scheme */
    nerkit_model_label_strings(m, ids, 2, NERKIT_SCHEME_AUTO, out);
    assert_string_equal(out[1], "B-PER");
    /* a label id past the label set reads as O */
    uint16_t bad[1] = {5};
    nerkit_model_label_strings(m, bad, 1, NERKIT_SCHEME_BILOU, out);
    assert_string_equal(out[0], "O");
    nerkit_model_free(m);
    nerkit_corpus_free(c);
}

/* -------------------------------------------- invalid sequences into BILOU */

/* Labels as "P-T" strings with one-letter types, "O" for outside. */
static void check_bilou(const char *const *labels, size_t n, const uint16_t *want)
{
    char prefix[16];
    int type[16];
    uint16_t out[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(labels[i], "O") == 0) {
            prefix[i] = 0;
            type[i] = -1;
        } else {
            prefix[i] = labels[i][0];
            type[i] = labels[i][2] - 'A';
        }
        out[i] = 0xFFFF;
    }
    nk_to_bilou(prefix, type, n, out);
    for (size_t i = 0; i < n; i++)
        if (out[i] != want[i])
            fail_msg("token %zu (%s): BILOU id %u, expected %u", i, labels[i], out[i], want[i]);
}

#define CHECK(labels_, ...)                                                     \
    do {                                                                        \
        static const char *const l_[] = labels_;                                \
        static const uint16_t w_[] = {__VA_ARGS__};                             \
        assert_int_equal(sizeof l_ / sizeof *l_, sizeof w_ / sizeof *w_);       \
        check_bilou(l_, sizeof l_ / sizeof *l_, w_);                            \
    } while (0)
#define L(...) {__VA_ARGS__}

/* type A is 0, B is 1 */
#define A_(p) NK_LABEL(0, NK_##p)
#define B_(p) NK_LABEL(1, NK_##p)

static void test_invalid_sequences(void **state)
{
    (void)state;
    /* I- after O starts an entity */
    CHECK(L("O", "I-A", "I-A"), 0, A_(B), A_(L));
    /* a type change inside starts a new entity */
    CHECK(L("I-A", "I-B"), A_(U), B_(U));
    CHECK(L("B-A", "I-B", "I-B"), A_(U), B_(B), B_(L));
    CHECK(L("B-A", "I-A", "I-B", "I-B"), A_(B), A_(L), B_(B), B_(L));
    /* B- always starts */
    CHECK(L("B-A", "B-A"), A_(U), A_(U));
    CHECK(L("I-A", "B-A", "I-A"), A_(U), A_(B), A_(L));
    CHECK(L("I-A", "O", "I-A"), A_(U), 0, A_(U));
    /* BIOES without its E-: the entity ends where the next one starts */
    CHECK(L("B-A", "I-A", "I-A"), A_(B), A_(I), A_(L));
    CHECK(L("B-A", "I-A", "O"), A_(B), A_(L), 0);
    /* E- or S- alone, E- after O */
    CHECK(L("E-A"), A_(U));
    CHECK(L("O", "E-A", "O"), 0, A_(U), 0);
    CHECK(L("S-A", "I-A"), A_(U), A_(U));
    CHECK(L("S-A", "E-A"), A_(U), A_(U));
    CHECK(L("B-A", "E-A", "E-A"), A_(B), A_(L), A_(U));
    CHECK(L("B-A", "E-A", "I-A", "E-A"), A_(B), A_(L), A_(B), A_(L));
    CHECK(L("B-A", "S-A"), A_(U), A_(U));
    CHECK(L("I-A", "E-A"), A_(B), A_(L));
    CHECK(L("B-A", "E-B"), A_(U), B_(U));
    /* BILOU letters read as their BIOES twins */
    CHECK(L("U-A", "L-A"), A_(U), A_(U));
    CHECK(L("B-A", "L-A", "L-A"), A_(B), A_(L), A_(U));
    CHECK(L("B-A", "I-A", "L-A", "U-B"), A_(B), A_(I), A_(L), B_(U));
    CHECK(L("L-A", "I-A", "U-A"), A_(U), A_(U), A_(U));
    /* valid sequences are read as written */
    CHECK(L("B-A", "I-A", "I-A", "E-A", "O", "S-B"), A_(B), A_(I), A_(I), A_(L), 0, B_(U));
    CHECK(L("O", "O"), 0, 0);
}

/* Whatever the input, even nonsense, the reading is a valid BILOU sequence
 * that keeps every token's type and its O-ness, and reads valid BILOU input
 * unchanged. Validity is checked with a state machine written here. */
static bool valid_bilou(const uint16_t *y, size_t n, int ntypes)
{
    int inside = -1;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == 0) {
            if (inside >= 0)
                return false;
            continue;
        }
        int t = (y[i] - 1) / 4, p = (y[i] - 1) % 4;
        if (t >= ntypes)
            return false;
        if (inside < 0) {
            if (p == NK_B)
                inside = t;
            else if (p != NK_U)
                return false;
        } else {
            if (t != inside || (p != NK_I && p != NK_L))
                return false;
            if (p == NK_L)
                inside = -1;
        }
    }
    return inside < 0;
}

static void test_any_sequence_reads_as_valid_bilou(void **state)
{
    (void)state;
    uint64_t rng = 99;
    static const char prefixes[] = "OBIESLU";
    for (int trial = 0; trial < 20000; trial++) {
        size_t n = 1 + rnd(&rng, 10);
        char prefix[10];
        int type[10];
        uint16_t out[10];
        for (size_t i = 0; i < n; i++) {
            char p = prefixes[rnd(&rng, 7)];
            prefix[i] = p == 'O' ? 0 : p;
            type[i] = p == 'O' ? -1 : (int)rnd(&rng, 2);
        }
        nk_to_bilou(prefix, type, n, out);
        if (!valid_bilou(out, n, 2))
            fail_msg("trial %d: invalid BILOU reading", trial);
        for (size_t i = 0; i < n; i++) {
            if (type[i] < 0)
                assert_int_equal(out[i], 0);
            else
                assert_int_equal(NK_LABEL_TYPE(out[i]), type[i]);
        }
        /* reading the output again, as BILOU, changes nothing */
        char p2[10];
        for (size_t i = 0; i < n; i++)
            p2[i] = out[i] ? "BILU"[NK_LABEL_PART(out[i])] : 0;
        uint16_t again[10];
        nk_to_bilou(p2, type, n, again);
        assert_memory_equal(again, out, n * sizeof *out);
    }
}

/* ------------------------------------------------------ names and parsing */

static void test_scheme_names(void **state)
{
    (void)state;
    for (int s = NERKIT_SCHEME_AUTO; s <= NERKIT_SCHEME_BILOU; s++)
        assert_int_equal(nerkit_scheme_parse(nerkit_scheme_name((nerkit_scheme)s)), s);
    assert_string_equal(nerkit_scheme_name(NERKIT_SCHEME_IOB1), "IOB1");
    assert_string_equal(nerkit_scheme_name(NERKIT_SCHEME_IOB2), "IOB2");
    assert_string_equal(nerkit_scheme_name(NERKIT_SCHEME_BIOES), "BIOES");
    assert_string_equal(nerkit_scheme_name(NERKIT_SCHEME_BILOU), "BILOU");
    assert_string_equal(nerkit_scheme_name((nerkit_scheme)17), "?");
    assert_int_equal(nerkit_scheme_parse("iob2"), NERKIT_SCHEME_IOB2);
    assert_int_equal(nerkit_scheme_parse("Bilou"), NERKIT_SCHEME_BILOU);
    assert_int_equal(nerkit_scheme_parse("BIO"), NERKIT_SCHEME_IOB2);
    assert_int_equal(nerkit_scheme_parse("IOBES"), NERKIT_SCHEME_BIOES);
    assert_int_equal(nerkit_scheme_parse("AUTO"), NERKIT_SCHEME_AUTO);
    assert_int_equal(nerkit_scheme_parse("IOB3"), -1);
    assert_int_equal(nerkit_scheme_parse(""), -1);
    assert_int_equal(nerkit_scheme_parse("IOB"), -1);
}

static void test_label_parse(void **state)
{
    (void)state;
    nk_raw_label rl;
    assert_true(nk_label_parse("O", 1, &rl));
    assert_int_equal(rl.prefix, 0);
    assert_true(nk_label_parse("B-PER", 5, &rl));
    assert_int_equal(rl.prefix, 'B');
    assert_int_equal(rl.type_len, 3);
    assert_memory_equal(rl.type, "PER", 3);
    assert_true(nk_label_parse("U-ORG-X", 7, &rl));
    assert_int_equal(rl.type_len, 5);
    assert_false(nk_label_parse("X-PER", 5, &rl));
    assert_false(nk_label_parse("PER", 3, &rl));
    assert_false(nk_label_parse("B-", 2, &rl));
    assert_false(nk_label_parse("", 0, &rl));
    assert_false(nk_label_parse("o", 1, &rl));
    assert_false(nk_label_parse("OO", 2, &rl));
    /* the length is what counts, not a terminator */
    assert_true(nk_label_parse("OXYZ", 1, &rl));
    assert_int_equal(rl.prefix, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_iob1),
        cmocka_unit_test(test_detect_iob2),
        cmocka_unit_test(test_detect_bioes_bilou),
        cmocka_unit_test(test_round_trip_all_scheme_pairs),
        cmocka_unit_test(test_iob1_sentence_boundary),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_any_sequence_reads_as_valid_bilou),
        cmocka_unit_test(test_scheme_names),
        cmocka_unit_test(test_label_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
