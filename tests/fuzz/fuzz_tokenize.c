/*
 * Tokenizer and sentence splitter (nerkit_tokenize) on arbitrary bytes.
 *
 * Invariants: tokens are non-empty and in order without overlap; byte
 * offsets fall on code point boundaries and char offsets count the code
 * points before them (an invalid byte counts as one); an ASCII token's
 * text is exactly its bytes in the input; every byte outside the tokens is
 * white space (the gaps joined together give no token); sentences
 * partition the tokens and none is longer than the 1000-token cut; and the
 * tokens tag without error.
 */
#include "common.h"

#include <string.h>

/* Code points before each byte offset, or SIZE_MAX inside a sequence. */
static size_t *char_index(const unsigned char *s, size_t n)
{
    size_t *at = malloc((n + 1) * sizeof *at);
    FZ_CHECK(at, "out of memory");
    size_t chars = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = nk_utf8_decode(s + i, n - i, &cp);
        if (!k)
            k = 1;
        at[i] = chars++;
        for (size_t j = 1; j < k; j++)
            at[i + j] = SIZE_MAX;
        i += k;
    }
    at[n] = chars;
    return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nerkit_tokens *t;
    static nerkit_tokens *gaps_t;
    if (!t) {
        t = nerkit_tokens_new();
        gaps_t = nerkit_tokens_new();
        FZ_CHECK(t && gaps_t, "out of memory");
    }
    const char *text = (const char *)data;
    nerkit_error err = {0};
    FZ_CHECK(nerkit_tokenize(t, text, size, &err) == 0, "tokenize failed: %s", err.message);
    size_t n = nerkit_tokens_count(t);
    size_t *at = char_index(data, size);
    char *gaps = malloc(size + 1);
    FZ_CHECK(gaps, "out of memory");
    size_t ngaps = 0, prev_end = 0;
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    FZ_CHECK(doc.ntokens == n, "document has %zu tokens, tokenizer %zu", doc.ntokens, n);
    for (size_t i = 0; i < n; i++) {
        nerkit_span s = nerkit_tokens_span(t, i);
        FZ_CHECK(s.byte_start < s.byte_end && s.byte_end <= size, "token %zu: bytes %zu-%zu of %zu",
                 i, s.byte_start, s.byte_end, size);
        FZ_CHECK(s.byte_start >= prev_end, "token %zu starts at %zu inside the previous (ends %zu)",
                 i, s.byte_start, prev_end);
        FZ_CHECK(at[s.byte_start] == s.char_start && at[s.byte_end] == s.char_end,
                 "token %zu: char offsets %zu-%zu, the bytes say %zu-%zu", i, s.char_start,
                 s.char_end, at[s.byte_start], at[s.byte_end]);
        FZ_CHECK(doc.token_len[i] > 0, "token %zu has empty text", i);
        FZ_CHECK(nk_utf8_check((const unsigned char *)doc.tokens[i], doc.token_len[i]) ==
                     doc.token_len[i],
                 "token %zu text is not UTF-8", i);
        bool ascii = true;
        for (size_t k = s.byte_start; k < s.byte_end; k++)
            ascii &= data[k] < 0x80;
        if (ascii)
            FZ_CHECK(doc.token_len[i] == s.byte_end - s.byte_start &&
                         memcmp(doc.tokens[i], text + s.byte_start, doc.token_len[i]) == 0,
                     "token %zu: text '%.*s' is not its bytes '%.*s'", i, (int)doc.token_len[i],
                     doc.tokens[i], (int)(s.byte_end - s.byte_start), text + s.byte_start);
        memcpy(gaps + ngaps, text + prev_end, s.byte_start - prev_end);
        ngaps += s.byte_start - prev_end;
        prev_end = s.byte_end;
    }
    memcpy(gaps + ngaps, text + prev_end, size - prev_end);
    ngaps += size - prev_end;
    FZ_CHECK(nerkit_tokenize(gaps_t, gaps, ngaps, &err) == 0, "tokenize failed: %s", err.message);
    FZ_CHECK(nerkit_tokens_count(gaps_t) == 0, "bytes outside the tokens make %zu tokens",
             nerkit_tokens_count(gaps_t));

    size_t sum = 0;
    FZ_CHECK(doc.nsentences == nerkit_tokens_sentences(t), "sentence counts differ");
    for (size_t s = 0; s < doc.nsentences; s++) {
        FZ_CHECK(doc.sentence_len[s] > 0 && doc.sentence_len[s] <= 1000,
                 "sentence %zu has %zu tokens", s, doc.sentence_len[s]);
        sum += doc.sentence_len[s];
    }
    FZ_CHECK(sum == n, "sentences hold %zu tokens of %zu", sum, n);
    fz_tag_document(&doc);
    free(at);
    free(gaps);
    return 0;
}
