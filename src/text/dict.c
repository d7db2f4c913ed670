/*
 * Entity dictionaries: lists of phrase<TAB>LABEL[<TAB>ID] lines compiled
 * into the phrase matcher of the gazetteers (src/core/phrases.c), written
 * in the section file of models (src/core/model_io.c) and used in place
 * from a memory map (docs/dict-format.md).
 *
 * A dictionary has one representation: compiling lays the file out in a
 * buffer and reads it back the way a load does, so that what is matched
 * after a compile is exactly what a later load of the file matches.
 */
#include "text.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "NERKITD\x1a"
#define FORMAT_VERSION 1u
/* Longest line read: a phrase with its label and id. */
#define MAX_LINE 65536
/* The tokens of a sentence whose hashes a cursor holds at once: a match
 * never needs more than NK_PHRASE_MAX_TOKENS ahead, and twice that makes
 * the window slide once every NK_PHRASE_MAX_TOKENS tokens. */
#define WINDOW (2 * NK_PHRASE_MAX_TOKENS)

struct nerkit_dict {
    nk_phrases trie;      /* its arrays point into the mapping; only lists is ours */
    const uint64_t *id_off; /* output o's id: ids[id_off[o] .. id_off[o+1]) */
    const char *ids;
    const char **prefixed; /* per label "B-X", "I-X", "E-X", "S-X", "L-X", "U-X" */
    char *prefixed_text;
    nerkit_dict_opts opts;
    uint64_t lines;       /* entries read when compiled */
    void *mem;            /* the file's bytes: mapped (mapped_len) or malloc'd */
    size_t mapped_len;
};

NK_OPTS_LAST(nerkit_dict_opts, user);

void nerkit_dict_opts_init_sized(nerkit_dict_opts *o, size_t size)
{
    const nerkit_dict_opts d = {.size = sizeof d,
                                .casing = NERKIT_DICT_EXACT,
                                .duplicates = NERKIT_DICT_DUP_ERROR};
    nk_opts_init(o, size, &d, sizeof d);
}

static int pick(const char *value, const char *const *names, int n)
{
    for (int k = 0; k < n; k++)
        if (strcmp(value, names[k]) == 0)
            return k;
    return -1;
}

int nerkit_dict_opts_set(nerkit_dict_opts *o, const char *name, const char *value,
                         nerkit_error *err)
{
    static const char *const cases[] = {"exact", "ignore", "acronyms"};
    static const char *const dups[] = {"error", "first", "last"};
    int k;
    if (strcmp(name, "case") == 0) {
        if ((k = pick(value, cases, 3)) < 0)
            return nk_fail(err, NERKIT_ERR_ARG, "case '%s': exact, ignore or acronyms", value);
        o->casing = (nerkit_dict_case)k;
    } else if (strcmp(name, "duplicates") == 0) {
        if ((k = pick(value, dups, 3)) < 0)
            return nk_fail(err, NERKIT_ERR_ARG, "duplicates '%s': error, first or last", value);
        o->duplicates = (nerkit_dict_dups)k;
    } else if (strcmp(name, "normalize") == 0) {
        unsigned norm = 0;
        for (const char *s = value; *s;) {
            size_t n = strcspn(s, ",");
            if (n == 5 && memcmp(s, "punct", 5) == 0)
                norm |= NERKIT_DICT_NORM_PUNCT;
            else if (n == 7 && memcmp(s, "accents", 7) == 0)
                norm |= NERKIT_DICT_NORM_ACCENTS;
            else if (!(n == 4 && memcmp(s, "none", 4) == 0))
                return nk_fail(err, NERKIT_ERR_ARG,
                               "normalize '%s': none, or punct and accents joined by a comma",
                               value);
            s += n + (s[n] == ',');
        }
        o->normalize = norm;
    } else {
        return nk_fail(err, NERKIT_ERR_ARG, "no dictionary option '%s'", name);
    }
    return NERKIT_OK;
}

/* ---- tokens as the matcher sees them */

/* Latin-1 and Latin Extended-A letters without their accents (0: kept as
 * they are: letters of their own, such as æ, ß, þ, and signs). */
static const char fold_c0[64 + 1] = "AAAAAA\0CEEEEIIII" "DNOOOOO\0OUUUUY\0\0"
                                    "aaaaaa\0ceeeeiiii" "dnooooo\0ouuuuy\0y";
static const char fold_100[128 + 1] = "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg"
                                      "GgGgHhHhIiIiIiIi" "Ii\0\0JjKk\0LlLlLlL"
                                      "lLlNnNnNn\0\0\0OoOo" "Oo\0\0RrRrRrSsSsSs"
                                      "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZz\0";

/* The code point a dictionary reads for c, or 0 for one it skips (a
 * combining accent, when accents are folded). */
static uint32_t normalize_cp(uint32_t c, unsigned norm)
{
    if (c < 0x80)
        return c;
    if (norm & NERKIT_DICT_NORM_PUNCT) {
        switch (c) {
        case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2035:
        case 0x2039: case 0x203A: case 0x00B4: case 0x02BC: case 0xFF07:
            return '\'';
        case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x00AB:
        case 0x00BB: case 0xFF02:
            return '"';
        case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015:
        case 0x2212: case 0xFE58: case 0xFE63: case 0xFF0D:
            return '-';
        default:
            break;
        }
    }
    if (norm & NERKIT_DICT_NORM_ACCENTS) {
        if (c >= 0x300 && c < 0x370)
            return 0;
        if (c >= 0xC0 && c < 0x100 && fold_c0[c - 0xC0])
            return (unsigned char)fold_c0[c - 0xC0];
        if (c >= 0x100 && c < 0x180 && fold_100[c - 0x100])
            return (unsigned char)fold_100[c - 0x100];
    }
    return c;
}

/* A token's key (its lower-cased form) and exact form, hashed, both after
 * the dictionary's normalization: what it was compiled with is what it
 * matches with. */
static void token_hash(unsigned norm, const char *s, size_t len, uint64_t *lower,
                       uint64_t *exact)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t hl = NK_HASH_INIT, he = NK_HASH_INIT;
    for (size_t k = 0; k < len;) {
        uint32_t cp = u[k];
        size_t n = 1;
        if (cp >= 0x80 && !(n = nk_utf8_decode(u + k, len - k, &cp))) {
            cp = 0xFFFD;
            n = 1;
        }
        k += n;
        if (!(cp = normalize_cp(cp, norm)))
            continue;
        he = nk_hash_step(he, cp);
        hl = nk_hash_step(hl, nk_cp_lower(cp));
    }
    *lower = hl;
    *exact = he;
}

/* Whether a phrase is written in capitals only ("WHO", "U.S."): a capital
 * letter and no small one. */
static bool all_capitals(const char *const *tok, const size_t *len, size_t n)
{
    bool upper = false;
    for (size_t t = 0; t < n; t++) {
        const unsigned char *u = (const unsigned char *)tok[t];
        for (size_t k = 0; k < len[t];) {
            uint32_t cp;
            size_t m = nk_utf8_decode(u + k, len[t] - k, &cp);
            if (!m)
                return false;
            k += m;
            if (nk_cp_is_upper(cp))
                upper = true;
            else if (nk_cp_upper(cp) != cp)
                return false;
        }
    }
    return upper;
}

/* ---- matching */

/* The token hashes one dictionary's matching holds for a sentence: a
 * window that slides along it, so that matching allocates nothing (2 KiB:
 * NERKIT_DICTS_MAX of them on the stack). */
typedef struct {
    uint64_t lower[WINDOW], exact[WINDOW];
    size_t base, have; /* the hashes of tokens base .. base+have-1 */
} cursor;

static void cursor_reset(cursor *c)
{
    c->base = c->have = 0;
}

/* The hashes of tokens i .. i+want-1 in c (i not before c->base). */
static void cursor_fill(const nerkit_dict *d, cursor *c, const char *const *tokens,
                        const size_t *token_len, size_t i, size_t want)
{
    if (i + want <= c->base + c->have)
        return;
    if (i + want > c->base + WINDOW) {
        size_t drop = i - c->base;
        memmove(c->lower, c->lower + drop, (c->have - drop) * sizeof *c->lower);
        memmove(c->exact, c->exact + drop, (c->have - drop) * sizeof *c->exact);
        c->base = i;
        c->have -= drop;
    }
    for (; c->base + c->have < i + want; c->have++) {
        size_t t = c->base + c->have;
        token_hash(d->opts.normalize, tokens[t], token_len[t], &c->lower[c->have],
                   &c->exact[c->have]);
    }
}

/* The longest entry of d matching at token i (n tokens left): its length
 * (0: none) and output in *out. An entry that wants its own casing counts
 * only when the casing matches; of entries of one length, one matched as
 * written wins, then the one listed first. */
static size_t longest_at(const nerkit_dict *d, cursor *c, const char *const *tokens,
                         const size_t *token_len, size_t i, size_t n, uint32_t *out)
{
    size_t want = n - i < NK_PHRASE_MAX_TOKENS ? n - i : NK_PHRASE_MAX_TOKENS;
    cursor_fill(d, c, tokens, token_len, i, want);
    nk_phrase_match m[NK_PHRASE_MAX_TOKENS];
    nk_phrases_prefetch(&d->trie, c->lower + (i - c->base) + 1, want - 1);
    size_t k = nk_phrases_at(&d->trie, c->lower + (i - c->base), c->exact + (i - c->base), want,
                             m, NK_PHRASE_MAX_TOKENS);
    size_t best = 0;
    bool best_exact = false;
    for (size_t j = 0; j < k && j < NK_PHRASE_MAX_TOKENS; j++) {
        if (best && m[j].len < best)
            break;
        if ((d->trie.out_flags[m[j].out] & NK_PHRASE_EXACT) && !m[j].exact)
            continue;
        if (!best || (m[j].exact && !best_exact)) {
            best = m[j].len;
            best_exact = m[j].exact;
            *out = m[j].out;
        }
    }
    return best;
}

/* The matches of nd dictionaries in one sentence (tokens [first, first+n)
 * of doc), appended to out as entities. */
static size_t sentence_matches(const nerkit_dict *const *dicts, size_t nd, cursor *cur,
                               const nerkit_document *doc, size_t first, size_t n,
                               nerkit_dict_entity *out)
{
    const char *const *tokens = doc->tokens + first;
    const size_t *token_len = doc->token_len + first;
    for (size_t k = 0; k < nd; k++)
        cursor_reset(&cur[k]);
    size_t found = 0;
    for (size_t i = 0; i < n;) {
        size_t len = 0, which = 0;
        uint32_t o = 0;
        for (size_t k = 0; k < nd; k++) {
            uint32_t ok;
            size_t l = longest_at(dicts[k], &cur[k], tokens, token_len, i, n, &ok);
            if (l > len) {
                len = l;
                which = k;
                o = ok;
            }
        }
        if (!len) {
            i++;
            continue;
        }
        const nerkit_dict *d = dicts[which];
        uint32_t label = d->trie.out_list[o];
        size_t id_len = (size_t)(d->id_off[o + 1] - d->id_off[o]);
        out[found++] = (nerkit_dict_entity){first + i, first + i + len, d->trie.lists[label],
                                            label, 1, which,
                                            id_len ? d->ids + d->id_off[o] : NULL, id_len, -1};
        i += len;
    }
    return found;
}

size_t nerkit_dict_combine(const nerkit_model *m, const nerkit_dict *const *dicts, size_t ndicts,
                           nerkit_dict_policy policy, const nerkit_document *doc,
                           const nerkit_entity *ents, size_t nents, nerkit_dict_entity *out)
{
    if (!ndicts || ndicts > NERKIT_DICTS_MAX)
        return 0;
    cursor cur[NERKIT_DICTS_MAX];
    /* the matches first, in out's second half */
    const size_t N = doc->ntokens;
    nerkit_dict_entity *hit = out + N;
    size_t nh = 0;
    for (size_t s = 0, first = 0; s < doc->nsentences; first += doc->sentence_len[s++])
        nh += sentence_matches(dicts, ndicts, cur, doc, first, doc->sentence_len[s], hit + nh);
    if (policy == NERKIT_DICT_ONLY)
        nents = 0;
    /* a document has no more entities than tokens: more would write past out */
    if (nents > N)
        nents = N;
    /* then both in order, each dropped where the policy gives way. out[k]
     * is written with k no more than the entries read, so it never reaches
     * a match not yet read; the ones read are compared by their end alone,
     * kept aside, as neither list overlaps itself. */
    size_t k = 0, i = 0, j = 0, last_hit_end = 0, last_model_end = 0;
    while (i < nents || j < nh) {
        if (j < nh && (i == nents || hit[j].start <= ents[i].start)) {
            nerkit_dict_entity h = hit[j++];
            last_hit_end = h.end;
            if (policy == NERKIT_DICT_FILL &&
                (last_model_end > h.start || (i < nents && ents[i].start < h.end)))
                continue;
            out[k++] = h;
        } else {
            const nerkit_entity *e = &ents[i++];
            last_model_end = e->end;
            if (policy == NERKIT_DICT_OVERRIDE &&
                (last_hit_end > e->start || (j < nh && hit[j].start < e->end)))
                continue;
            out[k++] = (nerkit_dict_entity){e->start, e->end, m->types[e->type], e->type, 0, 0,
                                            NULL, 0, e->prob};
        }
    }
    return k;
}

size_t nerkit_dict_match_tokens(const nerkit_dict *d, const char *const *tokens,
                                const size_t *token_len, size_t n, nerkit_dict_match *out)
{
    cursor c;
    cursor_reset(&c);
    size_t found = 0;
    for (size_t i = 0; i < n;) {
        uint32_t o;
        size_t len = longest_at(d, &c, tokens, token_len, i, n, &o);
        if (!len) {
            i++;
            continue;
        }
        out[found++] = (nerkit_dict_match){i, i + len, d->trie.out_list[o], d->ids + d->id_off[o],
                                           (size_t)(d->id_off[o + 1] - d->id_off[o])};
        i += len;
    }
    return found;
}

const char *const *nk_dict_prefixed(const nerkit_dict *d, size_t label)
{
    return d->prefixed + 6 * label;
}

/* ---- the file */

/* The arrays are used where they lie, at the multiple of 8 bytes into the
 * file that the writer's pad gave them: elsewhere, bytes before them were
 * added or removed since. */
#define MISALIGNED                                                                              \
    "section: its arrays do not start at a multiple of 8 bytes into the file, where its pad "    \
    "puts them (bytes before it were added or removed)"

/* Reads the file in mem (len bytes, 8-byte aligned) into d's view. */
static int parse(nerkit_dict *d, const unsigned char *mem, size_t len, const char *name,
                 nerkit_error *err)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    (void)d, (void)mem, (void)len;
    return nk_fail(err, NERKIT_ERR_UNSUPPORTED,
                   "%s: dictionaries are used in place, which needs a little-endian machine",
                   name);
#else
    const unsigned char *payload;
    size_t plen;
    nk_section sec[] = {{.tag = "DOPT"}, {.tag = "DLAB"}, {.tag = "DTRI"}, {.tag = "DIDS"}};
    int rc = nk_file_open(mem, len, MAGIC, FORMAT_VERSION, "dictionary", name, &payload, &plen,
                          err);
    if (rc || (rc = nk_file_sections(payload, plen, sec, 4, "dictionary", name, err)))
        return rc;
    for (int k = 0; k < 4; k++)
        if (!sec[k].seen)
            return nk_fail(err, NERKIT_ERR_MODEL, "%s: damaged dictionary: no %s section", name,
                           sec[k].tag);
#define DAMAGED(what) nk_fail(err, NERKIT_ERR_MODEL, "%s: damaged dictionary: %s", name, what)
    /* options */
    const unsigned char *p = sec[0].p;
    if (sec[0].len < 24)
        return DAMAGED("DOPT section too short");
    uint32_t casing = nk_le32(p), norm = nk_le32(p + 4), dups = nk_le32(p + 8);
    if (casing > NERKIT_DICT_ACRONYMS || norm > 3 || dups > NERKIT_DICT_DUP_LAST)
        return DAMAGED("DOPT section: unknown options");
    nerkit_dict_opts_init(&d->opts);
    d->opts.casing = (nerkit_dict_case)casing;
    d->opts.normalize = norm;
    d->opts.duplicates = (nerkit_dict_dups)dups;
    d->lines = nk_le64(p + 16);
    /* labels */
    p = sec[1].p;
    size_t left = sec[1].len;
    if (left < 4 || nk_le32(p) > NK_MAX_PHRASE_LISTS)
        return DAMAGED("DLAB section: bad label count");
    uint32_t nl = nk_le32(p);
    p += 4, left -= 4;
    d->trie.lists = calloc((size_t)nl + 1, sizeof *d->trie.lists);
    d->prefixed = calloc(6 * (size_t)nl + 1, sizeof *d->prefixed);
    /* each label's six prefixed forms: 3 bytes more than the label, six times */
    d->prefixed_text = malloc(6 * ((size_t)left + 3 * nl) + 1);
    if (!d->trie.lists || !d->prefixed || !d->prefixed_text)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    char *text = d->prefixed_text;
    for (; d->trie.nlists < nl; d->trie.nlists++) {
        uint32_t n;
        if (left < 4 || (n = nk_le32(p)) == 0 || n > NK_MAX_TYPE_LEN || n > left - 4 ||
            memchr(p + 4, '\0', n) || nk_utf8_check(p + 4, n) != n)
            return DAMAGED("DLAB section: bad label");
        if (!(d->trie.lists[d->trie.nlists] = strndup((const char *)p + 4, n)))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
        for (int r = 0; r < 6; r++) {
            d->prefixed[6 * d->trie.nlists + r] = text;
            *text++ = "BIESLU"[r];
            *text++ = '-';
            memcpy(text, p + 4, n);
            text += n;
            *text++ = '\0';
        }
        p += 4 + n, left -= 4 + n;
    }
    /* the matcher: counts, padding, then the arrays where they lie */
    p = sec[2].p;
    if (sec[2].len < 16)
        return DAMAGED("DTRI section too short");
    uint32_t ns = nk_le32(p), nout = nk_le32(p + 4), bits = nk_le32(p + 8), pad = nk_le32(p + 12);
    uint64_t nb = ((uint64_t)1 << (bits > 24 ? 0 : bits)) + 1;
    if (ns == 0 || ns == UINT32_MAX || nout == UINT32_MAX || bits > 24 || pad > 7 ||
        sec[2].len != 16ull + pad + 8ull * ns + 8ull * (ns + 1ull) + 8ull * nout + 4ull * nb +
                          nout)
        return DAMAGED("DTRI section: counts do not match its size");
    if ((size_t)(p + 16 + pad - mem) % 8)
        return DAMAGED("DTRI " MISALIGNED);
    p += 16 + pad;
    /* the map is read-only: nothing writes through these */
    nk_phrases *t = &d->trie;
    t->nstates = ns;
    t->nout = nout;
    t->root_bits = bits;
    t->key = (uint64_t *)(uintptr_t)p;
    p += 8ull * ns;
    t->child = (uint32_t *)(uintptr_t)p;
    p += 4ull * (ns + 1);
    t->out_start = (uint32_t *)(uintptr_t)p;
    p += 4ull * (ns + 1);
    t->out_list = (uint32_t *)(uintptr_t)p;
    p += 4ull * nout;
    t->out_case = (uint32_t *)(uintptr_t)p;
    p += 4ull * nout;
    t->root = (uint32_t *)(uintptr_t)p;
    p += 4ull * nb;
    t->out_flags = (uint8_t *)(uintptr_t)p;
    if (nk_phrases_check(t))
        return DAMAGED("DTRI section: the phrase matcher is inconsistent");
    for (uint32_t o = 0; o < nout; o++)
        if (t->out_flags[o] > NK_PHRASE_EXACT)
            return DAMAGED("DTRI section: unknown entry flags");
    /* ids */
    p = sec[3].p;
    if (sec[3].len < 4 || (pad = nk_le32(p)) > 7 ||
        sec[3].len < 4ull + pad + 8ull * (nout + 1ull))
        return DAMAGED("DIDS section: counts do not match its size");
    if ((size_t)(p + 4 + pad - mem) % 8)
        return DAMAGED("DIDS " MISALIGNED);
    d->id_off = (const uint64_t *)(const void *)(p + 4 + pad);
    d->ids = (const char *)(p + 4 + pad + 8ull * (nout + 1ull));
    uint64_t blob = sec[3].len - 4ull - pad - 8ull * (nout + 1ull);
    if (d->id_off[0] != 0 || d->id_off[nout] != blob)
        return DAMAGED("DIDS section: ids do not fill it");
    for (uint32_t o = 0; o < nout; o++)
        if (d->id_off[o] > d->id_off[o + 1])
            return DAMAGED("DIDS section: ids out of order");
#undef DAMAGED
    return NERKIT_OK;
#endif
}

void nerkit_dict_free(nerkit_dict *d)
{
    if (!d)
        return;
    for (uint32_t l = 0; l < d->trie.nlists; l++)
        free(d->trie.lists[l]);
    free(d->trie.lists);
    free(d->prefixed);
    free(d->prefixed_text);
    if (d->mapped_len)
        munmap(d->mem, d->mapped_len);
    else
        free(d->mem);
    free(d);
}

/* A dictionary over the file in mem, which it takes over: mapped when
 * mapped_len, else malloc'd. */
static nerkit_dict *take(void *mem, size_t len, size_t mapped_len, const char *name,
                         nerkit_error *err)
{
    nerkit_dict *d = calloc(1, sizeof *d);
    if (!d) {
        if (mapped_len)
            munmap(mem, mapped_len);
        else
            free(mem);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    }
    d->mem = mem;
    d->mapped_len = mapped_len;
    if (parse(d, mem, len, name, err)) {
        nerkit_dict_free(d);
        return NULL;
    }
    return d;
}

nerkit_dict *nerkit_dict_load_buffer(const void *data, size_t len, const char *name,
                                     nerkit_error *err)
{
    if (!name)
        name = "<buffer>";
    /* malloc's alignment is the 8 bytes the arrays need */
    void *mem = malloc(len + 1);
    if (!mem)
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    if (len)
        memcpy(mem, data, len);
    return take(mem, len, 0, name, err);
}

nerkit_dict *nerkit_dict_load(const char *path, nerkit_error *err)
{
    /* the checks read every page at once: mapping them all in one go is
     * cheaper than a fault for each */
    void *mem;
    size_t len, mapped;
    if (nk_file_contents(path, MAGIC, NK_READ_MAP_ALL, &mem, &len, &mapped, err))
        return NULL;
    if (len == 0) {
        free(mem);
        return nk_fail_null(err, NERKIT_ERR_MODEL, "%s: empty file, not a nerkit dictionary",
                            path);
    }
    return take(mem, len, mapped, path, err);
}

nerkit_dict *nerkit_dict_open(const char *path, const nerkit_dict_opts *opts, nerkit_error *err)
{
    /* told apart by the magic bytes: a list is text, plain or gzip; any
     * other nerkit file (a model) goes to the loader, which says what it is.
     * Only a regular file is looked at first: the bytes of a pipe or FIFO
     * (a list from <(...)) can be read once only, and a compiled dictionary
     * is a regular file anyway. */
    struct stat st;
    char head[8] = {0};
    bool compiled = false;
    int fd = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        compiled = read(fd, head, 8) == 8 && memcmp(head, MAGIC, 6) == 0;
        close(fd);
    }
    return compiled ? nerkit_dict_load(path, err) : nerkit_dict_compile(&path, 1, opts, NULL, err);
}

/* The file of a built matcher: id_at[seq] .. id_at[seq+1] are entry seq's
 * id in ids. */
static void put_dict(nk_buf *b, const nk_phrases *p, const nerkit_dict_opts *o, uint64_t lines,
                     const uint64_t *id_at, const char *ids)
{
    nk_file_begin(b);
    size_t s = nk_section_begin(b, "DOPT");
    nk_put_u32(b, (uint32_t)o->casing);
    nk_put_u32(b, o->normalize);
    nk_put_u32(b, (uint32_t)o->duplicates);
    nk_put_u32(b, 0);
    nk_put_u64(b, lines);
    nk_put_str(b, NERKIT_VERSION);
    nk_section_end(b, s);

    s = nk_section_begin(b, "DLAB");
    nk_put_u32(b, p->nlists);
    for (uint32_t l = 0; l < p->nlists; l++)
        nk_put_str(b, p->lists[l]);
    nk_section_end(b, s);

    s = nk_section_begin(b, "DTRI");
    nk_put_u32(b, p->nstates);
    nk_put_u32(b, p->nout);
    nk_put_u32(b, p->root_bits);
    nk_put_pad(b);
    nk_put_phrase_arrays(b, p);
    nk_buf_put(b, p->out_flags, p->nout);
    nk_section_end(b, s);

    s = nk_section_begin(b, "DIDS");
    nk_put_pad(b);
    uint64_t off = 0;
    nk_put_u64(b, 0);
    for (uint32_t k = 0; k < p->nout; k++) {
        uint32_t q = p->out_seq[k];
        off += id_at[q + 1] - id_at[q];
        nk_put_u64(b, off);
    }
    for (uint32_t k = 0; k < p->nout; k++) {
        uint32_t q = p->out_seq[k];
        nk_buf_put(b, ids + id_at[q], id_at[q + 1] - id_at[q]);
    }
    nk_section_end(b, s);
}

/* ---- compiling lists */

typedef struct {
    nk_phrase_builder b;
    nerkit_tokens *tk;
    nk_buf ids;
    uint64_t *id_at;      /* entry seq's id: ids[id_at[seq] .. id_at[seq+1]) */
    uint32_t (*where)[2]; /* entry seq's file and line */
    size_t cap;
    uint32_t file; /* the list being read */
    const nerkit_dict_opts *o;
} compiler;

static int add_line(void *user, const char *path, unsigned lineno, const char *line, size_t len,
                    nerkit_error *err)
{
    compiler *c = user;
    const char *tab = memchr(line, '\t', len);
    if (!tab)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: no label: expected phrase<TAB>LABEL[<TAB>ID]",
                       path, lineno);
    const char *label = tab + 1, *end = line + len;
    const char *tab2 = memchr(label, '\t', (size_t)(end - label));
    const char *id = tab2 ? tab2 + 1 : end;
    size_t label_len = (size_t)((tab2 ? tab2 : end) - label), id_len = (size_t)(end - id);
    if (tab2 && memchr(id, '\t', id_len))
        return nk_fail(err, NERKIT_ERR_FORMAT,
                       "%s:%u: more than three fields: expected phrase<TAB>LABEL[<TAB>ID]", path,
                       lineno);
    size_t bad = nk_utf8_check((const unsigned char *)line, len);
    if (bad != len)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: invalid UTF-8 at byte %zu", path, lineno,
                       bad + 1);
    if (!label_len)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: empty label", path, lineno);
    if (label_len > NK_MAX_TYPE_LEN)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: a label of %zu bytes (at most %d)", path,
                       lineno, label_len, NK_MAX_TYPE_LEN);
    /* a label is one column of CoNLL output and one word of inline output */
    for (size_t k = 0; k < label_len; k++)
        if (label[k] == ' ' || label[k] == '\r' || label[k] == '\v' || label[k] == '\f')
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: the label '%.*s' has a space: a label is one word", path,
                           lineno, (int)label_len, label);
    int rc = nerkit_tokenize(c->tk, line, (size_t)(tab - line), err);
    if (rc)
        return rc;
    nerkit_document doc;
    nerkit_tokens_document(c->tk, &doc);
    if (doc.ntokens == 0)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: empty phrase", path, lineno);
    if (doc.ntokens > NK_PHRASE_MAX_TOKENS)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: a phrase of %zu tokens (at most %d)", path,
                       lineno, doc.ntokens, NK_PHRASE_MAX_TOKENS);
    uint64_t lower[NK_PHRASE_MAX_TOKENS], exact[NK_PHRASE_MAX_TOKENS];
    for (size_t k = 0; k < doc.ntokens; k++)
        token_hash(c->o->normalize, doc.tokens[k], doc.token_len[k], &lower[k], &exact[k]);
    uint32_t flags = 0;
    if (c->o->casing == NERKIT_DICT_EXACT ||
        (c->o->casing == NERKIT_DICT_ACRONYMS &&
         all_capitals(doc.tokens, doc.token_len, doc.ntokens)))
        flags = NK_PHRASE_EXACT;
    size_t seq = c->b.nentries;
    if (seq + 2 > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4096;
        if (!nk_resize(&c->id_at, cap, sizeof *c->id_at) ||
            !nk_resize(&c->where, cap, sizeof *c->where))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory compiling a dictionary");
        c->cap = cap;
    }
    uint32_t list;
    nerkit_error inner = {0};
    if ((rc = nk_phrase_builder_list(&c->b, label, label_len, &list, &inner)) ||
        (rc = nk_phrase_builder_add_entry(&c->b, lower, exact, doc.ntokens, list, flags,
                                          id_len ? nk_word_hash(id, id_len) : 0, &inner)))
        return nk_fail(err, (nerkit_status)rc, "%s:%u: %s", path, lineno, inner.message);
    if (seq == 0)
        c->id_at[0] = 0;
    nk_buf_put(&c->ids, id, id_len);
    c->id_at[seq + 1] = c->ids.len;
    c->where[seq][0] = c->file;
    c->where[seq][1] = lineno;
    return c->ids.failed ? nk_fail(err, NERKIT_ERR_NOMEM, "out of memory compiling a dictionary")
                         : NERKIT_OK;
}

static int cmp_dropped(const void *x, const void *y)
{
    const uint32_t *a = x, *b = y;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

/* A line for each entry that gave way to another of its phrase, in the
 * order of the lists. */
static void report_resolved(nk_phrase_builder *b, const uint32_t (*where)[2],
                            const char *const *paths, const nerkit_dict_opts *o)
{
    if (b->nresolved)
        qsort(b->resolved, b->nresolved, sizeof *b->resolved, cmp_dropped);
    for (size_t k = 0; k < b->nresolved; k++) {
        const uint32_t *kept = where[b->resolved[k][0]], *gone = where[b->resolved[k][1]];
        char line[1024];
        snprintf(line, sizeof line,
                 "%s:%u: the phrase of %s:%u with another label or id, which is kept "
                 "(duplicates: %s)",
                 paths[gone[0]], gone[1], paths[kept[0]], kept[1],
                 o->duplicates == NERKIT_DICT_DUP_FIRST ? "first" : "last");
        nerkit_one_line(line, sizeof line);
        o->message(line, o->user);
    }
}

nerkit_dict *nerkit_dict_compile(const char *const *paths, size_t npaths,
                                 const nerkit_dict_opts *given, size_t *conflicts,
                                 nerkit_error *err)
{
    nerkit_dict_opts opts;
    int rc = NK_OPTS_TAKE(&opts, given, nerkit_dict_opts_init, err);
    if (rc)
        return NULL;
    if (opts.casing > NERKIT_DICT_ACRONYMS || opts.normalize > 3 ||
        opts.duplicates > NERKIT_DICT_DUP_LAST)
        return nk_fail_null(err, NERKIT_ERR_ARG, "unknown dictionary options");
    if (!npaths)
        return nk_fail_null(err, NERKIT_ERR_ARG, "a dictionary needs at least one list");
    compiler c = {.o = &opts};
    c.b.dups = opts.duplicates == NERKIT_DICT_DUP_FIRST  ? NK_DUPS_FIRST
               : opts.duplicates == NERKIT_DICT_DUP_LAST ? NK_DUPS_LAST
                                                         : NK_DUPS_ERROR;
    nk_phrases p = {0};
    nk_buf file = {0};
    nerkit_dict *d = NULL;
    if (!(c.tk = nerkit_tokens_new()))
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory compiling a dictionary");
    for (size_t f = 0; f < npaths && !rc; f++) {
        c.file = (uint32_t)f;
        rc = nk_list_read(paths[f], MAX_LINE, add_line, &c,
                          "no entries: a dictionary list has lines of phrase<TAB>LABEL[<TAB>ID]",
                          err);
    }
    uint64_t lines = c.b.nentries;
    if (!rc && (rc = nk_phrase_builder_finish(&c.b, &p, err)) && c.b.conflict[0] != c.b.conflict[1]) {
        const uint32_t *a = c.where[c.b.conflict[0]], *z = c.where[c.b.conflict[1]];
        nk_fail(err, NERKIT_ERR_FORMAT,
                "%s:%u: the phrase of %s:%u again, with another label or id (duplicates: "
                "error)",
                paths[z[0]], z[1], paths[a[0]], a[1]);
    }
    if (!rc && conflicts)
        *conflicts = c.b.nconflicts;
    if (!rc && opts.message)
        report_resolved(&c.b, c.where, paths, &opts);
    if (!rc) {
        put_dict(&file, &p, &opts, lines, c.id_at ? c.id_at : (uint64_t[1]){0},
                 c.ids.p ? c.ids.p : "");
        rc = nk_file_seal(&file, MAGIC, FORMAT_VERSION, "dictionary", err);
    }
    nk_phrases_free(&p);
    nk_phrase_builder_free(&c.b);
    nerkit_tokens_free(c.tk);
    nk_buf_free(&c.ids);
    free(c.id_at);
    free(c.where);
    if (!rc) {
        d = take(file.p, file.len, 0, "<compiled dictionary>", err);
        file.p = NULL;
    }
    nk_buf_free(&file);
    return d;
}

int nerkit_dict_save(const nerkit_dict *d, const char *path, nerkit_error *err)
{
    size_t len = d->mapped_len;
    if (!len) /* the header says how long a file in memory is */
        len = 32 + (size_t)nk_le64((const unsigned char *)d->mem + 16);
    return nk_atomic_write(path, d->mem, len, err);
}

size_t nerkit_dict_nentries(const nerkit_dict *d)
{
    return d->trie.nout;
}

size_t nerkit_dict_nlabels(const nerkit_dict *d)
{
    return d->trie.nlists;
}

const char *nerkit_dict_label(const nerkit_dict *d, size_t l)
{
    return l < d->trie.nlists ? d->trie.lists[l] : NULL;
}

void nerkit_dict_options(const nerkit_dict *d, nerkit_dict_opts *opts)
{
    /* as much of them as the caller's struct holds */
    size_t n = opts->size < sizeof d->opts ? opts->size : sizeof d->opts;
    size_t size = opts->size;
    memcpy(opts, &d->opts, n);
    opts->size = size;
}
