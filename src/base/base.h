/*
 * The base layer: what every other layer uses. Errors, growable buffers,
 * UTF-8 and character classes, hashing, files read (plain or gzip, line by
 * line or whole, folders walked) and files written whole, the clock.
 *
 * May use: nothing of nerkit's but the public types of nerkit.h.
 */
#ifndef NERKIT_BASE_H
#define NERKIT_BASE_H

#include "nerkit.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* ---- errors (error.c) */

/* Fills err (if any) and returns code, so that failures read `return nk_fail(...)`. */
int nk_fail(nerkit_error *err, nerkit_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *nk_fail_null(nerkit_error *err, nerkit_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Option structs that grow (nerkit.h). nk_opts_init writes defaults
 * (known bytes) into the caller's struct of `size` bytes, and no further.
 * NK_OPTS_TAKE gives full the defaults of init and over them the members
 * the caller's struct has, or refuses it; given NULL leaves the defaults. */
void nk_opts_init(void *o, size_t size, const void *defaults, size_t known);
int nk_opts_take(void *full, const void *given, size_t known, const char *init,
                 nerkit_error *err);
#define NK_OPTS_TAKE(full, given, init, err) \
    (init(full), nk_opts_take((full), (given), sizeof *(full), #init, (err)))
/* A member added later must make its struct larger, or the sizes of two
 * versions would be the same: so no padding at the end for it to fill. */
#define NK_OPTS_LAST(type, last)                                                  \
    _Static_assert(sizeof(type) == offsetof(type, last) + sizeof(((type *)0)->last), \
                   #type " has padding at its end")

/* Allocation that reports NOMEM through err. */
void *nk_alloc(size_t n, size_t size, nerkit_error *err);

/* The same, zeroed, for a table read at random (weight rows of a model
 * being built): in 2 MiB huge pages where the kernel gives them, so that
 * its reads miss the TLB far less often. Freed with free(). */
void *nk_alloc_huge(size_t n, size_t size, nerkit_error *err);

/* realloc of *pp to n elements; on failure *pp is kept and false returned. */
bool nk_resize(void *pp, size_t n, size_t elsize);

/* ---- growable byte buffer (buf.c) */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed; /* an allocation failed: check once at the end */
} nk_buf;

/* Room for more bytes after len; false (and the buffer marked) when no memory. */
bool nk_buf_reserve(nk_buf *b, size_t more);
void nk_buf_put(nk_buf *b, const void *data, size_t n);
void nk_buf_putc(nk_buf *b, char c);
void nk_buf_printf(nk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nk_buf_free(nk_buf *b);

/* ---- UTF-8 and character classes (utf8.c) */

/* The tokenizer and the features ask these of every character; ASCII,
 * nearly all of it, is answered inline and the rest in utf8.c. */

/* nk_utf8_decode of a sequence whose first byte is 0x80 or more. */
size_t nk_utf8_decode_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Decodes the code point at s (n bytes available) into *cp and returns its
 * length; returns 0 for an invalid or truncated sequence. */
static inline size_t nk_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    return nk_utf8_decode_seq(s, n, cp);
}

/* Writes cp as UTF-8 into out (room for 4) and returns its length. */
size_t nk_utf8_encode(uint32_t cp, char *out);

/* Offset of the first invalid UTF-8 byte in s, or n when all is valid. */
size_t nk_utf8_check(const unsigned char *s, size_t n);

/* nk_cp_lower and nk_cp_is_letter past ASCII */
uint32_t nk_cp_lower_wide(uint32_t cp);
bool nk_cp_is_letter_wide(uint32_t cp);

static inline uint32_t nk_cp_lower(uint32_t c)
{
    if (c < 0x80)
        return c - 'A' < 26 ? c + 32 : c;
    return nk_cp_lower_wide(c);
}

uint32_t nk_cp_upper(uint32_t cp);

static inline bool nk_cp_is_upper(uint32_t c)
{
    return nk_cp_lower(c) != c;
}

static inline bool nk_cp_is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c | 32) - 'a' < 26;
    return nk_cp_is_letter_wide(c);
}

static inline bool nk_cp_is_digit(uint32_t c)
{
    return c - '0' < 10;
}

/* ---- hashing (inline: it sits in the hottest loop) */

static inline uint64_t nk_mix64(uint64_t x)
{
    /* splitmix64 finaliser: every input bit affects every output bit, so
     * masking the low bits for the table index is safe. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t nk_hash_step(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
}

#define NK_HASH_INIT 0xcbf29ce484222325ULL

/* ---- inputs (input.c) */

#include <zlib.h>

typedef struct {
    char **path;
    uint64_t *size; /* bytes on disk, 0 when unknown (stdin) */
    size_t n, cap;
    char **skipped; /* one line per folder entry left out, and why */
    size_t nskipped;
} nk_pathlist;

/* Lists the files to read: files as given, folders expanded recursively
 * (entries in byte order), "-" for standard input. Each folder and file is
 * listed once however many links lead to it; what a folder holds besides
 * (links back to a folder already read, a second link to a file, FIFOs,
 * devices, broken links) is left out and named in skipped. */
int nk_paths_expand(const char *const *in, size_t n, nk_pathlist *out, nerkit_error *err);
void nk_pathlist_free(nk_pathlist *l);

/* Opens path for reading into *fd when it is a regular file, without
 * waiting on a FIFO; else an error naming the file. For inputs that only a
 * regular file can sensibly be (models, vectors, clusters). */
int nk_open_regular(const char *path, int *fd, nerkit_error *err);

/* The whole of a regular file, as the loaders of models, checkpoints and
 * dictionaries take it: *mem holds *len bytes, 8-byte aligned, mapped
 * read-only (*mapped = *len, for munmap) or read into the heap (*mapped =
 * 0, for free). NK_READ_HEAP always reads; NK_READ_MAP maps a file that has
 * a size, NK_READ_MAP_ALL also faults its pages in at once. A file that
 * does not begin with the 8 bytes of magic (when given) is only read that
 * far: the caller's check says what it is, without reading a file of
 * another kind whole. A file whose size says 0 is read to its end, without
 * waiting, since some have contents all the same (those of /proc): an
 * empty file gives *len = 0. */
typedef enum { NK_READ_HEAP, NK_READ_MAP, NK_READ_MAP_ALL } nk_read_how;
int nk_file_contents(const char *path, const char *magic, nk_read_how how, void **mem,
                     size_t *len, size_t *mapped, nerkit_error *err);

/* What the first n bytes p of a file are when they are the magic of a
 * compression nerkit does not read (bzip2, xz, zstd, zip), else NULL. */
const char *nk_unsupported_compression(const unsigned char *p, size_t n);

/* A file read line by line, gzip or plain. */
typedef struct {
    struct nk_unzip *src; /* the file's bytes, inflated when gzip (input.c) */
    const char *name;
    char *buf;
    size_t cap, start, end, max_line;
    uint64_t pos; /* text offset of buf[start] */
    unsigned lineno;
    bool eof;
} nk_lines;

int nk_lines_open(nk_lines *r, const char *path, size_t max_line, nerkit_error *err);
/* The same, refusing anything but a regular file (or "-") without waiting
 * on a FIFO: for files that only a regular file can sensibly be. */
int nk_lines_open_regular(nk_lines *r, const char *path, size_t max_line, nerkit_error *err);

/* Returns 1 with the next line (without its \n) valid until the next call,
 * 0 at the end, or minus an error code: unreadable or truncated input, a
 * line over the limit, a NUL byte (binary data). */
int nk_lines_next(nk_lines *r, const char **line, size_t *len, uint64_t *offset,
                  nerkit_error *err);

/* Bytes of the file consumed so far (compressed bytes for gzip). */
uint64_t nk_lines_consumed(nk_lines *r);
void nk_lines_close(nk_lines *r);

/* ---- time (error.c) */

/* Seconds on a monotonic clock. */
double nk_now(void);

/* strtof's result and end for any input, fast for short decimals (decimal.c). */
float nk_strtof(const char *s, char **end);

/* ---- files written whole (atomic_file.c) */

/* A file written whole or not at all: write to f, then commit (fsync and
 * rename over path) or abort (atomic_file.c). An existing device or FIFO
 * is written directly (tmp is NULL): renaming would replace the node. */
typedef struct {
    FILE *f;
    char *tmp;
    const char *path;
} nk_atomic;

int nk_atomic_open(nk_atomic *a, const char *path, nerkit_error *err);
int nk_atomic_commit(nk_atomic *a, nerkit_error *err);
void nk_atomic_abort(nk_atomic *a);
/* After a failed write to a->f: "FILE: write failed: why" (FILE the
 * temporary file, or the device written directly), and the abort. */
int nk_atomic_write_failed(nk_atomic *a, nerkit_error *err);
/* All of data to path through the above. */
int nk_atomic_write(const char *path, const void *data, size_t len, nerkit_error *err);

#endif
