/*
 * The line reader under bulk tagging (nk_lines over an in-memory file,
 * gzip or plain) and the whole-file reader (nerkit_read_file).
 *
 * Mode byte, bit 0 clear: the rest is the file as it is, gzip or not.
 * Bit 0 set: the rest is text that the harness compresses (as one or two
 * gzip members), then cuts short or damages, so that the fuzzer reaches
 * deep into valid gzip streams.
 *
 * Invariants: lines never hold a line break or NUL and never exceed the
 * limit; their offsets follow each other; the lines read before an error
 * are a prefix of the text (unless a damaged member gave wrong text before
 * its checksum failed); a clean end means the whole text was read;
 * a gzip stream cut short or damaged is an error or reads back exactly,
 * never a silent loss (for the lines and for nerkit_read_file alike); and
 * nerkit_read_file agrees with the lines.
 */
#include "common.h"

#include <string.h>
#include <zlib.h>

/* Appends data as one gzip member; returns the member's length. */
static size_t gzip_append(nk_buf *out, const uint8_t *data, size_t n, int level)
{
    z_stream z = {0};
    FZ_CHECK(deflateInit2(&z, level, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK,
             "deflateInit2 failed");
    size_t bound = deflateBound(&z, (uLong)n) + 32;
    unsigned char *buf = malloc(bound);
    FZ_CHECK(buf, "out of memory");
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate failed");
    nk_buf_put(out, buf, z.total_out);
    size_t len = z.total_out;
    deflateEnd(&z);
    free(buf);
    return len;
}

/* Reads path line by line: returns 0 at a clean end, else the error. */
static int read_lines(const char *path, size_t max_line, nk_buf *joined)
{
    nk_lines r;
    nerkit_error err = {0};
    int rc = nk_lines_open(&r, path, max_line, &err);
    FZ_CHECK(rc == 0, "cannot open the in-memory file: %s", err.message);
    const char *line;
    size_t len;
    uint64_t off, expect = 0;
    while ((rc = nk_lines_next(&r, &line, &len, &off, &err)) == 1) {
        FZ_CHECK(len <= max_line, "line of %zu bytes over the %zu limit", len, max_line);
        FZ_CHECK(!memchr(line, '\n', len) && !memchr(line, '\0', len), "line holds \\n or NUL");
        FZ_CHECK(off == expect, "line at offset %llu, expected %llu", (unsigned long long)off,
                 (unsigned long long)expect);
        expect = off + len + 1;
        nk_buf_put(joined, line, len);
        nk_buf_putc(joined, '\n');
    }
    FZ_CHECK(!joined->failed, "out of memory");
    if (rc < 0)
        FZ_CHECK(err.message[0], "error without a message");
    nk_lines_close(&r);
    return rc;
}

/* Does text (with a final line break added when it lacks one) start with,
 * or equal, got? */
static bool text_matches(const nk_buf *got, const uint8_t *text, size_t n, bool whole)
{
    size_t full = n + (n > 0 && text[n - 1] != '\n');
    if (whole ? got->len != full : got->len > full)
        return false;
    size_t k = got->len < n ? got->len : n;
    return (k == 0 || memcmp(got->p, text, k) == 0) && (got->len <= n || got->p[n] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned mode = data[0];
    size_t max_line = (size_t)16 << ((mode >> 1) & 15);
    size_t pick = (size_t)data[1] << 8 | data[2];
    data += 3, size -= 3;

    nk_buf file = {0}, joined = {0};
    bool compressed = mode & 1, damaged = false, flipped = false;
    size_t want = size; /* bytes of the text that the file holds whole */
    if (compressed) {
        int level = (int)(pick % 10);
        size_t half = mode & 0x20 ? size / 2 : size;
        size_t first = gzip_append(&file, data, half, level);
        if (half < size)
            gzip_append(&file, data + half, size - half, level);
        if (mode & 0x40) {
            size_t cut = 2 + pick % (file.len - 2);
            /* a cut between two members leaves a whole gzip file of the first */
            if (cut == first)
                want = half;
            else
                damaged = true;
            file.len = cut;
        } else if (mode & 0x80) {
            file.p[pick % file.len] ^= (char)(1 + (pick >> 8) % 255);
            damaged = flipped = true;
        }
    } else {
        nk_buf_put(&file, data, size);
    }
    const uint8_t *text = data; /* what reading the file must give */
    if (compressed && !(file.p[0] == 0x1f && (unsigned char)file.p[1] == 0x8b)) {
        /* damage to the magic number makes the file plain text */
        text = (const uint8_t *)file.p;
        want = file.len;
        compressed = damaged = flipped = false;
    }
    FZ_CHECK(!file.failed, "out of memory");
    const char *path = fz_file(file.p, file.len);
    int rc = read_lines(path, max_line, &joined);

    bool plain = !compressed && !(want >= 2 && text[0] == 0x1f && text[1] == 0x8b);
    if (compressed || plain) {
        /* gzip checks its CRC at the end of a member, so a damaged member
         * may give wrong lines before the error; a cut one may not */
        if (rc == 0 || !flipped)
            FZ_CHECK(text_matches(&joined, text, want, rc == 0),
                     "%s lines are not the text (%zu bytes read of %zu)",
                     rc == 0 ? "clean end, but the" : "error, and the", joined.len, want);
        if (compressed && !damaged && rc != 0) {
            bool nul = memchr(text, '\0', want) != NULL, long_line = false;
            for (size_t i = 0, start = 0; i <= want; i++)
                if (i == want || text[i] == '\n') {
                    long_line |= i - start > max_line;
                    start = i + 1;
                }
            FZ_CHECK(nul || long_line, "intact gzip refused");
        }
    }

    char *whole;
    size_t whole_len;
    nerkit_error err = {0};
    int wrc = nerkit_read_file(path, &whole, &whole_len, &err);
    if (rc == 0) {
        FZ_CHECK(wrc == 0, "lines read cleanly but nerkit_read_file failed: %s", err.message);
        FZ_CHECK(text_matches(&joined, (const uint8_t *)whole, whole_len, true),
                 "nerkit_read_file and the lines disagree");
    }
    if (wrc == 0 && (compressed || plain))
        FZ_CHECK(whole_len == want && (want == 0 || memcmp(whole, text, want) == 0),
                 "nerkit_read_file returned other bytes than the text, without an error");
    free(whole);
    nk_buf_free(&file);
    nk_buf_free(&joined);
    return 0;
}
