/*
 * nerkit-embed: word vectors learned from raw text, k-means clusters of
 * them, and their nearest neighbours.
 */
#include "nerkit.h"
#include "args.h"

#include <cblas.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: nerkit-embed -o OUT [options] FILE|FOLDER|-...        learn word vectors\n"
          "       nerkit-embed --clusters K[,K...] -o OUT [options] VECTORS   k-means clusters\n"
          "       nerkit-embed --exchange K[,K...] -o OUT [options] FILE|FOLDER|-...\n"
          "                                                         word classes of text\n"
          "       nerkit-embed --neighbors WORD[,WORD...] [-n N] VECTORS      nearest words\n"
          "\n"
          "Learning reads text documents separated by blank lines (files, folders read\n"
          "recursively, - for standard input; gzip recognised by content), cuts them into\n"
          "tokens as nerkit-tag does, counts the words within --window of each other\n"
          "(weight 1/distance), weights the counts by PPMI and writes the vectors of a\n"
          "truncated SVD of that matrix, most frequent word first.\n"
          "\n"
          "  -o, --output FILE     where to write (atomically: all or nothing)\n"
          "  -f, --format F        vectors written: text (word2vec text, default),\n"
          "                        binary (word2vec binary), glove (no header line)\n"
          "      --dim N           vector size (100)\n"
          "  -w, --window N        tokens on each side (5)\n"
          "      --min-count N     words seen fewer times get no vector (5)\n"
          "      --max-vocab N     at most the N most frequent words (no limit)\n"
          "      --lower           lower-case the text first\n"
          "  -j, --threads N       threads (default: one per core)\n"
          "      --seed N          random seed of the SVD and of k-means (1)\n"
          "      --cds X           context distribution smoothing exponent (0.75)\n"
          "      --eig X           vectors are U * S^X of the SVD (0.5)\n"
          "      --oversample N    extra random directions of the SVD (20)\n"
          "      --power-iters N   power iterations of the SVD (3)\n"
          "      --max-words N     distinct words a thread counts before it prunes the\n"
          "                        rarest (4194304): bounds memory on endless input\n"
          "      --max-pairs N     distinct co-occurring pairs held before the rarest are\n"
          "                        pruned (134217728, 16 bytes each)\n"
          "      --clusters LIST   k-means of VECTORS (any vector format) for each k of\n"
          "                        the comma-separated LIST; OUT gets a first line\n"
          "                        \"#nerkit-clusters<TAB>k1<TAB>k2...\", then\n"
          "                        \"word<TAB>id1<TAB>id2...\" per word\n"
          "      --iterations N    k-means: Lloyd iterations at most (100); --exchange:\n"
          "                        sweeps at most (10)\n"
          "      --no-normalize    k-means: cluster the vectors as they are, not at unit\n"
          "                        length\n"
          "      --exchange LIST   word classes of the text (--min-count, --max-vocab,\n"
          "                        --lower and -j as for learning) by the exchange\n"
          "                        algorithm over class bigrams, for each k of LIST,\n"
          "                        each smaller k grouping the classes of the next\n"
          "                        larger; OUT is written as --clusters writes it\n"
          "      --neighbors LIST  print the nearest words of each word of LIST by cosine\n"
          "  -n N                  how many neighbours (10)\n"
          "  -q, --quiet           no progress on stderr\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 on success, 1 when an input cannot be read or an output\n"
          "written (the message names the file and line or byte offset), 2 for a usage\n"
          "error.\n",
          f);
}

static void message(const char *line, void *user)
{
    (void)user;
    fprintf(stderr, "%snerkit-embed: %s\n", isatty(2) ? "\r\033[K" : "", line);
}

static void embed_progress(const nerkit_embed_progress *p, void *user)
{
    (void)user;
    static const char *const stage[] = {"counting words", "counting pairs", "PPMI", "SVD", "done",
                                        "exchange"};
    fprintf(stderr, "\r\033[K%s", stage[p->stage]);
    if (p->stage <= NERKIT_EMBED_COOCCUR) {
        fprintf(stderr, "  files %zu/%zu  %.1f", p->files_done, p->files_total,
                p->bytes_read / 1e6);
        if (p->bytes_total)
            fprintf(stderr, " of %.1f", p->bytes_total / 1e6);
        fprintf(stderr, " MB  %.2f M tokens", p->tokens / 1e6);
    }
    if (p->stage >= NERKIT_EMBED_COOCCUR)
        fprintf(stderr, "  vocabulary %zu  %s %.1f M", p->vocab,
                p->stage == NERKIT_EMBED_PPMI || p->stage == NERKIT_EMBED_SVD ? "nonzeros"
                                                                               : "pairs",
                p->pairs / 1e6);
    if (p->prunes)
        fprintf(stderr, " (pruned %ux)", p->prunes);
    if (p->stage == NERKIT_EMBED_SVD && p->steps)
        fprintf(stderr, "  product %u/%u", p->step, p->steps);
    fprintf(stderr, "  %.1f s", p->seconds);
}

static void kmeans_progress(const nerkit_kmeans_progress *p, void *user)
{
    (void)user;
    fprintf(stderr, "\r\033[Kk-means %zu/%zu: k=%zu  iteration %u  %zu moved  inertia %.1f  %.1f s",
            p->level + 1, p->nlevels, p->k, p->iteration, p->changed, p->inertia, p->seconds);
}

static nerkit_vectors *load(const char *path)
{
    nerkit_error err = {0};
    nerkit_vectors *v = nerkit_vectors_load(path, NERKIT_VEC_AUTO, &err);
    if (!v)
        fprintf(stderr, "nerkit-embed: %s\n", err.message);
    return v;
}

/* Parses the comma-separated list of cluster counts of --clusters or
 * --exchange; false after a message if it is not one. */
static bool parse_ks(const char *opt, const char *list, size_t *ks, size_t *n)
{
    *n = 0;
    for (const char *p = list; *p;) {
        char *end;
        unsigned long long k = strtoull(p, &end, 10);
        if (!(*p >= '0' && *p <= '9') || (*end && *end != ',') || k < 1 || *n == 64) {
            fprintf(stderr, "nerkit-embed: %s wants up to 64 comma-separated counts, not '%s'\n",
                    opt, list);
            return false;
        }
        ks[(*n)++] = (size_t)k;
        p = *end ? end + 1 : end;
    }
    if (*n == 0)
        fprintf(stderr, "nerkit-embed: %s wants up to 64 comma-separated counts, not an empty "
                        "list\n", opt);
    return *n > 0;
}

static int save_clusters(nerkit_clusters *c, const char *out, nerkit_error *err)
{
    cli_held held;
    cli_hold_signals(&held);
    int rc = !c || nerkit_clusters_save(c, out, err) != NERKIT_OK;
    cli_release_signals(&held);
    if (rc)
        fprintf(stderr, "nerkit-embed: %s\n", err->message);
    nerkit_clusters_free(c);
    return rc;
}

static int clusters(const char *list, const char *in, const char *out, nerkit_kmeans_opts *ko)
{
    size_t ks[64], n;
    if (!parse_ks("--clusters", list, ks, &n))
        return 2;
    nerkit_vectors *v = load(in);
    if (!v)
        return 1;
    nerkit_error err = {0};
    nerkit_clusters *c = nerkit_kmeans(v, ks, n, ko, &err);
    if (ko->progress)
        fputc('\n', stderr);
    int rc = save_clusters(c, out, &err);
    nerkit_vectors_free(v);
    return rc;
}

static int neighbors(const cli_args *a, const char *list, const char *in, size_t k)
{
    nerkit_vectors *v = load(in);
    if (!v)
        return 1;
    size_t *rows = malloc((k + 1) * sizeof *rows);
    float *cos = malloc((k + 1) * sizeof *cos);
    int rc = !rows || !cos;
    for (const char *p = list; *p && !rc;) {
        size_t len = strcspn(p, ",");
        const float *q = nerkit_vectors_get(v, p, len);
        printf("%.*s", (int)len, p);
        if (!q) {
            printf("\t(not in the vocabulary)");
        } else {
            size_t found = nerkit_vectors_nearest(v, q, k + 1, rows, cos);
            for (size_t i = 0; i < found; i++) /* the word itself is not its own neighbour */
                if (q != nerkit_vectors_data(v) + rows[i] * nerkit_vectors_dim(v))
                    printf("\t%s %.3f", nerkit_vectors_word(v, rows[i]), cos[i]);
        }
        putchar('\n');
        p += len + (p[len] == ',');
    }
    rc = cli_close_stdout(a, rc);
    free(rows);
    free(cos);
    nerkit_vectors_free(v);
    return rc;
}

int main(int argc, char **argv)
{
    nerkit_embed_opts o;
    nerkit_embed_opts_init(&o);
    nerkit_kmeans_opts ko;
    nerkit_kmeans_opts_init(&ko);
    const char *out = NULL, *cluster_list = NULL, *neighbor_list = NULL, *exchange_list = NULL;
    unsigned iterations = 0; /* 0: the default of the mode */
    nerkit_vec_format format = NERKIT_VEC_WORD2VEC;
    size_t nneighbors = 10;
    int quiet = 0;
    enum { O_LOWER = 256, O_SEED, O_CDS, O_EIG, O_OVER, O_POWER, O_MAXW, O_MAXP, O_ITER,
           O_NONORM, O_NEIGH, O_DIM, O_MINC, O_MAXV, O_CLUST, O_EXCH };
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},     {"format", required_argument, 0, 'f'},
        {"dim", required_argument, 0, O_DIM},      {"window", required_argument, 0, 'w'},
        {"min-count", required_argument, 0, O_MINC}, {"max-vocab", required_argument, 0, O_MAXV},
        {"lower", no_argument, 0, O_LOWER},        {"threads", required_argument, 0, 'j'},
        {"seed", required_argument, 0, O_SEED},    {"cds", required_argument, 0, O_CDS},
        {"eig", required_argument, 0, O_EIG},      {"oversample", required_argument, 0, O_OVER},
        {"power-iters", required_argument, 0, O_POWER},
        {"max-words", required_argument, 0, O_MAXW},
        {"max-pairs", required_argument, 0, O_MAXP},
        {"clusters", required_argument, 0, O_CLUST}, {"iterations", required_argument, 0, O_ITER},
        {"exchange", required_argument, 0, O_EXCH},
        {"no-normalize", no_argument, 0, O_NONORM}, {"neighbors", required_argument, 0, O_NEIGH},
        {"quiet", no_argument, 0, 'q'},            {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_args a;
    cli_start(&a, "nerkit-embed", longopts, "o:f:w:j:n:qh", NULL);
    int c;
    while ((c = cli_next(&a, argc, argv)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                format = NERKIT_VEC_WORD2VEC;
            else if (strcmp(optarg, "binary") == 0)
                format = NERKIT_VEC_WORD2VEC_BIN;
            else if (strcmp(optarg, "glove") == 0)
                format = NERKIT_VEC_GLOVE;
            else {
                fprintf(stderr, "nerkit-embed: unknown format '%s' (text, binary, glove)\n",
                        optarg);
                return 2;
            }
            break;
        /* the dimension a model can load; the window the counts can weigh */
        case O_DIM: o.dim = (unsigned)cli_int(&a, optarg, 1, 1024); break;
        case 'w': o.window = (unsigned)cli_int(&a, optarg, 1, 64); break;
        case O_MINC: o.min_count = (uint64_t)cli_int(&a, optarg, 1, 1000000000); break;
        case O_MAXV: o.max_vocab = (size_t)cli_int(&a, optarg, 1, 100000000); break;
        case O_LOWER: o.lower = 1; break;
        case 'j': o.threads = (int)cli_int(&a, optarg, 1, NERKIT_THREADS_MAX); break;
        case O_SEED: o.seed = ko.seed = (uint64_t)cli_int(&a, optarg, 0, 0x7fffffffffffffffLL); break;
        case O_CDS: o.cds = cli_real(&a, optarg, 0.001, 1); break;
        case O_EIG: o.eig = cli_real(&a, optarg, 0, 1); break;
        case O_OVER: o.oversample = (unsigned)cli_int(&a, optarg, 0, 1000); break;
        case O_POWER: o.power_iters = (unsigned)cli_int(&a, optarg, 0, 100); break;
        case O_MAXW: o.max_words = (size_t)cli_int(&a, optarg, 1024, 1LL << 32); break;
        /* 16 bytes each: 2^32 pairs are 64 GB */
        case O_MAXP: o.max_pairs = (size_t)cli_int(&a, optarg, 65536, 1LL << 32); break;
        case O_CLUST: cluster_list = optarg; break;
        case O_ITER: iterations = (unsigned)cli_int(&a, optarg, 1, 100000); break;
        case O_EXCH: exchange_list = optarg; break;
        case O_NONORM: ko.normalize = 0; break;
        case O_NEIGH: neighbor_list = optarg; break;
        case 'n': nneighbors = (size_t)cli_int(&a, optarg, 1, 1000); break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int ninputs = argc - optind;
    /* each of the four modes reads its own options; the others' would be
     * silently ignored */
    static const int learning[] = {'f', O_DIM, 'w', O_MINC, O_MAXV, O_LOWER, O_CDS, O_EIG, O_OVER,
                                   O_POWER, O_MAXW, O_MAXP, 0};
    /* the options of learning that the exchange clustering has no use for */
    static const int vector_only[] = {'f', O_DIM, 'w', O_CDS, O_EIG, O_OVER, O_POWER, 0};
    if (exchange_list) {
        cli_not_with(&a, (const int[]){O_CLUST, O_NEIGH, O_NONORM, O_SEED, 'n', 0},
                     "to --exchange, which classes the words of text");
        cli_not_with(&a, vector_only, "to --exchange, which learns no vectors");
    } else if (neighbor_list) {
        /* an empty word is in no vocabulary: a typo, not a question */
        size_t len = strlen(neighbor_list);
        if (!len || neighbor_list[0] == ',' || neighbor_list[len - 1] == ',' ||
            strstr(neighbor_list, ",,"))
            cli_usage_error(&a, "--neighbors: an empty word in '%s'", neighbor_list);
        cli_not_with(&a, (const int[]){O_CLUST, 'o', 'j', O_SEED, O_ITER, O_NONORM, 0},
                     "to --neighbors, which prints the nearest words");
        cli_not_with(&a, learning, "to --neighbors, which only reads vectors");
    } else if (cluster_list) {
        cli_not_with(&a, learning, "to --clusters, which reads vectors");
        cli_not_with(&a, (const int[]){'n', 0}, "without --neighbors");
    } else {
        cli_not_with(&a, (const int[]){O_ITER, O_NONORM, 0}, "without --clusters");
        cli_not_with(&a, (const int[]){'n', 0}, "without --neighbors");
    }
    if ((cluster_list || neighbor_list) && ninputs != 1) {
        fprintf(stderr, "nerkit-embed: --clusters and --neighbors take one vector file\n");
        return 2;
    }
    if (!neighbor_list && !out) {
        fprintf(stderr, "nerkit-embed: no output: give -o FILE\n");
        return 2;
    }
    cli_one_stdin(&a, ninputs, argv + optind);
    if (!ninputs) {
        fprintf(stderr, "nerkit-embed: no input (give files, folders, or - for standard "
                        "input)\n");
        return 2;
    }
    int show = !quiet && isatty(2);
    /* before the long run: an output that is an input would be lost */
    nerkit_error ioerr = {0};
    int clash = nerkit_check_io(neighbor_list ? NULL : out, (const char *const *)argv + optind,
                                (size_t)ninputs, !cluster_list && !neighbor_list, message, NULL,
                                &ioerr);
    if (clash) {
        fprintf(stderr, "nerkit-embed: %s\n", ioerr.message);
        return clash == NERKIT_ERR_ARG ? 2 : 1;
    }
    if (neighbor_list)
        return neighbors(&a, neighbor_list, argv[optind], nneighbors);
    if (iterations)
        ko.iterations = iterations;
    if (cluster_list) {
        /* k-means is sgemm all the way: -j sizes OpenBLAS's thread pool */
        if (o.threads > 0)
            openblas_set_num_threads(o.threads);
        ko.progress = show ? kmeans_progress : NULL;
        return clusters(cluster_list, argv[optind], out, &ko);
    }
    /* Learning spends its time in nerkit's own threads (-j); OpenBLAS only
     * does QRs of tall thin matrices, no slower on one thread, and on one
     * thread its rounding does not vary with -j, so the vectors do not. */
    openblas_set_num_threads(1);
    o.message = message;
    o.progress = show ? embed_progress : NULL;
    nerkit_error err = {0};
    if (exchange_list) {
        size_t ks[64], n;
        if (!parse_ks("--exchange", exchange_list, ks, &n))
            return 2;
        nerkit_clusters *c = nerkit_exchange((const char *const *)argv + optind, (size_t)ninputs,
                                             &o, ks, n, iterations ? iterations : 10, &err);
        if (o.progress)
            fputc('\n', stderr);
        return save_clusters(c, out, &err);
    }
    nerkit_vectors *v = nerkit_embed((const char *const *)argv + optind, (size_t)ninputs, &o, &err);
    if (o.progress)
        fputc('\n', stderr);
    cli_held held;
    cli_hold_signals(&held);
    int rc = !v || nerkit_vectors_save(v, out, format, &err) != NERKIT_OK;
    cli_release_signals(&held);
    if (rc)
        fprintf(stderr, "nerkit-embed: %s\n", err.message);
    nerkit_vectors_free(v);
    return rc;
}
