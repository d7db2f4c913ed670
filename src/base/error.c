/*
 * Error reporting: a status code plus a message in a caller-owned struct,
 * so the library never prints and callers choose what to show.
 */
#include "base.h"

#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fill(nerkit_error *err, nerkit_status code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    nerkit_one_line(err->message, sizeof err->message);
}

void nerkit_one_line(char *s, size_t cap)
{
    char in[1024];
    size_t n = strlen(s), o = 0;
    if (n >= sizeof in)
        n = sizeof in - 1;
    memcpy(in, s, n);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)in[i];
        uint32_t cp;
        size_t k = c < 0x80 ? (c >= 0x20 && c != 0x7f) : nk_utf8_decode((const unsigned char *)in + i, n - i, &cp);
        if (k) {
            if (o + k >= cap)
                break;
            memcpy(s + o, in + i, k);
            o += k;
            i += k;
            continue;
        }
        if (o + 4 >= cap)
            break;
        snprintf(s + o, 5, "\\x%02x", c);
        o += 4;
        i++;
    }
    s[o] = '\0';
}

int nk_fail(nerkit_error *err, nerkit_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void *nk_fail_null(nerkit_error *err, nerkit_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, fmt, ap);
    va_end(ap);
    return NULL;
}

void *nk_alloc(size_t n, size_t size, nerkit_error *err)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        nk_fail(err, NERKIT_ERR_NOMEM, "out of memory (%zu x %zu bytes)", n, size);
    return p;
}

void *nk_alloc_huge(size_t n, size_t size, nerkit_error *err)
{
    const size_t huge = (size_t)2 << 20;
    if (size && n > SIZE_MAX / size)
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory (%zu x %zu bytes)", n, size);
    size_t bytes = (n ? n : 1) * (size ? size : 1);
    if (bytes < huge)
        return nk_alloc(n, size, err);
    size_t rounded = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, rounded);
    if (!p)
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory (%zu x %zu bytes)", n, size);
    /* advice only: where the kernel has no huge pages the memory still works */
    madvise(p, rounded, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

bool nk_resize(void *pp, size_t n, size_t elsize)
{
    void *p = realloc(*(void **)pp, (n ? n : 1) * elsize);
    if (p)
        *(void **)pp = p;
    return p != NULL;
}

/* Larger than any option struct will grow: a size past it is garbage. */
#define OPTS_MAX 4096

void nk_opts_init(void *o, size_t size, const void *defaults, size_t known)
{
    if (size < sizeof size)
        return; /* not even room for the size */
    memset(o, 0, size);
    memcpy(o, defaults, size < known ? size : known);
    memcpy(o, &size, sizeof size);
}

int nk_opts_take(void *full, const void *given, size_t known, const char *init,
                 nerkit_error *err)
{
    if (!given)
        return NERKIT_OK;
    size_t size;
    memcpy(&size, given, sizeof size);
    /* every header's struct has members after size and ends aligned for it */
    bool made = size > sizeof size && size % _Alignof(size_t) == 0 && size <= OPTS_MAX;
    if (!made)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "options not initialised with %s (their size reads %zu)", init, size);
    if (size > known)
        return nk_fail(err, NERKIT_ERR_VERSION,
                       "options of %zu bytes from a newer nerkit.h than this library's (%zu "
                       "bytes, version %s): the program needs the library it was built for",
                       size, known, NERKIT_VERSION);
    memcpy(full, given, size);
    memcpy(full, &known, sizeof known);
    return NERKIT_OK;
}

double nk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *nerkit_version(void)
{
    return NERKIT_VERSION;
}

const char *nerkit_strerror(nerkit_status code)
{
    switch (code) {
    case NERKIT_OK: return "success";
    case NERKIT_ERR_IO: return "a file could not be opened, read or written";
    case NERKIT_ERR_FORMAT: return "malformed input";
    case NERKIT_ERR_MODEL: return "a model file that is truncated, corrupted or foreign";
    case NERKIT_ERR_VERSION: return "made by a newer version of nerkit";
    case NERKIT_ERR_NOMEM: return "out of memory";
    case NERKIT_ERR_ARG: return "an invalid argument or option";
    case NERKIT_ERR_UNSUPPORTED: return "the model cannot do this";
    case NERKIT_ERR_INTERRUPTED: return "stopped on request";
    }
    return "unknown error code";
}
