/*
 * CoNLL reader (nerkit_corpus_parse) on arbitrary bytes, under reader
 * options taken from the first byte.
 *
 * Invariants when the file is accepted: sentences and documents partition
 * the tokens; a token holds no column separator, and is empty only where
 * columns are split at tabs alone; a label
 * is O or PREFIX-TYPE; writing the corpus back with a column appended
 * (nerkit_corpus_write_column: the token's label, O on -DOCSTART- lines)
 * gives the input exactly once the new column is taken out; the corpus tags, and every output format writes,
 * without error (JSONL output lines are JSON objects).
 */
#include "common.h"

#include <string.h>

/* A label that no accepted corpus can contain: 0xFF is never UTF-8. */
#define MARK "\xff"

/* The corpus written with column appended, or else tagged with fz_model
 * and written in format f. */
static char *write_out(const nerkit_corpus *c, nerkit_output_format f, const char *const *column,
                       size_t *len)
{
    static nerkit_tagger *t;
    char *out = NULL;
    FILE *fp = open_memstream(&out, len);
    FZ_CHECK(fp, "open_memstream failed");
    nerkit_error err = {0};
    if (!t)
        FZ_CHECK(t = nerkit_tagger_new(fz_model(), &err), "tagger: %s", err.message);
    nerkit_bulk_opts o;
    nerkit_bulk_opts_init(&o);
    o.output = f;
    int rc = column ? nerkit_corpus_write_column(c, column, fp, &err)
                    : nerkit_corpus_tag_write(t, c, &o, fp, &err);
    FZ_CHECK(rc == 0, "writing format %d failed: %s", (int)f, err.message);
    FZ_CHECK(fclose(fp) == 0, "fclose failed");
    return out;
}

static void check_round_trip(const nerkit_corpus *c, const uint8_t *data, size_t size)
{
    size_t n = nerkit_corpus_ntokens(c), len;
    const char **column = malloc((n + 1) * sizeof *column);
    FZ_CHECK(column, "out of memory");
    for (size_t i = 0; i < n; i++)
        column[i] = MARK;
    char *out = write_out(c, NERKIT_OUTPUT_CONLL, column, &len);
    size_t k = 0, marks = 0;
    bool doc_line = false;
    for (size_t i = 0; i < len; i++) {
        if (i == 0 || out[i - 1] == '\n') {
            /* -DOCSTART- lines get an O column, not the token's label */
            size_t j = i + (len - i >= 3 && memcmp(out + i, "\xef\xbb\xbf", 3) == 0 ? 3 : 0);
            while (j < len && (out[j] == ' ' || out[j] == '\t'))
                j++;
            doc_line = len - j >= 10 && memcmp(out + j, "-DOCSTART-", 10) == 0;
        }
        if (i + 1 < len && (out[i] == ' ' || out[i] == '\t') &&
            (out[i + 1] == MARK[0] ||
             (doc_line && out[i + 1] == 'O' &&
              (i + 2 == len || out[i + 2] == '\n' ||
               (out[i + 2] == '\r' && (i + 3 == len || out[i + 3] == '\n')))))) {
            marks += out[i + 1] == MARK[0];
            i++;
            continue;
        }
        FZ_CHECK(k < size && out[i] == (char)data[k], "written corpus differs at input byte %zu",
                 k);
        k++;
    }
    FZ_CHECK(k == size, "written corpus has %zu of %zu input bytes", k, size);
    FZ_CHECK(marks == n, "%zu tokens but %zu appended labels", n, marks);
    free(out);
    free(column);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const int token_cols[] = {1, 2, -1, -2}, label_cols[] = {-1, 0, 2, 1};
    nerkit_reader_opts o;
    nerkit_reader_opts_init(&o);
    o.tab_only = data[0] & 1;
    o.token_col = token_cols[(data[0] >> 1) & 3];
    o.label_col = label_cols[(data[0] >> 3) & 3];
    o.scheme = (nerkit_scheme)((data[0] >> 5) % 5);
    data++, size--;

    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse((const char *)data, size, "fuzz", &o, &err);
    if (!c) {
        FZ_CHECK(err.code != NERKIT_OK && err.message[0], "refused without a message");
        return 0;
    }
    size_t n = nerkit_corpus_ntokens(c), tokens = 0, sentences = 0;
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        FZ_CHECK(nerkit_corpus_document(c, d, &doc) == tokens, "document %zu does not follow on",
                 d);
        size_t in_doc = 0;
        for (size_t s = 0; s < doc.nsentences; s++) {
            FZ_CHECK(doc.sentence_len[s] > 0, "empty sentence");
            in_doc += doc.sentence_len[s];
        }
        FZ_CHECK(in_doc == doc.ntokens, "document %zu: sentences hold %zu of %zu tokens", d,
                 in_doc, doc.ntokens);
        tokens += doc.ntokens;
        sentences += doc.nsentences;
    }
    FZ_CHECK(tokens == n && sentences == nerkit_corpus_nsentences(c),
             "documents hold %zu of %zu tokens", tokens, n);
    for (size_t i = 0; i < n; i++) {
        size_t len, llen;
        const char *tok = nerkit_corpus_token(c, i, &len);
        /* with tabs only, a token may be empty ("\tO") */
        FZ_CHECK((len > 0 || o.tab_only) && !memchr(tok, '\t', len) && !memchr(tok, '\n', len) &&
                     (o.tab_only || !memchr(tok, ' ', len)),
                 "token %zu: '%.*s'", i, (int)len, tok);
        const char *lab = nerkit_corpus_label(c, i, &llen);
        nk_raw_label rl;
        FZ_CHECK(nk_label_parse(lab, llen, &rl), "label %zu: '%.*s'", i, (int)llen, lab);
    }
    check_round_trip(c, data, size);
    for (int f = NERKIT_OUTPUT_JSONL; f <= NERKIT_OUTPUT_TSV; f++) {
        size_t len;
        char *out = write_out(c, (nerkit_output_format)f, NULL, &len);
        if (f == NERKIT_OUTPUT_JSONL)
            fz_check_jsonl(out, len);
        free(out);
    }
    nerkit_corpus_free(c);
    return 0;
}
