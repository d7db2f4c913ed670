/* Tokenizer and sentence splitter: the token boundaries of CoNLL-style
 * English, and offsets that slice back to the token text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nerkit.h"

/* Tokenizes text and checks the tokens (as sliced from the original text
 * by their byte offsets) against want, a NULL-terminated list; "|" marks a
 * sentence end. */
static void check(const char *text, const char *const *want)
{
    nerkit_tokens *t = nerkit_tokens_new();
    nerkit_error err;
    assert_int_equal(nerkit_tokenize(t, text, strlen(text), &err), NERKIT_OK);
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    size_t k = 0, i = 0;
    for (size_t s = 0; s < doc.nsentences; s++) {
        for (size_t j = 0; j < doc.sentence_len[s]; j++, i++, k++) {
            nerkit_span sp = nerkit_tokens_span(t, i);
            assert_non_null(want[k]);
            size_t n = sp.byte_end - sp.byte_start;
            if (strlen(want[k]) != n || memcmp(text + sp.byte_start, want[k], n) != 0)
                fail_msg("token %zu: got '%.*s', want '%s'", i, (int)n, text + sp.byte_start,
                         want[k]);
        }
        if (s + 1 < doc.nsentences) {
            assert_non_null(want[k]);
            assert_string_equal(want[k], "|");
            k++;
        }
    }
    assert_null(want[k]);
    nerkit_tokens_free(t);
}

static void test_punctuation(void **state)
{
    (void)state;
    check("Hello, world (really)!",
          (const char *[]){"Hello", ",", "world", "(", "really", ")", "!", NULL});
    check("\"Yes,\" he said.", (const char *[]){"\"", "Yes", ",", "\"", "he", "said", ".", NULL});
    check("Wait... what?", (const char *[]){"Wait", "...", "what", "?", NULL});
    check("up 5% to $100", (const char *[]){"up", "5", "%", "to", "$", "100", NULL});
}

static void test_kept_whole(void **state)
{
    (void)state;
    check("The U.S. Mr. Smith on Jan. 5 paid 1,000.50 on 1996-08-22 for an ex-wife.",
          (const char *[]){"The", "U.S.", "Mr.", "Smith", "on", "Jan.", "5", "paid", "1,000.50",
                           "on", "1996-08-22", "for", "an", "ex-wife", ".", NULL});
    check("Mail bob@example.com or see https://example.org/a?b=1. Ping @nerkit now",
          (const char *[]){"Mail", "bob@example.com", "or", "see", "https://example.org/a?b=1",
                           ".", "|", "Ping", "@nerkit", "now", NULL});
    check("J. Smith won 6-4 at 10:30", (const char *[]){"J.", "Smith", "won", "6-4", "at", "10:30", NULL});
}

static void test_clitics(void **state)
{
    (void)state;
    check("John's car doesn't start; they're here.",
          (const char *[]){"John", "'s", "car", "does", "n't", "start", ";", "they", "'re", "here",
                           ".", NULL});
    check("Reuters' report", (const char *[]){"Reuters", "'", "report", NULL});
}

static void test_sentences(void **state)
{
    (void)state;
    check("It rained. Then it stopped! Did it? yes",
          (const char *[]){"It", "rained", ".", "|", "Then", "it", "stopped", "!", "|", "Did", "it",
                           "?", "yes", NULL});
    /* no break after an abbreviation or an initial, or before lower case */
    check("Mr. Smith met Dr. J. Doe in St. Louis. e.g. this",
          (const char *[]){"Mr.", "Smith", "met", "Dr.", "J.", "Doe", "in", "St.", "Louis", ".",
                           "e.g.", "this", NULL});
    /* a blank line ends a sentence; a single line break does not */
    check("First line\nsame sentence\n\nNew paragraph",
          (const char *[]){"First", "line", "same", "sentence", "|", "New", "paragraph", NULL});
    /* closing quotes stay with their sentence */
    check("He said \"go.\" She left.",
          (const char *[]){"He", "said", "\"", "go", ".", "\"", "|", "She", "left", ".", NULL});
}

static void test_unicode_and_offsets(void **state)
{
    (void)state;
    /* curly quotes and dashes: split off, normalized for the model */
    const char *text = "\xE2\x80\x9CZ\xC3\xBCrich\xE2\x80\x9D \xE2\x80\x94 caf\xC3\xA9s \xF0\x9F\x98\x80 \xE6\x9D\xB1\xE4\xBA\xAC.";
    nerkit_tokens *t = nerkit_tokens_new();
    nerkit_error err;
    assert_int_equal(nerkit_tokenize(t, text, strlen(text), &err), NERKIT_OK);
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    const char *model_sees[] = {"\"", "Z\xC3\xBCrich", "\"", "--", "caf\xC3\xA9s",
                                "\xF0\x9F\x98\x80", "\xE6\x9D\xB1\xE4\xBA\xAC", "."};
    assert_int_equal(doc.ntokens, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(doc.token_len[i], strlen(model_sees[i]));
        assert_memory_equal(doc.tokens[i], model_sees[i], doc.token_len[i]);
    }
    /* character offsets count code points */
    size_t want_chars[][2] = {{0, 1}, {1, 7}, {7, 8}, {9, 10}, {11, 16}, {17, 18}, {19, 21}, {21, 22}};
    for (size_t i = 0; i < 8; i++) {
        nerkit_span sp = nerkit_tokens_span(t, i);
        assert_int_equal(sp.char_start, want_chars[i][0]);
        assert_int_equal(sp.char_end, want_chars[i][1]);
    }
    nerkit_tokens_free(t);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    /* each invalid byte is one U+FFFD character; offsets stay on the original bytes */
    const char text[] = "ab\xFF\xFE cd";
    nerkit_tokens *t = nerkit_tokens_new();
    nerkit_error err;
    assert_int_equal(nerkit_tokenize(t, text, sizeof text - 1, &err), NERKIT_OK);
    assert_int_equal(nerkit_tokens_count(t), 2);
    nerkit_span a = nerkit_tokens_span(t, 0), b = nerkit_tokens_span(t, 1);
    assert_int_equal(a.byte_start, 0);
    assert_int_equal(a.byte_end, 4);
    assert_int_equal(a.char_end, 4);
    assert_int_equal(b.byte_start, 5);
    assert_int_equal(b.char_start, 5);
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    assert_memory_equal(doc.tokens[0], "ab\xEF\xBF\xBD\xEF\xBF\xBD", 8);
    nerkit_tokens_free(t);
}

static void test_empty_and_reuse(void **state)
{
    (void)state;
    nerkit_tokens *t = nerkit_tokens_new();
    nerkit_error err;
    assert_int_equal(nerkit_tokenize(t, "  \n\n \t", 6, &err), NERKIT_OK);
    assert_int_equal(nerkit_tokens_count(t), 0);
    assert_int_equal(nerkit_tokens_sentences(t), 0);
    assert_int_equal(nerkit_tokenize(t, "One two.", 8, &err), NERKIT_OK);
    assert_int_equal(nerkit_tokens_count(t), 3);
    /* a very long sentence is cut so decoding stays bounded */
    size_t n = 5000;
    char *big = malloc(2 * n);
    for (size_t i = 0; i < n; i++) {
        big[2 * i] = 'a';
        big[2 * i + 1] = ' ';
    }
    assert_int_equal(nerkit_tokenize(t, big, 2 * n, &err), NERKIT_OK);
    assert_int_equal(nerkit_tokens_count(t), n);
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    for (size_t s = 0; s < doc.nsentences; s++)
        assert_true(doc.sentence_len[s] <= 1000);
    free(big);
    nerkit_tokens_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_punctuation),         cmocka_unit_test(test_kept_whole),
        cmocka_unit_test(test_clitics),             cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_unicode_and_offsets), cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty_and_reuse),
    };
    return cmocka_run_group_tests_name("tokenize", tests, NULL, NULL);
}
