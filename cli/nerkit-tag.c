/*
 * nerkit-tag: finds the entities in text, CoNLL or JSONL files, folders or
 * standard input, plain or gzip, on every core.
 */
#include "nerkit.h"
#include "args.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void usage(FILE *f)
{
    fputs("usage: nerkit-tag [-m MODEL] [-i FORMAT] [-f FORMAT] [options] [FILE|FOLDER|-]...\n"
          "\n"
          "Tags each input (standard input when none is given) and writes the entities to\n"
          "standard output, one record per document, in input order. Folders are read\n"
          "recursively in sorted order; gzip files are recognised by their content.\n"
          "\n"
          "  -m, --model FILE      the model. Without -m: $NERKIT_MODEL, else\n"
          "                        " CLI_DEFAULT_MODEL " in ../models/ or ../share/nerkit/\n"
          "                        next to this program\n"
          "  -i, --input FORMAT    text: documents separated by blank lines (default)\n"
          "                        lines: one document per line\n"
          "                        jsonl: one JSON object per line with a \"text\" field;\n"
          "                               the other fields are passed through\n"
          "                        conll: a CoNLL column file (tokens given)\n"
          "  -f, --format FORMAT   jsonl: {\"text\", \"entities\":[{\"start\",\"end\",\"label\",\"text\"}]}\n"
          "                               (default; offsets in characters, end exclusive)\n"
          "                        conll: token and label per line (with -i conll: every\n"
          "                               input line kept, the label appended; the default)\n"
          "                        inline: the text with [LABEL entity] marks\n"
          "                        tsv: doc, start, end, label, text per entity\n"
          "  -j, --threads N       tagging threads, 1 to 256 (default: one per core)\n"
          "      --byte-offsets    JSONL: add byte_start and byte_end\n"
          "      --confidence      each entity with its probability under the model (models\n"
          "                        with probabilities: the default, a CRF, a perceptron\n"
          "                        trained with -d; JSONL \"prob\", a TSV column, inline\n"
          "                        [LABEL p ...])\n"
          "      --nbest K         the K best labellings (K <= 100) of each sentence, scores\n"
          "                        and probabilities (when the model has them): JSONL\n"
          "                        \"nbest\", or K\n"
          "                        CoNLL columns, best first\n"
          "      --keep-going      after an unreadable input, go on with the next one\n"
          "      --max-doc BYTES   cut longer documents at a sentence end (default 1 MiB)\n"
          "      --dict FILE       an entity dictionary (nerkit-dict compile), or a list of\n"
          "                        phrase<TAB>LABEL[<TAB>ID] lines compiled on the fly;\n"
          "                        may be repeated. Its matches carry \"source\":\"dict\"\n"
          "                        and the list's \"id\" in JSONL, two more TSV columns\n"
          "      --dict-policy P   override: a match replaces the model entities it\n"
          "                        overlaps (default); fill: a match only where the\n"
          "                        model found nothing; only: the matches alone\n"
          "      --dict-case MODE, --dict-normalize LIST, --dict-duplicates P\n"
          "                        for lists compiled on the fly, as nerkit-dict's\n"
          "                        --case, --normalize and --duplicates\n"
          "      --own-cache       keep the sums of the tokens seen in this process's own\n"
          "                        memory; by default the nerkit-tag processes tagging\n"
          "                        with one model file share them (POSIX shared memory,\n"
          "                        removed when the last of them ends), as they share the\n"
          "                        model; the tags are the same either way\n"
          "  -q, --quiet           no progress on stderr\n"
          "      --token-col N, --label-col N, --tab\n"
          "                        CoNLL input columns, as in nerkit-train\n"
          "      --scheme S        scheme of CoNLL output labels (default: the input's or\n"
          "                        the model's)\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 when every input was read whole, 1 otherwise (everything read\n"
          "before a failure is still written complete), 2 for a usage error.\n",
          f);
}

static void message(const char *line, void *user)
{
    (void)user;
    fprintf(stderr, "%snerkit-tag: %s\n", isatty(2) ? "\r\033[K" : "", line);
}

static void progress(const nerkit_bulk_stats *s, void *user)
{
    (void)user;
    double mb = s->bytes_read / 1e6, rate = s->seconds > 0 ? s->tokens / s->seconds : 0;
    fprintf(stderr, "\r\033[Kfiles %zu/%zu  %.1f MB", s->files_done, s->files_total, mb);
    if (s->bytes_total)
        fprintf(stderr, " of %.1f", s->bytes_total / 1e6);
    fprintf(stderr, "  %llu docs  %.0f tokens/s", (unsigned long long)s->documents, rate);
    if (s->bytes_total && s->bytes_read && s->bytes_read < s->bytes_total) {
        double eta = s->seconds * (double)(s->bytes_total - s->bytes_read) / (double)s->bytes_read;
        fprintf(stderr, "  ETA %d:%02d", (int)eta / 60, (int)eta % 60);
    }
}

static int parse_format(const char *what, const char *s, const char *const *names, int n)
{
    for (int k = 0; k < n; k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    fprintf(stderr, "nerkit-tag: unknown %s '%s' (", what, s);
    for (int k = 0; k < n; k++)
        fprintf(stderr, "%s%s", k ? ", " : "", names[k]);
    fputs(")\n", stderr);
    exit(2);
}

static int tag_conll(const char *path, nerkit_tagger *t, const nerkit_reader_opts *ro,
                     const nerkit_bulk_opts *o)
{
    nerkit_error err = {0}, werr = {0};
    nerkit_corpus *c = nerkit_corpus_read_prefix(path, ro, &err);
    int rc = err.code != NERKIT_OK;
    if (c && nerkit_corpus_tag_write(t, c, o, stdout, &werr)) {
        fprintf(stderr, "nerkit-tag: %s: %s\n", path, werr.message);
        rc = 1;
    } else if (rc) {
        fprintf(stderr, "nerkit-tag: %s\n", err.message);
    }
    nerkit_corpus_free(c);
    return rc;
}

int main(int argc, char **argv)
{
    /* A tagger's buffers grow to the largest document it has seen, and
     * malloc keeps those of a thread in an arena of its own: given their own
     * mapping from 16 KB, the pages a buffer never touches cost nothing and
     * a freed one goes back to the system. Each process holds that memory
     * alone (the model and the token cache it shares): 3.1 MB less of it
     * on the news than with malloc's own threshold, the same speed. */
    mallopt(M_MMAP_THRESHOLD, 16 * 1024);
    static const char *const inputs[] = {"text", "lines", "jsonl", "conll"};
    static const char *const outputs[] = {"jsonl", "conll", "inline", "tsv"};
    const char *model_arg = NULL; /* copied only once the options are read: a usage error
                                     exits in the middle */
    nerkit_bulk_opts o;
    nerkit_bulk_opts_init(&o);
    nerkit_reader_opts ro; /* columns of -i conll */
    nerkit_reader_opts_init(&ro);
    int quiet = 0, out_given = 0;
    enum { O_TOK = 256, O_LAB, O_TAB, O_SCHEME, O_BYTES, O_KEEP, O_MAXDOC, O_CONF, O_NBEST,
           O_DICT, O_POLICY, O_DCASE, O_DNORM, O_DDUPS, O_OWN };
    static const char *const policies[] = {"override", "fill", "only"};
    const char *dict_paths[NERKIT_DICTS_MAX]; /* on the stack: usage errors exit early */
    size_t ndicts = 0;
    nerkit_dict_opts dopt; /* lists compiled on the fly */
    nerkit_dict_opts_init(&dopt);
    nerkit_error derr = {0};
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},       {"input", required_argument, 0, 'i'},
        {"format", required_argument, 0, 'f'},      {"threads", required_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},             {"byte-offsets", no_argument, 0, O_BYTES},
        {"keep-going", no_argument, 0, O_KEEP},     {"max-doc", required_argument, 0, O_MAXDOC},
        {"token-col", required_argument, 0, O_TOK}, {"label-col", required_argument, 0, O_LAB},
        {"tab", no_argument, 0, O_TAB},             {"scheme", required_argument, 0, O_SCHEME},
        {"confidence", no_argument, 0, O_CONF},     {"nbest", required_argument, 0, O_NBEST},
        {"dict", required_argument, 0, O_DICT},     {"dict-policy", required_argument, 0, O_POLICY},
        {"dict-case", required_argument, 0, O_DCASE},
        {"dict-normalize", required_argument, 0, O_DNORM},
        {"dict-duplicates", required_argument, 0, O_DDUPS}, {"own-cache", no_argument, 0, O_OWN},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    cli_args a;
    cli_start(&a, "nerkit-tag", longopts, "m:i:f:j:qh", (const int[]){O_DICT, 0});
    cli_blas_one_thread();
    int c;
    while ((c = cli_next(&a, argc, argv)) != -1) {
        switch (c) {
        case 'm': model_arg = optarg; break;
        case 'i': o.input = (nerkit_input_format)parse_format("input format", optarg, inputs, 4); break;
        case 'f':
            o.output = (nerkit_output_format)parse_format("output format", optarg, outputs, 4);
            out_given = 1;
            break;
        case 'j': o.threads = (int)cli_int(&a, optarg, 1, NERKIT_THREADS_MAX); break;
        case 'q': quiet = 1; break;
        case O_BYTES: o.byte_offsets = 1; break;
        case O_KEEP: o.keep_going = 1; break;
        case O_CONF: o.confidence = 1; break;
        case O_NBEST: o.nbest = (size_t)cli_int(&a, optarg, 1, NERKIT_NBEST_MAX); break;
        /* past the line cap a document is never reached; the queue holds
         * two per thread, so this bounds its memory too */
        case O_MAXDOC: o.max_document = (size_t)cli_int(&a, optarg, 64, 64 << 20); break;
        case O_TOK: ro.token_col = (int)cli_int(&a, optarg, -256, 256); break;
        case O_LAB: ro.label_col = (int)cli_int(&a, optarg, -256, 256); break;
        case O_TAB: ro.tab_only = 1; break;
        case O_SCHEME: {
            int s = nerkit_scheme_parse(optarg);
            if (s <= 0) {
                fprintf(stderr, "nerkit-tag: unknown scheme '%s' (IOB1, IOB2, BIOES, BILOU)\n",
                        optarg);
                return 2;
            }
            o.scheme = (nerkit_scheme)s;
            break;
        }
        case O_DICT:
            if (strcmp(optarg, "-") == 0)
                cli_usage_error(&a, "--dict: a dictionary is a file (a list or a compiled "
                                    "dictionary), not standard input");
            if (ndicts == NERKIT_DICTS_MAX)
                cli_usage_error(&a, "--dict: at most %d dictionaries", NERKIT_DICTS_MAX);
            dict_paths[ndicts++] = optarg;
            break;
        case O_POLICY:
            o.dict_policy = (nerkit_dict_policy)parse_format("--dict-policy", optarg, policies, 3);
            break;
        case O_DCASE:
        case O_DNORM:
        case O_DDUPS: {
            const char *name = c == O_DCASE ? "case" : c == O_DNORM ? "normalize" : "duplicates";
            if (nerkit_dict_opts_set(&dopt, name, optarg, &derr))
                cli_usage_error(&a, "--dict-%s: %s", name, derr.message);
            break;
        }
        case O_OWN: break; /* a.seen says it */
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    cli_one_stdin(&a, argc - optind, argv + optind);
    if (!ndicts)
        cli_not_with(&a, (const int[]){O_POLICY, O_DCASE, O_DNORM, O_DDUPS, 0}, "without --dict");
    if (ro.token_col == 0)
        cli_usage_error(&a, "--token-col: columns count from 1 (or -1 for the last)");
    if (o.input == NERKIT_INPUT_CONLL && !out_given)
        o.output = NERKIT_OUTPUT_CONLL;
    if (o.input != NERKIT_INPUT_CONLL)
        cli_not_with(&a, (const int[]){O_TOK, O_LAB, O_TAB, 0}, "without -i conll");
    else
        cli_not_with(&a, (const int[]){'j', O_MAXDOC, 0},
                     "to -i conll, which tags each file whole on one thread");
    if (o.output != NERKIT_OUTPUT_CONLL)
        cli_not_with(&a, (const int[]){O_SCHEME, 0}, "without -f conll");
    if (o.output != NERKIT_OUTPUT_JSONL)
        cli_not_with(&a, (const int[]){O_BYTES, 0}, "without -f jsonl");
    char *model_path = model_arg ? strdup(model_arg) : cli_default_model();
    if (!model_path) {
        fprintf(stderr, "nerkit-tag: no model: give -m, set NERKIT_MODEL, or install "
                        "models/" CLI_DEFAULT_MODEL " beside the program\n");
        return 2;
    }
    const char *stdin_only[] = {"-"};
    const char *const *paths = optind < argc ? (const char *const *)argv + optind : stdin_only;
    size_t npaths = optind < argc ? (size_t)(argc - optind) : 1;
    nerkit_error err = {0};
    /* >> into an input would feed the output back in without end */
    const char *model_only[] = {model_path};
    int clash = nerkit_check_io(NULL, paths, npaths, o.input != NERKIT_INPUT_CONLL, message, NULL,
                                &err);
    if (!clash)
        clash = nerkit_check_io(NULL, model_only, 1, 0, NULL, NULL, &err);
    if (clash) {
        fprintf(stderr, "nerkit-tag: %s\n", err.message);
        free(model_path);
        return clash == NERKIT_ERR_ARG ? 2 : 1;
    }
    nerkit_model *m = nerkit_model_load(model_path, &err);
    free(model_path);
    dopt.message = message;
    nerkit_dict **dicts = calloc(ndicts + 1, sizeof *dicts);
    int failed = !m || !dicts, usage = 0;
    for (size_t k = 0; !failed && k < ndicts; k++) {
        failed = !(dicts[k] = nerkit_dict_open(dict_paths[k], &dopt, &err));
        /* a compiled file keeps the matching it was compiled with: an option
         * asking for other matching would be silently ignored */
        nerkit_dict_opts have;
        nerkit_dict_opts_init(&have);
        if (!failed)
            nerkit_dict_options(dicts[k], &have);
        if (!failed && ((a.seen[O_DCASE] && have.casing != dopt.casing) ||
                        (a.seen[O_DNORM] && have.normalize != dopt.normalize))) {
            snprintf(err.message, sizeof err.message,
                     "%s: compiled with other --case or --normalize settings (nerkit-dict info "
                     "shows them); --dict-case and --dict-normalize apply to lists compiled "
                     "here",
                     dict_paths[k]);
            err.code = NERKIT_ERR_ARG;
            failed = usage = 1;
        }
    }
    o.dicts = (const nerkit_dict *const *)dicts;
    o.ndicts = ndicts;
    if (failed || nerkit_bulk_check(m, &o, &err)) {
        fprintf(stderr, "nerkit-tag: %s\n", dicts ? err.message : "out of memory");
        for (size_t k = 0; dicts && k < ndicts; k++)
            nerkit_dict_free(dicts[k]);
        free(dicts);
        nerkit_model_free(m);
        return usage || (!failed && err.code == NERKIT_ERR_ARG) ? 2 : 1;
    }
    /* without shared memory (none mounted, or full), each tagger has a
     * cache of its own: the same tags, more memory */
    if (!a.seen[O_OWN])
        nerkit_model_share_tokens(m, NULL);
    int rc = 0;
    if (o.input == NERKIT_INPUT_CONLL) {
        nerkit_tagger *t = nerkit_tagger_new(m, &err);
        if (!t) {
            fprintf(stderr, "nerkit-tag: %s\n", err.message);
            rc = 1;
        }
        for (size_t k = 0; t && k < npaths && (!rc || o.keep_going); k++)
            rc |= tag_conll(paths[k], t, &ro, &o);
        nerkit_tagger_free(t);
    } else {
        o.message = message;
        o.progress = !quiet && isatty(2) ? progress : NULL;
        /* a kill stops the reading, not a record half written */
        o.stop = cli_stop_on_signals();
        nerkit_bulk_stats st;
        rc = nerkit_bulk_tag(m, paths, npaths, stdout, &o, &st, &err) != NERKIT_OK;
        if (o.progress) {
            progress(&st, NULL);
            fputc('\n', stderr);
        }
        if (rc)
            fprintf(stderr, "nerkit-tag: %s\n", err.message);
        if (rc && err.code == NERKIT_ERR_INTERRUPTED)
            rc = 130;
        /* tagged all the same, but the output does not hold the input's bytes */
        if (!rc && st.warnings) {
            fprintf(stderr, "nerkit-tag: %zu document%s with invalid UTF-8 (see above)\n",
                    st.warnings, st.warnings == 1 ? "" : "s");
            rc = 1;
        }
    }
    rc = cli_close_stdout(&a, rc);
    for (size_t k = 0; k < ndicts; k++)
        nerkit_dict_free(dicts[k]);
    free(dicts);
    nerkit_model_free(m);
    return rc;
}
