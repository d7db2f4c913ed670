/*
 * nerkit-tag: labels the tokens of a CoNLL column file with a model.
 */
#include "nerkit.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: nerkit-tag -m MODEL [-i conll] [-o conll] [options] [FILE...]\n"
          "\n"
          "Tags each FILE (or standard input, also as '-') and writes the result to\n"
          "standard output. With -i conll -o conll every input line is written unchanged\n"
          "with the predicted label appended as a new last column; blank and -DOCSTART-\n"
          "lines are kept, so the output is ready for nerkit-eval or conlleval.\n"
          "\n"
          "  -m, --model FILE      model file\n"
          "  -i, --input FORMAT    conll\n"
          "  -o, --output FORMAT   conll\n"
          "      --token-col N     token column, 1-based, negative from the end (default 1)\n"
          "      --label-col N     gold label column, 0 if none (default -1, the last;\n"
          "                        a one-column file has none)\n"
          "      --tab             columns are separated by tabs only\n"
          "      --scheme S        scheme of the predicted labels (default: that of the\n"
          "                        input's labels, else the model's)\n"
          "  -h, --help            this help\n",
          f);
}

static int tag_file(const char *path, const nerkit_model *m, nerkit_tagger *t,
                    const nerkit_reader_opts *ro, nerkit_scheme out_scheme)
{
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_read(path, ro, &err);
    if (!c) {
        fprintf(stderr, "nerkit-tag: %s\n", err.message);
        return 1;
    }
    size_t n = nerkit_corpus_ntokens(c);
    uint16_t *labels = malloc((n + 1) * sizeof *labels);
    const char **names = malloc((n + 1) * sizeof *names);
    int rc = 0;
    if (!labels || !names) {
        fprintf(stderr, "nerkit-tag: %s: out of memory\n", path);
        rc = 1;
    } else if (nerkit_tag_corpus(t, c, labels, &err)) {
        fprintf(stderr, "nerkit-tag: %s: %s\n", path, err.message);
        rc = 1;
    } else {
        nerkit_corpus_label_strings(c, m, labels, out_scheme, names);
        if (nerkit_corpus_write_column(c, names, stdout, &err)) {
            fprintf(stderr, "nerkit-tag: %s\n", err.message);
            rc = 1;
        }
    }
    free(labels);
    free(names);
    nerkit_corpus_free(c);
    return rc;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL;
    nerkit_reader_opts ro;
    nerkit_reader_opts_init(&ro);
    nerkit_scheme out_scheme = NERKIT_SCHEME_AUTO;
    enum { O_TOK = 256, O_LAB, O_TAB, O_SCHEME };
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},      {"input", required_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'},     {"token-col", required_argument, 0, O_TOK},
        {"label-col", required_argument, 0, O_LAB}, {"tab", no_argument, 0, O_TAB},
        {"scheme", required_argument, 0, O_SCHEME}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:i:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'i':
        case 'o':
            if (strcmp(optarg, "conll") != 0) {
                fprintf(stderr, "nerkit-tag: unknown %s format '%s' (conll)\n",
                        c == 'i' ? "input" : "output", optarg);
                return 2;
            }
            break;
        case O_TOK: ro.token_col = atoi(optarg); break;
        case O_LAB: ro.label_col = atoi(optarg); break;
        case O_TAB: ro.tab_only = 1; break;
        case O_SCHEME: {
            int s = nerkit_scheme_parse(optarg);
            if (s <= 0) {
                fprintf(stderr, "nerkit-tag: unknown scheme '%s' (IOB1, IOB2, BIOES, BILOU)\n",
                        optarg);
                return 2;
            }
            out_scheme = (nerkit_scheme)s;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!model_path) {
        usage(stderr);
        return 2;
    }
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load(model_path, &err);
    if (!m) {
        fprintf(stderr, "nerkit-tag: %s\n", err.message);
        return 1;
    }
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    if (!t) {
        fprintf(stderr, "nerkit-tag: %s\n", err.message);
        nerkit_model_free(m);
        return 1;
    }
    int rc = 0;
    if (optind == argc)
        rc = tag_file("-", m, t, &ro, out_scheme);
    for (int k = optind; k < argc && !rc; k++)
        rc = tag_file(argv[k], m, t, &ro, out_scheme);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "nerkit-tag: write error on standard output: %s\n", strerror(errno));
        rc = 1;
    }
    nerkit_tagger_free(t);
    nerkit_model_free(m);
    return rc;
}
