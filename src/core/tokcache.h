/*
 * The cache of token sums (tokcache.c): its layout, and the lookups the
 * tagger makes for every token, inline in its loop (as calls they cost 2%
 * of tagging).
 */
#ifndef NERKIT_TOKCACHE_H
#define NERKIT_TOKCACHE_H

#include "core.h"

/* A set's ways: their sequence numbers and keys (0: none) in one cache
 * line, which the tagger fetches ahead and a lookup reads whole; their
 * rows are apart (rows), NK_WINDOW rows of the model's format a way,
 * padded to whole 8-byte words. With the key beside its rows, a lookup
 * read up to seven lines, and tagging was 3% slower. */
typedef struct {
    uint32_t seq[NK_TOKEN_WAYS];
    uint64_t key[NK_TOKEN_WAYS];
    uint64_t unused[2];
} nk_toktags;
_Static_assert(sizeof(nk_toktags) == 64, "a set's tags are one cache line");

struct nk_tokcache {
    size_t sets;      /* a power of two */
    size_t words;     /* of a way's rows: NK_WINDOW rows of the model's format, padded */
    nk_toktags *tag;        /* sets */
    uint64_t *rows;   /* sets x NK_TOKEN_WAYS x words */
    uint8_t *next;    /* sets: the way a set gives up next */
    /* shared: the mapping, its object's name and descriptor (held with a
     * shared lock while in use, so the last user knows to remove it) */
    void *map;
    size_t map_len;
    char name[64];
    int fd;
};

/* Fetches key's set ahead of a lookup. (Fetching the rows of its way as
 * well, a few tokens later, made tagging slower: the loop's other
 * prefetches keep the CPU's line fill buffers full.) */
static inline void nk_tokcache_prefetch(const nk_tokcache *c, uint64_t key)
{
    __builtin_prefetch(&c->tag[nk_token_set(key, c->sets)]);
}

/* Copies key's entry to dst; false when the cache has none. */
static inline bool nk_tokcache_get(const nk_tokcache *c, uint64_t key, void *dst)
{
    const size_t set = nk_token_set(key, c->sets);
    nk_toktags *t = &c->tag[set];
    uint64_t *d = dst;
    for (size_t w = 0; w < NK_TOKEN_WAYS; w++) {
        uint32_t seq = __atomic_load_n(&t->seq[w], __ATOMIC_ACQUIRE);
        if ((seq & 1) || __atomic_load_n(&t->key[w], __ATOMIC_RELAXED) != key)
            continue;
        const uint64_t *r = c->rows + (set * NK_TOKEN_WAYS + w) * c->words;
        for (size_t k = 0; k < c->words; k++)
            d[k] = __atomic_load_n(&r[k], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&t->seq[w], __ATOMIC_RELAXED) == seq)
            return true;
    }
    return false;
}

#endif
