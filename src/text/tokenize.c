/*
 * Tokenizer and sentence splitter for raw UTF-8 text.
 *
 * The target is the tokenization of the CoNLL-2003 data, because that is
 * what the shipped model learned from: a model sees "U.S." and "'s" as
 * tokens, so the tagger must cut raw text the same way to get the same
 * features. Text is split at white space into chunks; each chunk loses its
 * leading and trailing punctuation one character at a time (except where
 * the punctuation belongs to the word: abbreviations, initials, clitics),
 * and what remains is one token, so anything with inner punctuation
 * (1,000.50, 1996-08-22, AT&T, e-mail, URLs) stays whole.
 *
 * The text is decoded once into code points with their byte offsets; every
 * rule then works on code points, and offsets come out in both units.
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* Past this many tokens a sentence is cut, so that decoding work per
 * sentence stays bounded whatever the input. */
#define MAX_SENTENCE 1000

struct nerkit_tokens {
    /* decoded text */
    uint32_t *cp;
    size_t *boff; /* byte offset of each code point, plus one past the end */
    size_t ncp, cap_cp;

    /* tokens: spans in code points, normalized text in `norm` */
    size_t ntok, cap_tok;
    size_t *cstart, *cend;
    uint8_t *brk; /* a blank line comes before token k: a sentence ends there */
    size_t *norm_off, *norm_len;
    const char **tok;
    size_t *tok_len;
    char *norm;
    size_t norm_used, cap_norm;

    size_t nsent, cap_sent;
    size_t *sent_len;
};

/* ---- character classes */

/* asked of every character: ASCII, nearly all of them, decided first */
static inline bool is_space(uint32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= '\t' && c <= '\r');
    return c == 0xA0 || (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F ||
           c == 0x3000 || c == 0xFEFF || c == 0x85;
}

static bool is_open(uint32_t c)
{
    return c == '(' || c == '[' || c == '{' || c == '"' || c == '`' || c == 0xAB ||
           c == 0x201C || c == 0x2018 || c == 0x201E || c == 0x2039 || c == 0xBF || c == 0xA1;
}

static bool is_close(uint32_t c)
{
    return c == ')' || c == ']' || c == '}' || c == '"' || c == '\'' || c == 0xBB ||
           c == 0x201D || c == 0x2019 || c == 0x203A;
}

static bool is_quote(uint32_t c)
{
    return c == '"' || c == '\'' || c == '`' || c == 0x201C || c == 0x201D || c == 0x2018 ||
           c == 0x2019 || c == 0x201E || c == 0xAB || c == 0xBB;
}

static bool is_apostrophe(uint32_t c)
{
    return c == '\'' || c == 0x2019;
}

/* Punctuation that comes off the end of a word as its own token. */
static bool is_trailing(uint32_t c)
{
    return is_close(c) || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '%' ||
           c == 0x2026 || c == '.';
}

static bool is_currency(uint32_t c)
{
    return c == '$' || c == 0xA3 || c == 0xA5 || c == 0x20AC || c == 0x20B9;
}

static bool is_alpha(uint32_t c)
{
    return nk_cp_is_letter(c) && c != 0xFFFD;
}

/* ---- abbreviations */

/* Words that keep their period. Taken from the kinds of abbreviation seen
 * in English news: titles, months, states, company forms. */
static const char *const abbreviations[] = {
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Ft", "Gen", "Col", "Lt",
    "Maj", "Capt", "Sgt", "Cpl", "Adm", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres", "Supt",
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
    "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun",
    "Inc", "Corp", "Co", "Ltd", "Bhd", "Plc", "Cos", "Bros", "Assn", "Dept", "Univ",
    "Ala", "Ariz", "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan",
    "Ky", "La", "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nev", "Okla",
    "Ore", "Pa", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo",
    "vs", "etc", "approx", "vol", "no", "No", "Nos", "pp", "cf", "ca", "est", "fig", "Ave",
    "Blvd", "Rd", "Sq", "Ct", "Mme", "Mlle", "Messrs",
};

static bool word_equals(const uint32_t *cp, size_t n, const char *w)
{
    size_t k = 0;
    for (; k < n && w[k]; k++)
        if (cp[k] != (unsigned char)w[k])
            return false;
    return k == n && w[k] == '\0';
}

/* The same ignoring ASCII case: headlines write "ST." for "St." */
static bool word_equals_nocase(const uint32_t *cp, size_t n, const char *w)
{
    size_t k = 0;
    for (; k < n && w[k]; k++)
        if (cp[k] >= 0x80 || (cp[k] | 32) != ((unsigned char)w[k] | 32))
            return false;
    return k == n && w[k] == '\0';
}

/* Does cp[0..n), which ends in '.', keep its period? list_position says
 * the word opens a sentence or comes before a capital: where "1." numbers a
 * list item rather than ending a sentence. */
static bool is_abbreviation(const uint32_t *cp, size_t n, bool list_position)
{
    if (n < 2)
        return false;
    size_t w = n - 1;
    /* an initial: "J." */
    if (w == 1 && nk_cp_is_upper(cp[0]))
        return true;
    /* letters each followed by a period: "U.S.", "e.g.", "p.m." */
    bool dotted = w >= 3;
    for (size_t i = 0; i < n && dotted; i++)
        dotted = (i % 2 == 0) ? is_alpha(cp[i]) : cp[i] == '.';
    if (dotted)
        return true;
    /* the number of a list item: "1. Michael Johnson" */
    if (list_position && w <= 2) {
        bool digits = true;
        for (size_t i = 0; i < w; i++)
            digits &= nk_cp_is_digit(cp[i]);
        if (digits)
            return true;
    }
    for (size_t k = 0; k < sizeof abbreviations / sizeof *abbreviations; k++)
        if (word_equals_nocase(cp, w, abbreviations[k]))
            return true;
    return false;
}

/* 's, n't and friends: a clitic split from its word, as in the corpus. */
static size_t clitic_length(const uint32_t *cp, size_t n)
{
    if (n > 3 && (cp[n - 3] | 32) == 'n' && is_apostrophe(cp[n - 2]) && (cp[n - 1] | 32) == 't')
        return 3;
    if (n > 2 && is_apostrophe(cp[n - 2])) {
        uint32_t c = cp[n - 1] | 32;
        if (c == 's' || c == 'd' || c == 'm')
            return 2;
    }
    if (n > 3 && is_apostrophe(cp[n - 3])) {
        uint32_t a = cp[n - 2] | 32, b = cp[n - 1] | 32;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 3;
    }
    return 0;
}

/* A chunk that is a clitic on its own ("'s" in already tokenized text). */
static bool is_clitic(const uint32_t *cp, size_t n)
{
    if (n == 2) {
        uint32_t c = cp[1] | 32;
        return is_apostrophe(cp[0]) && (c == 's' || c == 'd' || c == 'm');
    }
    if (n != 3)
        return false;
    uint32_t a = cp[1] | 32, b = cp[2] | 32;
    if ((cp[0] | 32) == 'n')
        return is_apostrophe(cp[1]) && b == 't';
    return is_apostrophe(cp[0]) &&
           ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'));
}

/* URLs, e-mail addresses, @handles and #tags are one token whatever their
 * punctuation. */
static bool is_web(const uint32_t *cp, size_t n)
{
    if (n >= 2 && (cp[0] == '@' || cp[0] == '#') && is_alpha(cp[1]))
        return true;
    if (n >= 8 && word_equals(cp, 7, "http://"))
        return true;
    if (n >= 9 && word_equals(cp, 8, "https://"))
        return true;
    if (n >= 5 && word_equals(cp, 4, "www."))
        return true;
    for (size_t i = 1; i + 3 < n; i++)
        if (cp[i] == '@') {
            for (size_t j = i + 2; j + 1 < n; j++)
                if (cp[j] == '.' && is_alpha(cp[j + 1]))
                    return true;
            return false;
        }
    return false;
}

/* ---- token storage */

static int grow_tokens(nerkit_tokens *t, nerkit_error *err)
{
    if (t->ntok < t->cap_tok)
        return NERKIT_OK;
    size_t cap = t->cap_tok ? 2 * t->cap_tok : 256;
    if (!nk_resize(&t->cstart, cap, sizeof *t->cstart) ||
        !nk_resize(&t->cend, cap, sizeof *t->cend) ||
        !nk_resize(&t->norm_off, cap, sizeof *t->norm_off) ||
        !nk_resize(&t->norm_len, cap, sizeof *t->norm_len) ||
        !nk_resize(&t->tok, cap, sizeof *t->tok) ||
        !nk_resize(&t->tok_len, cap, sizeof *t->tok_len) ||
        !nk_resize(&t->brk, cap, sizeof *t->brk))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tokenizing");
    t->cap_tok = cap;
    return NERKIT_OK;
}

/* Appends token cp[a..b) with its text as the model should see it: quotes
 * and dashes as the corpus writes them. */
static int emit(nerkit_tokens *t, size_t a, size_t b, nerkit_error *err)
{
    if (grow_tokens(t, err))
        return NERKIT_ERR_NOMEM;
    size_t need = t->norm_used + 4 * (b - a);
    if (need > t->cap_norm) {
        size_t cap = t->cap_norm ? t->cap_norm : 4096;
        while (cap < need)
            cap *= 2;
        if (!nk_resize(&t->norm, cap, 1))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tokenizing");
        t->cap_norm = cap;
    }
    size_t k = t->ntok++, start = t->norm_used;
    char *out = t->norm;
    for (size_t i = a; i < b; i++) {
        uint32_t c = t->cp[i];
        /* ASCII, nearly every character, is written as it is */
        if (c < 0x80) {
            out[t->norm_used++] = (char)c;
            continue;
        }
        if (c == 0x201C || c == 0x201D || c == 0x201E || c == 0xAB || c == 0xBB)
            c = '"';
        else if (c == 0x2018 || c == 0x2019)
            c = '\'';
        else if (c == 0x2013)
            c = '-';
        if (c == 0x2014) {
            out[t->norm_used++] = '-';
            out[t->norm_used++] = '-';
        } else if (c == 0x2026) {
            memcpy(out + t->norm_used, "...", 3);
            t->norm_used += 3;
        } else {
            t->norm_used += nk_utf8_encode(c, out + t->norm_used);
        }
    }
    t->cstart[k] = a;
    t->cend[k] = b;
    t->norm_off[k] = start;
    t->norm_len[k] = t->norm_used - start;
    t->brk[k] = 0;
    return NERKIT_OK;
}

/* ---- cutting one white-space-delimited chunk */

static bool is_terminal(const uint32_t *cp, size_t n)
{
    return (n == 1 && (cp[0] == '.' || cp[0] == '!' || cp[0] == '?' || cp[0] == 0x2026)) ||
           (n == 3 && cp[0] == '.' && cp[1] == '.' && cp[2] == '.');
}

static int chunk(nerkit_tokens *t, size_t a, size_t b, bool list_position, nerkit_error *err)
{
    const uint32_t *cp = t->cp;
    bool web = false;
    /* leading punctuation */
    while (a < b) {
        uint32_t c = cp[a];
        size_t n = b - a;
        if ((web = is_web(cp + a, n)) || is_clitic(cp + a, n))
            break;
        size_t k = 0;
        if ((c == '`' || c == '-' || c == '.') && n >= 2 && cp[a + 1] == c)
            k = (c == '.' && n >= 3 && cp[a + 2] == '.') ? 3 : c == '.' ? 0 : 2;
        else if (is_apostrophe(c) && n >= 2 && nk_cp_is_digit(cp[a + 1]))
            k = 0; /* '90s */
        else if (is_open(c) || is_quote(c) || is_currency(c) || c == 0x2014 || c == 0x2026 ||
                 (c == 0x2013 && n > 1))
            k = 1;
        if (!k || k == n)
            break;
        if (emit(t, a, a + k, err))
            return NERKIT_ERR_NOMEM;
        a += k;
    }
    /* trailing punctuation, peeled from the end and emitted last */
    size_t tail[64], ntail = 0;
    while (b > a && ntail + 2 < sizeof tail / sizeof *tail) {
        uint32_t c = cp[b - 1];
        size_t n = b - a, k = 0;
        if (n == 1 || is_clitic(cp + a, n))
            break;
        if (c == '.' && n >= 3 && cp[b - 2] == '.' && cp[b - 3] == '.')
            k = n > 3 ? 3 : 0;
        else if (c == '-' && n >= 3 && cp[b - 2] == '-')
            k = 2;
        else if (web)
            k = strchr(".,;:!?)]}\"'", (int)c) && c ? 1 : 0;
        else if (c == '.')
            k = is_abbreviation(cp + a, n, list_position) ? 0 : 1;
        else if (is_trailing(c) || c == 0x2014)
            k = 1;
        if (!k)
            break;
        tail[ntail++] = b - k;
        tail[ntail++] = b;
        b -= k;
    }
    /* the word itself: one token, or a word and its clitic, or pieces
     * around a double dash */
    while (a < b) {
        size_t end = b;
        if (!web) {
            for (size_t i = a + 1; i + 1 < b; i++)
                if ((cp[i] == '-' && cp[i + 1] == '-') || cp[i] == 0x2014) {
                    end = i;
                    break;
                }
        }
        if (end == a) {
            end = a + (cp[a] == 0x2014 ? 1 : 2);
        } else if (end == b && !web) {
            size_t cl = clitic_length(cp + a, b - a);
            if (cl && emit(t, a, b - cl, err))
                return NERKIT_ERR_NOMEM;
            a = b - (cl ? cl : b - a);
        }
        if (emit(t, a, end, err))
            return NERKIT_ERR_NOMEM;
        a = end;
    }
    while (ntail > 0) {
        ntail -= 2;
        if (emit(t, tail[ntail], tail[ntail + 1], err))
            return NERKIT_ERR_NOMEM;
    }
    return NERKIT_OK;
}

/* ---- sentences */

static bool opens_sentence(const nerkit_tokens *t, size_t k)
{
    uint32_t c = t->cp[t->cstart[k]];
    if (nk_cp_is_upper(c) || nk_cp_is_digit(c))
        return true;
    if ((is_open(c) || is_quote(c)) && t->cend[k] - t->cstart[k] == 1 && k + 1 < t->ntok)
        return nk_cp_is_upper(t->cp[t->cstart[k + 1]]);
    return false;
}

static int split_sentences(nerkit_tokens *t, nerkit_error *err)
{
    t->nsent = 0;
    size_t first = 0;
    for (size_t k = 0; k < t->ntok; k++) {
        size_t last = k;
        bool end = k + 1 == t->ntok || t->brk[k + 1] || k + 1 - first >= MAX_SENTENCE;
        if (!end && is_terminal(t->cp + t->cstart[k], t->cend[k] - t->cstart[k])) {
            /* closing quotes and brackets stay with the sentence they close */
            while (last + 1 < t->ntok && !t->brk[last + 1] &&
                   t->cend[last + 1] - t->cstart[last + 1] == 1 &&
                   is_close(t->cp[t->cstart[last + 1]]))
                last++;
            end = last + 1 == t->ntok || t->brk[last + 1] || opens_sentence(t, last + 1);
        }
        if (!end)
            continue;
        if (t->nsent == t->cap_sent) {
            size_t cap = t->cap_sent ? 2 * t->cap_sent : 64;
            if (!nk_resize(&t->sent_len, cap, sizeof *t->sent_len))
                return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tokenizing");
            t->cap_sent = cap;
        }
        t->sent_len[t->nsent++] = last + 1 - first;
        first = last + 1;
        k = last;
    }
    return NERKIT_OK;
}

/* ---- API */

nerkit_tokens *nerkit_tokens_new(void)
{
    return calloc(1, sizeof(nerkit_tokens));
}

void nerkit_tokens_free(nerkit_tokens *t)
{
    if (!t)
        return;
    free(t->cp);
    free(t->boff);
    free(t->cstart);
    free(t->cend);
    free(t->norm_off);
    free(t->norm_len);
    free(t->tok);
    free(t->tok_len);
    free(t->brk);
    free(t->norm);
    free(t->sent_len);
    free(t);
}

int nerkit_tokenize(nerkit_tokens *t, const char *text, size_t len, nerkit_error *err)
{
    t->ntok = t->nsent = t->norm_used = t->ncp = 0;
    if (len + 1 > t->cap_cp) {
        if (!nk_resize(&t->cp, len + 1, sizeof *t->cp) ||
            !nk_resize(&t->boff, len + 1, sizeof *t->boff))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tokenizing %zu bytes", len);
        t->cap_cp = len + 1;
    }
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t n = s[i] < 0x80 ? (c = s[i], 1) : nk_utf8_decode(s + i, len - i, &c);
        if (!n) {
            c = 0xFFFD; /* one replacement character per invalid byte */
            n = 1;
        }
        t->cp[t->ncp] = c;
        t->boff[t->ncp++] = i;
        i += n;
    }
    t->boff[t->ncp] = len;

    bool sentence_start = true;
    for (size_t i = 0; i < t->ncp;) {
        size_t newlines = 0;
        while (i < t->ncp && is_space(t->cp[i]))
            newlines += t->cp[i++] == '\n';
        if (i == t->ncp)
            break;
        size_t j = i;
        while (j < t->ncp && !is_space(t->cp[j]))
            j++;
        size_t next = j;
        while (next < t->ncp && is_space(t->cp[next]))
            next++;
        bool before_capital = next < t->ncp && nk_cp_is_upper(t->cp[next]);
        size_t before = t->ntok;
        int rc = chunk(t, i, j, sentence_start || newlines > 0 || before_capital, err);
        if (rc)
            return rc;
        if (before > 0 && newlines >= 2)
            t->brk[before] = 1;
        size_t last = t->ntok - 1;
        sentence_start = is_terminal(t->cp + t->cstart[last], t->cend[last] - t->cstart[last]);
        i = j;
    }
    return split_sentences(t, err);
}

size_t nerkit_tokens_count(const nerkit_tokens *t) { return t->ntok; }
size_t nerkit_tokens_sentences(const nerkit_tokens *t) { return t->nsent; }

nerkit_span nerkit_tokens_span(const nerkit_tokens *t, size_t i)
{
    nerkit_span s = {t->boff[t->cstart[i]], t->boff[t->cend[i]], t->cstart[i], t->cend[i]};
    return s;
}

void nerkit_tokens_document(const nerkit_tokens *t, nerkit_document *doc)
{
    /* pointers are made here, not in emit(), because the text buffer
     * moves while it grows */
    nerkit_tokens *mut = (nerkit_tokens *)t;
    for (size_t k = 0; k < t->ntok; k++) {
        mut->tok[k] = t->norm + t->norm_off[k];
        mut->tok_len[k] = t->norm_len[k];
    }
    doc->tokens = t->tok;
    doc->token_len = t->tok_len;
    doc->ntokens = t->ntok;
    doc->sentence_len = t->sent_len;
    doc->nsentences = t->nsent;
}
