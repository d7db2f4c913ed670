/*
 * Non-local features (Ratinov & Roth 2009): what a first pass over the
 * whole document said about the other mentions of a token's word. A later
 * "Trump" is hard alone and easy once "Donald Trump" was tagged PER.
 *
 * Two templates per token, both about the other mentions of its lower-cased
 * word, never the token itself (whose first-pass label the local features
 * already carry):
 *   - the entity type most often given to them, with the share of them it
 *     had (under half, half or more, all);
 *   - extended prediction history: the label, type and BILOU part, of the
 *     nearest earlier mention tagged as an entity ("trump" inside an
 *     earlier "Donald Trump" was L-PER).
 * One table over the document counts each word and each (word, type) pair,
 * so the whole pass is linear in the tokens whatever the repetitions.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* feature templates, part of the model format: beside features.c's
 * gazetteer templates (384-386), below its caseless ones (from 1024) */
enum { T_NL_MAJORITY = 416, T_NL_PREVIOUS };

/* A cell is a word (its counts, its two most frequent entity types, its
 * last entity label so far) or a (word, type) pair (its count). */
struct nk_nlcell {
    uint64_t key; /* 0: empty */
    uint32_t n;   /* mentions of the word, or of the pair */
    uint32_t c1, c2;
    uint16_t t1, t2; /* types + 1 of the top two counts, 0 none */
    uint16_t last;   /* label of the latest mention tagged as an entity, 0 none */
};

static struct nk_nlcell *cell(nk_nltab *tab, uint64_t key)
{
    key |= 1;
    size_t i = (size_t)nk_mix64(key) & tab->mask;
    while (tab->cell[i].key && tab->cell[i].key != key)
        i = (i + 1) & tab->mask;
    tab->used += !tab->cell[i].key;
    tab->cell[i].key = key;
    return &tab->cell[i];
}

/* Doubles the table, the cells in it moved over. */
static bool grow(nk_nltab *tab)
{
    const size_t cap = tab->mask + 1;
    struct nk_nlcell *old = tab->cell, *cells = calloc(2 * cap, sizeof *cells);
    if (!cells)
        return false;
    tab->cell = cells;
    tab->cap = 2 * cap;
    tab->mask = 2 * cap - 1;
    tab->used = 0;
    for (size_t i = 0; i < cap; i++)
        if (old[i].key)
            *cell(tab, old[i].key) = old[i];
    free(old);
    return true;
}

/* A type's count only grows when it is seen, so comparing it with the top
 * two at that moment keeps them exact. */
static void count_type(struct nk_nlcell *w, uint16_t t, uint32_t c)
{
    if (w->t1 == t) {
        w->c1 = c;
    } else if (c > w->c1) {
        w->t2 = w->t1, w->c2 = w->c1;
        w->t1 = t, w->c1 = c;
    } else if (w->t2 == t || c > w->c2) {
        w->t2 = t, w->c2 = c;
    }
}

int nk_nonlocal_extract(nk_nltab *tab, const uint64_t *lower, const uint16_t *labels, size_t ntok,
                        unsigned hash_bits, uint32_t *slots, uint8_t *count, nerkit_error *err)
{
    /* Each token adds at most a word and a pair, so a table of 4 x ntok
     * cells is never more than half full; but the words of a document
     * repeat, and the table is memory each process holds alone, so it is
     * only as large as the documents so far have needed (grown when more
     * than half full), and no larger than 4 x ntok cells, which it clears
     * for each document. */
    size_t cap = 64;
    while (cap < 4 * ntok && cap < tab->cap)
        cap *= 2;
    if (cap > tab->cap) {
        if (!nk_resize(&tab->cell, cap, sizeof *tab->cell))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the non-local features");
        tab->cap = cap;
    }
    tab->mask = cap - 1;
    tab->used = 0;
    memset(tab->cell, 0, cap * sizeof *tab->cell);
    for (size_t i = 0; i < ntok; i++) {
        if (2 * (tab->used + 2) > tab->mask + 1 && !grow(tab))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the non-local features");
        struct nk_nlcell *w = cell(tab, lower[i]);
        w->n++;
        if (labels[i]) {
            uint16_t t = (uint16_t)(NK_LABEL_TYPE(labels[i]) + 1);
            struct nk_nlcell *p = cell(tab, nk_hash_step(lower[i], t));
            count_type(w, t, ++p->n);
        }
    }
    const uint64_t mask = ((uint64_t)1 << hash_bits) - 1;
    for (size_t i = 0; i < ntok; i++) {
        struct nk_nlcell *w = cell(tab, lower[i]);
        uint32_t *out = slots + i * NK_NL_MAX;
        uint8_t k = 0;
        uint16_t own = labels[i] ? (uint16_t)(NK_LABEL_TYPE(labels[i]) + 1) : 0;
        /* the top type among the others: the token's own mention may have
         * made its type the first */
        uint16_t t = w->t1;
        uint32_t c = w->c1 - (own == w->t1);
        if (own == w->t1 && c < w->c2)
            t = w->t2, c = w->c2;
        uint32_t others = w->n - 1;
        if (t && c) {
            uint64_t share = 2 * c < others ? 0 : c < others ? 1 : 2;
            out[k++] = nk_slot(T_NL_MAJORITY, 4 * (uint64_t)t + share, mask);
        }
        if (w->last)
            out[k++] = nk_slot(T_NL_PREVIOUS, w->last, mask);
        if (labels[i])
            w->last = labels[i];
        count[i] = k;
    }
    return NERKIT_OK;
}

void nk_nltab_free(nk_nltab *tab)
{
    free(tab->cell);
    memset(tab, 0, sizeof *tab);
}
