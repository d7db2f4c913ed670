/*
 * nerkit-eval: the CoNLL chunk report, as conlleval.pl prints it.
 *
 *   nerkit-eval FILE               gold and guess are the last two columns
 *   nerkit-eval GOLD PRED          gold from GOLD's label column, guess from
 *                                  PRED's last column, line by line
 *   nerkit-eval -m MODEL FILE      tags FILE and scores it against its labels
 *   nerkit-eval --calibration -m MODEL FILE
 *                                  how well a CRF model's entity confidences
 *                                  match how often its entities are right
 *
 * The one-file form reads its input exactly as conlleval.pl does: columns
 * are separated by single spaces (--delimiter sets another, as conlleval's
 * -d does), a blank line or one whose first column is -X- is a boundary,
 * and every other line is a token, so a -DOCSTART- line counts as an O
 * token just as conlleval counts it. The forms that read nerkit's own files
 * (GOLD PRED, -m) split on runs of spaces and tabs and ignore a \r before
 * the newline.
 */
#include "nerkit.h"
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 256

typedef struct {
    FILE *f;
    const char *name;
    char delim; /* a column separator as conlleval's -d, or 0: runs of blanks */
    unsigned lineno;
    char *line;
    size_t cap;
    size_t ncols; /* columns of the first non-blank line */
    size_t nf;
    const char *field[MAX_COLUMNS];
    size_t len[MAX_COLUMNS];
} reader;

/* Reads and splits the next line; returns 0 at end of file, -1 on error
 * (already reported), 1 otherwise. */
static int next_line(reader *r)
{
    errno = 0;
    ssize_t n = getline(&r->line, &r->cap, r->f);
    if (n < 0) {
        if (ferror(r->f)) {
            fprintf(stderr, "nerkit-eval: %s: read error: %s\n", r->name, strerror(errno));
            return -1;
        }
        return 0;
    }
    r->lineno++;
    if (n > 0 && r->line[n - 1] == '\n')
        n--;
    if (!r->delim && n > 0 && r->line[n - 1] == '\r')
        n--;
    r->nf = 0;
    for (ssize_t i = 0; i < n;) {
        ssize_t j = i;
        if (r->delim) {
            /* Perl's split: every separator ends a field, even an empty one */
            while (j < n && r->line[j] != r->delim)
                j++;
        } else {
            while (i < n && (r->line[i] == ' ' || r->line[i] == '\t'))
                i++;
            if (i == n)
                break;
            j = i;
            while (j < n && r->line[j] != ' ' && r->line[j] != '\t')
                j++;
        }
        if (r->nf == MAX_COLUMNS) {
            fprintf(stderr, "nerkit-eval: %s:%u: more than %d columns\n", r->name, r->lineno,
                    MAX_COLUMNS);
            return -1;
        }
        r->field[r->nf] = r->line + i;
        r->len[r->nf++] = (size_t)(j - i);
        i = j + (r->delim != 0);
    }
    /* and drops the empty fields at the end */
    while (r->nf > 0 && r->len[r->nf - 1] == 0)
        r->nf--;
    if (r->nf == 0)
        return 1;
    if (r->ncols == 0)
        r->ncols = r->nf;
    if (r->nf != r->ncols) {
        fprintf(stderr, "nerkit-eval: %s:%u: %zu columns where earlier lines have %zu\n", r->name,
                r->lineno, r->nf, r->ncols);
        return -1;
    }
    return 1;
}

static bool is_boundary(const reader *r)
{
    return r->nf == 0 || (r->len[0] == 3 && memcmp(r->field[0], "-X-", 3) == 0);
}

static int feed(nerkit_eval *ev, const char *gold, size_t glen, const char *guess, size_t gslen)
{
    if (nerkit_eval_token(ev, gold, glen, guess, gslen)) {
        fprintf(stderr, "nerkit-eval: out of memory\n");
        return -1;
    }
    return 0;
}

/* O, or a prefix letter and a dash: what a gold label of a two-column file
 * looks like, and a word rarely does. */
static bool looks_like_label(const char *s, size_t len)
{
    return (len == 1 && s[0] == 'O') || (len > 2 && strchr("BIESLU", s[0]) && s[1] == '-');
}

/* One file, conlleval's layout: the guess is the last column, the gold
 * label_col of the columns before it (-1: the one just before). */
static int eval_columns(nerkit_eval *ev, reader *r, int label_col)
{
    int k;
    while ((k = next_line(r)) > 0) {
        if (is_boundary(r)) {
            nerkit_eval_boundary(ev);
            continue;
        }
        if (r->nf < 2) {
            fprintf(stderr, "nerkit-eval: %s:%u: a gold and a guessed label column are needed\n",
                    r->name, r->lineno);
            return -1;
        }
        long gold = label_col > 0 ? label_col - 1 : (long)r->nf - 1 + label_col;
        if (gold < 0 || gold >= (long)r->nf - 1) {
            fprintf(stderr, "nerkit-eval: %s:%u: no gold label column %d before the guess (the "
                            "last of %zu columns)\n",
                    r->name, r->lineno, label_col, r->nf);
            return -1;
        }
        /* conlleval takes "gold guess" lines, but a tagger's "token label"
         * output would be scored with its words as the gold labels */
        if (r->nf == 2 && !looks_like_label(r->field[0], r->len[0])) {
            fprintf(stderr, "nerkit-eval: %s:%u: 2 columns and '%.*s' is not a label: FILE wants "
                            "the gold and the guessed label as its last two columns, after the "
                            "token (to score a token-and-label file, give the gold file too: "
                            "nerkit-eval GOLD PRED)\n",
                    r->name, r->lineno, (int)r->len[0], r->field[0]);
            return -1;
        }
        if (feed(ev, r->field[gold], r->len[gold], r->field[r->nf - 1], r->len[r->nf - 1]))
            return -1;
    }
    return k;
}

/* Two files read in step: gold labels from one, guesses from the other. */
static int eval_pair(nerkit_eval *ev, reader *g, reader *p, int label_col)
{
    for (;;) {
        int kg = next_line(g), kp = next_line(p);
        if (kg < 0 || kp < 0)
            return -1;
        if (kg == 0 && kp == 0)
            return 0;
        if (kg == 0 || kp == 0 || (g->nf == 0) != (p->nf == 0)) {
            fprintf(stderr, "nerkit-eval: %s:%u and %s:%u do not line up (%s)\n", g->name,
                    g->lineno, p->name, p->lineno,
                    kg == 0 || kp == 0 ? "one file ends first" : "a blank line in only one");
            return -1;
        }
        if (is_boundary(g)) {
            nerkit_eval_boundary(ev);
            continue;
        }
        long col = label_col > 0 ? label_col - 1 : (long)g->nf + label_col;
        if (col < 0 || col >= (long)g->nf) {
            fprintf(stderr, "nerkit-eval: %s:%u: no label column %d\n", g->name, g->lineno,
                    label_col);
            return -1;
        }
        if (g->len[0] != p->len[0] || memcmp(g->field[0], p->field[0], g->len[0]) != 0) {
            fprintf(stderr, "nerkit-eval: %s:%u: token '%.*s' where %s:%u has '%.*s'\n", p->name,
                    p->lineno, (int)p->len[0], p->field[0], g->name, g->lineno, (int)g->len[0],
                    g->field[0]);
            return -1;
        }
        if (feed(ev, g->field[col], g->len[col], p->field[p->nf - 1], p->len[p->nf - 1]))
            return -1;
    }
}

/* Tags path with the model and writes it, with the predicted column, into
 * memory: scoring that is then exactly scoring nerkit-tag's output. */
static int tag_to_memory(const char *model_path, const char *path, const nerkit_reader_opts *ro,
                         char **mem, size_t *memlen)
{
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load(model_path, &err);
    nerkit_corpus *c = m ? nerkit_corpus_read(path, ro, &err) : NULL;
    nerkit_tagger *t = c ? nerkit_tagger_new(m, &err) : NULL;
    size_t n = c ? nerkit_corpus_ntokens(c) : 0;
    uint16_t *labels = t ? malloc((n + 1) * sizeof *labels) : NULL;
    const char **names = t ? malloc((n + 1) * sizeof *names) : NULL;
    FILE *out = NULL;
    bool ok = false;
    if (t && (!labels || !names)) {
        snprintf(err.message, sizeof err.message, "out of memory");
    } else if (t && c && !nerkit_corpus_has_labels(c)) {
        snprintf(err.message, sizeof err.message, "%s has no label column to score against",
                 path);
    } else if (t && !nerkit_tag_corpus(t, c, labels, &err)) {
        nerkit_corpus_label_strings(c, m, labels, NERKIT_SCHEME_AUTO, names);
        out = open_memstream(mem, memlen);
        bool written = out && !nerkit_corpus_write_column(c, names, out, &err);
        if (out && fclose(out) != 0)
            written = false;
        if (!written && !err.message[0])
            snprintf(err.message, sizeof err.message, "out of memory");
        ok = written;
    }
    if (!ok)
        fprintf(stderr, "nerkit-eval: %s\n", err.message);
    free(labels);
    free(names);
    nerkit_tagger_free(t);
    nerkit_corpus_free(c);
    nerkit_model_free(m);
    return ok ? 0 : -1;
}

/* The reliability table: predicted entities in 10 confidence bins, each
 * bin's mean confidence beside its precision, and the expected
 * calibration error. */
static int calibration(const char *model_path, const char *path, const nerkit_reader_opts *ro)
{
    enum { NBINS = 10 };
    nerkit_error err = {0};
    nerkit_calibration_bin bins[NBINS];
    double ece = 0;
    nerkit_model *m = nerkit_model_load(model_path, &err);
    nerkit_corpus *c = m ? nerkit_corpus_read(path, ro, &err) : NULL;
    nerkit_tagger *t = c ? nerkit_tagger_new(m, &err) : NULL;
    int rc = t ? nerkit_calibration(t, c, bins, NBINS, &ece, &err) : -1;
    if (rc) {
        fprintf(stderr, "nerkit-eval: %s\n", err.message);
    } else {
        size_t total = 0, correct = 0;
        double conf = 0;
        printf("entity confidence calibration: %s on %s\n", model_path, path);
        printf("%-12s %9s %11s %10s %8s\n", "confidence", "entities", "mean conf", "precision",
               "gap");
        for (int b = 0; b < NBINS; b++) {
            total += bins[b].count;
            correct += bins[b].correct;
            conf += bins[b].confidence * (double)bins[b].count;
            char range[16];
            snprintf(range, sizeof range, "[%.1f, %.1f%c", b / 10.0, (b + 1) / 10.0,
                     b + 1 < NBINS ? ')' : ']');
            printf("%-12s %9zu", range, bins[b].count);
            if (bins[b].count) {
                double prec = (double)bins[b].correct / (double)bins[b].count;
                printf(" %11.4f %10.4f %8.4f", bins[b].confidence, prec,
                       fabs(prec - bins[b].confidence));
            }
            putchar('\n');
        }
        printf("%-12s %9zu %11.4f %10.4f\n", "all", total, total ? conf / (double)total : 0.0,
               total ? (double)correct / (double)total : 0.0);
        printf("expected calibration error (ECE): %.4f\n", ece);
    }
    nerkit_tagger_free(t);
    nerkit_corpus_free(c);
    nerkit_model_free(m);
    return rc ? -1 : 0;
}

static void usage(FILE *f)
{
    fputs("usage: nerkit-eval FILE              (gold and guess: the last two columns)\n"
          "       nerkit-eval GOLD PRED         (gold: GOLD's label column; guess: PRED's last)\n"
          "       nerkit-eval -m MODEL FILE     (tag FILE, score against its labels)\n"
          "       nerkit-eval --calibration -m MODEL FILE\n"
          "\n"
          "Prints the CoNLL chunk report, the same lines and numbers as conlleval.pl.\n"
          "FILE may be '-' for standard input.\n"
          "\n"
          "  -m, --model FILE      model to tag with\n"
          "      --delimiter C     one-file form: the column separator (default: a space,\n"
          "                        as in conlleval; '\\t' for tabs)\n"
          "      --label-col N     gold label column of GOLD (default -1, the last), of\n"
          "                        FILE's columns before the guess (default -1: the one\n"
          "                        just before it), or of the file given to -m\n"
          "      --token-col N     token column for -m (default 1)\n"
          "      --tab             with -m: columns are separated by tabs only\n"
          "      --calibration     with -m: instead of the chunk report, how well the\n"
          "                        model's entity probabilities match how\n"
          "                        often its entities are right: a reliability table of\n"
          "                        10 bins and the expected calibration error\n"
          "  -h, --help            this help\n",
          f);
}

/* Reads the file whole as every nerkit program does (gzip, the
 * compressions it cannot read named, an endless device stopped at its
 * first NUL byte); *mem holds the bytes the stream reads. */
static FILE *open_input(const char *path, char **mem)
{
    nerkit_error err = {0};
    size_t len = 0;
    if (nerkit_read_file(path, mem, &len, &err)) {
        fprintf(stderr, "nerkit-eval: %s\n", err.message);
        return NULL;
    }
    /* fmemopen refuses an empty buffer */
    FILE *f = len ? fmemopen(*mem, len, "r") : fopen("/dev/null", "r");
    if (!f)
        fprintf(stderr, "nerkit-eval: %s: %s\n", path, strerror(errno));
    return f;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL;
    nerkit_reader_opts ro;
    nerkit_reader_opts_init(&ro);
    enum { O_TOK = 256, O_LAB, O_TAB, O_CALIB, O_DELIM };
    int calib = 0;
    char delim = ' ';
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"delimiter", required_argument, 0, O_DELIM},
                                             {"token-col", required_argument, 0, O_TOK},
                                             {"label-col", required_argument, 0, O_LAB},
                                             {"tab", no_argument, 0, O_TAB},
                                             {"calibration", no_argument, 0, O_CALIB},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    cli_args args;
    cli_start(&args, "nerkit-eval", longopts, "m:h", NULL);
    cli_blas_one_thread();
    int c;
    while ((c = cli_next(&args, argc, argv)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case O_DELIM:
            delim = strcmp(optarg, "\\t") == 0 ? '\t' : optarg[0];
            if (!delim || (optarg[1] && delim != '\t')) {
                fprintf(stderr, "nerkit-eval: --delimiter wants one character, not '%s'\n", optarg);
                return 2;
            }
            break;
        case O_TOK: ro.token_col = (int)cli_int(&args, optarg, -256, 256); break;
        case O_LAB: ro.label_col = (int)cli_int(&args, optarg, -256, 256); break;
        case O_TAB: ro.tab_only = 1; break;
        case O_CALIB: calib = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2 || (model_path && nargs != 1) || (calib && !model_path)) {
        usage(stderr);
        return 2;
    }
    cli_one_stdin(&args, nargs, argv + optind);
    if (ro.label_col == 0 || ro.token_col == 0)
        cli_usage_error(&args, "%s: columns count from 1 (or -1 for the last)",
                        ro.label_col == 0 ? "--label-col" : "--token-col");
    if (!model_path)
        cli_not_with(&args, (const int[]){O_TOK, O_TAB, 0},
                     "without -m (nerkit-eval reads its own files by conlleval's rules)");
    if (model_path || nargs == 2)
        cli_not_with(&args, (const int[]){O_DELIM, 0}, "to GOLD PRED or -m, only to the one-file form");
    /* >> into an input would be read back while it grows */
    const char *in[3] = {model_path, argv[optind], nargs > 1 ? argv[optind + 1] : NULL};
    nerkit_error ioerr = {0};
    if (nerkit_check_io(NULL, in, 3, 0, NULL, NULL, &ioerr)) {
        fprintf(stderr, "nerkit-eval: %s\n", ioerr.message);
        return 2;
    }
    if (calib)
        return cli_close_stdout(&args, calibration(model_path, argv[optind], &ro) == 0 ? 0 : 1);
    nerkit_eval *ev = nerkit_eval_new();
    if (!ev) {
        fprintf(stderr, "nerkit-eval: out of memory\n");
        return 1;
    }
    reader a = {0}, b = {0};
    /* messages name the files on one line, whatever bytes the names hold */
    const char *pa = argv[optind], *pb = nargs > 1 ? argv[optind + 1] : NULL;
    char shown_a[1024], shown_b[1024];
    snprintf(shown_a, sizeof shown_a, "%s", pa);
    snprintf(shown_b, sizeof shown_b, "%s", pb ? pb : "");
    nerkit_one_line(shown_a, sizeof shown_a);
    nerkit_one_line(shown_b, sizeof shown_b);
    char *mem = NULL, *bmem = NULL;
    size_t memlen = 0;
    int rc = -1;
    if (model_path) {
        a.name = shown_a;
        if (tag_to_memory(model_path, pa, &ro, &mem, &memlen) == 0) {
            /* an empty file has nothing to score, but still a report */
            a.f = memlen ? fmemopen(mem, memlen, "r") : NULL;
            rc = a.f ? eval_columns(ev, &a, ro.label_col) : memlen ? -1 : 0;
        }
    } else if (nargs == 1) {
        a.name = shown_a;
        a.delim = delim;
        if ((a.f = open_input(pa, &mem)))
            rc = eval_columns(ev, &a, ro.label_col);
    } else {
        a.name = shown_a;
        b.name = shown_b;
        if ((a.f = open_input(pa, &mem)) && (b.f = open_input(pb, &bmem)))
            rc = eval_pair(ev, &a, &b, ro.label_col);
    }
    if (rc == 0 && (nerkit_eval_report(ev, stdout) || fflush(stdout) != 0)) {
        fprintf(stderr, "nerkit-eval: write error on standard output: %s\n", strerror(errno));
        rc = -1;
    }
    if (a.f && a.f != stdin)
        fclose(a.f);
    if (b.f && b.f != stdin)
        fclose(b.f);
    free(a.line);
    free(b.line);
    free(mem);
    free(bmem);
    nerkit_eval_free(ev);
    return rc == 0 ? 0 : 1;
}
