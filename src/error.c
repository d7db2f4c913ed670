/*
 * Error reporting: a status code plus a message in a caller-owned struct,
 * so the library never prints and callers choose what to show.
 */
#include "internal.h"

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

double nk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
