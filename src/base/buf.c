/*
 * A growable byte buffer. Writers append without checking each call: a
 * failed allocation marks the buffer, and the caller checks once at the end.
 */
#include "base.h"

#include <stdlib.h>
#include <string.h>

bool nk_buf_reserve(nk_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void nk_buf_put(nk_buf *b, const void *data, size_t n)
{
    if (n && nk_buf_reserve(b, n)) {
        memcpy(b->p + b->len, data, n);
        b->len += n;
    }
}

void nk_buf_putc(nk_buf *b, char c)
{
    if (nk_buf_reserve(b, 1))
        b->p[b->len++] = c;
}

void nk_buf_printf(nk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[128];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
    } else if ((size_t)n < sizeof small) {
        nk_buf_put(b, small, (size_t)n);
    } else if (nk_buf_reserve(b, (size_t)n + 1)) {
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
    }
}

void nk_buf_free(nk_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
