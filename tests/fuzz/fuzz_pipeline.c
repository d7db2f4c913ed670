/*
 * The whole bulk pipeline (reader, document cutting, taggers, ordered
 * writer) on any bytes, in every input mode, with small document caps:
 * where text made of UTF-8 continuation bytes once made the reader loop
 * and write empty records without end.
 *
 * The first byte chooses the input mode (text, lines, JSONL), the
 * document cap (64 bytes to 8 KiB) and --keep-going; the rest is the
 * input. Invariants: the run ends, and writes no more than a bounded
 * amount per input byte (checked as it writes, so a loop aborts at once
 * rather than filling memory); every record is one JSON object whose text
 * is no longer than the cap, in characters; one thread and two write the
 * same bytes; a failed run says why.
 */
#define _GNU_SOURCE
#include "common.h"

#include <string.h>

typedef struct {
    nk_buf out;
    size_t limit;
} sink;

static ssize_t sink_write(void *cookie, const char *data, size_t n)
{
    sink *s = cookie;
    FZ_CHECK(s->out.len + n <= s->limit, "output passes %zu bytes: the pipeline loops", s->limit);
    nk_buf_put(&s->out, data, n);
    FZ_CHECK(!s->out.failed, "out of memory");
    return (ssize_t)n;
}

/* Runs the pipeline on path with threads threads; the output in s. */
static int run(const char *path, const nerkit_bulk_opts *base, int threads, sink *s,
               nerkit_error *err)
{
    nerkit_bulk_opts o = *base;
    o.threads = threads;
    cookie_io_functions_t io = {.write = sink_write};
    FILE *fp = fopencookie(s, "w", io);
    FZ_CHECK(fp, "fopencookie failed");
    int rc = nerkit_bulk_tag(fz_model(), &path, 1, fp, &o, NULL, err);
    FZ_CHECK(fclose(fp) == 0, "fclose failed");
    return rc;
}

/* Every record's "text" has at most max characters (an invalid byte is
 * one U+FFFD). */
static void check_lengths(const nk_buf *out, size_t max)
{
    for (size_t i = 0; i < out->len;) {
        const char *line = out->p + i, *nl = memchr(line, '\n', out->len - i);
        size_t n = (size_t)(nl - line);
        nk_json_member text;
        size_t count, at;
        FZ_CHECK(nk_json_find(line, n, "text", &text, &count, &at) == 0 && count == 1,
                 "record without one text");
        char *dec = malloc(text.value_len);
        FZ_CHECK(dec, "out of memory");
        size_t k = nk_json_decode_string(text.value, text.value_len, dec), chars = 0;
        for (size_t j = 0; j < k; j++)
            chars += ((unsigned char)dec[j] & 0xC0) != 0x80;
        free(dec);
        FZ_CHECK(chars <= max, "a record of %zu characters, over the cap of %zu", chars, max);
        i += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const nerkit_input_format modes[] = {NERKIT_INPUT_TEXT, NERKIT_INPUT_LINES,
                                                NERKIT_INPUT_JSONL, NERKIT_INPUT_TEXT};
    nerkit_bulk_opts o;
    nerkit_bulk_opts_init(&o);
    o.input = modes[data[0] & 3];
    o.max_document = (size_t)64 << ((data[0] >> 2) & 7);
    o.keep_going = (data[0] >> 5) & 1;
    const char *path = fz_file(data + 1, size - 1);
    /* a record holds at least one input byte, written as at most a
     * 6-byte escape, inside a bounded frame of members and entities */
    size_t limit = 4096 + 64 * size;
    sink one = {.limit = limit}, two = {.limit = limit};
    nerkit_error err1 = {0}, err2 = {0};
    int rc1 = run(path, &o, 1, &one, &err1);
    int rc2 = run(path, &o, 2, &two, &err2);
    FZ_CHECK(rc1 == rc2, "one thread returns %d, two %d", rc1, rc2);
    FZ_CHECK(one.out.len == two.out.len &&
                 (!one.out.len || memcmp(one.out.p, two.out.p, one.out.len) == 0),
             "one thread and two write different output");
    if (rc1)
        FZ_CHECK(err1.message[0], "failed without a message");
    fz_check_jsonl(one.out.p, one.out.len);
    check_lengths(&one.out, o.max_document);
    nk_buf_free(&one.out);
    nk_buf_free(&two.out);
    return 0;
}
