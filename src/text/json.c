/*
 * The JSON that bulk tagging reads and writes: one object per line.
 *
 * Reading needs little: check that a line is one well-formed object, find
 * its top-level members, and decode one string member (the text). Other
 * members are passed through as the exact bytes they were written with, so
 * numbers, nesting and key order survive untouched.
 */
#include "text.h"

#include <string.h>

typedef struct {
    const char *s;
    size_t n, i;
    int depth;
} cursor;

#define MAX_DEPTH 64

static void skip_ws(cursor *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\r' ||
                           c->s[c->i] == '\n'))
        c->i++;
}

static bool hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char h = s[k];
        int d = h >= '0' && h <= '9' ? h - '0' : (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
        if (d < 0)
            return false;
        *v = *v << 4 | (uint32_t)d;
    }
    return true;
}

/* Skips a string at c->i (on its opening quote); checks escapes. */
static bool skip_string(cursor *c)
{
    c->i++;
    while (c->i < c->n) {
        unsigned char ch = (unsigned char)c->s[c->i];
        if (ch == '"') {
            c->i++;
            return true;
        }
        if (ch < 0x20)
            return false;
        if (ch == '\\') {
            if (c->i + 1 >= c->n)
                return false;
            char e = c->s[c->i + 1];
            uint32_t v;
            if (e == 'u') {
                if (c->i + 6 > c->n || !hex4(c->s + c->i + 2, &v))
                    return false;
                c->i += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0)
                return false;
            c->i += 2;
            continue;
        }
        c->i++;
    }
    return false;
}

static bool skip_value(cursor *c);

static bool skip_container(cursor *c, char close)
{
    if (++c->depth > MAX_DEPTH)
        return false;
    c->i++;
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == close) {
        c->i++;
        c->depth--;
        return true;
    }
    for (;;) {
        skip_ws(c);
        if (close == '}') {
            if (c->i >= c->n || c->s[c->i] != '"' || !skip_string(c))
                return false;
            skip_ws(c);
            if (c->i >= c->n || c->s[c->i] != ':')
                return false;
            c->i++;
        }
        if (!skip_value(c))
            return false;
        skip_ws(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->n && c->s[c->i] == close) {
            c->i++;
            c->depth--;
            return true;
        }
        return false;
    }
}

static bool skip_value(cursor *c)
{
    skip_ws(c);
    if (c->i >= c->n)
        return false;
    char ch = c->s[c->i];
    if (ch == '"')
        return skip_string(c);
    if (ch == '{')
        return skip_container(c, '}');
    if (ch == '[')
        return skip_container(c, ']');
    static const char *const words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t len = strlen(words[k]);
        if (c->n - c->i >= len && memcmp(c->s + c->i, words[k], len) == 0) {
            c->i += len;
            return true;
        }
    }
    /* a number: -?digits[.digits][e[+-]digits] */
    size_t start = c->i;
    if (c->s[c->i] == '-')
        c->i++;
    size_t digits = c->i;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        c->i++;
    /* JSON allows no leading zero (00, -01.5): output must stay valid JSON */
    if (c->i == digits || (c->s[digits] == '0' && c->i > digits + 1))
        return false;
    if (c->i < c->n && c->s[c->i] == '.') {
        size_t f = ++c->i;
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
            c->i++;
        if (c->i == f)
            return false;
    }
    if (c->i < c->n && (c->s[c->i] | 32) == 'e') {
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
            c->i++;
        size_t e = c->i;
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
            c->i++;
        if (c->i == e)
            return false;
    }
    return c->i > start;
}

/* Walks the top-level members of the object that line must be, handing
 * each to visit; a syntax error returns NERKIT_ERR_FORMAT with *error_at at
 * the offending byte. */
static int walk_members(const char *line, size_t len, void (*visit)(const nk_json_member *, void *),
                        void *user, size_t *error_at)
{
    cursor c = {line, len, 0, 0};
    skip_ws(&c);
    if (c.i >= c.n || c.s[c.i] != '{')
        goto bad;
    c.i++;
    c.depth = 1;
    skip_ws(&c);
    if (c.i < c.n && c.s[c.i] == '}') {
        c.i++;
    } else {
        for (;;) {
            skip_ws(&c);
            size_t k0 = c.i;
            if (c.i >= c.n || c.s[c.i] != '"' || !skip_string(&c))
                goto bad;
            size_t k1 = c.i;
            skip_ws(&c);
            if (c.i >= c.n || c.s[c.i] != ':')
                goto bad;
            c.i++;
            skip_ws(&c);
            size_t v0 = c.i;
            if (!skip_value(&c))
                goto bad;
            nk_json_member m = {line + k0 + 1, k1 - k0 - 2, line + k0, c.i - k0, line + v0, c.i - v0};
            visit(&m, user);
            skip_ws(&c);
            if (c.i < c.n && c.s[c.i] == ',') {
                c.i++;
                continue;
            }
            if (c.i < c.n && c.s[c.i] == '}') {
                c.i++;
                break;
            }
            goto bad;
        }
    }
    skip_ws(&c);
    if (c.i == c.n)
        return NERKIT_OK;
bad:
    *error_at = c.i;
    return NERKIT_ERR_FORMAT;
}

typedef struct {
    nk_json_member *out;
    size_t max, count;
} listing;

static void list_member(const nk_json_member *m, void *user)
{
    listing *l = user;
    if (l->count < l->max)
        l->out[l->count] = *m;
    l->count++;
}

int nk_json_members(const char *line, size_t len, nk_json_member *out, size_t max, size_t *count,
                    size_t *error_at)
{
    listing l = {out, max, 0};
    int rc = walk_members(line, len, list_member, &l, error_at);
    *count = l.count;
    return rc;
}

bool nk_json_key_is(const nk_json_member *m, const char *key)
{
    size_t n = strlen(key);
    if (!memchr(m->key, '\\', m->key_len))
        return m->key_len == n && memcmp(m->key, key, n) == 0;
    /* written with escapes ("t\u0065xt"): compare it decoded; no escape
     * is shorter than 2 bytes, nor longer than 12 for one character */
    char buf[128];
    if (m->key_len + 2 > sizeof buf || m->key_len > 12 * n)
        return false;
    size_t k = nk_json_decode_string(m->key - 1, m->key_len + 2, buf);
    return k == n && memcmp(buf, key, n) == 0;
}

typedef struct {
    const char *key;
    nk_json_member *found;
    size_t count;
} finding;

static void find_member(const nk_json_member *m, void *user)
{
    finding *f = user;
    if (nk_json_key_is(m, f->key)) {
        *f->found = *m; /* a repeated key: the last one counts, as in most parsers */
        f->count++;
    }
}

int nk_json_find(const char *line, size_t len, const char *key, nk_json_member *found,
                 size_t *count, size_t *error_at)
{
    finding f = {key, found, 0};
    int rc = walk_members(line, len, find_member, &f, error_at);
    *count = f.count;
    return rc;
}

typedef struct {
    const char *key;
    nk_buf *out;
    bool any;
} copying;

static void copy_member(const nk_json_member *m, void *user)
{
    copying *c = user;
    if (nk_json_key_is(m, c->key))
        return;
    if (c->any)
        nk_buf_putc(c->out, ',');
    nk_buf_put(c->out, m->member, m->member_len);
    c->any = true;
}

int nk_json_without(const char *line, size_t len, const char *key, nk_buf *out)
{
    copying c = {key, out, false};
    size_t at;
    nk_buf_putc(out, '{');
    int rc = walk_members(line, len, copy_member, &c, &at);
    nk_buf_putc(out, '}');
    return rc ? rc : out->failed ? NERKIT_ERR_NOMEM : NERKIT_OK;
}

size_t nk_json_decode_string(const char *s, size_t n, char *out)
{
    /* s is a checked string value with its quotes; out has room for n bytes:
     * no escape decodes to more bytes than it is written with */
    size_t o = 0;
    for (size_t i = 1; i + 1 < n;) {
        if (s[i] != '\\') {
            out[o++] = s[i++];
            continue;
        }
        char e = s[i + 1];
        i += 2;
        if (e != 'u') {
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            out[o++] = to[strchr(from, e) - from];
            continue;
        }
        uint32_t v;
        hex4(s + i, &v);
        i += 4;
        if (v >= 0xD800 && v <= 0xDBFF && i + 6 <= n - 1 && s[i] == '\\' && s[i + 1] == 'u') {
            uint32_t lo;
            if (hex4(s + i + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        if (v >= 0xD800 && v <= 0xDFFF)
            v = 0xFFFD; /* a lone surrogate is no character */
        o += nk_utf8_encode(v, out + o);
    }
    return o;
}

int nk_buf_json_string(nk_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    nk_buf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        uint32_t cp;
        size_t k = ch < 0x80 ? 1 : nk_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (ch >= 0x20 && ch != '"' && ch != '\\' && k) {
            i += k;
            run += k;
            continue;
        }
        nk_buf_put(b, s + i - run, run);
        run = 0;
        if (!k) {
            nk_buf_put(b, "\xEF\xBF\xBD", 3); /* invalid byte: U+FFFD, one character */
        } else if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            nk_buf_put(b, esc, 2);
        } else if (ch == '\n') {
            nk_buf_put(b, "\\n", 2);
        } else if (ch == '\t') {
            nk_buf_put(b, "\\t", 2);
        } else if (ch == '\r') {
            nk_buf_put(b, "\\r", 2);
        } else {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            nk_buf_put(b, u, 6);
        }
        i++;
    }
    nk_buf_put(b, s + n - run, run);
    nk_buf_putc(b, '"');
    return b->failed ? NERKIT_ERR_NOMEM : NERKIT_OK;
}

int nk_buf_json_raw(nk_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = (unsigned char)s[i] < 0x80
                       ? 1
                       : nk_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k) {
            i += k;
            run += k;
            continue;
        }
        nk_buf_put(b, s + i - run, run);
        run = 0;
        nk_buf_put(b, "\xEF\xBF\xBD", 3);
        i++;
    }
    nk_buf_put(b, s + n - run, run);
    return b->failed ? NERKIT_ERR_NOMEM : NERKIT_OK;
}
