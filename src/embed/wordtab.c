/*
 * A table of distinct words: word i is the i-th added, looked up by an
 * open-addressing hash of its bytes. It is the vocabulary of nerkit-embed's
 * counting and the index of loaded word vectors and clusters. Words are kept
 * NUL-terminated back to back in one arena, so a table of millions of words
 * costs a few allocations, not millions.
 */
#include "embed.h"

#include <stdlib.h>
#include <string.h>

uint64_t nk_hash_bytes(const char *s, size_t n)
{
    uint64_t h = NK_HASH_INIT ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = nk_hash_step(h, v);
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    return nk_mix64(nk_hash_step(h, v));
}

/* The slot that holds word (s, n), or the empty slot where it would go. */
static size_t probe(const nk_wordtab *t, const char *s, size_t n, uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint32_t e = t->slot[i];
        if (!e)
            return i;
        e--;
        if (t->tag[e] == tag && t->len[e] == n && memcmp(t->text + t->off[e], s, n) == 0)
            return i;
    }
}

/* Rebuilds the slots for nslots (a power of two above twice the words). */
static int rehash(nk_wordtab *t, size_t nslots)
{
    uint32_t *slot = calloc(nslots, sizeof *slot);
    if (!slot)
        return NERKIT_ERR_NOMEM;
    free(t->slot);
    t->slot = slot;
    t->mask = nslots - 1;
    for (size_t w = 0; w < t->n; w++) {
        uint64_t h = nk_hash_bytes(t->text + t->off[w], t->len[w]);
        size_t i = h & t->mask;
        while (t->slot[i])
            i = (i + 1) & t->mask;
        t->slot[i] = (uint32_t)w + 1;
    }
    return NERKIT_OK;
}

int64_t nk_wordtab_find(const nk_wordtab *t, const char *s, size_t n)
{
    if (!t->n)
        return -1;
    uint32_t e = t->slot[probe(t, s, n, nk_hash_bytes(s, n))];
    return e ? (int64_t)e - 1 : -1;
}

int nk_wordtab_add(nk_wordtab *t, const char *s, size_t n, size_t *index, nerkit_error *err)
{
    if (n > UINT32_MAX - 1)
        return nk_fail(err, NERKIT_ERR_FORMAT, "a word of %zu bytes is too long", n);
    if (2 * (t->n + 1) > t->mask + 1 || !t->slot) {
        if (t->n >= UINT32_MAX - 1)
            return nk_fail(err, NERKIT_ERR_NOMEM, "more than %u distinct words", UINT32_MAX - 1);
        if (rehash(t, t->slot ? 2 * (t->mask + 1) : 1024))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu words", t->n + 1);
    }
    uint64_t h = nk_hash_bytes(s, n);
    size_t i = probe(t, s, n, h);
    if (t->slot[i]) {
        *index = t->slot[i] - 1;
        return NERKIT_OK;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        if (!nk_resize(&t->off, cap, sizeof *t->off) || !nk_resize(&t->len, cap, sizeof *t->len) ||
            !nk_resize(&t->tag, cap, sizeof *t->tag))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu words", t->n + 1);
        t->cap = cap;
    }
    if (t->text_len + n + 1 > t->text_cap) {
        size_t cap = t->text_cap ? t->text_cap : 1 << 16;
        while (cap < t->text_len + n + 1)
            cap *= 2;
        if (!nk_resize(&t->text, cap, 1))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu words", t->n + 1);
        t->text_cap = cap;
    }
    memcpy(t->text + t->text_len, s, n);
    t->text[t->text_len + n] = '\0';
    t->off[t->n] = t->text_len;
    t->len[t->n] = (uint32_t)n;
    t->tag[t->n] = (uint32_t)(h >> 32);
    t->text_len += n + 1;
    t->slot[i] = (uint32_t)t->n + 1;
    *index = t->n++;
    return NERKIT_OK;
}

int nk_wordtab_keep(nk_wordtab *t, const bool *keep, nerkit_error *err)
{
    size_t n = 0, text = 0;
    for (size_t w = 0; w < t->n; w++) {
        if (!keep[w])
            continue;
        /* kept words only move towards the front, so moving in order never
         * overwrites one that is still to move */
        memmove(t->text + text, t->text + t->off[w], t->len[w] + 1);
        t->off[n] = text;
        t->len[n] = t->len[w];
        t->tag[n] = t->tag[w];
        text += t->len[w] + 1;
        n++;
    }
    t->n = n;
    t->text_len = text;
    size_t nslots = 1024;
    while (nslots < 2 * n)
        nslots *= 2;
    if (rehash(t, nslots))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu words", n);
    return NERKIT_OK;
}

void nk_wordtab_free(nk_wordtab *t)
{
    free(t->text);
    free(t->off);
    free(t->len);
    free(t->tag);
    free(t->slot);
    memset(t, 0, sizeof *t);
}
