/*
 * JSON lines: the member scanner (nk_json_members, nk_json_decode_string)
 * and the whole JSONL input path of bulk tagging, chosen by the first
 * byte.
 *
 * Invariants. Scanner: members lie inside the line; a member's value
 * scans again as a value on its own; a string value decodes to no more
 * bytes than it is written with, and encoding the decoded text
 * (nk_buf_json_string) gives JSON that decodes back to it. Bulk path:
 * every JSONL record written is one JSON object; a run that succeeds
 * writes one record per non-blank input line; a failed run says why.
 */
#include "common.h"

#include <string.h>

#define MAX_MEMBERS 16

/* Wraps value as the only member of an object and scans it. */
static nk_json_member rescan(const char *value, size_t n, nk_buf *b)
{
    b->len = 0;
    nk_buf_put(b, "{\"v\":", 5);
    nk_buf_put(b, value, n);
    nk_buf_putc(b, '}');
    FZ_CHECK(!b->failed, "out of memory");
    nk_json_member m;
    size_t count, at;
    FZ_CHECK(nk_json_members(b->p, b->len, &m, 1, &count, &at) == 0 && count == 1,
             "value '%.*s' does not scan on its own (byte %zu)", (int)n, value, at);
    FZ_CHECK(m.value_len == n, "value '%.*s' rescans as %zu bytes", (int)n, value, m.value_len);
    return m;
}

static void check_string(const nk_json_member *m, nk_buf *b)
{
    char *dec = malloc(m->value_len + 1);
    FZ_CHECK(dec, "out of memory");
    size_t n = nk_json_decode_string(m->value, m->value_len, dec);
    FZ_CHECK(n <= m->value_len, "decoded %zu bytes from %zu", n, m->value_len);
    nk_buf enc = {0};
    FZ_CHECK(nk_buf_json_string(&enc, dec, n) == 0, "out of memory");
    nk_json_member again = rescan(enc.p, enc.len, b);
    char *dec2 = malloc(again.value_len + 1);
    FZ_CHECK(dec2, "out of memory");
    size_t n2 = nk_json_decode_string(again.value, again.value_len, dec2);
    /* invalid UTF-8 is written as U+FFFD, so only valid text comes back as it was */
    if (nk_utf8_check((const unsigned char *)dec, n) == n)
        FZ_CHECK(n2 == n && memcmp(dec, dec2, n) == 0, "string does not survive re-encoding");
    free(dec2);
    nk_buf_free(&enc);
    free(dec);
}

static void scan(const char *line, size_t len)
{
    nk_json_member m[MAX_MEMBERS];
    size_t count, at;
    if (nk_json_members(line, len, m, MAX_MEMBERS, &count, &at) != 0) {
        FZ_CHECK(at <= len, "error at byte %zu of %zu", at, len);
        return;
    }
    nk_buf b = {0};
    for (size_t k = 0; k < count && k < MAX_MEMBERS; k++) {
        FZ_CHECK(m[k].member >= line && m[k].member + m[k].member_len <= line + len &&
                     m[k].member[0] == '"' && m[k].key == m[k].member + 1 &&
                     m[k].value >= m[k].key + m[k].key_len &&
                     m[k].value + m[k].value_len == m[k].member + m[k].member_len,
                 "member %zu lies outside the line", k);
        rescan(m[k].value, m[k].value_len, &b);
        if (m[k].value[0] == '"')
            check_string(&m[k], &b);
    }
    nk_buf_free(&b);
}

static void bulk(const uint8_t *data, size_t size, unsigned flags)
{
    nerkit_bulk_opts o;
    nerkit_bulk_opts_init(&o);
    o.input = NERKIT_INPUT_JSONL;
    o.output = (nerkit_output_format)((flags >> 1) & 3);
    o.byte_offsets = (flags >> 3) & 1;
    o.keep_going = (flags >> 4) & 1;
    o.threads = 1;
    const char *path = fz_file(data, size);
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    FZ_CHECK(fp, "open_memstream failed");
    nerkit_error err = {0};
    int rc = nerkit_bulk_tag(fz_model(), &path, 1, fp, &o, NULL, &err);
    FZ_CHECK(fclose(fp) == 0, "fclose failed");
    if (rc) {
        FZ_CHECK(err.message[0], "failed without a message");
    } else if (o.output == NERKIT_OUTPUT_JSONL) {
        fz_check_jsonl(out, len);
        size_t lines = 0, records = 0;
        for (size_t i = 0; i < size;) {
            const uint8_t *nl = memchr(data + i, '\n', size - i);
            size_t e = nl ? (size_t)(nl - data) : size;
            bool blank = true;
            for (size_t k = i; k < e && blank; k++)
                blank = data[k] == ' ' || data[k] == '\t' || data[k] == '\r';
            lines += !blank;
            i = e + 1;
        }
        for (size_t i = 0; i < len; i++)
            records += out[i] == '\n';
        FZ_CHECK(records == lines, "%zu input lines but %zu records", lines, records);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        bulk(data + 1, size - 1, data[0]);
    else
        scan((const char *)data + 1, size - 1);
    return 0;
}
