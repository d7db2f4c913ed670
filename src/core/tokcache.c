/*
 * The cache of token sums: what a token brings to each place of its
 * window (NK_WINDOW rows of the model's format), by the token's key, in
 * sets of NK_TOKEN_WAYS ways. The tagger sums a token's rows once and
 * copies them from here after (tagger.c says why that pays).
 *
 * A cache is either a tagger's own, or one that every tagger of a model
 * shares: the threads of one process, and the processes that tag with the
 * same model, the same build of nerkit and a BLAS that rounds alike,
 * through a POSIX shared memory object named after them all
 * (nerkit_model_share_tokens). Filled, the cache is 7.3 MB: shared, it is
 * one copy where each process held its own, as the model's pages are.
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
#include "tokcache.h"

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

/* The first page of a shared cache: what it is for, checked by every
 * process that maps it. */
typedef struct {
    char magic[8];
    uint64_t id;
    uint64_t sets, ways, words;
} head;

#define SHM_MAGIC "NKTOKEN1"
#define HEAD_BYTES 4096

/* Its sets: as many as fit in 8 MB, at most NK_TOKEN_SETS. At 17 labels
 * a set takes 64 + 4 x 96 bytes, and 65,536 tokens 7.3 MB. */
#define CACHE_BYTES ((size_t)8 << 20)

static size_t set_bytes(const nk_tokcache *c)
{
    return sizeof(nk_toktags) + NK_TOKEN_WAYS * 8 * c->words + 1;
}

static void layout(nk_tokcache *c, const nerkit_model *m)
{
    c->words = (NK_WINDOW * nk_row_bytes(m) + 7) / 8;
    c->sets = NK_TOKEN_SETS;
    while (c->sets > 1 && c->sets * set_bytes(c) > CACHE_BYTES)
        c->sets /= 2;
    c->fd = -1;
}

/* The arrays, in one block (a mapping's, after its head page): tags first,
 * on a cache line, then the rows, then next. */
static void place(nk_tokcache *c, char *block)
{
    c->tag = (nk_toktags *)(void *)block;
    c->rows = (uint64_t *)(void *)(block + c->sets * sizeof(nk_toktags));
    c->next = (uint8_t *)(c->rows + c->sets * NK_TOKEN_WAYS * c->words);
}

nk_tokcache *nk_tokcache_new(const nerkit_model *m, nerkit_error *err)
{
    nk_tokcache *c = nk_alloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    layout(c, m);
    char *block = aligned_alloc(64, (c->sets * set_bytes(c) + 63) / 64 * 64);
    if (!block) {
        free(c);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory for the token cache");
    }
    memset(block, 0, c->sets * set_bytes(c));
    place(c, block);
    return c;
}

/* FNV-1a over a few numbers: the shared object's identity. */
static uint64_t mix(uint64_t h, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        h = (h ^ ((v >> (8 * i)) & 0xFF)) * 0x100000001B3ull;
    return h;
}

/* A 64-bit digest of the whole model file, four words at a time: the
 * CRC-32 of its header is easily matched by another model of the same
 * length, whose entries would then be taken for this one's. */
static uint64_t digest(const unsigned char *p, size_t n)
{
    uint64_t h[4] = {0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full, 0x165667B19E3779F9ull, n};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            h[k] = (h[k] ^ w) * 0xFF51AFD7ED558CCDull;
            h[k] ^= h[k] >> 32;
        }
    uint64_t r = 0xCBF29CE484222325ull;
    for (int k = 0; k < 4; k++)
        r = mix(r, h[k]);
    for (; i < n; i++)
        r = mix(r, p[i]);
    return r;
}

/* The bits of this process's word-vector product for a fixed input. The
 * BLAS picks its kernel for the CPU (and a library may be swapped), and
 * kernels may round the dense scores of an entry differently: processes
 * whose products differ name different objects. */
static uint64_t blas_probe(const nerkit_model *m, nerkit_error *err)
{
    if (!m->dense)
        return 0;
    const size_t D = m->lex.dim, R = m->nlabels * NK_WINDOW;
    float *x = nk_alloc(D, sizeof *x, err), *y = nk_alloc(R, sizeof *y, err);
    uint64_t h = 0, state = 0x2545F4914F6CDD1Dull;
    if (x && y) {
        for (size_t k = 0; k < D; k++) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            x[k] = (float)((int)(state >> 40) - (1 << 23)) / (float)(1 << 23);
        }
        nk_dense_project(m, x, y);
        for (size_t r = 0; r < R; r++) {
            uint32_t bits;
            memcpy(&bits, &y[r], 4);
            h = mix(h, bits);
        }
    }
    free(x);
    free(y);
    return h;
}

/* Opens the object, or creates it: the one process that creates it (with
 * O_EXCL) sizes it and writes its head under an exclusive lock, and every
 * other waits on that lock, then checks the head and never writes it; so
 * an object that is not this cache, whoever made it, is never taken for
 * it. An object left half made by a process that died, or not this
 * cache, is removed when no process is using it (nobody holds its lock),
 * and made again. */
static const char *open_shared(nk_tokcache *c, const head *want)
{
    struct stat st;
    for (int tries = 0; tries < 100; tries++) {
        c->fd = shm_open(c->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (c->fd >= 0) {
            int e = flock(c->fd, LOCK_EX) ? errno : posix_fallocate(c->fd, 0, (off_t)c->map_len);
            if (!e && (c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
                                     0)) == MAP_FAILED) {
                c->map = NULL;
                e = errno;
            }
            if (e) {
                shm_unlink(c->name);
                return strerror(e);
            }
            /* reserved above: a page the file system could not give later
             * would be a SIGBUS at the write that touches it */
            memcpy(c->map, want, sizeof *want);
            return flock(c->fd, LOCK_SH) ? strerror(errno) : NULL;
        }
        if (errno != EEXIST)
            return strerror(errno);
        c->fd = shm_open(c->name, O_RDWR | O_CLOEXEC, 0);
        if (c->fd < 0 && errno == ENOENT)
            continue; /* removed meanwhile */
        if (c->fd < 0 || flock(c->fd, LOCK_SH) != 0 || fstat(c->fd, &st) != 0)
            return strerror(errno);
        if (st.st_uid != getuid() || (st.st_mode & 077))
            return "an object of that name that another user may write is there";
        bool ok = (size_t)st.st_size == c->map_len && st.st_nlink > 0;
        if (ok) {
            c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
            if (c->map == MAP_FAILED) {
                c->map = NULL;
                return strerror(errno);
            }
            if (memcmp(c->map, want, sizeof *want) == 0)
                return NULL;
            munmap(c->map, c->map_len);
            c->map = NULL;
        }
        /* Empty: its creator has not locked it yet (or died before it
         * did). Not this cache, or empty for long: removed when nobody uses
         * it, else waited for. Removed between the open and the lock: made
         * again. */
        bool young = st.st_size == 0 && tries < 20;
        if (!young && st.st_nlink > 0 && flock(c->fd, LOCK_UN) == 0 &&
            flock(c->fd, LOCK_EX | LOCK_NB) == 0)
            shm_unlink(c->name);
        close(c->fd);
        c->fd = -1;
        if (young || tries > 20)
            usleep(1000);
    }
    return "an object of that name is not this cache, and is in use";
}

nk_tokcache *nk_tokcache_shared(const nerkit_model *m, nerkit_error *err)
{
    if (!m->file_len || !m->map)
        return nk_fail_null(err, NERKIT_ERR_ARG,
                            "only a model read from a file can share its token cache");
    nk_tokcache *c = nk_alloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    layout(c, m);
    uint64_t id = mix(0xCBF29CE484222325ull, digest(m->map, m->map_len));
    id = mix(id, (uint64_t)NK_SOURCE_ID);
    id = mix(id, blas_probe(m, err));
    id = mix(id, c->sets);
    id = mix(id, c->words);
    snprintf(c->name, sizeof c->name, "/nerkit-tokens-%lu-%016llx", (unsigned long)getuid(),
             (unsigned long long)id);
    c->map_len = HEAD_BYTES + c->sets * set_bytes(c);
    head want = {SHM_MAGIC, id, c->sets, NK_TOKEN_WAYS, c->words};
    const char *why = open_shared(c, &want);
    if (why) {
        nk_fail(err, NERKIT_ERR_IO, "shared token cache %s: %s", c->name, why);
        if (c->map)
            munmap(c->map, c->map_len);
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        return NULL;
    }
    place(c, (char *)c->map + HEAD_BYTES);
    return c;
}

void nk_tokcache_free(nk_tokcache *c)
{
    if (!c)
        return;
    if (c->fd < 0) {
        free(c->tag);
    } else {
        if (c->map)
            munmap(c->map, c->map_len);
        /* the last user removes the object: each lets go of its shared
         * lock first, so that of two ending together one gets it alone; an
         * object already removed (one that opens it meanwhile sees that and
         * makes another) is not looked for under its name again */
        struct stat st;
        if (fstat(c->fd, &st) == 0 && st.st_nlink > 0 && flock(c->fd, LOCK_UN) == 0 &&
            flock(c->fd, LOCK_EX | LOCK_NB) == 0)
            shm_unlink(c->name);
        close(c->fd);
    }
    free(c);
}

const char *nk_tokcache_name(const nk_tokcache *c) { return c->fd < 0 ? NULL : c->name; }

void nk_tokcache_put(nk_tokcache *c, uint64_t key, const void *src)
{
    const size_t set = nk_token_set(key, c->sets);
    uint8_t w = __atomic_fetch_add(&c->next[set], 1, __ATOMIC_RELAXED) % NK_TOKEN_WAYS;
    nk_toktags *t = &c->tag[set];
    uint32_t seq = __atomic_load_n(&t->seq[w], __ATOMIC_RELAXED);
    if ((seq & 1) ||
        !__atomic_compare_exchange_n(&t->seq[w], &seq, seq + 1, false, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED))
        return;
    /* the odd number is seen before any of the new words (Boehm's seqlock) */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&t->key[w], key, __ATOMIC_RELAXED);
    uint64_t *r = c->rows + (set * NK_TOKEN_WAYS + w) * c->words;
    const uint64_t *s = src;
    for (size_t k = 0; k < c->words; k++)
        __atomic_store_n(&r[k], s[k], __ATOMIC_RELAXED);
    __atomic_store_n(&t->seq[w], seq + 2, __ATOMIC_RELEASE);
}
