/*
 * The built-in NER feature set.
 *
 * Every feature is a 64-bit hash of (template, value) folded into a table of
 * 2^hash_bits rows; no feature string is ever built. Values are themselves
 * hashes computed once per token in one pass over its code points (word,
 * lower-cased word, shape, affixes, flags), so a window feature costs one
 * multiply and one mix. Collisions are the price of a fixed-size table with
 * no dictionary; 2^22 rows keep them rare for corpora of CoNLL's size.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

/* feature templates; the numbers are part of the model format */
enum {
    T_BIAS = 1,
    T_WORD,
    T_LOWER,
    T_PREFIX,  /* + length 1..4 */
    T_SUFFIX = T_PREFIX + 8,
    T_SHAPE = T_SUFFIX + 8,
    T_SHORT,
    T_FLAG,
    T_FLAGSET,
    T_WIN_WORD = 32,   /* + 8 * offset slot */
    T_WIN_LOWER,
    T_WIN_SHORT,
    T_WIN_FLAGSET,
    T_WIN_SHAPE,
    T_BIGRAM = 96,     /* + which pair */
    T_SHAPE_BIGRAM = 104,
    T_POSITION = 112,
    T_SENT_CAPS,
    T_DOC = 120,
    T_CLUSTER = 128, /* + 32 * clustering + 4 * (offset + 1) + prefix */
    T_GAZ = 384,     /* + offset + 1 */
    /* + a template that reads case (and T_LOWER), in a lower-cased (1) or
     * upper-cased (2) document: NERKIT_FEAT_CASELESS */
    T_CASELESS = 1024
};

/* Brown path prefixes used as features, in bits */
static const unsigned brown_prefix[4] = {4, 6, 10, 20};

/* token flags */
enum {
    F_INITCAP = 1 << 0,
    F_ALLCAPS = 1 << 1,
    F_ALLLOWER = 1 << 2,
    F_MIXEDCAP = 1 << 3,
    F_HASDIGIT = 1 << 4,
    F_ALLDIGIT = 1 << 5,
    F_HYPHEN = 1 << 6,
    F_PERIOD = 1 << 7,
    F_NOALNUM = 1 << 8,
    F_INITIAL = 1 << 9, /* "J." */
    F_APOS = 1 << 10,
    F_LEN1 = 1 << 11,
    F_LEN2_3 = 1 << 12,
    F_LONG = 1 << 13, /* 8 or more characters */
    F_ALNUM = 1 << 14, /* letters and digits */
    F_HASLETTER = 1 << 15,
    NFLAGS = 16
};

/* document table bits */
enum { D_LOWER = 1, D_CAPMID = 2, D_CAPS = 4 };

static inline uint32_t slot(uint64_t tmpl, uint64_t value, uint64_t mask)
{
    return nk_slot(tmpl, value, mask);
}

static char shape_class(uint32_t cp)
{
    if (nk_cp_is_digit(cp))
        return 'd';
    if (nk_cp_is_upper(cp))
        return 'X';
    if (nk_cp_is_letter(cp))
        return 'x';
    if (cp < 0x80)
        return (char)cp;
    return '.';
}

/* One pass over a token's code points: all per-token hashes and flags. */
static void scan_token(const unsigned char *s, size_t len, nk_featbuf *fb, size_t i)
{
    uint64_t *pre = fb->h_affix[i], *suf = pre + 4;
    uint64_t hw = NK_HASH_INIT, hl = NK_HASH_INIT, hs = NK_HASH_INIT, hss = NK_HASH_INIT;
    uint32_t last4[4] = {0, 0, 0, 0};
    size_t ncp = 0, nupper = 0, nlower = 0, ndigit = 0, nletter = 0;
    uint32_t f = 0;
    char prev_class = 0;
    bool first_upper = false;
    for (size_t k = 0; k < len; k++)
        hw = nk_hash_step(hw, s[k]);
    for (size_t k = 0; k < len;) {
        uint32_t cp;
        size_t n = nk_utf8_decode(s + k, len - k, &cp);
        if (!n) {
            cp = 0xFFFD;
            n = 1;
        }
        k += n;
        uint32_t lc = nk_cp_lower(cp);
        hl = nk_hash_step(hl, lc);
        if (ncp < 4)
            pre[ncp] = hl;
        last4[ncp & 3] = lc;
        char cl = shape_class(cp);
        hs = nk_hash_step(hs, (unsigned char)cl);
        if (cl != prev_class)
            hss = nk_hash_step(hss, (unsigned char)cl);
        prev_class = cl;
        if (cl == 'X') {
            nupper++;
            if (ncp == 0)
                first_upper = true;
        }
        nlower += cl == 'x';
        ndigit += cl == 'd';
        nletter += cl == 'X' || cl == 'x';
        f |= cp == '-' ? F_HYPHEN : 0;
        f |= cp == '.' ? F_PERIOD : 0;
        f |= (cp == '\'' || cp == 0x2019) ? F_APOS : 0;
        ncp++;
    }
    /* prefixes of a short word repeat the whole word: keep them distinct
     * from longer words' prefixes by leaving them at their own length */
    for (size_t k = ncp; k < 4; k++)
        pre[k] = 0;
    for (size_t k = 0; k < 4; k++) {
        if (k >= ncp) {
            suf[k] = 0;
            continue;
        }
        uint64_t h = NK_HASH_INIT;
        for (size_t j = k + 1; j-- > 0;)
            h = nk_hash_step(h, last4[(ncp - 1 - j) & 3]);
        suf[k] = h;
    }
    if (first_upper)
        f |= F_INITCAP;
    if (nletter && nupper == nletter && ncp > 1)
        f |= F_ALLCAPS;
    if (nletter && nlower == nletter)
        f |= F_ALLLOWER;
    if (nupper && nlower && (nupper > 1 || !first_upper))
        f |= F_MIXEDCAP;
    if (ndigit)
        f |= F_HASDIGIT;
    if (ndigit && ndigit == ncp)
        f |= F_ALLDIGIT;
    if (!ndigit && !nletter)
        f |= F_NOALNUM;
    if (ncp == 2 && first_upper && s[len - 1] == '.')
        f |= F_INITIAL;
    if (ndigit && nletter)
        f |= F_ALNUM;
    if (nletter)
        f |= F_HASLETTER;
    f |= ncp == 1 ? F_LEN1 : ncp <= 3 ? F_LEN2_3 : ncp >= 8 ? F_LONG : 0;
    fb->h_word[i] = hw;
    fb->h_lower[i] = hl;
    fb->h_shape[i] = hs;
    fb->h_short[i] = hss;
    fb->flags[i] = f;
}

/* A headline sentence: every token with letters is in capitals. Such
 * sentences say nothing about how their words are normally written. */
static bool sentence_in_caps(const uint32_t *flags, size_t n)
{
    size_t caps = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(flags[i] & F_HASLETTER))
            continue;
        if (!(flags[i] & F_ALLCAPS) && !((flags[i] & F_INITCAP) && (flags[i] & F_LEN1)))
            return false;
        caps++;
    }
    return caps > 0;
}

/* 0 for a document with case; 1 for one whose letters are all in lower
 * case, 2 for all in capitals: text that lost its case (a chat, a
 * transcript, a headline), where case says nothing about entities */
static uint64_t caseless(const uint32_t *flags, size_t n)
{
    size_t lower = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        letters += (flags[i] & F_HASLETTER) != 0;
        lower += (flags[i] & F_ALLLOWER) != 0;
    }
    return !letters ? 0 : lower == letters ? 1 : sentence_in_caps(flags, n) ? 2 : 0;
}

/* The cell of key in the document table, or the empty one where it would
 * be: its bits are then 0. */
static size_t doc_look(const nk_featbuf *fb, uint64_t key)
{
    key |= 1; /* 0 marks an empty cell */
    size_t i = (size_t)nk_mix64(key) & fb->doc_mask;
    while (fb->doc_keys[i] && fb->doc_keys[i] != key)
        i = (i + 1) & fb->doc_mask;
    return i;
}

/* The same, taking the empty cell for key. */
static size_t doc_find(nk_featbuf *fb, uint64_t key)
{
    size_t i = doc_look(fb, key);
    fb->doc_keys[i] = key | 1;
    return i;
}


static int reserve(nk_featbuf *fb, size_t ntok, size_t per, nerkit_error *err)
{
    if (ntok + 1 > fb->cap_tokens) {
        size_t cap = fb->cap_tokens ? fb->cap_tokens : 256;
        while (cap < ntok + 1)
            cap *= 2;
        if (!nk_resize(&fb->start, cap, sizeof *fb->start) ||
            !nk_resize(&fb->h_word, cap, sizeof *fb->h_word) ||
            !nk_resize(&fb->h_lower, cap, sizeof *fb->h_lower) ||
            !nk_resize(&fb->h_shape, cap, sizeof *fb->h_shape) ||
            !nk_resize(&fb->h_short, cap, sizeof *fb->h_short) ||
            !nk_resize(&fb->h_affix, cap, sizeof *fb->h_affix) ||
            !nk_resize(&fb->flags, cap, sizeof *fb->flags) ||
            !nk_resize(&fb->word, cap, sizeof *fb->word))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory extracting features");
        fb->cap_tokens = cap;
    }
    size_t need = ntok * per;
    if (need > fb->cap_slots) {
        if (!nk_resize(&fb->slots, need, sizeof *fb->slots))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory extracting features");
        fb->cap_slots = need;
    }
    return NERKIT_OK;
}

/* Open-addressing table of how each lower-cased word is written across the
 * document. Capacity is a power of two at least twice the token count. */
static int doc_table(const nerkit_document *doc, nk_featbuf *fb, nerkit_error *err)
{
    size_t cap = 64;
    while (cap < 2 * doc->ntokens)
        cap *= 2;
    if (cap > fb->doc_cap) {
        if (!nk_resize(&fb->doc_keys, cap, sizeof *fb->doc_keys) ||
            !nk_resize(&fb->doc_bits, cap, sizeof *fb->doc_bits))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory extracting features");
        fb->doc_cap = cap;
    }
    fb->doc_mask = cap - 1;
    memset(fb->doc_keys, 0, cap * sizeof *fb->doc_keys);
    memset(fb->doc_bits, 0, cap);
    size_t t0 = 0;
    for (size_t s = 0; s < doc->nsentences; t0 += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        bool headline = sentence_in_caps(fb->flags + t0, n);
        for (size_t i = t0; i < t0 + n; i++) {
            uint32_t f = fb->flags[i];
            uint8_t bits = 0;
            if (f & F_ALLLOWER)
                bits = D_LOWER;
            else if ((f & F_ALLCAPS) && !headline)
                bits = D_CAPS;
            else if ((f & F_INITCAP) && i > t0 && !headline)
                bits = D_CAPMID;
            if (bits)
                fb->doc_bits[doc_find(fb, fb->h_lower[i])] |= bits;
        }
    }
    return NERKIT_OK;
}

/* Cluster features of a word at offset d of the token they are added
 * to: its id in each clustering; for Brown paths, their prefixes, so that
 * words share features at every depth of the hierarchy. */
static uint32_t *cluster_features(const nk_lexicon *lex, uint32_t w, int d, uint64_t mask,
                                  uint32_t *out)
{
    for (uint32_t c = 0; c < lex->nclusterings; c++) {
        uint32_t id = nk_lexicon_cluster(lex, w, c);
        if (!id)
            continue;
        uint64_t tmpl = T_CLUSTER + 32 * c + 4 * (uint64_t)(d + 1);
        if (!lex->brown[c]) {
            *out++ = slot(tmpl, id, mask);
            continue;
        }
        unsigned len = 31 - (unsigned)__builtin_clz(id);
        for (int k = 0; k < 4; k++) {
            unsigned p = brown_prefix[k];
            *out++ = slot(tmpl + (uint64_t)k, len <= p ? id : id >> (len - p), mask);
        }
    }
    return out;
}

/* Gazetteer codes of every token of doc: for each phrase covering it (all
 * of them, overlapping or nested), the list, the token's place in the
 * phrase (B, I, L or U) and whether its casing matched the list's too. */
static int gazetteer_codes(const nk_phrases *gaz, const nerkit_document *doc, nk_featbuf *fb,
                           nerkit_error *err)
{
    if (doc->ntokens > fb->gaz_cap) {
        if (!nk_resize(&fb->gaz, fb->cap_tokens, sizeof *fb->gaz) ||
            !nk_resize(&fb->ngaz, fb->cap_tokens, sizeof *fb->ngaz))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory extracting features");
        fb->gaz_cap = fb->cap_tokens;
    }
    memset(fb->ngaz, 0, doc->ntokens);
    nk_phrase_match mt[16];
    size_t t0 = 0;
    for (size_t s = 0; s < doc->nsentences; t0 += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        for (size_t i = 0; i < n; i++) {
            size_t nm = nk_phrases_at(gaz, fb->h_lower + t0 + i, fb->h_word + t0 + i, n - i, mt,
                                      sizeof mt / sizeof *mt);
            for (size_t k = 0; k < nm && k < sizeof mt / sizeof *mt; k++) {
                for (uint32_t j = 0; j < mt[k].len; j++) {
                    uint32_t part = mt[k].len == 1 ? NK_U : j == 0 ? NK_B
                                    : j + 1 == mt[k].len ? NK_L : NK_I;
                    uint32_t code = mt[k].list << 3 | part << 1 | mt[k].exact;
                    size_t t = t0 + i + j;
                    uint8_t c = 0;
                    while (c < fb->ngaz[t] && fb->gaz[t][c] != code)
                        c++;
                    if (c == fb->ngaz[t] && c < NK_GAZ_CODES)
                        fb->gaz[t][fb->ngaz[t]++] = code;
                }
            }
        }
    }
    return NERKIT_OK;
}

/* The window features of the token at offset d (not 0) from the one they
 * are added to; nothing else writes these templates. */
static uint32_t *window_slots(int d, uint64_t w, uint64_t l, uint64_t sh, uint64_t fs, uint64_t cs,
                              uint64_t mask, uint32_t *out)
{
    uint64_t o = 8 * (uint64_t)(d + 2);
    if (d == -1 || d == 1)
        *out++ = slot(T_WIN_WORD + o + cs, w, mask);
    *out++ = slot(T_WIN_LOWER + o, l, mask);
    *out++ = slot(T_WIN_SHORT + o + cs, sh, mask);
    *out++ = slot(T_WIN_FLAGSET + o + cs, fs, mask);
    return out;
}

_Static_assert(NFLAGS == sizeof ((nk_fixed_slots *)0)->flag / sizeof(uint32_t),
               "a fixed slot for each flag");

static void fixed_slots_init(nk_fixed_slots *fx, uint64_t cs, uint64_t mask)
{
    fx->bias = slot(T_BIAS + cs, 0, mask);
    for (uint32_t b = 0; b < NFLAGS; b++)
        fx->flag[b] = slot(T_FLAG + cs, b, mask);
    for (uint64_t pos = 0; pos < 5; pos++)
        fx->position[pos] = slot(T_POSITION, pos, mask);
    fx->sent_caps = slot(T_SENT_CAPS + cs, 1, mask);
    for (int d = -2; d <= 2; d++) {
        /* beyond the sentence: one marker per offset */
        uint64_t mark = 0x5e9700 + (uint64_t)(d + 2);
        uint32_t *e = fx->edge[d + 2];
        fx->nedge[d + 2] = d ? (uint8_t)(window_slots(d, mark, mark, mark, mark, cs, mask, e) - e) : 0;
    }
}

/* What every feature of the document's tokens reads: each token's hashes
 * and flags, its lexicon word, how the document writes each word, the
 * gazetteer's phrases, the document's casing; room for per slots a token. */
static int prepare(const nk_featcfg *cfg, const nk_lexicon *lex, const nk_phrases *gaz,
                   const nerkit_document *doc, nk_featbuf *fb, size_t per, nerkit_error *err)
{
    size_t ntok = doc->ntokens;
    int rc = reserve(fb, ntok, per, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < ntok; i++)
        scan_token((const unsigned char *)doc->tokens[i], doc->token_len[i], fb, i);
    /* a tagger that sums each distinct token once looks the words of the
     * few tokens it sums up then */
    bool clusters = lex && lex->nwords && (cfg->groups & NERKIT_FEAT_CLUSTERS);
    for (size_t i = 0; i < ntok; i++) {
        fb->word[i] = per != NK_MAX_FEATURES ? NK_WORD_LATER
                      : lex ? nk_lexicon_find(lex, fb->h_lower[i]) : -1;
        /* the cluster features read the ids long after: fetch them now */
        if (clusters && fb->word[i] >= 0)
            __builtin_prefetch(lex->cluster + (size_t)fb->word[i] * lex->nclusterings);
    }
    uint32_t g = cfg->groups;
    if ((g & NERKIT_FEAT_DOCUMENT) && (rc = doc_table(doc, fb, err)))
        return rc;
    if (gaz && gaz->nout && (rc = gazetteer_codes(gaz, doc, fb, err)))
        return rc;
    fb->cs = (g & NERKIT_FEAT_CASELESS) ? T_CASELESS * caseless(fb->flags, ntok) : 0;
    fixed_slots_init(&fb->fixed, fb->cs, ((uint64_t)1 << cfg->hash_bits) - 1);
    return NERKIT_OK;
}

size_t nk_features_word(const nk_featcfg *cfg, const nk_lexicon *lex, const nk_featbuf *fb,
                        long j, int d, uint32_t *out)
{
    const uint32_t g = cfg->groups;
    const uint64_t mask = ((uint64_t)1 << cfg->hash_bits) - 1, cs = fb->cs;
    const nk_fixed_slots *fx = &fb->fixed;
    uint32_t *start = out;
    if (j < 0) {
        /* beyond the sentence: the window's markers */
        if ((g & NERKIT_FEAT_WINDOW) && d) {
            memcpy(out, fx->edge[d + 2], fx->nedge[d + 2] * sizeof *out);
            out += fx->nedge[d + 2];
        }
        return (size_t)(out - start);
    }
    const uint32_t f = fb->flags[j];
    if (d == 0) {
        const uint64_t *aff = fb->h_affix[j];
        *out++ = fx->bias;
        if (g & NERKIT_FEAT_WORD)
            *out++ = slot(T_WORD + cs, fb->h_word[j], mask);
        if (g & NERKIT_FEAT_LOWER) {
            *out++ = slot(T_LOWER, fb->h_lower[j], mask);
            /* without case the word says more: a weight of its own there,
             * which spares the one cased text shares */
            if (cs)
                *out++ = slot(T_LOWER + cs, fb->h_lower[j], mask);
        }
        if (g & NERKIT_FEAT_AFFIX)
            for (int k = 0; k < 4; k++)
                if (aff[k]) {
                    *out++ = slot(T_PREFIX + k, aff[k], mask);
                    *out++ = slot(T_SUFFIX + k, aff[4 + k], mask);
                }
        if (g & NERKIT_FEAT_SHAPE) {
            *out++ = slot(T_SHAPE + cs, fb->h_shape[j], mask);
            *out++ = slot(T_SHORT + cs, fb->h_short[j], mask);
        }
        if (g & NERKIT_FEAT_FLAGS) {
            *out++ = slot(T_FLAGSET + cs, f, mask);
            /* the set bits alone, lowest first */
            for (uint32_t r = f; r; r &= r - 1)
                *out++ = fx->flag[__builtin_ctz(r)];
        }
    } else if (g & NERKIT_FEAT_WINDOW) {
        out = window_slots(d, fb->h_word[j], fb->h_lower[j], fb->h_short[j], f, cs, mask, out);
    }
    int32_t w = d >= -1 && d <= 1 && (g & NERKIT_FEAT_CLUSTERS) ? nk_featbuf_word(fb, lex, j) : -1;
    if (w >= 0)
        out = cluster_features(lex, (uint32_t)w, d, mask, out);
    return (size_t)(out - start);
}

/* The features of token i of a sentence of n (its first token t0) that
 * depend on more than one token. */
static uint32_t *context_slots(const nk_featcfg *cfg, const nk_featbuf *fb, bool gazetteer,
                               size_t t0, size_t n, size_t i, bool headline, uint32_t *out)
{
    const uint32_t g = cfg->groups;
    const uint64_t mask = ((uint64_t)1 << cfg->hash_bits) - 1, cs = fb->cs;
    const uint64_t *hl = fb->h_lower + t0, *hss = fb->h_short + t0;
    const uint32_t f = fb->flags[t0 + i];
    if (g & NERKIT_FEAT_BIGRAM) {
        uint64_t prev = i > 0 ? hl[i - 1] : 0x5e9701, next = i + 1 < n ? hl[i + 1] : 0x5e9703;
        uint64_t sprev = i > 0 ? hss[i - 1] : 0x5e9701, snext = i + 1 < n ? hss[i + 1] : 0x5e9703;
        *out++ = slot(T_BIGRAM, nk_hash_step(prev, hl[i]), mask);
        *out++ = slot(T_BIGRAM + 1, nk_hash_step(hl[i], next), mask);
        *out++ = slot(T_BIGRAM + 2, nk_hash_step(prev, next), mask);
        *out++ = slot(T_SHAPE_BIGRAM + cs, nk_hash_step(sprev, hss[i]), mask);
        *out++ = slot(T_SHAPE_BIGRAM + 1 + cs, nk_hash_step(hss[i], snext), mask);
    }
    if (g & NERKIT_FEAT_POSITION) {
        size_t pos = n == 1 ? 0 : i == 0 ? 1 : i + 1 == n ? 2 : i == 1 ? 3 : 4;
        *out++ = fb->fixed.position[pos];
        if (headline)
            *out++ = fb->fixed.sent_caps;
    }
    if ((g & NERKIT_FEAT_DOCUMENT) && (f & F_HASLETTER)) {
        uint64_t seen = fb->doc_bits[doc_look(fb, hl[i])];
        uint64_t how = (f & (F_INITCAP | F_ALLCAPS)) | (uint64_t)(i == 0) << 4 |
                       (uint64_t)headline << 5;
        *out++ = slot(T_DOC + cs, seen << 8 | how, mask);
    }
    if (gazetteer)
        for (size_t j = i ? i - 1 : 0; j <= i + 1 && j < n; j++)
            for (uint8_t c = 0; c < fb->ngaz[t0 + j]; c++)
                *out++ = slot(T_GAZ + 1 + j - i, fb->gaz[t0 + j][c], mask);
    return out;
}

/* Both extractions: every token's context features, and with all, what
 * each token of its window brings to it. */
static int extract(const nk_featcfg *cfg, const nk_lexicon *lex, const nk_phrases *gaz,
                   const nerkit_document *doc, nk_featbuf *fb, bool all, nerkit_error *err)
{
    int rc = prepare(cfg, lex, gaz, doc, fb, all ? NK_MAX_FEATURES : NK_MAX_CONTEXT_FEATURES, err);
    if (rc)
        return rc;
    const bool gazetteer = gaz && gaz->nout;
    uint32_t *out = fb->slots;
    size_t t0 = 0;
    for (size_t s = 0; s < doc->nsentences; t0 += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        bool headline = sentence_in_caps(fb->flags + t0, n);
        for (size_t i = 0; i < n; i++) {
            fb->start[t0 + i] = (size_t)(out - fb->slots);
            for (int d = -2; all && d <= 2; d++) {
                long j = (long)i + d;
                out += nk_features_word(cfg, lex, fb, j < 0 || j >= (long)n ? -1 : (long)t0 + j,
                                        d, out);
            }
            out = context_slots(cfg, fb, gazetteer, t0, n, i, headline, out);
        }
    }
    fb->start[doc->ntokens] = (size_t)(out - fb->slots);
    fb->nslots = fb->start[doc->ntokens];
    return NERKIT_OK;
}

int nk_features_extract(const nk_featcfg *cfg, const nk_lexicon *lex, const nk_phrases *gaz,
                        const nerkit_document *doc, nk_featbuf *fb, nerkit_error *err)
{
    return extract(cfg, lex, gaz, doc, fb, true, err);
}

int nk_features_context(const nk_featcfg *cfg, const nk_lexicon *lex, const nk_phrases *gaz,
                        const nerkit_document *doc, nk_featbuf *fb, nerkit_error *err)
{
    return extract(cfg, lex, gaz, doc, fb, false, err);
}

void nk_featbuf_free(nk_featbuf *fb)
{
    free(fb->slots);
    free(fb->start);
    free(fb->h_word);
    free(fb->h_lower);
    free(fb->h_shape);
    free(fb->h_short);
    free(fb->h_affix);
    free(fb->flags);
    free(fb->word);
    free(fb->doc_keys);
    free(fb->doc_bits);
    free(fb->gaz);
    free(fb->ngaz);
    memset(fb, 0, sizeof *fb);
}

static const char *const group_names[] = {"word",  "lower",  "affix",    "shape",   "flags",
                                          "window", "bigram", "position", "document"};

int nerkit_features_parse(const char *list, uint32_t *mask, nerkit_error *err)
{
    uint32_t m = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t g = 0;
        while (g < sizeof group_names / sizeof *group_names &&
               !(strlen(group_names[g]) == n && strncmp(group_names[g], p, n) == 0))
            g++;
        if (g < sizeof group_names / sizeof *group_names)
            m |= 1u << g;
        else if (n == 3 && strncmp(p, "all", 3) == 0)
            m |= NERKIT_FEAT_ALL;
        else if (n == 8 && strncmp(p, "nonlocal", 8) == 0)
            m |= NERKIT_FEAT_NONLOCAL;
        else
            return nk_fail(err, NERKIT_ERR_ARG, "unknown feature group '%.*s'", (int)n, p);
        p += n + (p[n] == ',');
    }
    *mask = m;
    return NERKIT_OK;
}
