/*
 * Unit tests for the CoNLL column reader (nerkit_corpus_parse / _read) and
 * for writing a corpus back with one more column (nerkit_corpus_write_column).
 * Fixtures are inline strings; the few tests that need a file write one with
 * mkstemp under /tmp and remove it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../src/text/text.h"

/* ------------------------------------------------------------- helpers */

static nerkit_corpus *parse_opts(const char *text, size_t len, const nerkit_reader_opts *o)
{
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(text, len, "t.conll", o, &err);
    if (!c)
        fail_msg("unexpected parse error %d: %s", err.code, err.message);
    return c;
}

static nerkit_corpus *parse(const char *text)
{
    return parse_opts(text, strlen(text), NULL);
}

/* Parses text that must fail with FORMAT and a message starting with prefix. */
static void expect_format_error(const char *text, size_t len, const nerkit_reader_opts *o,
                                const char *prefix)
{
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(text, len, "t.conll", o, &err);
    if (c) {
        nerkit_corpus_free(c);
        fail_msg("expected a format error starting '%s'", prefix);
    }
    assert_int_equal(err.code, NERKIT_ERR_FORMAT);
    if (strncmp(err.message, prefix, strlen(prefix)) != 0)
        fail_msg("message '%s' does not start with '%s'", err.message, prefix);
    /* the message says something after the location */
    assert_true(strlen(err.message) > strlen(prefix) + 5);
}

static void assert_token(const nerkit_corpus *c, size_t i, const char *tok)
{
    size_t len;
    const char *s = nerkit_corpus_token(c, i, &len);
    if (len != strlen(tok) || memcmp(s, tok, len) != 0)
        fail_msg("token %zu is '%.*s' (%zu bytes), expected '%s'", i, (int)len, s, len, tok);
}

static void assert_label(const nerkit_corpus *c, size_t i, const char *lab)
{
    size_t len;
    const char *s = nerkit_corpus_label(c, i, &len);
    if (len != strlen(lab) || memcmp(s, lab, len) != 0)
        fail_msg("label %zu is '%.*s' (%zu bytes), expected '%s'", i, (int)len, s, len, lab);
}

/* Runs nerkit_corpus_write_column into memory; returns the bytes (caller frees). */
static char *write_column(const nerkit_corpus *c, const char *const *labels, size_t *outlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    nerkit_error err = {0};
    int rc = nerkit_corpus_write_column(c, labels, f, &err);
    assert_int_equal(fclose(f), 0);
    if (rc != NERKIT_OK) {
        free(buf);
        fail_msg("write_column failed: %s", err.message);
    }
    *outlen = len;
    return buf;
}

static void assert_written(const nerkit_corpus *c, const char *const *labels, const char *expected,
                           size_t expected_len)
{
    size_t len;
    char *got = write_column(c, labels, &len);
    if (len != expected_len || memcmp(got, expected, len) != 0) {
        print_error("got (%zu bytes):\n%.*s\nexpected (%zu bytes):\n%.*s\n", len, (int)len, got,
                    expected_len, (int)expected_len, expected);
        free(got);
        fail_msg("write_column output differs");
    }
    free(got);
}

/* A temporary file holding data; path receives its name. */
static void temp_file(char path[64], const char *data, size_t len)
{
    strcpy(path, "/tmp/nerkit_test_corpus_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* --------------------------------------------------------------- tests */

static void test_basic_two_sentences(void **state)
{
    (void)state;
    nerkit_corpus *c = parse("EU B-ORG\nrejects O\nGerman B-MISC\n\nPeter B-PER\nBlackburn I-PER\n");
    assert_int_equal(nerkit_corpus_ntokens(c), 5);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_int_equal(nerkit_corpus_ndocuments(c), 1);
    assert_int_equal(nerkit_corpus_has_labels(c), 1);
    assert_int_equal(nerkit_corpus_scheme(c), NERKIT_SCHEME_IOB2);
    assert_token(c, 0, "EU");
    assert_token(c, 4, "Blackburn");
    assert_label(c, 2, "B-MISC");
    assert_label(c, 4, "I-PER");
    assert_int_equal(nerkit_corpus_ntypes(c), 3);
    assert_string_equal(nerkit_corpus_type(c, 0), "MISC");
    assert_string_equal(nerkit_corpus_type(c, 1), "ORG");
    assert_string_equal(nerkit_corpus_type(c, 2), "PER");
    /* BILOU over the sorted types: ORG is 1, MISC 0, PER 2 */
    assert_int_equal(nk_corpus_bilou(c, 0), NK_LABEL(1, NK_U));
    assert_int_equal(nk_corpus_bilou(c, 1), 0);
    assert_int_equal(nk_corpus_bilou(c, 2), NK_LABEL(0, NK_U));
    assert_int_equal(nk_corpus_bilou(c, 3), NK_LABEL(2, NK_B));
    assert_int_equal(nk_corpus_bilou(c, 4), NK_LABEL(2, NK_L));
    nerkit_corpus_free(c);
}

static void test_no_trailing_newline(void **state)
{
    (void)state;
    const char *text = "EU B-ORG\nrejects O\n\nGerman B-MISC";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 3);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_token(c, 2, "German");
    assert_label(c, 2, "B-MISC");
    static const char *const labels[] = {"X", "Y", "Z"};
    const char *expected = "EU B-ORG X\nrejects O Y\n\nGerman B-MISC Z";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* one line, no newline at all */
    c = parse("alone O");
    assert_int_equal(nerkit_corpus_ntokens(c), 1);
    assert_int_equal(nerkit_corpus_nsentences(c), 1);
    assert_label(c, 0, "O");
    nerkit_corpus_free(c);
}

static void test_crlf(void **state)
{
    (void)state;
    const char *text = "EU B-ORG\r\nrejects O\r\n\r\nPeter B-PER\r\nBlackburn I-PER\r\n";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 4);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    for (size_t i = 0; i < 4; i++) {
        size_t len;
        const char *s = nerkit_corpus_token(c, i, &len);
        assert_null(memchr(s, '\r', len));
        s = nerkit_corpus_label(c, i, &len);
        assert_null(memchr(s, '\r', len));
    }
    assert_label(c, 0, "B-ORG");
    assert_label(c, 1, "O");
    assert_label(c, 3, "I-PER");
    assert_int_equal(nerkit_corpus_ntypes(c), 2);
    assert_string_equal(nerkit_corpus_type(c, 1), "PER");
    assert_int_equal(nk_corpus_bilou(c, 3), NK_LABEL(1, NK_L));
    static const char *const labels[] = {"B-ORG", "O", "B-PER", "I-PER"};
    const char *expected =
        "EU B-ORG B-ORG\r\nrejects O O\r\n\r\nPeter B-PER B-PER\r\nBlackburn I-PER I-PER\r\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* CRLF with tab-separated lines, a -DOCSTART- line and no final newline */
    text = "-DOCSTART-\tO\r\n\r\nEU\tB-ORG\r\nrejects\tO";
    c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 2);
    assert_label(c, 1, "O");
    static const char *const labels2[] = {"S-ORG", "O"};
    expected = "-DOCSTART-\tO\tO\r\n\r\nEU\tB-ORG\tS-ORG\r\nrejects\tO\tO";
    assert_written(c, labels2, expected, strlen(expected));
    nerkit_corpus_free(c);
}

static void test_empty_and_whitespace_only(void **state)
{
    (void)state;
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse("", 0, "empty", NULL, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntokens(c), 0);
    assert_int_equal(nerkit_corpus_nsentences(c), 0);
    assert_int_equal(nerkit_corpus_ndocuments(c), 0);
    assert_int_equal(nerkit_corpus_ntypes(c), 0);
    size_t len;
    char *out = write_column(c, NULL, &len);
    assert_int_equal(len, 0);
    free(out);
    nerkit_corpus_free(c);
    /* an empty buffer may be NULL */
    c = nerkit_corpus_parse(NULL, 0, "null", NULL, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntokens(c), 0);
    nerkit_corpus_free(c);

    const char *ws = " \n\t\n\n   \t  \r\n\n \t";
    c = nerkit_corpus_parse(ws, strlen(ws), "ws", NULL, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntokens(c), 0);
    assert_int_equal(nerkit_corpus_nsentences(c), 0);
    assert_int_equal(nerkit_corpus_ndocuments(c), 0);
    /* written back unchanged */
    assert_written(c, NULL, ws, strlen(ws));
    nerkit_corpus_free(c);

    /* an empty file on disk, through nerkit_corpus_read */
    char path[64];
    temp_file(path, "", 0);
    c = nerkit_corpus_read(path, NULL, &err);
    unlink(path);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntokens(c), 0);
    nerkit_corpus_free(c);
}

static void test_tab_only_mode(void **state)
{
    (void)state;
    const char *text = "New York\tB-LOC\n\tO\nis  here \tO\n\nSan Francisco Bay\tB-LOC\n";
    nerkit_reader_opts o;
    nerkit_reader_opts_init(&o);
    o.tab_only = 1;
    nerkit_corpus *c = parse_opts(text, strlen(text), &o);
    assert_int_equal(nerkit_corpus_ntokens(c), 4);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_token(c, 0, "New York");
    assert_token(c, 1, "");
    assert_token(c, 2, "is  here ");
    assert_token(c, 3, "San Francisco Bay");
    assert_label(c, 0, "B-LOC");
    assert_label(c, 1, "O");
    assert_label(c, 3, "B-LOC");
    static const char *const labels[] = {"a", "b", "c", "d"};
    const char *expected =
        "New York\tB-LOC\ta\n\tO\tb\nis  here \tO\tc\n\nSan Francisco Bay\tB-LOC\td\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* the same text split on spaces too has 3 columns on line 1 and 1 on line 2 */
    expect_format_error(text, strlen(text), NULL, "t.conll:2:");
}

static void test_default_mode_mixed_separators(void **state)
{
    (void)state;
    const char *text = "EU \t B-ORG\nrejects\tO\n  German   B-MISC  \n\t\ncall\t \tO\n";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 4);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_token(c, 0, "EU");
    assert_token(c, 1, "rejects");
    assert_token(c, 2, "German");
    assert_token(c, 3, "call");
    assert_label(c, 0, "B-ORG");
    assert_label(c, 1, "O");
    assert_label(c, 2, "B-MISC");
    assert_label(c, 3, "O");
    /* lines with a tab get a tab, the space-only line a space */
    static const char *const labels[] = {"1", "2", "3", "4"};
    const char *expected = "EU \t B-ORG\t1\nrejects\tO\t2\n  German   B-MISC   3\n\t\ncall\t \tO\t4\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);
}

static void test_mit_layout(void **state)
{
    (void)state;
    const char *text = "B-Actor\tsteve\nI-Actor\tmcqueen\nO\tmovies\n\nO\tfilms\nB-Year\t1990s\n";
    nerkit_reader_opts o;
    nerkit_reader_opts_init(&o);
    o.token_col = 2;
    o.label_col = 1;
    nerkit_corpus *c = parse_opts(text, strlen(text), &o);
    assert_int_equal(nerkit_corpus_ntokens(c), 5);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_token(c, 0, "steve");
    assert_token(c, 1, "mcqueen");
    assert_token(c, 4, "1990s");
    assert_label(c, 0, "B-Actor");
    assert_label(c, 2, "O");
    assert_label(c, 4, "B-Year");
    assert_int_equal(nerkit_corpus_ntypes(c), 2);
    assert_string_equal(nerkit_corpus_type(c, 0), "Actor");
    assert_string_equal(nerkit_corpus_type(c, 1), "Year");
    assert_int_equal(nk_corpus_bilou(c, 0), NK_LABEL(0, NK_B));
    assert_int_equal(nk_corpus_bilou(c, 1), NK_LABEL(0, NK_L));
    assert_int_equal(nk_corpus_bilou(c, 4), NK_LABEL(1, NK_U));
    nerkit_corpus_free(c);

    /* negative columns count from the end: the same with -1 / -2 */
    o.token_col = -1;
    o.label_col = -2;
    c = parse_opts(text, strlen(text), &o);
    assert_token(c, 1, "mcqueen");
    assert_label(c, 1, "I-Actor");
    nerkit_corpus_free(c);

    /* a column past the end is an error naming the first line */
    o.token_col = 3;
    o.label_col = 1;
    expect_format_error(text, strlen(text), &o, "t.conll:1:");
}

static void test_long_sentence(void **state)
{
    (void)state;
    enum { N = 10000 };
    size_t cap = (size_t)N * 24, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    /* every 10 tokens: an entity of 3 tokens (B I I) then 7 O */
    for (size_t i = 0; i < N; i++) {
        const char *lab = i % 10 == 0 ? "B-PER" : i % 10 < 3 ? "I-PER" : "O";
        len += (size_t)snprintf(text + len, cap - len, "w%zu %s\n", i, lab);
    }
    nerkit_corpus *c = parse_opts(text, len, NULL);
    free(text);
    assert_int_equal(nerkit_corpus_ntokens(c), N);
    assert_int_equal(nerkit_corpus_nsentences(c), 1);
    assert_token(c, 0, "w0");
    assert_token(c, 9999, "w9999");
    assert_token(c, 5432, "w5432");
    for (size_t i = 0; i < N; i++) {
        uint16_t want = i % 10 == 0 ? NK_LABEL(0, NK_B)
                        : i % 10 == 1 ? NK_LABEL(0, NK_I)
                        : i % 10 == 2 ? NK_LABEL(0, NK_L)
                                      : 0;
        if (nk_corpus_bilou(c, i) != want)
            fail_msg("token %zu: BILOU %u, expected %u", i, nk_corpus_bilou(c, i), want);
    }
    nerkit_document doc;
    assert_int_equal(nerkit_corpus_document(c, 0, &doc), 0);
    assert_int_equal(doc.ntokens, N);
    assert_int_equal(doc.nsentences, 1);
    assert_int_equal(doc.sentence_len[0], N);
    nerkit_corpus_free(c);
}

static void test_docstart(void **state)
{
    (void)state;
    const char *text = "-DOCSTART- -X- O O\n\nEU B-ORG\nrejects O\n\nGerman B-MISC\n\n"
                       "-DOCSTART- -X- O O\n\nPeter B-PER\n";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 4);
    assert_int_equal(nerkit_corpus_nsentences(c), 3);
    assert_int_equal(nerkit_corpus_ndocuments(c), 2);
    nerkit_document doc;
    assert_int_equal(nerkit_corpus_document(c, 0, &doc), 0);
    assert_int_equal(doc.ntokens, 3);
    assert_int_equal(doc.nsentences, 2);
    assert_int_equal(doc.sentence_len[0], 2);
    assert_int_equal(doc.sentence_len[1], 1);
    assert_int_equal(doc.token_len[0], 2);
    assert_memory_equal(doc.tokens[0], "EU", 2);
    assert_int_equal(nerkit_corpus_document(c, 1, &doc), 3);
    assert_int_equal(doc.ntokens, 1);
    assert_int_equal(doc.nsentences, 1);
    assert_memory_equal(doc.tokens[0], "Peter", 5);
    /* -DOCSTART- lines get O, blank lines stay blank */
    static const char *const labels[] = {"B-ORG", "O", "B-MISC", "B-PER"};
    const char *expected = "-DOCSTART- -X- O O O\n\nEU B-ORG B-ORG\nrejects O O\n\nGerman B-MISC B-MISC\n\n"
                           "-DOCSTART- -X- O O O\n\nPeter B-PER B-PER\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* a -DOCSTART- straight after a token line, not followed by a blank line:
     * it ends the sentence and starts a document */
    text = "-DOCSTART- O\nEU B-ORG\nrejects O\n-DOCSTART- O\nPeter B-PER\nSmith I-PER\n";
    c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 4);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_int_equal(nerkit_corpus_ndocuments(c), 2);
    assert_int_equal(nerkit_corpus_document(c, 1, &doc), 2);
    assert_int_equal(doc.ntokens, 2);
    assert_int_equal(nk_corpus_bilou(c, 3), NK_LABEL(1, NK_L));
    static const char *const labels2[] = {"a", "b", "c", "d"};
    expected = "-DOCSTART- O O\nEU B-ORG a\nrejects O b\n-DOCSTART- O O\nPeter B-PER c\nSmith I-PER d\n";
    assert_written(c, labels2, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* a trailing -DOCSTART- with nothing after it, and two in a row, make no
     * empty documents */
    c = parse("-DOCSTART- O\n\n-DOCSTART- O\n\nEU B-ORG\n\nPeter B-PER\n\n-DOCSTART- O\n\n");
    assert_int_equal(nerkit_corpus_ntokens(c), 2);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_int_equal(nerkit_corpus_ndocuments(c), 1);
    assert_int_equal(nerkit_corpus_document(c, 0, &doc), 0);
    assert_int_equal(doc.ntokens, 2);
    assert_int_equal(doc.nsentences, 2);
    nerkit_corpus_free(c);

    /* only -DOCSTART- lines: no tokens, no documents */
    c = parse("-DOCSTART- -X- O O\n\n");
    assert_int_equal(nerkit_corpus_ntokens(c), 0);
    assert_int_equal(nerkit_corpus_ndocuments(c), 0);
    nerkit_corpus_free(c);

    /* without any -DOCSTART- the file is one document */
    c = parse("a O\n\nb O\n\nc O\n");
    assert_int_equal(nerkit_corpus_ndocuments(c), 1);
    assert_int_equal(nerkit_corpus_nsentences(c), 3);
    nerkit_corpus_free(c);
}

static void test_one_column_has_no_labels(void **state)
{
    (void)state;
    nerkit_corpus *c = parse("EU\nrejects\n\nGerman\n");
    assert_int_equal(nerkit_corpus_has_labels(c), 0);
    assert_int_equal(nerkit_corpus_ntokens(c), 3);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_int_equal(nerkit_corpus_ntypes(c), 0);
    assert_token(c, 2, "German");
    assert_label(c, 0, "O");
    assert_int_equal(nk_corpus_bilou(c, 0), 0);
    static const char *const labels[] = {"B-ORG", "O", "B-MISC"};
    const char *expected = "EU B-ORG\nrejects O\n\nGerman B-MISC\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* two columns under the same options do have labels */
    c = parse("EU B-ORG\n");
    assert_int_equal(nerkit_corpus_has_labels(c), 1);
    nerkit_corpus_free(c);

    /* label_col = 0 means no labels whatever the column count */
    nerkit_reader_opts o;
    nerkit_reader_opts_init(&o);
    o.label_col = 0;
    const char *text = "EU NNP B-ORG\n";
    c = parse_opts(text, strlen(text), &o);
    assert_int_equal(nerkit_corpus_has_labels(c), 0);
    assert_int_equal(nerkit_corpus_ntypes(c), 0);
    assert_token(c, 0, "EU");
    nerkit_corpus_free(c);

    /* a one-column file with an explicit label column 1 has the token as
     * its label too, which the reader refuses */
    o.label_col = 1;
    expect_format_error("EU\n", 3, &o, "t.conll:1:");
}

static void test_bom(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBF" "EU B-ORG\nrejects O\n";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 2);
    assert_token(c, 0, "EU");
    assert_label(c, 0, "B-ORG");
    /* written back with the BOM kept */
    static const char *const labels[] = {"x", "y"};
    const char *expected = "\xEF\xBB\xBF" "EU B-ORG x\nrejects O y\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);

    /* a BOM before -DOCSTART- does not hide it */
    c = parse("\xEF\xBB\xBF-DOCSTART- -X- O O\n\nEU B-ORG\n");
    assert_int_equal(nerkit_corpus_ntokens(c), 1);
    assert_token(c, 0, "EU");
    nerkit_corpus_free(c);

    /* line numbers still count the BOM line as line 1 */
    text = "\xEF\xBB\xBF" "EU B-ORG\nrejects X-O\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:2:");
}

static void test_error_column_count(void **state)
{
    (void)state;
    const char *text = "EU NNP B-ORG\nrejects VBZ O\nGerman B-MISC\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:3:");
    /* blank lines and -DOCSTART- count as lines */
    text = "-DOCSTART- O\n\nEU B-ORG\n\nrejects VBZ O\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:5:");
    /* CRLF lines are counted the same */
    text = "EU B-ORG\r\n\r\na b c\r\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:3:");
}

static void test_error_invalid_utf8(void **state)
{
    (void)state;
    const char *text = "EU B-ORG\nM\xFCnchen B-LOC\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:2:");
    /* truncated sequence at the end of a line */
    text = "a O\nb O\n\nc\xC3 O\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:4:");
    /* overlong encoding and a surrogate */
    text = "\xC0\xAF O\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:1:");
    text = "a O\n\xED\xA0\x80 O\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:2:");
    /* valid multi-byte text is fine */
    nerkit_corpus *c = parse("M\xC3\xBCnchen B-LOC\n\xE2\x82\xAC O\n\xF0\x9F\x98\x80 O\n");
    assert_int_equal(nerkit_corpus_ntokens(c), 3);
    assert_token(c, 0, "M\xC3\xBCnchen");
    nerkit_corpus_free(c);
}

static void test_error_nul_byte(void **state)
{
    (void)state;
    static const char text[] = "EU B-ORG\nrej\0ects O\n";
    expect_format_error(text, sizeof text - 1, NULL, "t.conll:2:");
    static const char text2[] = "EU B-ORG\n\n\0\n";
    expect_format_error(text2, sizeof text2 - 1, NULL, "t.conll:3:");
}

static void test_error_bad_labels(void **state)
{
    (void)state;
    const char *text = "EU B-ORG\nPeter X-PER\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:2:");
    text = "Peter PER\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:1:");
    text = "a O\nb O\nPeter B-\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:3:");
    text = "a O\n\nPeter BPER\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:3:");
    text = "a o\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:1:");
    text = "a O-PER\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:1:");
}

static void test_error_mixed_bioes_bilou(void **state)
{
    (void)state;
    /* the first S- is on line 1, the first L- on line 4: the later is named */
    const char *text = "EU S-ORG\n\nPeter B-PER\nSmith L-PER\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:4:");
    text = "Peter U-PER\nsaid O\nEU S-ORG\n";
    expect_format_error(text, strlen(text), NULL, "t.conll:3:");
}

static void test_error_forced_scheme(void **state)
{
    (void)state;
    nerkit_reader_opts o;
    nerkit_reader_opts_init(&o);
    o.scheme = NERKIT_SCHEME_IOB2;
    const char *text = "a O\nPeter B-PER\nSmith E-PER\n";
    expect_format_error(text, strlen(text), &o, "t.conll:3:");
    /* without forcing, the same file is BIOES */
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_scheme(c), NERKIT_SCHEME_BIOES);
    nerkit_corpus_free(c);
    /* a forced scheme is reported as such */
    text = "Peter I-PER\nSmith I-PER\n";
    c = parse_opts(text, strlen(text), &o);
    assert_int_equal(nerkit_corpus_scheme(c), NERKIT_SCHEME_IOB2);
    nerkit_corpus_free(c);
    o.scheme = NERKIT_SCHEME_BIOES;
    text = "Peter B-PER\nSmith L-PER\n";
    expect_format_error(text, strlen(text), &o, "t.conll:2:");
}

static void test_read_file_and_missing_file(void **state)
{
    (void)state;
    const char *text = "EU B-ORG\nrejects O\n\nGerman B-MISC\n";
    char path[64];
    temp_file(path, text, strlen(text));
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_read(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntokens(c), 3);
    assert_int_equal(nerkit_corpus_nsentences(c), 2);
    assert_label(c, 2, "B-MISC");
    nerkit_corpus_free(c);

    /* errors from a file name the file */
    const char *bad = "EU B-ORG\nrejects\n";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bad, 1, strlen(bad), f), strlen(bad));
    assert_int_equal(fclose(f), 0);
    c = nerkit_corpus_read(path, NULL, &err);
    assert_null(c);
    assert_int_equal(err.code, NERKIT_ERR_FORMAT);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s:2:", path);
    assert_true(strncmp(err.message, prefix, strlen(prefix)) == 0);
    unlink(path);

    /* the file is gone now */
    memset(&err, 0, sizeof err);
    c = nerkit_corpus_read(path, NULL, &err);
    assert_null(c);
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, path));

    c = nerkit_corpus_read("/nonexistent-dir-nerkit/x.conll", NULL, &err);
    assert_null(c);
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, "/nonexistent-dir-nerkit/x.conll"));

    /* a directory is not a corpus */
    memset(&err, 0, sizeof err);
    c = nerkit_corpus_read("/tmp", NULL, &err);
    assert_null(c);
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, "/tmp"));
}

static void test_write_column_exact_bytes(void **state)
{
    (void)state;
    /* a bit of everything: document lines, blank lines (one with spaces),
     * tab lines, space lines, three columns */
    const char *text = "-DOCSTART- -X- -X- O\n\nEU NNP B-ORG\nrejects\tVBZ\tO\n   \n"
                       "German JJ B-MISC\ncall NN O\n\n\n-DOCSTART-\t-X-\t-X-\tO\nPeter NNP B-PER\n";
    nerkit_corpus *c = parse(text);
    assert_int_equal(nerkit_corpus_ntokens(c), 5);
    assert_int_equal(nerkit_corpus_nsentences(c), 3);
    assert_int_equal(nerkit_corpus_ndocuments(c), 2);
    static const char *const labels[] = {"S-ORG", "O", "S-MISC", "O", "S-PER"};
    const char *expected = "-DOCSTART- -X- -X- O O\n\nEU NNP B-ORG S-ORG\nrejects\tVBZ\tO\tO\n   \n"
                           "German JJ B-MISC S-MISC\ncall NN O O\n\n\n-DOCSTART-\t-X-\t-X-\tO\tO\n"
                           "Peter NNP B-PER S-PER\n";
    assert_written(c, labels, expected, strlen(expected));
    nerkit_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_two_sentences),
        cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_empty_and_whitespace_only),
        cmocka_unit_test(test_tab_only_mode),
        cmocka_unit_test(test_default_mode_mixed_separators),
        cmocka_unit_test(test_mit_layout),
        cmocka_unit_test(test_long_sentence),
        cmocka_unit_test(test_docstart),
        cmocka_unit_test(test_one_column_has_no_labels),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_error_column_count),
        cmocka_unit_test(test_error_invalid_utf8),
        cmocka_unit_test(test_error_nul_byte),
        cmocka_unit_test(test_error_bad_labels),
        cmocka_unit_test(test_error_mixed_bioes_bilou),
        cmocka_unit_test(test_error_forced_scheme),
        cmocka_unit_test(test_read_file_and_missing_file),
        cmocka_unit_test(test_write_column_exact_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
