/*
 * Tagging: features of a whole document, then one Viterbi pass per
 * sentence. All scratch memory lives in the tagger and only grows, so a
 * tagger that has seen its largest document allocates nothing more.
 */
#include "tokcache.h"

#include <stdlib.h>
#include <string.h>

/* The cache of tokens' sums (below, and tokcache.c): on the unlabelled
 * corpora (raw text, 6.2 M tokens), 65,536 tokens tag 12% faster than
 * 16,384, and 32,768 9%. It is memory each process holds alone, unless the
 * model shares it (nerkit_model_share_tokens). */
struct nerkit_tagger {
    const nerkit_model *m;
    nk_featbuf fb;
    float *em;       /* emission scores, document length x L */
    float *prep;     /* the model's transitions prepared for nk_viterbi */
    float *work;     /* nk_viterbi's scratch, longest sentence x lat.stride */
    const void **rows; /* the weight rows of one token: its context features, then its window */
    size_t cap_em, cap_work; /* tokens em and work have room for */
    void *scratch;   /* the decoders' beyond Viterbi (decode/), of a type not known here */
    void (*drop)(void *);
    /* What a token brings to each token of its window (nk_features_word,
     * and its word vector's dense scores) depends on its text and the
     * document's casing alone: its rows are summed once per distinct token
     * into a row per window position, of the model's row format, kept in
     * a cache by the token's hash. Most tokens of a text are frequent
     * words, so a token costs the rows of its few context features and
     * five cached rows, where it cost some fifty rows. */
    nk_tokcache *cache; /* the model's, when it shares one, else own */
    nk_tokcache *own;
    char *ring;       /* NK_WINDOW entries: the window's tokens', copied from the cache */
    size_t entry;     /* bytes of an entry, in whole 8-byte words */
    char *edge;       /* NK_WINDOW rows: what a place beyond the sentence brings */
    float *acc;       /* NK_WINDOW x L sums */
    uint32_t *wslots; /* NK_MAX_WORD_FEATURES */
    const void **wrows;
    float *x, *tmp, *dense; /* nk_dense_word's scratch and scores */
    /* the first pass of a model with non-local features */
    uint16_t *first;  /* its labels */
    uint32_t *nl;     /* document length x NK_NL_MAX slots */
    uint8_t *nl_n;
    size_t cap_nl;
    bool *changed;    /* per sentence: the second pass changed its scores */
    size_t cap_changed;
    nk_nltab nltab;
};

nerkit_tagger *nerkit_tagger_new(const nerkit_model *m, nerkit_error *err)
{
    nerkit_tagger *t = nk_alloc(1, sizeof *t, err);
    if (!t)
        return NULL;
    const size_t L = m->nlabels, row = nk_row_bytes(m);
    t->m = m;
    t->prep = nk_alloc(nk_viterbi_prep_size(&m->lat), sizeof *t->prep, err);
    t->rows = nk_alloc(NK_MAX_CONTEXT_FEATURES + NK_WINDOW, sizeof *t->rows, err);
    t->cache = m->tokens ? m->tokens : (t->own = nk_tokcache_new(m, err));
    t->entry = (NK_WINDOW * row + 7) / 8 * 8;
    t->ring = nk_alloc(NK_WINDOW, t->entry, err);
    t->edge = nk_alloc(NK_WINDOW, row, err);
    t->acc = nk_alloc(NK_WINDOW * L, sizeof *t->acc, err);
    t->wslots = nk_alloc(NK_MAX_WORD_FEATURES, sizeof *t->wslots, err);
    t->wrows = nk_alloc(NK_MAX_WORD_FEATURES, sizeof *t->wrows, err);
    t->x = nk_alloc(m->lex.dim + 1, sizeof *t->x, err);
    t->tmp = nk_alloc(NK_WINDOW * L, sizeof *t->tmp, err);
    t->dense = nk_alloc(NK_WINDOW * L, sizeof *t->dense, err);
    if (!t->prep || !t->rows || !t->cache || !t->ring || !t->edge || !t->acc ||
        !t->wslots || !t->wrows || !t->x || !t->tmp || !t->dense) {
        nerkit_tagger_free(t);
        return NULL;
    }
    nk_viterbi_prepare(&m->lat, m->trans, t->prep);
    return t;
}

void nerkit_tagger_free(nerkit_tagger *t)
{
    if (!t)
        return;
    nk_featbuf_free(&t->fb);
    if (t->scratch)
        t->drop(t->scratch);
    free(t->em);
    nk_tokcache_free(t->own);
    free(t->ring);
    free(t->edge);
    free(t->acc);
    free(t->wslots);
    free(t->wrows);
    free(t->x);
    free(t->tmp);
    free(t->dense);
    free(t->work);
    free(t->prep);
    free(t->rows);
    free(t->first);
    free(t->nl);
    free(t->nl_n);
    free(t->changed);
    nk_nltab_free(&t->nltab);
    free(t);
}

/* The rows of these slots that the model has, prefetched, into rows;
 * returns how many. */
static size_t find_rows(const nerkit_model *m, const uint32_t *slots, size_t n, const void **rows)
{
    const size_t stride = nk_row_bytes(m);
    const char *base = m->rowfmt == NK_ROWS_I8 ? (const char *)m->qrows : (const char *)m->rows;
    size_t nr = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t r = nk_model_row(m, slots[k]);
        if (r) {
            const char *w = base + (size_t)(r - 1) * stride;
            __builtin_prefetch(w);
            __builtin_prefetch(w + stride - 1);
            rows[nr++] = w;
        }
    }
    return nr;
}

/* Adds n rows of the model's format to e. */
static void add_rows(const nerkit_model *m, const void *const *rows, size_t n,
                     float *restrict e)
{
    const size_t L = m->nlabels;
    if (m->rowfmt == NK_ROWS_I8) {
        for (size_t r = 0; r < n; r++) {
            const int8_t *restrict q = rows[r];
            const float scale = nk_scale_decode((uint8_t)q[0]);
            for (size_t y = 0; y < L; y++)
                e[y] += scale * (float)q[1 + y];
        }
    } else {
        for (size_t r = 0; r < n; r++) {
            const float *restrict w = rows[r];
            for (size_t y = 0; y < L; y++)
                e[y] += w[y];
        }
    }
}

/* Sums what token j of the document (-1: a place beyond the sentence)
 * brings to each position of a window into NK_WINDOW rows at dst. */
static void token_sums(nerkit_tagger *t, long j, char *dst)
{
    const nerkit_model *m = t->m;
    const size_t L = m->nlabels, row = nk_row_bytes(m);
    if (j >= 0)
        t->fb.word[j] = nk_featbuf_word(&t->fb, &m->lex, (size_t)j);
    const bool vectors = j >= 0 && (m->feat.groups & NERKIT_FEAT_VECTORS) && t->fb.word[j] >= 0 &&
                         nk_dense_word(m, (uint32_t)t->fb.word[j], t->x, t->tmp, t->dense);
    for (int d = -2; d <= 2; d++) {
        float *a = t->acc + (size_t)(d + 2) * L;
        if (vectors)
            memcpy(a, t->dense + (size_t)(d + 2) * L, L * sizeof *a);
        else
            memset(a, 0, L * sizeof *a);
        size_t n = nk_features_word(&m->feat, &m->lex, &t->fb, j, d, t->wslots);
        add_rows(m, t->wrows, find_rows(m, t->wslots, n, t->wrows), a);
        nk_row_encode(m, a, dst + (size_t)(d + 2) * row);
    }
}

/* Token j of the document's entry, with key k, into dst: from the cache,
 * or summed and put there. It is a copy, so that no other tagger (nor
 * process) changes it while the window reads it. */
static void token_entry(nerkit_tagger *t, long j, uint64_t k, char *dst)
{
    if (nk_tokcache_get(t->cache, k, dst))
        return;
    token_sums(t, j, dst);
    nk_tokcache_put(t->cache, k, dst);
}

/* How far ahead of its use a token's cache set is fetched: its keys are
 * the loop's one load that misses every cache, and nothing else waits on. */
#define KEY_AHEAD 8

/* Sums the weight rows of each token: those of its context features, and
 * what each token of its window brings to it, from the cache. The rows
 * are scattered over tables too big for L2 cache, so the sum is bound by
 * memory latency: first find every row of the token (independent loads
 * the CPU overlaps) and prefetch it, then add. Each token's cache entry is
 * looked up once, when it enters the window, and copied to a ring of the
 * window's entries (slot j % NK_WINDOW) that it is read from until it
 * leaves. */
static void emissions(nerkit_tagger *t, const nerkit_document *doc)
{
    const nerkit_model *m = t->m;
    const nk_featbuf *fb = &t->fb;
    const size_t L = m->nlabels, stride = nk_row_bytes(m), entry = t->entry;
    const void **rows = t->rows;
    token_sums(t, -1, t->edge);
    size_t first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        const size_t n = doc->sentence_len[s];
        /* token j enters the window of token j - 2 */
        for (size_t j = 0; j < n + 2; j++) {
            if (j + KEY_AHEAD < n)
                nk_tokcache_prefetch(t->cache,
                                     nk_token_key(fb->h_word[first + j + KEY_AHEAD], fb->cs));
            if (j < n)
                token_entry(t, (long)(first + j), nk_token_key(fb->h_word[first + j], fb->cs),
                            t->ring + j % NK_WINDOW * entry);
            if (j < 2)
                continue;
            const size_t i = j - 2, a = fb->start[first + i];
            size_t nr = find_rows(m, fb->slots + a, fb->start[first + i + 1] - a, rows);
            for (int d = -2; d <= 2; d++) {
                const long at = (long)i + d;
                const char *e = at >= 0 && at < (long)n ? t->ring + (size_t)at % NK_WINDOW * entry
                                                        : t->edge;
                rows[nr++] = e + (size_t)(d + 2) * stride;
            }
            float *e = t->em + (first + i) * L;
            memset(e, 0, L * sizeof *e);
            add_rows(m, rows, nr, e);
        }
    }
}

/* Non-local features: the scores so far are a first pass, whose labels give
 * each token a few more features; their rows are added to the same scores,
 * so that every decoder sees the second pass. Features are not extracted
 * twice: the pass costs a Viterbi and a couple of rows per token. */
static int second_pass(nerkit_tagger *t, const nerkit_document *doc, nerkit_error *err)
{
    const nerkit_model *m = t->m;
    const size_t L = m->nlabels, ntok = doc->ntokens;
    if (ntok > t->cap_nl) {
        if (!nk_resize(&t->first, ntok, sizeof *t->first) ||
            !nk_resize(&t->nl, ntok * NK_NL_MAX, sizeof *t->nl) ||
            !nk_resize(&t->nl_n, ntok, sizeof *t->nl_n))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory scoring a document");
        t->cap_nl = ntok;
    }
    if (doc->nsentences > t->cap_changed) {
        if (!nk_resize(&t->changed, doc->nsentences, sizeof *t->changed))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory scoring a document");
        t->cap_changed = doc->nsentences;
    }
    size_t first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++])
        nk_viterbi(&m->lat, t->prep, t->em + first * L, doc->sentence_len[s], t->work,
                   t->first + first);
    int rc = nk_nonlocal_extract(&t->nltab, t->fb.h_lower, t->first, ntok, m->feat.hash_bits,
                                 t->nl, t->nl_n, err);
    first = 0;
    for (size_t s = 0; s < doc->nsentences && !rc; first += doc->sentence_len[s++]) {
        t->changed[s] = false;
        for (size_t i = first; i < first + doc->sentence_len[s]; i++) {
            float *restrict e = t->em + i * L;
            size_t nr = find_rows(m, t->nl + i * NK_NL_MAX, t->nl_n[i], t->rows);
            t->changed[s] |= nr != 0;
            add_rows(m, t->rows, nr, e);
        }
    }
    return rc;
}

int nk_tagger_score(nerkit_tagger *t, const nerkit_document *doc, const float **em,
                    nerkit_error *err)
{
    const nerkit_model *m = t->m;
    const size_t L = m->nlabels;
    size_t total = 0, longest = 0;
    for (size_t s = 0; s < doc->nsentences; s++) {
        total += doc->sentence_len[s];
        if (doc->sentence_len[s] > longest)
            longest = doc->sentence_len[s];
    }
    if (total != doc->ntokens)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "sentence lengths add up to %zu tokens, but the document has %zu", total,
                       doc->ntokens);
    if (doc->ntokens > t->cap_em) {
        if (!nk_resize(&t->em, doc->ntokens * L, sizeof *t->em))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory scoring a document of %zu tokens",
                           doc->ntokens);
        t->cap_em = doc->ntokens;
    }
    if (longest > t->cap_work) {
        if (!nk_resize(&t->work, longest * m->lat.stride, sizeof *t->work))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging a sentence of %zu tokens",
                           longest);
        t->cap_work = longest;
    }
    int rc = nk_features_context(&m->feat, &m->lex, &m->gaz, doc, &t->fb, err);
    if (rc)
        return rc;
    emissions(t, doc);
    if ((m->feat.groups & NERKIT_FEAT_NONLOCAL) && (rc = second_pass(t, doc, err)))
        return rc;
    *em = t->em;
    return NERKIT_OK;
}

const nerkit_model *nk_tagger_model(const nerkit_tagger *t) { return t->m; }

void *nk_tagger_scratch(nerkit_tagger *t, void *(*make)(void), void (*drop)(void *))
{
    if (!t->scratch && (t->scratch = make()))
        t->drop = drop;
    return t->scratch;
}

void nk_tagger_viterbi(nerkit_tagger *t, const float *em, size_t n, uint16_t *labels)
{
    nk_viterbi(&t->m->lat, t->prep, em, n, t->work, labels);
}

int nerkit_tag_document(nerkit_tagger *t, const nerkit_document *doc, uint16_t *labels,
                        nerkit_error *err)
{
    const nerkit_model *m = t->m;
    const float *em;
    int rc = nk_tagger_score(t, doc, &em, err);
    if (rc)
        return rc;
    /* a sentence the second pass left alone keeps its first-pass path */
    const bool again = m->feat.groups & NERKIT_FEAT_NONLOCAL;
    size_t first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        if (again && !t->changed[s])
            memcpy(labels + first, t->first + first, doc->sentence_len[s] * sizeof *labels);
        else
            nk_viterbi(&m->lat, t->prep, em + first * m->nlabels, doc->sentence_len[s], t->work,
                       labels + first);
    }
    return NERKIT_OK;
}

int nerkit_tag_sentence(nerkit_tagger *t, const char *const *tokens, const size_t *token_len,
                        size_t n, uint16_t *labels, nerkit_error *err)
{
    nerkit_document doc = {tokens, token_len, n, &n, n ? 1 : 0};
    return nerkit_tag_document(t, &doc, labels, err);
}
