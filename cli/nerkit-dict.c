/*
 * nerkit-dict: compiles entity lists into a dictionary file for
 * nerkit-tag --dict, and tells what a compiled one holds.
 */
#include "nerkit.h"
#include "args.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static void usage(FILE *f)
{
    fputs("usage: nerkit-dict compile [options] LIST... -o FILE\n"
          "       nerkit-dict info FILE\n"
          "\n"
          "compile reads lists of phrase<TAB>LABEL[<TAB>ID] lines (UTF-8, plain or gzip;\n"
          "blank lines and lines starting with # skipped), cuts each phrase with nerkit's\n"
          "tokenizer and writes one dictionary file for nerkit-tag --dict. info prints\n"
          "what a dictionary file holds and the options it was compiled with.\n"
          "\n"
          "  -o, --output FILE     the dictionary to write (atomically)\n"
          "      --case MODE       exact: a phrase matches only as written (default)\n"
          "                        ignore: in any casing\n"
          "                        acronyms: in any casing, but a phrase in capitals\n"
          "                        only (\"WHO\") only as written\n"
          "      --normalize LIST  none (default), or punct and accents joined by a comma:\n"
          "                        quotes and dashes of every kind read as ' \" -; Latin\n"
          "                        letters read without their accents\n"
          "      --duplicates P    a phrase listed again with another label or id:\n"
          "                        error (default; both lines named), first or last kept\n"
          "  -q, --quiet           no summary on stderr\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 on success, 1 when a list or file is refused (the message\n"
          "names the file and line; no dictionary is written), 2 for a usage error.\n",
          f);
}

/* The first lines of what compiling reports (entries given way), then a
 * count: a list of millions may have thousands. */
#define SHOWN 20

typedef struct {
    size_t lines;
} reporter;

static void report(const char *line, void *user)
{
    reporter *r = user;
    if (r->lines++ < SHOWN)
        fprintf(stderr, "nerkit-dict: %s\n", line);
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static const char *case_name(nerkit_dict_case c)
{
    return c == NERKIT_DICT_IGNORE_CASE ? "ignore" : c == NERKIT_DICT_ACRONYMS ? "acronyms"
                                                                             : "exact";
}

static const char *normalize_name(unsigned n)
{
    static const char *const names[] = {"none", "punct", "accents", "punct,accents"};
    return names[n & 3];
}

static int info(int argc, char **argv)
{
    if (argc != 1) {
        fputs("nerkit-dict: info takes one dictionary file\n", stderr);
        return 2;
    }
    nerkit_error err = {0};
    double t0 = now();
    nerkit_dict *d = nerkit_dict_load(argv[0], &err);
    double ms = (now() - t0) * 1e3;
    if (!d) {
        fprintf(stderr, "nerkit-dict: %s\n", err.message);
        return 1;
    }
    nerkit_dict_opts o;
    nerkit_dict_opts_init(&o);
    nerkit_dict_options(d, &o);
    char name[1024];
    snprintf(name, sizeof name, "%s", argv[0]);
    nerkit_one_line(name, sizeof name);
    printf("file\t%s\nentries\t%zu\nlabels\t%zu\ncase\t%s\nnormalize\t%s\nduplicates\t%s\n"
           "load_ms\t%.2f\n",
           name, nerkit_dict_nentries(d), nerkit_dict_nlabels(d), case_name(o.casing),
           normalize_name(o.normalize),
           o.duplicates == NERKIT_DICT_DUP_FIRST  ? "first"
           : o.duplicates == NERKIT_DICT_DUP_LAST ? "last"
                                                  : "error",
           ms);
    for (size_t l = 0; l < nerkit_dict_nlabels(d); l++)
        printf("label\t%s\n", nerkit_dict_label(d, l));
    nerkit_dict_free(d);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || (strcmp(argv[1], "compile") != 0 && strcmp(argv[1], "info") != 0)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "info") == 0)
        return info(argc - 2, argv + 2);
    enum { O_CASE = 256, O_NORM, O_DUPS };
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},    {"case", required_argument, 0, O_CASE},
        {"normalize", required_argument, 0, O_NORM}, {"duplicates", required_argument, 0, O_DUPS},
        {"quiet", no_argument, 0, 'q'},           {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_args a;
    cli_start(&a, "nerkit-dict", longopts, "o:qh", NULL);
    nerkit_dict_opts o;
    nerkit_dict_opts_init(&o);
    nerkit_error err = {0};
    const char *out = NULL;
    int quiet = 0, c;
    /* the options after the command, as getopt names the program in its messages */
    argc--, argv++;
    argv[0] = (char *)"nerkit-dict";
    while ((c = cli_next(&a, argc, argv)) != -1) {
        const char *name = NULL;
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': quiet = 1; break;
        case O_CASE: name = "case"; break;
        case O_NORM: name = "normalize"; break;
        case O_DUPS: name = "duplicates"; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (name && nerkit_dict_opts_set(&o, name, optarg, &err))
            cli_usage_error(&a, "--%s: %s", name, err.message);
    }
    if (!out)
        cli_usage_error(&a, "no output: give -o FILE");
    if (optind >= argc)
        cli_usage_error(&a, "no list to compile");
    cli_one_stdin(&a, argc - optind, argv + optind);
    const char *const *lists = (const char *const *)argv + optind;
    size_t nlists = (size_t)(argc - optind);
    int clash = nerkit_check_io(out, lists, nlists, 0, NULL, NULL, &err);
    if (clash) {
        fprintf(stderr, "nerkit-dict: %s\n", err.message);
        return clash == NERKIT_ERR_ARG ? 2 : 1;
    }
    reporter rep = {0};
    o.message = report;
    o.user = &rep;
    double t0 = now();
    size_t conflicts = 0;
    nerkit_dict *d = nerkit_dict_compile(lists, nlists, &o, &conflicts, &err);
    if (!d) {
        fprintf(stderr, "nerkit-dict: %s\n", err.message);
        return 1;
    }
    double t1 = now();
    cli_held held;
    cli_hold_signals(&held);
    int rc = nerkit_dict_save(d, out, &err);
    cli_release_signals(&held);
    if (rep.lines > SHOWN)
        fprintf(stderr, "nerkit-dict: ... and %zu more entries given way to another of their phrase\n",
                rep.lines - SHOWN);
    if (rc)
        fprintf(stderr, "nerkit-dict: %s\n", err.message);
    else if (!quiet) {
        char name[1024];
        snprintf(name, sizeof name, "%s", out);
        nerkit_one_line(name, sizeof name);
        fprintf(stderr,
                "nerkit-dict: %s: %zu entries, %zu labels, %zu conflicting duplicates resolved; "
                "compiled in %.2f s, written in %.2f s\n",
                name, nerkit_dict_nentries(d), nerkit_dict_nlabels(d), conflicts, t1 - t0,
                now() - t1);
    }
    nerkit_dict_free(d);
    return rc ? 1 : 0;
}
