/*
 * CoNLL column files: one token per line, blank line between sentences,
 * -DOCSTART- lines between documents.
 *
 * The file is kept in memory whole and tokens and labels point into it, so
 * reading costs one copy of the input and writing it back with a predicted
 * column is exact: every byte of the original line is preserved.
 */
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 256
/* Caps that keep the work per line and per sentence bounded whatever the
 * file: decoding a sentence takes tokens x labels of memory, and no real
 * token line comes near a megabyte nor a real sentence near 10000 tokens. */
#define MAX_LINE (1 << 20)
#define MAX_SENTENCE 10000

struct nerkit_corpus {
    char *name;
    char *buf;
    size_t len;
    int has_labels;
    nerkit_scheme scheme;

    size_t ntok, cap_tok;
    const char **tok;
    size_t *tok_len;
    const char **lab;
    size_t *lab_len;
    size_t *line_end;  /* where a new column goes: end of the line's text */
    uint8_t *line_tab; /* the line separates columns with tabs */
    uint32_t *lineno;
    uint16_t *bilou;

    size_t nsent, cap_sent;
    size_t *sent_len;
    size_t ndoc, cap_doc;
    size_t *doc_sent; /* ndoc + 1 entries: first sentence of each document */
    size_t *doc_tok;  /* ndoc + 1 entries: first token of each document */

    size_t ntypes;
    char **types;
    size_t keep; /* bytes before the sentence being read: what a bad line leaves whole */

    /* -DOCSTART- lines, which get a column too when written back */
    size_t nmark, cap_mark;
    size_t *mark_end;
    uint8_t *mark_tab;
};

static int grow(void *pp, size_t *cap, size_t need, size_t elsize, nerkit_error *err)
{
    if (need <= *cap)
        return NERKIT_OK;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*(void **)pp, ncap * elsize);
    if (!p)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading corpus");
    *(void **)pp = p;
    *cap = ncap;
    return NERKIT_OK;
}

/* Makes room for one more token in every per-token array. */
static int add_token_slot(nerkit_corpus *c, nerkit_error *err)
{
    if (c->ntok < c->cap_tok)
        return NERKIT_OK;
    size_t cap = c->cap_tok ? 2 * c->cap_tok : 1024;
    if (!nk_resize(&c->tok, cap, sizeof *c->tok) || !nk_resize(&c->tok_len, cap, sizeof *c->tok_len) ||
        !nk_resize(&c->lab, cap, sizeof *c->lab) || !nk_resize(&c->lab_len, cap, sizeof *c->lab_len) ||
        !nk_resize(&c->line_end, cap, sizeof *c->line_end) ||
        !nk_resize(&c->line_tab, cap, sizeof *c->line_tab) ||
        !nk_resize(&c->lineno, cap, sizeof *c->lineno))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading corpus");
    c->cap_tok = cap;
    return NERKIT_OK;
}

/* Closes the sentence being read, if it has tokens. */
static int end_sentence(nerkit_corpus *c, size_t *sent_first, nerkit_error *err)
{
    if (c->ntok == *sent_first)
        return NERKIT_OK;
    if (grow(&c->sent_len, &c->cap_sent, c->nsent + 1, sizeof *c->sent_len, err))
        return NERKIT_ERR_NOMEM;
    c->sent_len[c->nsent++] = c->ntok - *sent_first;
    *sent_first = c->ntok;
    return NERKIT_OK;
}

static int start_document(nerkit_corpus *c, nerkit_error *err)
{
    /* a document boundary before any sentence of the current one is a no-op */
    if (c->ndoc > 0 && c->doc_sent[c->ndoc - 1] == c->nsent)
        return NERKIT_OK;
    if (grow(&c->doc_sent, &c->cap_doc, c->ndoc + 2, sizeof *c->doc_sent, err))
        return NERKIT_ERR_NOMEM;
    c->doc_sent[c->ndoc++] = c->nsent;
    return NERKIT_OK;
}

static int resolve_column(int col, size_t ncols)
{
    long k = col > 0 ? col - 1 : (long)ncols + col;
    return (k >= 0 && k < (long)ncols) ? (int)k : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int type_id(const nerkit_corpus *c, const char *s, size_t len)
{
    size_t lo = 0, hi = c->ntypes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int r = strncmp(c->types[mid], s, len);
        if (r == 0 && c->types[mid][len] != '\0')
            r = 1;
        if (r == 0)
            return (int)mid;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Collects the distinct entity types, sorted, as the corpus's type table. */
static int collect_types(nerkit_corpus *c, nerkit_error *err)
{
    size_t cap = 0;
    for (size_t i = 0; i < c->ntok; i++) {
        nk_raw_label rl;
        nk_label_parse(c->lab[i], c->lab_len[i], &rl);
        if (!rl.prefix || type_id(c, rl.type, rl.type_len) >= 0)
            continue;
        if (rl.type_len > NK_MAX_TYPE_LEN)
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: entity type of %zu bytes ('%.20s...'), over the %d-byte limit",
                           c->name, c->lineno[i], rl.type_len, rl.type, NK_MAX_TYPE_LEN);
        if (c->ntypes == NK_MAX_TYPES)
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: more than %d entity types",
                           c->name, c->lineno[i], NK_MAX_TYPES);
        if (grow(&c->types, &cap, c->ntypes + 1, sizeof *c->types, err))
            return NERKIT_ERR_NOMEM;
        char *t = strndup(rl.type, rl.type_len);
        if (!t)
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading corpus");
        c->types[c->ntypes++] = t;
        qsort(c->types, c->ntypes, sizeof *c->types, cmp_str);
    }
    return NERKIT_OK;
}

/* Checks labels against the scheme (forced or detected) and converts them. */
static int convert_labels(nerkit_corpus *c, nerkit_scheme forced, nerkit_error *err)
{
    char *prefix = malloc(c->ntok + 1);
    int *type = malloc((c->ntok + 1) * sizeof *type);
    c->bilou = malloc((c->ntok + 1) * sizeof *c->bilou);
    if (!prefix || !type || !c->bilou) {
        free(prefix);
        free(type);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading corpus");
    }
    size_t first_es = SIZE_MAX, first_lu = SIZE_MAX;
    for (size_t i = 0; i < c->ntok; i++) {
        nk_raw_label rl;
        nk_label_parse(c->lab[i], c->lab_len[i], &rl);
        prefix[i] = rl.prefix;
        type[i] = rl.prefix ? type_id(c, rl.type, rl.type_len) : -1;
        if ((rl.prefix == 'E' || rl.prefix == 'S') && first_es == SIZE_MAX)
            first_es = i;
        if ((rl.prefix == 'L' || rl.prefix == 'U') && first_lu == SIZE_MAX)
            first_lu = i;
    }
    nerkit_scheme s = forced;
    int rc = NERKIT_OK;
    if (first_es != SIZE_MAX && first_lu != SIZE_MAX) {
        size_t i = first_es > first_lu ? first_es : first_lu;
        rc = nk_fail(err, NERKIT_ERR_FORMAT,
                     "%s:%u: label '%.*s' mixes BIOES (E-, S-) and BILOU (L-, U-) prefixes",
                     c->name, c->lineno[i], (int)c->lab_len[i], c->lab[i]);
        goto out;
    }
    if (s == NERKIT_SCHEME_AUTO) {
        if (first_lu != SIZE_MAX) {
            s = NERKIT_SCHEME_BILOU;
        } else if (first_es != SIZE_MAX) {
            s = NERKIT_SCHEME_BIOES;
        } else {
            /* IOB1 never has B- after O or another type; IOB2 always does
             * when it has entities. A stray I- start (seen in real IOB2
             * corpora) does not make a file IOB1. */
            bool b_start = false, i_start = false;
            for (size_t si = 0, t0 = 0; si < c->nsent; t0 += c->sent_len[si++]) {
                for (size_t k = t0; k < t0 + c->sent_len[si]; k++) {
                    if (!prefix[k])
                        continue;
                    bool fresh = k == t0 || type[k - 1] != type[k];
                    b_start |= prefix[k] == 'B' && fresh;
                    i_start |= prefix[k] == 'I' && fresh;
                }
            }
            s = (!b_start && i_start) ? NERKIT_SCHEME_IOB1 : NERKIT_SCHEME_IOB2;
        }
    }
    const char *allowed = s == NERKIT_SCHEME_BIOES   ? "BIES"
                          : s == NERKIT_SCHEME_BILOU ? "BILU"
                                                     : "BI";
    for (size_t i = 0; i < c->ntok; i++) {
        if (prefix[i] && !strchr(allowed, prefix[i])) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: label '%.*s' is not of the %s scheme",
                         c->name, c->lineno[i], (int)c->lab_len[i], c->lab[i],
                         nerkit_scheme_name(s));
            goto out;
        }
    }
    c->scheme = s;
    for (size_t si = 0, t0 = 0; si < c->nsent; t0 += c->sent_len[si++])
        nk_to_bilou(prefix + t0, type + t0, c->sent_len[si], c->bilou + t0);
out:
    free(prefix);
    free(type);
    return rc;
}

static int parse_lines(nerkit_corpus *c, const nerkit_reader_opts *o, nerkit_error *err)
{
    size_t ncols = 0, sent_first = 0;
    int tok_k = -1, lab_k = -1;
    size_t pos = 0;
    /* a UTF-8 byte order mark is not part of the first token */
    if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    if (start_document(c, err))
        return NERKIT_ERR_NOMEM;
    for (uint32_t lineno = 1; pos < c->len; lineno++) {
        char *line = c->buf + pos;
        if (c->ntok == sent_first)
            c->keep = pos;
        char *nl = memchr(line, '\n', c->len - pos);
        size_t end = nl ? (size_t)(nl - c->buf) : c->len;
        size_t next = nl ? end + 1 : c->len;
        if (end > pos && c->buf[end - 1] == '\r')
            end--;
        size_t n = end - pos;
        pos = next;
        if (n > MAX_LINE)
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: line of %zu bytes, over the %d-byte limit of a CoNLL line",
                           c->name, lineno, n, MAX_LINE);

        if (memchr(line, '\0', n))
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: NUL byte: binary data, not a CoNLL file",
                           c->name, lineno);
        size_t bad = nk_utf8_check((const unsigned char *)line, n);
        if (bad < n)
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: invalid UTF-8 at byte %zu of the line (file offset %zu)",
                           c->name, lineno, bad + 1, (size_t)(line - c->buf) + bad);

        /* split into fields */
        size_t fs[MAX_COLUMNS], fl[MAX_COLUMNS], nf = 0;
        bool blank = true;
        for (size_t i = 0; i < n; i++)
            if (line[i] != ' ' && line[i] != '\t') {
                blank = false;
                break;
            }
        if (blank) {
            if (end_sentence(c, &sent_first, err))
                return NERKIT_ERR_NOMEM;
            continue;
        }
        for (size_t i = 0; i <= n;) {
            size_t j = i;
            if (o->tab_only) {
                while (j < n && line[j] != '\t')
                    j++;
            } else {
                while (i < n && (line[i] == ' ' || line[i] == '\t'))
                    i++;
                if (i == n)
                    break;
                j = i;
                while (j < n && line[j] != ' ' && line[j] != '\t')
                    j++;
            }
            if (nf == MAX_COLUMNS)
                return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: more than %d columns", c->name,
                               lineno, MAX_COLUMNS);
            fs[nf] = i, fl[nf] = j - i, nf++;
            i = j + 1;
        }
        if (fl[0] == 10 && memcmp(line + fs[0], "-DOCSTART-", 10) == 0) {
            size_t cap = c->cap_mark;
            if (end_sentence(c, &sent_first, err) || start_document(c, err) ||
                grow(&c->mark_end, &cap, c->nmark + 1, sizeof *c->mark_end, err) ||
                grow(&c->mark_tab, &c->cap_mark, c->nmark + 1, sizeof *c->mark_tab, err))
                return NERKIT_ERR_NOMEM;
            c->mark_end[c->nmark] = end;
            c->mark_tab[c->nmark++] = o->tab_only || memchr(line, '\t', n) != NULL;
            continue;
        }
        if (ncols == 0) {
            ncols = nf;
            tok_k = resolve_column(o->token_col, ncols);
            lab_k = o->label_col ? resolve_column(o->label_col, ncols) : -1;
            /* a one-column file under the default "last column" is tokens
             * only: the form of text to be tagged */
            if (ncols == 1 && o->label_col == -1) {
                lab_k = -1;
                c->has_labels = 0;
            }
            if (tok_k < 0 || (c->has_labels && lab_k < 0))
                return nk_fail(err, NERKIT_ERR_FORMAT,
                               "%s:%u: %zu column%s, but the %s column is %d", c->name, lineno,
                               ncols, ncols == 1 ? "" : "s", tok_k < 0 ? "token" : "label",
                               tok_k < 0 ? o->token_col : o->label_col);
            if (c->has_labels && tok_k == lab_k)
                return nk_fail(err, NERKIT_ERR_FORMAT,
                               "%s:%u: the token and label columns are the same column",
                               c->name, lineno);
        } else if (nf != ncols) {
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: %zu columns where earlier lines have %zu",
                           c->name, lineno, nf, ncols);
        }
        if (c->ntok - sent_first == MAX_SENTENCE)
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: sentence longer than %d tokens (from line %u); a blank line "
                           "must end each sentence",
                           c->name, lineno, MAX_SENTENCE, c->lineno[sent_first]);
        if (add_token_slot(c, err))
            return NERKIT_ERR_NOMEM;
        size_t t = c->ntok++;
        c->tok[t] = line + fs[tok_k];
        c->tok_len[t] = fl[tok_k];
        c->lab[t] = lab_k >= 0 ? line + fs[lab_k] : "O";
        c->lab_len[t] = lab_k >= 0 ? fl[lab_k] : 1;
        c->line_end[t] = end;
        c->line_tab[t] = o->tab_only || memchr(line, '\t', n) != NULL;
        c->lineno[t] = lineno;
        nk_raw_label rl;
        if (!nk_label_parse(c->lab[t], c->lab_len[t], &rl))
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: label '%.*s' is neither O nor PREFIX-TYPE with a prefix of "
                           "B, I, E, S, L or U",
                           c->name, lineno, (int)c->lab_len[t], c->lab[t]);
    }
    if (end_sentence(c, &sent_first, err))
        return NERKIT_ERR_NOMEM;
    if (c->ndoc > 1 && c->doc_sent[c->ndoc - 1] == c->nsent)
        c->ndoc--; /* a trailing -DOCSTART- with nothing after it */
    c->doc_sent[c->ndoc] = c->nsent;
    c->doc_tok = malloc((c->ndoc + 1) * sizeof *c->doc_tok);
    if (!c->doc_tok)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading corpus");
    for (size_t d = 0, s = 0, t = 0; d <= c->ndoc; d++) {
        for (; s < c->doc_sent[d]; s++)
            t += c->sent_len[s];
        c->doc_tok[d] = t;
    }
    return NERKIT_OK;
}

NK_OPTS_LAST(nerkit_reader_opts, scheme);

void nerkit_reader_opts_init_sized(nerkit_reader_opts *o, size_t size)
{
    const nerkit_reader_opts d = {
        .size = sizeof d, .token_col = 1, .label_col = -1, .scheme = NERKIT_SCHEME_AUTO};
    nk_opts_init(o, size, &d, sizeof d);
}

/* Parses data; on a line the reader refuses, *keep (when keep is not NULL)
 * gets the length of the complete sentences before it, else 0. */
static nerkit_corpus *parse(const char *data, size_t len, const char *name,
                            const nerkit_reader_opts *opts, nerkit_error *err, size_t *keep)
{
    if (keep)
        *keep = 0;
    nerkit_reader_opts o;
    if (NK_OPTS_TAKE(&o, opts, nerkit_reader_opts_init, err))
        return NULL;
    opts = &o;
    nerkit_corpus *c = nk_alloc(1, sizeof *c, err);
    if (!c)
        return NULL;
    c->name = strdup(name ? name : "<buffer>");
    c->buf = malloc(len + 1);
    if (!c->name || !c->buf) {
        nerkit_corpus_free(c);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory reading %s", name);
    }
    if (len)
        memcpy(c->buf, data, len);
    c->buf[len] = '\0';
    c->len = len;
    c->has_labels = opts->label_col != 0;
    int rc = parse_lines(c, opts, err);
    if (rc == NERKIT_ERR_FORMAT && keep)
        *keep = c->keep;
    if (rc || collect_types(c, err) || convert_labels(c, opts->scheme, err)) {
        nerkit_corpus_free(c);
        return NULL;
    }
    return c;
}

nerkit_corpus *nerkit_corpus_parse(const char *data, size_t len, const char *name,
                                   const nerkit_reader_opts *opts, nerkit_error *err)
{
    return parse(data, len, name, opts, err, NULL);
}

nerkit_corpus *nerkit_corpus_read_prefix(const char *path, const nerkit_reader_opts *opts,
                                         nerkit_error *err)
{
    char *buf;
    size_t len, keep;
    if (nerkit_read_file(path, &buf, &len, err))
        return NULL;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    nerkit_error first = {0};
    nerkit_corpus *c = parse(buf, len, name, opts, &first, &keep);
    if (!c && keep > 0) {
        nerkit_error again = {0};
        c = parse(buf, keep, name, opts, &again, NULL);
    }
    free(buf);
    if (err)
        *err = first;
    return c;
}

nerkit_corpus *nerkit_corpus_read(const char *path, const nerkit_reader_opts *opts,
                                  nerkit_error *err)
{
    char *buf;
    size_t len;
    if (nerkit_read_file(path, &buf, &len, err))
        return NULL;
    nerkit_corpus *c =
        nerkit_corpus_parse(buf, len, strcmp(path, "-") == 0 ? "<stdin>" : path, opts, err);
    free(buf);
    return c;
}

void nerkit_corpus_free(nerkit_corpus *c)
{
    if (!c)
        return;
    for (size_t t = 0; t < c->ntypes; t++)
        free(c->types[t]);
    free(c->types);
    free(c->name);
    free(c->buf);
    free(c->tok);
    free(c->tok_len);
    free(c->lab);
    free(c->lab_len);
    free(c->line_end);
    free(c->line_tab);
    free(c->lineno);
    free(c->bilou);
    free(c->sent_len);
    free(c->doc_sent);
    free(c->doc_tok);
    free(c->mark_end);
    free(c->mark_tab);
    free(c);
}

size_t nerkit_corpus_ntokens(const nerkit_corpus *c) { return c->ntok; }
size_t nerkit_corpus_nsentences(const nerkit_corpus *c) { return c->nsent; }
size_t nerkit_corpus_ndocuments(const nerkit_corpus *c) { return c->nsent ? c->ndoc : 0; }
int nerkit_corpus_has_labels(const nerkit_corpus *c) { return c->has_labels; }
nerkit_scheme nerkit_corpus_scheme(const nerkit_corpus *c) { return c->scheme; }
size_t nerkit_corpus_ntypes(const nerkit_corpus *c) { return c->ntypes; }
const char *nerkit_corpus_type(const nerkit_corpus *c, size_t t) { return c->types[t]; }
uint16_t nk_corpus_bilou(const nerkit_corpus *c, size_t i) { return c->bilou[i]; }
const char *nk_corpus_name(const nerkit_corpus *c) { return c->name; }

const char *nerkit_corpus_token(const nerkit_corpus *c, size_t i, size_t *len)
{
    *len = c->tok_len[i];
    return c->tok[i];
}

const char *nerkit_corpus_label(const nerkit_corpus *c, size_t i, size_t *len)
{
    *len = c->lab_len[i];
    return c->lab[i];
}

size_t nerkit_corpus_document(const nerkit_corpus *c, size_t d, nerkit_document *doc)
{
    size_t first = c->doc_tok[d];
    doc->tokens = c->tok + first;
    doc->token_len = c->tok_len + first;
    doc->ntokens = c->doc_tok[d + 1] - first;
    doc->sentence_len = c->sent_len + c->doc_sent[d];
    doc->nsentences = c->doc_sent[d + 1] - c->doc_sent[d];
    return first;
}

int nerkit_corpus_write_columns(const nerkit_corpus *c, const char *const *labels, size_t ncols,
                                FILE *out, nerkit_error *err)
{
    /* token lines and -DOCSTART- lines, merged in file order; a document
     * line gets O in each new column so that every non-blank line has the
     * same column count, which conlleval insists on */
    size_t pos = 0, i = 0, k = 0;
    while (i < c->ntok || k < c->nmark) {
        bool tok = k == c->nmark || (i < c->ntok && c->line_end[i] < c->mark_end[k]);
        size_t e = tok ? c->line_end[i] : c->mark_end[k];
        bool tab = tok ? c->line_tab[i] : c->mark_tab[k];
        bool ok = fwrite(c->buf + pos, 1, e - pos, out) == e - pos;
        for (size_t col = 0; col < ncols && ok; col++)
            ok = fputc(tab ? '\t' : ' ', out) != EOF &&
                 fputs(tok ? labels[i * ncols + col] : "O", out) != EOF;
        if (!ok)
            return nk_fail(err, NERKIT_ERR_IO, "write error: %s", strerror(errno));
        if (tok)
            i++;
        else
            k++;
        pos = e;
    }
    if (fwrite(c->buf + pos, 1, c->len - pos, out) != c->len - pos)
        return nk_fail(err, NERKIT_ERR_IO, "write error: %s", strerror(errno));
    return NERKIT_OK;
}

int nerkit_corpus_write_column(const nerkit_corpus *c, const char *const *labels, FILE *out,
                               nerkit_error *err)
{
    return nerkit_corpus_write_columns(c, labels, 1, out, err);
}

void nerkit_corpus_label_strings(const nerkit_corpus *c, const nerkit_model *m,
                                 const uint16_t *labels, nerkit_scheme scheme, const char **out)
{
    if (scheme == NERKIT_SCHEME_AUTO && c->has_labels)
        scheme = c->scheme;
    /* sentence by sentence: IOB1 looks back only within a sentence */
    for (size_t s = 0, i = 0; s < c->nsent; i += c->sent_len[s++])
        nerkit_model_label_strings(m, labels + i, c->sent_len[s], scheme, out + i);
}
