/*
 * Learning word representations from raw text (nerkit-embed): word
 * tables, co-occurrence counts, PPMI and the randomized SVD (LAPACKE),
 * k-means, and the files of vectors and clusters. Built into
 * libnerkit-train, not libnerkit: tagging needs none of it.
 *
 * May use: text/ (the pipeline and the tokenizer) and everything below.
 */
#ifndef NERKIT_EMBED_H
#define NERKIT_EMBED_H

#include "../text/text.h"

/* ---- word representations (wordtab.c, cooc.c, svd.c, embed.c, kmeans.c, wordvec.c) */

/* 64-bit hash of a byte string. */
uint64_t nk_hash_bytes(const char *s, size_t n);

/* Distinct words, numbered in the order they were added; lookup by hash. */
typedef struct {
    char *text;         /* the words, NUL-terminated, back to back */
    size_t text_len, text_cap;
    size_t *off;        /* word i is text + off[i] */
    uint32_t *len;      /* of word i in bytes */
    uint32_t *tag;      /* high hash bits of word i: most mismatches skip memcmp */
    uint32_t *slot;     /* open addressing: word index + 1, 0 when empty */
    size_t n, cap, mask;
} nk_wordtab;

/* Finds or adds a word; *index receives its number (new ones get t->n - 1). */
int nk_wordtab_add(nk_wordtab *t, const char *s, size_t n, size_t *index, nerkit_error *err);
/* A word's number, or -1. */
int64_t nk_wordtab_find(const nk_wordtab *t, const char *s, size_t n);
/* Keeps the words with keep[i] set, renumbered in their old order. */
int nk_wordtab_keep(nk_wordtab *t, const bool *keep, nerkit_error *err);
void nk_wordtab_free(nk_wordtab *t);

static inline const char *nk_wordtab_word(const nk_wordtab *t, size_t i)
{
    return t->text + t->off[i];
}

struct nerkit_vectors {
    nk_wordtab words; /* word i owns row i */
    float *data;      /* rows of dim floats */
    size_t dim, cap_rows;
};

struct nerkit_clusters {
    nk_wordtab words;
    size_t nlevels;   /* k-means levels; 0 for Brown clusters */
    uint32_t *k;      /* per level */
    uint32_t *id;     /* k-means: words x nlevels cluster ids */
    size_t *path;     /* Brown: word i's path is paths.p + path[i] */
    uint64_t *freq;   /* Brown: word counts, 0 when not given */
    nk_buf paths;
    size_t cap;       /* words the arrays have room for */
};

/* Co-occurrence counting (cooc.c). A weight is NK_COOC_UNIT / distance,
 * rounded; the unit is divisible by every distance up to 10. */
#define NK_COOC_UNIT 2520
#define NK_EMBED_MAX_WINDOW 64
#define NK_EMBED_MAX_VOCAB (1 << 24) /* word ids are packed in 24 bits */
#define NK_OOV UINT32_MAX            /* a token outside the vocabulary */

/* One thread's pairs not yet merged, packed as word << (16 + bits) |
 * context << 16 | weight with word <= context (unless ordered). */
typedef struct {
    uint64_t *raw, *aux; /* pairs, and radix-sort scratch */
    size_t n, cap;
    unsigned bits;       /* of a word id */
    unsigned window;
    bool ordered;        /* keep (word, next word) in text order, unsummed by
                            symmetry: the bigrams of the exchange clustering */
    uint16_t weight[NK_EMBED_MAX_WINDOW + 1]; /* by distance */
} nk_pairbuf;

/* All pairs so far: distinct, sorted by key = word << 32 | context, with
 * word <= context (the counts are symmetric) unless they were counted
 * ordered. */
typedef struct {
    uint64_t *key;
    uint64_t *val;        /* summed weights */
    size_t n, cap;
    uint64_t prune_level; /* pairs that weighed this or less were dropped */
    unsigned prunes;
} nk_cooc;

/* nerkit_embed over the tokens of a corpus in memory, as they are, on the
 * calling thread; NULL with NERKIT_ERR_ARG when fewer than min_words (or
 * o->dim) words occur o->min_count times. */
nerkit_vectors *nk_embed_corpus(const nerkit_corpus *c, size_t min_words,
                                const nerkit_embed_opts *o, nerkit_error *err);

int nk_pairbuf_init(nk_pairbuf *b, size_t cap, size_t vocab, unsigned window, bool ordered,
                    nerkit_error *err);
void nk_pairbuf_free(nk_pairbuf *b);
/* Adds the pairs of ids[i..n) (NK_OOV tokens hold their place but pair with
 * nothing) until the buffer is full; returns the position to go on from. */
size_t nk_pairs_add(nk_pairbuf *b, const uint32_t *ids, size_t n, size_t i);
/* Sorts and sums the buffer: raw[0..n) become keys (word << 32 | context),
 * aux[0..n) their weights. */
void nk_pairs_reduce(nk_pairbuf *b);
/* Merges a reduced buffer into c and empties it; prunes c when it holds
 * more than max_pairs. */
int nk_cooc_merge(nk_cooc *c, nk_pairbuf *b, size_t max_pairs, nerkit_error *err);
void nk_cooc_free(nk_cooc *c);

/* A square sparse matrix A in compressed rows, with A's transpose stored
 * on the same pattern: A[i][col[e]] = a[e] and A[col[e]][i] = at[e] for
 * the entries e of row i, row[i] <= e < row[i+1]. */
typedef struct {
    size_t n;
    size_t *row;
    uint32_t *col;
    float *a, *at;
} nk_csr;

/* The PPMI matrix of n words from their counts, with context distribution
 * smoothing exponent cds; entries zero both ways are left out. */
int nk_ppmi(const nk_cooc *c, size_t n, double cds, nk_csr *out, nerkit_error *err);
void nk_csr_free(nk_csr *m);

/* Truncated SVD by randomized range finding (svd.c). */
typedef struct {
    size_t rank;
    unsigned oversample, power_iters;
    uint64_t seed;
    int threads; /* for the sparse products */
    void (*step)(unsigned done, unsigned total, void *user); /* after each product */
    void *user;
} nk_rsvd_opts;

/* Y = M X for M with A's pattern and the values vals (A->a for A, A->at
 * for its transpose); X and Y are n x k, row-major. */
void nk_spmm(const nk_csr *A, const float *vals, const float *X, float *Y, size_t k, int threads);
/* The rank largest singular values of A into sigma (descending) and their
 * left singular vectors into U (n x rank, row-major). */
int nk_rsvd(const nk_csr *A, const nk_rsvd_opts *o, float *U, float *sigma, nerkit_error *err);

/* out[i*k + j] = |x_i - c_j|^2 for rows X (n x d) and C (k x d), given
 * their squared norms: |x|^2 - 2 x.c + |c|^2 with one cblas_sgemm (kmeans.c). */
void nk_sqdist(const float *X, size_t n, size_t d, const float *xnorm, const float *C, size_t k,
               const float *cnorm, float *out);

/* Exchange clustering (exchange.c) of the n words whose ordered bigram
 * counts (window 1) c holds: ks[0..nks) classes, the largest over the words
 * and each smaller one over the classes of the next larger, so the levels
 * nest. ids receives n x nks ids, word-major; at most `iterations` sweeps
 * over the words, on `threads` threads, with the same result for any. */
int nk_exchange(const nk_cooc *c, size_t n, const size_t *ks, size_t nks, unsigned iterations,
                int threads, uint32_t *ids, nerkit_error *err);

#endif
