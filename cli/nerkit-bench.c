/*
 * nerkit-bench: tagging speed on an archive of raw text, stage by stage
 * and thread by thread.
 *
 * Stages run one after the other on one thread over the whole input held
 * in memory: read (and decompress), tokenize, tag (features, scores,
 * Viterbi). Then the whole pipeline of nerkit-tag (-i text -f jsonl to
 * /dev/null) runs with 1 .. N threads. Each figure is the median of the
 * runs.
 */
#include "nerkit.h"
#include "args.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* Reads every input whole, files a blank line apart; NULL on failure. */
static char *read_all(char **paths, int n, size_t *len)
{
    char *all = NULL;
    *len = 0;
    for (int i = 0; i < n; i++) {
        char *data, *grown = NULL;
        size_t k;
        nerkit_error err = {0};
        /* the library's messages name the file */
        if (nerkit_read_file(paths[i], &data, &k, &err) == NERKIT_OK &&
            !(grown = realloc(all, *len + k + 2)))
            snprintf(err.message, sizeof err.message, "%s: out of memory", paths[i]);
        if (grown) {
            all = grown;
            memcpy(all + *len, data, k);
            memcpy(all + *len + k, "\n\n", 2);
            *len += k + 2;
        }
        free(data);
        if (!grown) {
            fprintf(stderr, "nerkit-bench: %s\n", err.message);
            free(all);
            return NULL;
        }
    }
    return all;
}

typedef struct {
    size_t off, len;
} doc_span;

/* Documents are separated by blank lines, and cut at the document cap,
 * as nerkit-tag -i text reads them: a text without blank lines is not one
 * document of any size, whose tagging memory would grow with it. */
static doc_span *split_documents(const char *s, size_t len, size_t max, size_t *ndocs)
{
    size_t cap = 1024, n = 0, start = 0;
    doc_span *d = malloc(cap * sizeof *d);
    for (size_t i = 0; d && i <= len; i++) {
        bool blank = i == len || (s[i] == '\n' && (i == 0 || s[i - 1] == '\n'));
        if (!blank)
            continue;
        /* the document without its final line break */
        size_t off = start, rest = i > start + 1 ? i - start - 1 : 0;
        while (d && rest > 0) {
            size_t k = nerkit_document_cut(s + off, rest, max);
            if (n == cap) {
                doc_span *grown = realloc(d, (cap *= 2) * sizeof *d);
                if (!grown)
                    free(d);
                d = grown;
            }
            if (d) {
                d[n].off = off;
                d[n++].len = k;
            }
            off += k;
            rest -= k;
        }
        start = i + 1;
    }
    *ndocs = n;
    return d;
}

int main(int argc, char **argv)
{
    const char *model_arg = NULL;
    int threads = 2, runs = 5;
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"threads", required_argument, 0, 'j'},
                                             {"runs", required_argument, 0, 'r'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    cli_args a;
    cli_start(&a, "nerkit-bench", longopts, "m:j:r:h", NULL);
    cli_blas_one_thread();
    int c;
    while ((c = cli_next(&a, argc, argv)) != -1) {
        switch (c) {
        case 'm': model_arg = optarg; break;
        case 'j': threads = (int)cli_int(&a, optarg, 1, NERKIT_THREADS_MAX); break;
        case 'r': runs = (int)cli_int(&a, optarg, 1, 1000); break;
        case 'h':
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: nerkit-bench [-m MODEL] [-j MAX_THREADS] [-r RUNS] FILE...\n"
                    "The model's load time, the speed of each tagging stage on one thread,\n"
                    "then of the whole nerkit-tag pipeline (text in, JSONL out) with 1 to\n"
                    "MAX_THREADS threads; each figure is the median of RUNS runs. Inputs:\n"
                    "text, plain or gzip.\n"
                    "\n"
                    "  -m, --model FILE      the model. Without -m: $NERKIT_MODEL, else\n"
                    "                        " CLI_DEFAULT_MODEL " in ../models/ or\n"
                    "                        ../share/nerkit/ next to this program\n"
                    "  -j, --threads N       the pipeline on 1 to N threads, N <= 256 (2)\n"
                    "  -r, --runs N          runs of each measure, 1 to 1000 (5)\n"
                    "  -h, --help            this help\n");
            return c == 'h' ? 0 : 2;
        }
    }
    cli_one_stdin(&a, argc - optind, argv + optind);
    if (optind == argc) {
        fprintf(stderr, "nerkit-bench: give the input files to measure on\n");
        return 2;
    }
    char *model_path = model_arg ? strdup(model_arg) : cli_default_model();
    if (!model_path) {
        fprintf(stderr, "nerkit-bench: no model: give -m, set NERKIT_MODEL, or install "
                        "models/" CLI_DEFAULT_MODEL " beside the program\n");
        return 2;
    }
    nerkit_error err;
    /* the report must not land in a file it reads */
    const char **in = malloc((size_t)(argc - optind + 1) * sizeof *in);
    if (!in) {
        fprintf(stderr, "nerkit-bench: out of memory\n");
        free(model_path);
        return 1;
    }
    memcpy(in, argv + optind, (size_t)(argc - optind) * sizeof *in);
    in[argc - optind] = model_path;
    int clash = nerkit_check_io(NULL, in, (size_t)(argc - optind + 1), 0, NULL, NULL, &err);
    free(in);
    if (clash) {
        fprintf(stderr, "nerkit-bench: %s\n", err.message);
        free(model_path);
        return 2;
    }
    /* the load itself, as a program that starts to tag one text pays it */
    double *t_load = calloc((size_t)runs, sizeof(double));
    nerkit_model *m = NULL;
    for (int r = 0; t_load && r < runs; r++) {
        nerkit_model_free(m);
        double t0 = cli_now();
        if (!(m = nerkit_model_load(model_path, &err)))
            break;
        t_load[r] = cli_now() - t0;
    }
    free(model_path);
    if (!m) {
        fprintf(stderr, "nerkit-bench: %s\n", t_load ? err.message : "out of memory");
        free(t_load);
        return 1;
    }
    double *t_read = calloc((size_t)runs, sizeof(double)), *t_tok = calloc((size_t)runs, sizeof(double)),
           *t_tag = calloc((size_t)runs, sizeof(double));
    size_t len = 0, ndocs = 0, ntokens = 0;
    char *text = NULL;
    doc_span *docs = NULL;
    nerkit_tokens *tk = nerkit_tokens_new();
    nerkit_tagger *tagger = nerkit_tagger_new(m, &err);
    uint16_t *labels = NULL;
    size_t cap_labels = 0;
    /* the documents of the stages are those of the pipeline */
    nerkit_bulk_opts defaults;
    nerkit_bulk_opts_init(&defaults);
    /* the report is printed only once every run has succeeded: a run that
     * fails leaves no half a report on standard output */
    char *report = NULL;
    size_t report_len = 0;
    FILE *rep = open_memstream(&report, &report_len);
    FILE *devnull = NULL;
    double *t = NULL;
    int rc = 1; /* every early end below has said why */
    if (!t_read || !t_tok || !t_tag || !tk || !tagger || !rep) {
        fprintf(stderr, "nerkit-bench: %s\n", tagger ? "out of memory" : err.message);
        goto done;
    }
    for (int r = 0; r < runs; r++) {
        double t0 = cli_now();
        free(text);
        if (!(text = read_all(argv + optind, argc - optind, &len)))
            goto done;
        t_read[r] = cli_now() - t0;
        free(docs);
        if (!(docs = split_documents(text, len, defaults.max_document, &ndocs))) {
            fprintf(stderr, "nerkit-bench: out of memory\n");
            goto done;
        }
        double tok = 0, tag = 0;
        ntokens = 0;
        for (size_t d = 0; d < ndocs; d++) {
            double a = cli_now();
            if (nerkit_tokenize(tk, text + docs[d].off, docs[d].len, &err)) {
                fprintf(stderr, "nerkit-bench: %s\n", err.message);
                goto done;
            }
            double b = cli_now();
            nerkit_document doc;
            nerkit_tokens_document(tk, &doc);
            if (doc.ntokens > cap_labels) {
                free(labels);
                if (!(labels = malloc((cap_labels = 2 * doc.ntokens) * sizeof *labels))) {
                    fprintf(stderr, "nerkit-bench: out of memory\n");
                    goto done;
                }
            }
            if (nerkit_tag_document(tagger, &doc, labels, &err)) {
                fprintf(stderr, "nerkit-bench: %s\n", err.message);
                goto done;
            }
            tag += cli_now() - b;
            tok += b - a;
            ntokens += doc.ntokens;
        }
        t_tok[r] = tok;
        t_tag[r] = tag;
    }
    /* the pipeline has taggers of its own */
    nerkit_tokens_free(tk);
    nerkit_tagger_free(tagger);
    free(labels);
    tk = NULL;
    tagger = NULL;
    labels = NULL;
    if (ntokens == 0) {
        fprintf(stderr, "nerkit-bench: the input%s no tokens: nothing to measure\n",
                argc - optind > 1 ? "s have" : " has");
        goto done;
    }
    double mb = (double)len / 1e6;
    fprintf(rep, "input: %d file(s), %.1f MB of text, %zu documents, %zu tokens\n", argc - optind,
            mb, ndocs, ntokens);
    fprintf(rep, "model load: %.1f ms\n", median(t_load, runs) * 1e3);
    fprintf(rep, "%-28s %9s %10s %14s\n", "stage (1 thread)", "seconds", "MB/s", "tokens/s");
    double s;
    s = median(t_read, runs);
    fprintf(rep, "%-28s %9.3f %10.1f %14.0f\n", "read + decompress", s, mb / s, ntokens / s);
    s = median(t_tok, runs);
    fprintf(rep, "%-28s %9.3f %10.1f %14.0f\n", "tokenize + split sentences", s, mb / s,
            ntokens / s);
    s = median(t_tag, runs);
    fprintf(rep, "%-28s %9.3f %10.1f %14.0f\n", "tag (features, Viterbi)", s, mb / s, ntokens / s);

    fprintf(rep, "%-28s %9s %10s %14s %8s\n", "nerkit-tag pipeline", "seconds", "MB/s", "tokens/s",
            "speedup");
    if (!(devnull = fopen("/dev/null", "w"))) {
        fprintf(stderr, "nerkit-bench: /dev/null: cannot open\n");
        goto done;
    }
    double base = 0;
    for (int j = 1; j <= threads; j++) {
        t = calloc((size_t)runs, sizeof *t);
        nerkit_bulk_stats st = {0};
        for (int r = 0; t && r < runs; r++) {
            nerkit_bulk_opts o = defaults;
            o.threads = j;
            double a = cli_now();
            if (nerkit_bulk_tag(m, (const char *const *)argv + optind, (size_t)(argc - optind),
                                devnull, &o, &st, &err)) {
                fprintf(stderr, "nerkit-bench: %s\n", err.message);
                goto done;
            }
            t[r] = cli_now() - a;
        }
        if (!t) {
            fprintf(stderr, "nerkit-bench: out of memory\n");
            goto done;
        }
        s = median(t, runs);
        if (j == 1)
            base = s;
        char name[32];
        snprintf(name, sizeof name, "  %d thread%s", j, j == 1 ? "" : "s");
        fprintf(rep, "%-28s %9.3f %10.1f %14.0f %7.2fx\n", name, s, mb / s, (double)st.tokens / s,
                base / s);
        free(t);
        t = NULL;
    }
    if (fclose(rep) != 0 || !report) {
        rep = NULL;
        fprintf(stderr, "nerkit-bench: out of memory\n");
        goto done;
    }
    rep = NULL;
    fwrite(report, 1, report_len, stdout);
    rc = 0;
done:
    if (rep)
        fclose(rep);
    if (devnull)
        fclose(devnull);
    free(t);
    free(report);
    free(t_load);
    free(t_read);
    free(t_tok);
    free(t_tag);
    free(text);
    free(docs);
    free(labels);
    nerkit_tokens_free(tk);
    nerkit_tagger_free(tagger);
    nerkit_model_free(m);
    return rc ? rc : cli_close_stdout(&a, 0);
}
