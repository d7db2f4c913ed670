/*
 * The phrase matcher: a trie over tokens, for gazetteers and entity
 * dictionaries.
 *
 * Tokens are the 64-bit hashes the features already compute (lower-cased
 * form for the path through the trie, exact form for telling an exact match
 * from a case-folded one), so matching a sentence costs no string work.
 *
 * The trie is flat arrays numbered breadth-first: the children of a state
 * are consecutive states, sorted by the key of the token leading to them,
 * so a state needs no pointer list and a lookup is a binary search in a
 * short range. The root has as many children as there are distinct first
 * words (hundreds of thousands for a large dictionary), so it has a bucket
 * index on the keys' top bits, which makes its lookup one or two probes.
 * The same arrays are what the model file (GAZT) and the dictionary file
 * (src/text/dict.c) hold, and no state owns memory:
 * building sorts the phrases once (n log n) and lays out each depth in one
 * pass.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

uint64_t nk_word_hash(const char *s, size_t len)
{
    uint64_t h = NK_HASH_INIT;
    for (size_t k = 0; k < len; k++)
        h = nk_hash_step(h, (unsigned char)s[k]);
    return h;
}

/* The exact forms of a phrase's tokens as one 32-bit value: a text
 * sequence matches exactly when its forms give the same value. */
static uint64_t case_step(uint64_t h, uint64_t word)
{
    return nk_hash_step(h, word);
}

static uint32_t case_final(uint64_t h)
{
    return (uint32_t)nk_mix64(h);
}

void nk_phrases_free(nk_phrases *p)
{
    for (uint32_t l = 0; l < p->nlists; l++)
        free(p->lists[l]);
    free(p->lists);
    free(p->key);
    free(p->child);
    free(p->out_start);
    free(p->out_list);
    free(p->out_case);
    free(p->out_seq);
    free(p->out_flags);
    free(p->root);
    memset(p, 0, sizeof *p);
}

static size_t root_bucket(unsigned bits, uint64_t key)
{
    return bits ? (size_t)(key >> (64 - bits)) : 0;
}

/* The child of state s reached by key, or 0 (the root is nobody's child). */
static uint32_t child_of(const nk_phrases *p, uint32_t s, uint64_t key)
{
    uint32_t lo, hi;
    if (s == 0) {
        size_t b = root_bucket(p->root_bits, key);
        lo = p->root[b];
        hi = p->root[b + 1];
    } else {
        lo = p->child[s];
        hi = p->child[s + 1];
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p->key[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->child[s + 1] && p->key[lo] == key ? lo : 0;
}

void nk_phrases_prefetch(const nk_phrases *p, const uint64_t *lower, size_t n)
{
    if (!p->nstates)
        return;
    /* two steps, as the key range of a root bucket is read from the root
     * index: the index for the token after next, the keys for the next,
     * whose index entry the step before asked for */
    if (n > 1)
        __builtin_prefetch(&p->root[root_bucket(p->root_bits, lower[1])]);
    if (n > 0)
        __builtin_prefetch(&p->key[p->root[root_bucket(p->root_bits, lower[0])]]);
}

size_t nk_phrases_at(const nk_phrases *p, const uint64_t *lower, const uint64_t *word, size_t n,
                     nk_phrase_match *out, size_t cap)
{
    if (!p->nstates)
        return 0;
    /* walk as deep as the text goes, then report from the deepest state up,
     * so a short buffer keeps the longest matches */
    uint32_t path[NK_PHRASE_MAX_TOKENS];
    uint32_t cases[NK_PHRASE_MAX_TOKENS];
    size_t depth = 0;
    uint32_t s = 0;
    uint64_t h = NK_HASH_INIT;
    while (depth < n && depth < NK_PHRASE_MAX_TOKENS && (s = child_of(p, s, lower[depth]))) {
        h = case_step(h, word[depth]);
        cases[depth] = case_final(h);
        path[depth++] = s;
    }
    size_t found = 0;
    while (depth-- > 0) {
        s = path[depth];
        for (uint32_t o = p->out_start[s]; o < p->out_start[s + 1]; o++, found++)
            if (found < cap)
                out[found] = (nk_phrase_match){(uint32_t)depth + 1, p->out_list[o],
                                               p->out_case[o] == cases[depth], o};
    }
    return found;
}

/* ---- building */

int nk_phrase_builder_list(nk_phrase_builder *b, const char *name, size_t len, uint32_t *id,
                           nerkit_error *err)
{
    /* phrases come in runs of one list: the last one found usually is it */
    if (b->nlists && strlen(b->lists[b->last]) == len && memcmp(b->lists[b->last], name, len) == 0) {
        *id = b->last;
        return NERKIT_OK;
    }
    for (uint32_t l = 0; l < b->nlists; l++)
        if (strlen(b->lists[l]) == len && memcmp(b->lists[l], name, len) == 0) {
            *id = b->last = l;
            return NERKIT_OK;
        }
    if (b->nlists == NK_MAX_PHRASE_LISTS)
        return nk_fail(err, NERKIT_ERR_ARG, "more than %d lists (labels)", NK_MAX_PHRASE_LISTS);
    char *s = strndup(name, len);
    if (!s || !nk_resize(&b->lists, b->nlists + 1, sizeof *b->lists)) {
        free(s);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory adding a list");
    }
    b->lists[b->nlists] = s;
    *id = b->last = b->nlists++;
    return NERKIT_OK;
}

int nk_phrase_builder_add(nk_phrase_builder *b, const uint64_t *lower, const uint64_t *word,
                          size_t n, uint32_t list, nerkit_error *err)
{
    return nk_phrase_builder_add_entry(b, lower, word, n, list, 0, 0, err);
}

int nk_phrase_builder_add_entry(nk_phrase_builder *b, const uint64_t *lower, const uint64_t *word,
                                size_t n, uint32_t list, uint32_t flags, uint64_t value,
                                nerkit_error *err)
{
    if (n == 0 || n > NK_PHRASE_MAX_TOKENS)
        return nk_fail(err, NERKIT_ERR_ARG, "a phrase of %zu tokens (1 to %d allowed)", n,
                       NK_PHRASE_MAX_TOKENS);
    if (b->ntok + n > b->cap_tok) {
        size_t cap = b->cap_tok ? b->cap_tok : 1024;
        while (cap < b->ntok + n)
            cap *= 2;
        if (!nk_resize(&b->tok, cap, sizeof *b->tok))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory adding a phrase");
        b->cap_tok = cap;
    }
    if (b->nentries >= UINT32_MAX - 1)
        return nk_fail(err, NERKIT_ERR_ARG, "too many phrases for one matcher");
    if (b->nentries == b->cap_entries) {
        size_t cap = b->cap_entries ? 2 * b->cap_entries : 1024;
        if (!nk_resize(&b->entries, cap, sizeof *b->entries))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory adding a phrase");
        b->cap_entries = cap;
    }
    uint64_t h = NK_HASH_INIT;
    for (size_t k = 0; k < n; k++)
        h = case_step(h, word[k]);
    memcpy(b->tok + b->ntok, lower, n * sizeof *lower);
    b->entries[b->nentries] = (nk_phrase_entry){b->ntok, NULL, (uint32_t)n, list, case_final(h), 0,
                                                (uint32_t)b->nentries, flags, value};
    b->nentries++;
    b->ntok += n;
    return NERKIT_OK;
}

void nk_phrase_builder_free(nk_phrase_builder *b)
{
    for (uint32_t l = 0; l < b->nlists; l++)
        free(b->lists[l]);
    free(b->lists);
    free(b->tok);
    free(b->entries);
    free(b->resolved);
    memset(b, 0, sizeof *b);
}

static int cmp_entry(const void *x, const void *y)
{
    const nk_phrase_entry *a = x, *b = y;
    const uint64_t *ta = a->tok, *tb = b->tok;
    for (uint32_t k = 0; k < a->len && k < b->len; k++)
        if (ta[k] != tb[k])
            return ta[k] < tb[k] ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->list != b->list)
        return a->list < b->list ? -1 : 1;
    return (a->exact_case > b->exact_case) - (a->exact_case < b->exact_case);
}

/* Dictionaries: one phrase's entries together, in the order they came. */
static int cmp_dict_entry(const void *x, const void *y)
{
    const nk_phrase_entry *a = x, *b = y;
    for (uint32_t k = 0; k < a->len && k < b->len; k++)
        if (a->tok[k] != b->tok[k])
            return a->tok[k] < b->tok[k] ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->exact_case != b->exact_case)
        return a->exact_case < b->exact_case ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static int cmp_seq(const void *x, const void *y)
{
    const nk_phrase_entry *a = x, *b = y;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

static bool same_phrase(const nk_phrase_entry *a, const nk_phrase_entry *b)
{
    return a->len == b->len && a->exact_case == b->exact_case &&
           memcmp(a->tok, b->tok, a->len * sizeof *a->tok) == 0;
}

/* Sorted dictionary entries down to one per phrase, as b->dups says. */
static int resolve_dups(nk_phrase_builder *b, nk_phrase_entry *e, size_t *n, nerkit_error *err)
{
    size_t kept = 0;
    for (size_t r0 = 0, r1; r0 < *n; r0 = r1) {
        size_t keep = r0;
        bool conflict = false;
        for (r1 = r0 + 1; r1 < *n && same_phrase(&e[r0], &e[r1]); r1++) {
            if (e[r1].list == e[r0].list && e[r1].value == e[r0].value)
                continue;
            if (b->dups == NK_DUPS_ERROR) {
                b->conflict[0] = e[r0].seq;
                b->conflict[1] = e[r1].seq;
                return nk_fail(err, NERKIT_ERR_FORMAT, "a phrase listed twice, differently");
            }
            conflict = true;
        }
        if (conflict) {
            b->nconflicts++;
            if (b->dups == NK_DUPS_LAST)
                keep = r1 - 1;
            for (size_t r = r0; r < r1; r++) {
                if (e[r].list == e[keep].list && e[r].value == e[keep].value)
                    continue;
                if (!nk_resize(&b->resolved, b->nresolved + 1, sizeof *b->resolved))
                    return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building a phrase matcher");
                b->resolved[b->nresolved][0] = e[keep].seq;
                b->resolved[b->nresolved++][1] = e[r].seq;
            }
        }
        e[kept++] = e[keep];
    }
    *n = kept;
    /* a phrase's entries of other casings in the order listed, so that of
     * two matching alike the first listed wins */
    for (size_t g0 = 0, g1; g0 < kept; g0 = g1) {
        for (g1 = g0 + 1; g1 < kept && e[g1].len == e[g0].len &&
                          memcmp(e[g1].tok, e[g0].tok, e[g0].len * sizeof *e[g0].tok) == 0;
             g1++)
            ;
        if (g1 - g0 > 1)
            qsort(e + g0, g1 - g0, sizeof *e, cmp_seq);
    }
    return NERKIT_OK;
}

static bool same_entry(const nk_phrase_entry *a, const nk_phrase_entry *b)
{
    return a->len == b->len && a->list == b->list && a->exact_case == b->exact_case &&
           memcmp(a->tok, b->tok, a->len * sizeof *a->tok) == 0;
}

/* States of the trie for the sorted, distinct entries e: key and parent of
 * each, depth by depth; e[i].state gets the state where entry i ends. */
static int lay_out(nk_phrase_entry *e, size_t n, uint64_t **key,
                   uint32_t **parent, size_t *nstates, nerkit_error *err)
{
    size_t cap = n + 1, count = 1;
    uint64_t *k = malloc(cap * sizeof *k);
    uint32_t *par = malloc(cap * sizeof *par);
    size_t *active = malloc((n + 1) * sizeof *active);
    if (!k || !par || !active)
        goto nomem;
    k[0] = 0;
    par[0] = 0;
    for (size_t i = 0; i < n; i++) {
        active[i] = i;
        e[i].state = 0;
    }
    size_t nactive = n;
    for (uint32_t d = 0; nactive; d++) {
        size_t kept = 0;
        for (size_t a = 0; a < nactive; a++) {
            nk_phrase_entry *x = &e[active[a]], *prev = a ? &e[active[a - 1]] : NULL;
            uint64_t t = x->tok[d];
            /* prev->state is already this depth's: compare through its parent */
            if (!prev || par[prev->state] != x->state || prev->tok[d] != t) {
                if (count == UINT32_MAX) {
                    free(k);
                    free(par);
                    free(active);
                    return nk_fail(err, NERKIT_ERR_ARG, "too many phrases for one matcher");
                }
                if (count == cap) {
                    cap *= 2;
                    if (!nk_resize(&k, cap, sizeof *k) || !nk_resize(&par, cap, sizeof *par))
                        goto nomem;
                }
                k[count] = t;
                par[count] = x->state;
                x->state = (uint32_t)count++;
            } else {
                x->state = prev->state;
            }
            if (x->len > d + 1)
                active[kept++] = active[a];
        }
        nactive = kept;
    }
    free(active);
    *key = k;
    *parent = par;
    *nstates = count;
    return NERKIT_OK;
nomem:
    free(k);
    free(par);
    free(active);
    return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building a phrase matcher");
}

int nk_phrase_builder_finish(nk_phrase_builder *b, nk_phrases *p, nerkit_error *err)
{
    memset(p, 0, sizeof *p);
    nk_phrase_entry *e = b->entries;
    size_t n = b->nentries;
    /* the tokens stay where they are from here on */
    for (size_t i = 0; i < n; i++)
        e[i].tok = b->tok + e[i].first;
    if (n) /* qsort may not be given NULL, which an empty builder holds */
        qsort(e, n, sizeof *e, b->dups == NK_DUPS_MERGE ? cmp_entry : cmp_dict_entry);
    if (b->dups == NK_DUPS_MERGE) {
        size_t distinct = 0;
        for (size_t i = 0; i < n; i++)
            if (!distinct || !same_entry(&e[distinct - 1], &e[i]))
                e[distinct++] = e[i];
        n = distinct;
    } else {
        int rc = resolve_dups(b, e, &n, err);
        if (rc)
            return rc;
    }
    if (n > UINT32_MAX - 1)
        return nk_fail(err, NERKIT_ERR_ARG, "too many phrases for one matcher");
    uint32_t *parent = NULL;
    size_t ns = 0;
    int rc = lay_out(e, n, &p->key, &parent, &ns, err);
    if (rc)
        return rc;
    p->nstates = (uint32_t)ns;
    p->nout = (uint32_t)n;
    p->child = malloc((ns + 1) * sizeof *p->child);
    p->out_start = calloc(ns + 1, sizeof *p->out_start);
    p->out_list = malloc((n + 1) * sizeof *p->out_list);
    p->out_case = malloc((n + 1) * sizeof *p->out_case);
    p->out_seq = malloc((n + 1) * sizeof *p->out_seq);
    p->out_flags = malloc(n + 1);
    if (!p->child || !p->out_start || !p->out_list || !p->out_case || !p->out_seq ||
        !p->out_flags) {
        free(parent);
        nk_phrases_free(p);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building a phrase matcher");
    }
    /* breadth-first numbering makes the parents non-decreasing */
    uint32_t q = 0;
    for (uint32_t s = 1; s < ns; s++)
        while (q <= parent[s])
            p->child[q++] = s;
    while (q <= ns)
        p->child[q++] = (uint32_t)ns;
    /* outputs grouped by state (a counting sort, parent[] now the cursor);
     * entries sorted by phrase keep each state's outputs sorted by list
     * (a dictionary's: by exact forms, then in the order added) */
    for (size_t i = 0; i < n; i++)
        p->out_start[e[i].state + 1]++;
    for (size_t s = 0; s < ns; s++)
        p->out_start[s + 1] += p->out_start[s];
    memcpy(parent, p->out_start, ns * sizeof *parent);
    for (size_t i = 0; i < n; i++) {
        uint32_t o = parent[e[i].state]++;
        p->out_list[o] = e[i].list;
        p->out_case[o] = e[i].exact_case;
        p->out_seq[o] = e[i].seq;
        p->out_flags[o] = (uint8_t)e[i].flags;
    }
    free(parent);
    unsigned bits = 0;
    while (bits < 24 && ((size_t)1 << bits) < p->child[1] - p->child[0])
        bits++;
    p->root_bits = bits;
    if (!(p->root = malloc((((size_t)1 << bits) + 1) * sizeof *p->root))) {
        nk_phrases_free(p);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building a phrase matcher");
    }
    size_t r = p->child[0];
    for (size_t bkt = 0; bkt <= ((size_t)1 << bits); bkt++) {
        while (r < p->child[1] && root_bucket(bits, p->key[r]) < bkt)
            r++;
        p->root[bkt] = (uint32_t)r;
    }
    p->nlists = b->nlists;
    p->lists = b->lists;
    b->lists = NULL;
    b->nlists = 0;
    return NERKIT_OK;
}

int nk_phrases_check(const nk_phrases *p)
{
    const uint32_t ns = p->nstates;
    if (ns == 0 || p->root_bits > 24 || p->child[0] != 1 || p->child[ns] != ns ||
        p->out_start[0] != 0 || p->out_start[ns] != p->nout)
        return -1;
    /* ranges first: the key checks below read within them */
    for (uint32_t s = 0; s < ns; s++)
        if (p->child[s] > p->child[s + 1] || (s && p->child[s] <= s) ||
            p->out_start[s] > p->out_start[s + 1])
            return -1;
    size_t nb = (size_t)1 << p->root_bits;
    if (p->root[0] != p->child[0] || p->root[nb] != p->child[1])
        return -1;
    for (size_t bkt = 0; bkt < nb; bkt++)
        if (p->root[bkt] > p->root[bkt + 1])
            return -1;
    for (uint32_t s = 0; s < ns; s++)
        for (uint32_t c = p->child[s] + 1; c < p->child[s + 1]; c++)
            if (p->key[c - 1] >= p->key[c])
                return -1;
    for (size_t bkt = 0; bkt < nb; bkt++)
        for (uint32_t c = p->root[bkt]; c < p->root[bkt + 1]; c++)
            if (root_bucket(p->root_bits, p->key[c]) != bkt)
                return -1;
    for (uint32_t o = 0; o < p->nout; o++)
        if (p->out_list[o] >= p->nlists)
            return -1;
    return 0;
}
