/*
 * Tagging: features of a whole document, then one Viterbi pass per
 * sentence. All scratch memory lives in the tagger and only grows, so a
 * tagger that has seen its largest document allocates nothing more.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* Words whose dense scores a tagger keeps, a power of two. Their scores
 * are kept as the model keeps its rows (NK_ROWS_I8: 5 x 18 bytes a word
 * at 17 labels, 1.5 MB), and are summed with them. A text's frequent words
 * stay; on CoNLL-2003 dev x 20, 16384 words tag 12% faster than 2048. The
 * cache is memory each process has alone, where the model is shared. */
#define WORD_CACHE 16384

struct nerkit_tagger {
    const nerkit_model *m;
    nk_featbuf fb;
    float *em;       /* emission scores, document length x L */
    uint16_t *back;  /* Viterbi back-pointers, longest sentence x L */
    float *score;    /* 2 x L */
    const void **rows; /* the weight rows of one token: features, then window words */
    size_t cap_em, cap_back; /* tokens em and back have room for */
    void *scratch;   /* the decoders' beyond Viterbi (decode/), of a type not known here */
    void (*drop)(void *);
    /* with word vectors: the cache of words' dense scores (nk_dense_word) */
    int32_t *cached;  /* WORD_CACHE words, -1 for none */
    char *scores;     /* WORD_CACHE x NK_WINDOW rows of the model's row format */
    float *x, *tmp;   /* nk_dense_word's scratch and scores */
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
    t->m = m;
    t->score = nk_alloc(2 * m->nlabels, sizeof *t->score, err);
    t->rows = nk_alloc(NK_MAX_FEATURES + NK_WINDOW, sizeof *t->rows, err);
    if (!t->score || !t->rows) {
        nerkit_tagger_free(t);
        return NULL;
    }
    if (m->feat.groups & NERKIT_FEAT_VECTORS) {
        t->cached = nk_alloc(WORD_CACHE, sizeof *t->cached, err);
        t->scores = nk_alloc((size_t)WORD_CACHE * NK_WINDOW, nk_row_bytes(m), err);
        t->x = nk_alloc(m->lex.dim + 1, sizeof *t->x, err);
        t->tmp = nk_alloc(2 * NK_WINDOW * m->nlabels, sizeof *t->tmp, err);
        if (!t->cached || !t->scores || !t->x || !t->tmp) {
            nerkit_tagger_free(t);
            return NULL;
        }
        memset(t->cached, 0xff, WORD_CACHE * sizeof *t->cached);
    }
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
    free(t->cached);
    free(t->scores);
    free(t->x);
    free(t->tmp);
    free(t->back);
    free(t->score);
    free(t->rows);
    free(t->first);
    free(t->nl);
    free(t->nl_n);
    free(t->changed);
    nk_nltab_free(&t->nltab);
    free(t);
}

/* The dense scores of lexicon word w at the window positions, as rows
 * of the model's format, from the cache or computed into it (zeros for a
 * word without a vector). */
static const char *word_scores(nerkit_tagger *t, int32_t w)
{
    const nerkit_model *m = t->m;
    const size_t L = m->nlabels, row = nk_row_bytes(m);
    size_t c = (size_t)w & (WORD_CACHE - 1);
    char *s = t->scores + c * NK_WINDOW * row;
    if (t->cached[c] != w) {
        float *f = t->tmp + NK_WINDOW * L;
        if (!nk_dense_word(m, (uint32_t)w, t->x, t->tmp, f))
            memset(f, 0, NK_WINDOW * L * sizeof *f);
        for (size_t d = 0; d < NK_WINDOW; d++)
            nk_row_encode(m, f + d * L, s + d * row);
        t->cached[c] = w;
    }
    return s;
}

/* Sums the weight rows of each token's features, and the dense scores of
 * the words in its window. The rows are scattered over tables too big for
 * L2 cache, so the sum is bound by memory latency: first find every row of
 * the token (independent loads the CPU overlaps) and prefetch it, then
 * add. restrict lets the compiler keep the sum in registers instead of
 * storing after every add. */
static void emissions(nerkit_tagger *t, const nerkit_document *doc)
{
    const nerkit_model *m = t->m;
    const nk_featbuf *fb = &t->fb;
    const size_t L = m->nlabels, stride = nk_row_bytes(m);
    const bool bytes = m->rowfmt == NK_ROWS_I8;
    const char *base = bytes ? (const char *)m->qrows : (const char *)m->rows;
    const void **rows = t->rows;
    size_t first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        const size_t n = doc->sentence_len[s];
        const int32_t *word = fb->word + first;
        for (size_t i = 0; i < n; i++) {
            size_t nr = 0;
            for (size_t k = fb->start[first + i]; k < fb->start[first + i + 1]; k++) {
                uint32_t r = nk_model_row(m, fb->slots[k]);
                if (r) {
                    const char *w = base + (size_t)(r - 1) * stride;
                    __builtin_prefetch(w);
                    __builtin_prefetch(w + stride - 1);
                    rows[nr++] = w;
                }
            }
            for (size_t d = 0; t->cached && d < NK_WINDOW; d++) {
                long j = (long)i + (long)d - NK_WINDOW / 2;
                if (j < 0 || j >= (long)n || word[j] < 0)
                    continue;
                const char *w = word_scores(t, word[j]) + d * stride;
                __builtin_prefetch(w);
                __builtin_prefetch(w + stride - 1);
                rows[nr++] = w;
            }
            float *restrict e = t->em + (first + i) * L;
            memset(e, 0, L * sizeof *e);
            for (size_t r = 0; bytes && r < nr; r++) {
                const int8_t *restrict q = rows[r];
                const float scale = nk_scale_decode((uint8_t)q[0]);
                for (size_t y = 0; y < L; y++)
                    e[y] += scale * (float)q[1 + y];
            }
            for (size_t r = 0; !bytes && r < nr; r++) {
                const float *restrict w = rows[r];
                for (size_t y = 0; y < L; y++)
                    e[y] += w[y];
            }
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
        nk_viterbi(&m->lat, t->em + first * L, doc->sentence_len[s], m->trans, t->score,
                   t->back, t->first + first);
    int rc = nk_nonlocal_extract(&t->nltab, t->fb.h_lower, t->first, ntok, m->feat.hash_bits,
                                 t->nl, t->nl_n, err);
    first = 0;
    for (size_t s = 0; s < doc->nsentences && !rc; first += doc->sentence_len[s++]) {
        t->changed[s] = false;
        for (size_t i = first; i < first + doc->sentence_len[s]; i++) {
            float *restrict e = t->em + i * L;
            for (size_t k = 0; k < t->nl_n[i]; k++) {
                uint32_t r = nk_model_row(m, t->nl[i * NK_NL_MAX + k]);
                t->changed[s] |= r != 0;
                if (r)
                    nk_model_row_add(m, r, e);
            }
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
    if (longest > t->cap_back) {
        if (!nk_resize(&t->back, longest * L, sizeof *t->back))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging a sentence of %zu tokens",
                           longest);
        t->cap_back = longest;
    }
    int rc = nk_features_extract(&m->feat, &m->lex, &m->gaz, doc, &t->fb, err);
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
    nk_viterbi(&t->m->lat, em, n, t->m->trans, t->score, t->back, labels);
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
            nk_viterbi(&m->lat, em + first * m->nlabels, doc->sentence_len[s], m->trans,
                       t->score, t->back, labels + first);
    }
    return NERKIT_OK;
}

int nerkit_tag_sentence(nerkit_tagger *t, const char *const *tokens, const size_t *token_len,
                        size_t n, uint16_t *labels, nerkit_error *err)
{
    nerkit_document doc = {tokens, token_len, n, &n, n ? 1 : 0};
    return nerkit_tag_document(t, &doc, labels, err);
}
