/*
 * Chunk-level evaluation that reproduces conlleval.pl run with default
 * options (no -r, -d, -o or -l): the same counts and, byte for byte, the
 * same report.
 *
 * conlleval's chunk rules are quirky (S- tags are not chunk starts of their
 * own, a '.' tag never ends a chunk by type change, the empty type can be
 * listed twice, ...). Everything below follows the script rather than what
 * a tag scheme would suggest, because results must be comparable with
 * numbers published using the script.
 */
#include "eval.h"

#include <stdlib.h>
#include <string.h>

/* The only tag values conlleval tests for; every other tag ("S", "L", "",
 * ...) behaves the same way, so one OTHER value stands for all of them. */
enum tag { TAG_OTHER, TAG_B, TAG_I, TAG_E, TAG_O, TAG_DOT, TAG_OPEN, TAG_CLOSE };

typedef struct {
    char *name; /* NUL-terminated copy, but len is authoritative */
    size_t len;
    size_t found_correct; /* gold chunks starting with this type */
    size_t found_guessed; /* guessed chunks starting with this type */
    size_t correct_chunk; /* matched chunks, not counting a pending one */
} type_stat;

struct nerkit_eval {
    /* Every type seen in any label, including on O tags, because the chunk
     * rules compare the previous type with the current one whatever the tag.
     * Types are few, so a linear search is fine. Index 0 is the empty type,
     * interned up front so that a boundary never needs to allocate. */
    type_stat *types;
    size_t ntypes, cap;

    size_t tokens;       /* token lines; boundaries are not counted */
    size_t correct_tags; /* tokens whose gold and guess agree in tag and type */
    size_t found_correct, found_guessed, correct_chunk;

    /* A chunk that started in both gold and guess with the same type and
     * has matched so far. conlleval credits it when both chunks end
     * together, or at end of input; the report is const, so the end-of-input
     * credit is added on the fly and never stored. */
    int in_correct;
    enum tag last_correct, last_guessed;
    size_t last_correct_type, last_guessed_type;
};

typedef struct {
    const char *tag;
    size_t tag_len;
    const char *type;
    size_t type_len;
} label_parts;

/* conlleval splits with /^([^-]*)-(.*)$/, i.e. at the first '-'. Labels
 * from a file never hold a newline, but API callers could pass one, and
 * Perl's '.' stops at a newline while '$' may match just before a final
 * one; honour that so the split is the script's for any byte string. */
static void split_label(const char *s, size_t n, label_parts *p)
{
    const char *dash = n ? memchr(s, '-', n) : NULL;

    p->tag = s;
    p->tag_len = n;
    p->type = "";
    p->type_len = 0;
    if (dash != NULL) {
        const char *rest = dash + 1;
        size_t rest_len = n - (size_t)(rest - s);
        const char *nl = rest_len ? memchr(rest, '\n', rest_len) : NULL;

        if (nl == NULL || nl == rest + rest_len - 1) {
            p->tag_len = (size_t)(dash - s);
            p->type = rest;
            p->type_len = nl != NULL ? rest_len - 1 : rest_len;
        }
    }
    /* The script replaces a false type by "", and in Perl "0" is false. */
    if (p->type_len == 1 && p->type[0] == '0')
        p->type_len = 0;
}

static enum tag classify(const char *tag, size_t len)
{
    if (len != 1)
        return TAG_OTHER;
    switch (tag[0]) {
    case 'B': return TAG_B;
    case 'I': return TAG_I;
    case 'E': return TAG_E;
    case 'O': return TAG_O;
    case '.': return TAG_DOT;
    case '[': return TAG_OPEN;
    case ']': return TAG_CLOSE;
    default: return TAG_OTHER;
    }
}

/* Index of the type, adding it if new; (size_t)-1 when out of memory. */
static size_t intern_type(nerkit_eval *e, const char *s, size_t len)
{
    for (size_t i = 0; i < e->ntypes; i++)
        if (e->types[i].len == len && (len == 0 || memcmp(e->types[i].name, s, len) == 0))
            return i;

    if (e->ntypes == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 8;
        type_stat *t = realloc(e->types, cap * sizeof *t);
        if (t == NULL)
            return (size_t)-1;
        e->types = t;
        e->cap = cap;
    }
    char *name = malloc(len + 1);
    if (name == NULL)
        return (size_t)-1;
    if (len)
        memcpy(name, s, len);
    name[len] = '\0';
    e->types[e->ntypes] = (type_stat){ .name = name, .len = len };
    return e->ntypes++;
}

/* conlleval's endOfChunk: did a chunk end between the previous token and
 * this one? Types are compared by interned index. */
static int chunk_ends(enum tag prev, enum tag cur, size_t prev_type, size_t type)
{
    if (prev == TAG_OPEN || prev == TAG_CLOSE)
        return 1;
    if (prev != TAG_O && prev != TAG_DOT && prev_type != type)
        return 1;
    switch (prev) {
    case TAG_B:
    case TAG_I: return cur == TAG_B || cur == TAG_O;
    case TAG_E: return cur == TAG_E || cur == TAG_I || cur == TAG_O;
    default: return 0;
    }
}

/* conlleval's startOfChunk: did a chunk start at this token? */
static int chunk_starts(enum tag prev, enum tag cur, size_t prev_type, size_t type)
{
    if (cur == TAG_OPEN || cur == TAG_CLOSE)
        return 1;
    if (cur != TAG_O && cur != TAG_DOT && prev_type != type)
        return 1;
    switch (cur) {
    case TAG_B: return prev == TAG_B || prev == TAG_I || prev == TAG_O;
    case TAG_I: return prev == TAG_O || prev == TAG_E;
    case TAG_E: return prev == TAG_O || prev == TAG_E;
    default: return 0;
    }
}

/* The chunk bookkeeping the script does for every line, token or boundary. */
static void step(nerkit_eval *e, enum tag correct, size_t correct_type, enum tag guessed,
                 size_t guessed_type)
{
    int end_c = chunk_ends(e->last_correct, correct, e->last_correct_type, correct_type);
    int end_g = chunk_ends(e->last_guessed, guessed, e->last_guessed_type, guessed_type);
    int start_c = chunk_starts(e->last_correct, correct, e->last_correct_type, correct_type);
    int start_g = chunk_starts(e->last_guessed, guessed, e->last_guessed_type, guessed_type);

    if (e->in_correct) {
        if (end_c && end_g && e->last_guessed_type == e->last_correct_type) {
            e->in_correct = 0;
            e->correct_chunk++;
            e->types[e->last_correct_type].correct_chunk++;
        } else if (end_c != end_g || guessed_type != correct_type) {
            e->in_correct = 0;
        }
    }
    if (start_c && start_g && guessed_type == correct_type)
        e->in_correct = 1;
    if (start_c) {
        e->found_correct++;
        e->types[correct_type].found_correct++;
    }
    if (start_g) {
        e->found_guessed++;
        e->types[guessed_type].found_guessed++;
    }
    e->last_correct = correct;
    e->last_guessed = guessed;
    e->last_correct_type = correct_type;
    e->last_guessed_type = guessed_type;
}

nerkit_eval *nerkit_eval_new(void)
{
    nerkit_eval *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    if (intern_type(e, "", 0) != 0) {
        free(e);
        return NULL;
    }
    e->last_correct = TAG_O;
    e->last_guessed = TAG_O;
    return e;
}

void nerkit_eval_free(nerkit_eval *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->ntypes; i++)
        free(e->types[i].name);
    free(e->types);
    free(e);
}

int nerkit_eval_token(nerkit_eval *e, const char *gold, size_t gold_len, const char *guess,
                      size_t guess_len)
{
    if (e == NULL || (gold == NULL && gold_len) || (guess == NULL && guess_len))
        return NERKIT_ERR_ARG;

    label_parts g, c;
    split_label(guess_len ? guess : "", guess_len, &g);
    split_label(gold_len ? gold : "", gold_len, &c);

    /* Intern both before touching any count, so a failure leaves the
     * evaluation as it was (an unused interned type is harmless). */
    size_t guessed_type = intern_type(e, g.type, g.type_len);
    if (guessed_type == (size_t)-1)
        return NERKIT_ERR_NOMEM;
    size_t correct_type = intern_type(e, c.type, c.type_len);
    if (correct_type == (size_t)-1)
        return NERKIT_ERR_NOMEM;

    step(e, classify(c.tag, c.tag_len), correct_type, classify(g.tag, g.tag_len),
         guessed_type);

    /* Accuracy compares the tag strings themselves, not their classes. */
    if (c.tag_len == g.tag_len && memcmp(c.tag, g.tag, c.tag_len) == 0 &&
        correct_type == guessed_type)
        e->correct_tags++;
    e->tokens++;
    return NERKIT_OK;
}

void nerkit_eval_boundary(nerkit_eval *e)
{
    /* The script turns a boundary into an uncounted token tagged O/O. */
    if (e != NULL)
        step(e, TAG_O, 0, TAG_O, 0);
}

/* Matched chunks of one type (or all, type == (size_t)-1), including the
 * chunk still open at the end of input, which the script credits then. */
static size_t correct_chunks(const nerkit_eval *e, size_t type)
{
    size_t n = type == (size_t)-1 ? e->correct_chunk : e->types[type].correct_chunk;
    if (e->in_correct && (type == (size_t)-1 || type == e->last_correct_type))
        n++;
    return n;
}

/* Same operations in the same order as the script, so the doubles (and
 * therefore the rounded output) are identical. */
static void prf(size_t correct, size_t guessed, size_t gold, double *p, double *r, double *f)
{
    *p = guessed > 0 ? 100.0 * (double)correct / (double)guessed : 0.0;
    *r = gold > 0 ? 100.0 * (double)correct / (double)gold : 0.0;
    *f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0.0;
}

void nerkit_eval_scores(const nerkit_eval *e, double *precision, double *recall, double *f1)
{
    double p = 0.0, r = 0.0, f = 0.0;
    if (e != NULL)
        prf(correct_chunks(e, (size_t)-1), e->found_guessed, e->found_correct, &p, &r, &f);
    if (precision)
        *precision = p;
    if (recall)
        *recall = r;
    if (f1)
        *f1 = f;
}

/* Perl's default sort: byte-wise, a prefix before its extensions. */
static int cmp_type(const void *a, const void *b)
{
    const type_stat *x = *(const type_stat *const *)a;
    const type_stat *y = *(const type_stat *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->name, y->name, n) : 0;
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int type_line(const nerkit_eval *e, size_t i, FILE *out)
{
    const type_stat *t = &e->types[i];
    double p, r, f;
    prf(correct_chunks(e, i), t->found_guessed, t->found_correct, &p, &r, &f);

    /* "%17s" by hand: the name is counted in bytes and may hold a NUL. */
    for (size_t pad = t->len; pad < 17; pad++)
        if (fputc(' ', out) == EOF)
            return -1;
    if (t->len && fwrite(t->name, 1, t->len, out) != t->len)
        return -1;
    return fprintf(out, ": precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %zu\n", p, r, f,
                   t->found_guessed) < 0
               ? -1
               : 0;
}

int nerkit_eval_report(const nerkit_eval *e, FILE *out)
{
    if (e == NULL || out == NULL)
        return NERKIT_ERR_ARG;

    size_t correct = correct_chunks(e, (size_t)-1);
    if (fprintf(out, "processed %zu tokens with %zu phrases; found: %zu phrases; correct: %zu.\n",
                e->tokens, e->found_correct, e->found_guessed, correct) < 0)
        return NERKIT_ERR_IO;
    if (e->tokens > 0) {
        double p, r, f;
        prf(correct, e->found_guessed, e->found_correct, &p, &r, &f);
        if (fprintf(out, "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n",
                    100.0 * (double)e->correct_tags / (double)e->tokens, p, r, f) < 0)
            return NERKIT_ERR_IO;
    }

    /* The script lists the keys of its gold and guessed chunk tables. */
    const type_stat **listed = malloc(e->ntypes * sizeof *listed);
    if (listed == NULL)
        return NERKIT_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < e->ntypes; i++)
        if (e->types[i].found_correct > 0 || e->types[i].found_guessed > 0)
            listed[n++] = &e->types[i];
    qsort(listed, n, sizeof *listed, cmp_type);

    int status = NERKIT_OK;
    for (size_t k = 0; k < n && status == NERKIT_OK; k++) {
        size_t i = (size_t)(listed[k] - e->types);
        /* The script drops a repeated key unless the previous key is false
         * in Perl, which "" is: the empty type is listed once per table
         * that holds it. */
        int times = 1;
        if (listed[k]->len == 0)
            times = (listed[k]->found_correct > 0) + (listed[k]->found_guessed > 0);
        while (times-- > 0 && status == NERKIT_OK)
            if (type_line(e, i, out) != 0)
                status = NERKIT_ERR_IO;
    }
    free(listed);
    if (status == NERKIT_OK && ferror(out))
        status = NERKIT_ERR_IO;
    return status;
}
