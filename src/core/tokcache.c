/*
 * The cache of token sums: what a token brings to each place of its
 * window (NK_WINDOW rows of the model's format), by the token's key, in
 * sets of NK_TOKEN_WAYS ways. The tagger sums a token's rows once and
 * copies them from here after (tagger.c says why that pays).
 *
 * A cache is either a tagger's own, or one that every tagger of a model
 * shares: the threads of one process, and the processes that tag with the
 * same model file and the same build of nerkit, through a POSIX shared
 * memory object named after both (nerkit_model_share_tokens). Filled, the
 * cache is 6 MB: shared, it is one copy where each process held its own,
 * as the model's pages are.
 *
 * Readers never wait and never see half an entry. Each way has a sequence
 * number, odd while a writer changes it: a reader copies the key and the
 * rows, then checks that the number is the even one it started from, and
 * otherwise takes the token as absent and sums it itself. A writer takes a
 * way by moving its number from even to odd with a compare-and-swap, and
 * gives up (the token is simply not cached) when another has it. The
 * words of a way are read and written as relaxed atomics, so that the
 * races the sequence number settles are not data races in C's sense. An
 * entry depends on its key, the model and the code alone, so whichever
 * process wrote it, the scores are the same.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The build's own fingerprint: a checksum of the tagging code and its
 * compiler flags (Makefile), so that builds that could sum a token
 * differently never share entries. */
#ifndef NK_SOURCE_ID
#define NK_SOURCE_ID 0
#endif

/* One way: its sequence number, its key (0: none) and its rows, padded to
 * whole 8-byte words. */
typedef struct {
    uint32_t seq;
    uint32_t unused;
    uint64_t key;
    uint64_t rows[];
} way;

/* The first page of a shared cache: what it is for, checked by every
 * process that maps it. */
typedef struct {
    char magic[8];
    uint64_t id;
    uint64_t sets, ways, way_bytes;
} head;

#define SHM_MAGIC "NKTOKEN1"
#define HEAD_BYTES 4096

struct nk_tokcache {
    size_t sets;      /* a power of two */
    size_t words;     /* of rows in a way: NK_WINDOW rows of the model's format, padded */
    size_t way_bytes; /* sizeof (way) + 8 x words */
    char *ways;       /* sets x NK_TOKEN_WAYS ways */
    uint8_t *next;    /* sets: the way a set gives up next */
    /* shared: the mapping, its object's name and descriptor (held with a
     * shared lock while in use, so the last user knows to remove it) */
    void *map;
    size_t map_len;
    char name[64];
    int fd;
};

/* Its sets: as many as fit in 8 MB, at most NK_TOKEN_SETS. At 17 labels
 * a way takes 112 bytes, and 65,536 tokens 7.3 MB. */
#define CACHE_BYTES ((size_t)8 << 20)

static void layout(nk_tokcache *c, const nerkit_model *m)
{
    c->words = (NK_WINDOW * nk_row_bytes(m) + 7) / 8;
    c->way_bytes = sizeof(way) + 8 * c->words;
    c->sets = NK_TOKEN_SETS;
    while (c->sets > 1 && c->sets * NK_TOKEN_WAYS * c->way_bytes > CACHE_BYTES)
        c->sets /= 2;
    c->fd = -1;
}

static way *way_at(const nk_tokcache *c, size_t set, size_t w)
{
    return (way *)(void *)(c->ways + (set * NK_TOKEN_WAYS + w) * c->way_bytes);
}

nk_tokcache *nk_tokcache_new(const nerkit_model *m, nerkit_error *err)
{
    nk_tokcache *c = nk_alloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    layout(c, m);
    c->ways = nk_alloc(c->sets * NK_TOKEN_WAYS, c->way_bytes, err);
    c->next = nk_alloc(c->sets, 1, err);
    if (!c->ways || !c->next) {
        nk_tokcache_free(c);
        return NULL;
    }
    return c;
}

/* FNV-1a over a few numbers: the shared object's identity. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        h = (h ^ ((v >> (8 * i)) & 0xFF)) * 0x100000001B3ull;
    return h;
}

nk_tokcache *nk_tokcache_shared(const nerkit_model *m, nerkit_error *err)
{
    if (!m->file_len)
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "only a model read from a file can share its token cache");
    nk_tokcache *c = nk_alloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    layout(c, m);
    uint64_t id = 0xCBF29CE484222325ull;
    id = mix(id, m->file_crc);
    id = mix(id, m->file_len);
    id = mix(id, (uint64_t)NK_SOURCE_ID);
    id = mix(id, c->sets);
    id = mix(id, c->way_bytes);
    snprintf(c->name, sizeof c->name, "/nerkit-tokens-%lu-%016llx", (unsigned long)getuid(),
             (unsigned long long)id);
    const size_t body = c->sets * NK_TOKEN_WAYS * c->way_bytes + c->sets;
    c->map_len = HEAD_BYTES + body;
    head want = {SHM_MAGIC, id, c->sets, NK_TOKEN_WAYS, c->way_bytes};
    const char *why = NULL;
    struct stat st;
    /* Every process sizes the object and writes its head, the same bytes
     * whoever writes them, so that none waits for another to set it up.
     * Each holds a shared lock on it while in use: the last to be done is
     * the one that can have it exclusively, and removes it. */
    int e = 0;
    for (int tries = 0;; tries++) {
        c->fd = shm_open(c->name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (c->fd < 0 || flock(c->fd, LOCK_SH) != 0 || fstat(c->fd, &st) != 0) {
            why = strerror(errno);
            break;
        }
        /* the last user of the object removed it between our open and our
         * lock: we would be alone in it, so take the one named now */
        if (st.st_nlink > 0 || tries == 3)
            break;
        close(c->fd);
    }
    if (!why && (st.st_uid != getuid() || (st.st_size != 0 && (size_t)st.st_size != c->map_len)))
        why = "an object of that name, not this cache, is there";
    /* reserved now: a page the file system could not give later would be
     * a SIGBUS at the write that touches it */
    if (!why && (e = posix_fallocate(c->fd, 0, (off_t)c->map_len)) != 0)
        why = strerror(e);
    if (!why && pwrite(c->fd, &want, sizeof want, 0) != (ssize_t)sizeof want)
        why = strerror(errno);
    if (!why) {
        c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
        if (c->map == MAP_FAILED) {
            c->map = NULL;
            why = strerror(errno);
        } else if (memcmp(c->map, &want, sizeof want) != 0) {
            why = "an object of that name, not this cache, is there";
        }
    }
    if (why) {
        nk_fail(err, NERKIT_ERR_IO, "shared token cache %s: %s", c->name, why);
        nk_tokcache_free(c);
        return NULL;
    }
    c->ways = (char *)c->map + HEAD_BYTES;
    c->next = (uint8_t *)c->ways + c->sets * NK_TOKEN_WAYS * c->way_bytes;
    return c;
}

void nk_tokcache_free(nk_tokcache *c)
{
    if (!c)
        return;
    if (c->fd < 0) {
        free(c->ways);
        free(c->next);
    } else {
        if (c->map)
            munmap(c->map, c->map_len);
        /* the last user removes the object; one that opens it meanwhile
         * keeps using it, unnamed */
        if (flock(c->fd, LOCK_EX | LOCK_NB) == 0)
            shm_unlink(c->name);
        close(c->fd);
    }
    free(c);
}

const char *nk_tokcache_name(const nk_tokcache *c) { return c->fd < 0 ? NULL : c->name; }

void nk_tokcache_prefetch(const nk_tokcache *c, uint64_t key)
{
    __builtin_prefetch(way_at(c, nk_token_set(key, c->sets), 0));
}

bool nk_tokcache_get(const nk_tokcache *c, uint64_t key, void *dst)
{
    const size_t set = nk_token_set(key, c->sets);
    uint64_t *d = dst;
    for (size_t w = 0; w < NK_TOKEN_WAYS; w++) {
        way *x = way_at(c, set, w);
        uint32_t seq = __atomic_load_n(&x->seq, __ATOMIC_ACQUIRE);
        if ((seq & 1) || __atomic_load_n(&x->key, __ATOMIC_RELAXED) != key)
            continue;
        for (size_t k = 0; k < c->words; k++)
            d[k] = __atomic_load_n(&x->rows[k], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&x->seq, __ATOMIC_RELAXED) == seq)
            return true;
    }
    return false;
}

void nk_tokcache_put(nk_tokcache *c, uint64_t key, const void *src)
{
    const size_t set = nk_token_set(key, c->sets);
    uint8_t w = __atomic_fetch_add(&c->next[set], 1, __ATOMIC_RELAXED) % NK_TOKEN_WAYS;
    way *x = way_at(c, set, w);
    uint32_t seq = __atomic_load_n(&x->seq, __ATOMIC_RELAXED);
    if ((seq & 1) ||
        !__atomic_compare_exchange_n(&x->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&x->key, key, __ATOMIC_RELAXED);
    const uint64_t *s = src;
    for (size_t k = 0; k < c->words; k++)
        __atomic_store_n(&x->rows[k], s[k], __ATOMIC_RELAXED);
    __atomic_store_n(&x->seq, seq + 2, __ATOMIC_RELEASE);
}
