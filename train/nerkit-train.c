/*
 * nerkit-train: learns a model from a CoNLL column file.
 */
#include "nerkit.h"
#include "../cli/args.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* --case-copies LIST: "none", or "lower", "upper" or both, comma-separated,
 * each with an optional fraction of the documents ("lower=0.5", else all
 * of them). */
static void parse_case_copies(const cli_args *a, const char *arg, nerkit_train_opts *to)
{
    to->case_lower = to->case_upper = 0;
    if (strcmp(arg, "none") == 0)
        return;
    /* cut up a copy: argv stays as ps shows it */
    char *list = strdup(arg);
    if (!list) {
        fputs("nerkit-train: out of memory\n", stderr);
        exit(1);
    }
    bool seen[2] = {false, false};
    char *item = list;
    do {
        char *next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        if (eq)
            *eq = '\0';
        int upper = strcmp(item, "upper") == 0;
        if (!upper && strcmp(item, "lower") != 0)
            cli_usage_error(a, "%s: unknown case '%s': want none, or lower, upper or both, "
                               "comma-separated, each with an optional fraction of the "
                               "documents (lower=0.5)",
                            a->opt, item);
        if (seen[upper])
            cli_usage_error(a, "%s: '%s' given twice", a->opt, item);
        seen[upper] = true;
        *(upper ? &to->case_upper : &to->case_lower) = eq ? cli_real(a, eq + 1, 0, 1) : 1;
        item = next;
    } while (item);
    free(list);
}

static void usage(FILE *f)
{
    fputs("usage: nerkit-train -t TRAIN [-d DEV] -o MODEL [options]\n"
          "\n"
          "Learns an entity tagger from a CoNLL column file (one token per line, blank\n"
          "line between sentences, -DOCSTART- between documents).\n"
          "\n"
          "  -t, --train FILE      training corpus\n"
          "  -d, --dev FILE        development corpus: scored after every epoch; the best\n"
          "                        epoch is kept and training stops when it stops improving\n"
          "  -o, --output FILE     model file to write (atomically)\n"
          "      --algo NAME       perceptron (default) or crf\n"
          "  -e, --epochs N        at most N epochs (default 30)\n"
          "      --patience N      stop after N epochs without dev gain (default 4)\n"
          "      --seed N          shuffling seed; same seed, same model (default 1)\n"
          "      --seeds K         train K models, with seeds N, N+1, ..., and keep the\n"
          "                        mean of their weights: one model, more accurate than\n"
          "                        each (default 1)\n"
          "      --weights KIND    how the model stores its weights: int8 (a byte each and\n"
          "                        a scale a row: a quarter of the size, faster to tag)\n"
          "                        or float (default: int8 for the perceptron, float for\n"
          "                        the CRF, whose probabilities rounding would move)\n"
          "      --prune X         drop the weight rows whose largest weight is under X\n"
          "                        times the median row's: a smaller, faster model\n"
          "                        (default 0: none)\n"
          "      --hash-bits N     feature table of 2^N rows (default 22)\n"
          "      --min-count N     ignore features seen fewer than N times (default 1)\n"
          "      --features LIST   feature groups, comma-separated, or 'all':\n"
          "                        word,lower,affix,shape,flags,window,bigram,position,document;\n"
          "                        and nonlocal: the labels a first pass gave the other\n"
          "                        mentions of each word in the document (tagging runs two\n"
          "                        passes); default 'all,nonlocal'\n"
          "      --folds K         nonlocal: the first-pass labels of the training documents\n"
          "                        come from K perceptrons, each trained without one K-th\n"
          "                        of them (default 2)\n"
          "      --token-col N     token column, 1-based, negative from the end (default 1)\n"
          "      --label-col N     label column (default -1, the last)\n"
          "      --tab             columns are separated by tabs only (tokens with spaces)\n"
          "      --scheme S        IOB1, IOB2, BIOES or BILOU (default: detected)\n"
          "      --clusters FILE   word clusters as features: Brown paths (bits<TAB>word)\n"
          "                        or nerkit-embed k-means levels; may be repeated\n"
          "      --embeddings FILE word vectors (word2vec text or binary, GloVe) as dense\n"
          "                        features of the +-2 window\n"
          "      --lexicon-words N besides the training words, keep each resource's N most\n"
          "                        frequent words in the model (default 50000)\n"
          "      --lexicon-from MODEL take MODEL's word vectors, clusters and gazetteer\n"
          "                        (whichever it has), copied whole, whatever its labels:\n"
          "                        not with --clusters or --embeddings\n"
          "      --self-lexicon N  with none of --clusters, --embeddings and --lexicon-from:\n"
          "                        learn word vectors and their clusters from the training\n"
          "                        text, when at least N of its words (and at least\n"
          "                        100, their dimension) occur twice (default 1000;\n"
          "                        0: never)\n"
          "      --gazetteer FILE  phrase<TAB>LIST lines: the phrases covering a word and\n"
          "                        its neighbours as features; the lists are stored in\n"
          "                        the model; may be repeated\n"
          "      --case-copies LIST also train on lower-cased and upper-cased copies of\n"
          "                        the training documents, for text without case: none,\n"
          "                        or lower, upper or both, comma-separated, each with an\n"
          "                        optional fraction of the documents (upper=0.5; default\n"
          "                        all); the dev set is scored as given (default none)\n"
          "  -j, --threads N       threads: the CRF computes its gradient on N (default 1)\n"
          "\n"
          "CRF (--algo crf): L-BFGS, or OWL-QN with --l1; an iteration is one epoch.\n"
          "      --l1 X            L1 penalty (default 0; > 0 gives a sparse model)\n"
          "      --l2 X            L2 penalty (default 0.5)\n"
          "      --iterations N    at most N L-BFGS iterations (default 300)\n"
          "      --iter-patience N stop after N iterations without dev gain (default 20)\n"
          "      --delta X         stop when the objective falls by less than this\n"
          "                        fraction over 10 iterations (default 1e-5)\n"
          "      --sgd             stochastic gradient descent instead, one thread; -e and\n"
          "                        --patience count its passes\n"
          "      --eta X           SGD initial learning rate (default 0.05)\n"
          "      --checkpoint FILE after each epoch, save the whole training state to FILE\n"
          "                        (atomically; perceptron)\n"
          "      --resume FILE     go on from a checkpoint: with the same corpora and\n"
          "                        options, the model is the one an uninterrupted run makes\n"
          "      --prob-scale X    perceptron: scores times X are log-probabilities, which\n"
          "                        gives --confidence (default: fitted on -d's labels)\n"
          "  -q, --quiet           no progress lines\n"
          "  -h, --help            this help\n",
          f);
}

/* The first Ctrl-C ends training between two sentences (or two L-BFGS
 * iterations), with a message and no half-written file: the perceptron's
 * last checkpoint stays whole. A second one kills at once. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    const nerkit_train_opts *to;
    double start; /* when nerkit_train was called; 0 once the set-up is reported */
} progress_state;

static int progress(const nerkit_progress *p, void *user)
{
    progress_state *ps = user;
    const nerkit_train_opts *to = ps->to;
    /* what comes before the first epoch (resources, features) is the cost
     * of every run however few its epochs: shown, so that it stays small */
    if (ps->start > 0) {
        fprintf(stderr, "set-up (resources, features): %.2fs\n", cli_now() - ps->start);
        ps->start = 0;
    }
    if (p->runs && !p->run) {
        fprintf(stderr, "average of the %u runs: dev P %.2f R %.2f F1 %.2f\n", p->runs, p->dev_p,
                p->dev_r, p->dev_f1);
        return 0;
    }
    if (p->run)
        fprintf(stderr, "run %u/%u: ", p->run, p->runs);
    if (p->fold)
        fprintf(stderr, "first pass, fold %u/%u: ", p->fold, p->folds);
    if (p->fold || strcmp(to->algorithm, "crf") != 0)
        fprintf(stderr, "epoch %2u  %6.2fs  %8.0f tok/s  train err %.4f", p->epoch, p->seconds,
                p->tokens_per_sec, p->train_error);
    else if (strcmp(to->optimizer, "sgd") == 0)
        fprintf(stderr, "pass %3u  %6.2fs  objective %.6g", p->epoch, p->seconds, p->objective);
    else
        fprintf(stderr, "iter %3u  %6.2fs  objective %.6g  |grad| %.4g", p->epoch, p->seconds,
                p->objective, p->grad_norm);
    if (p->dev_f1 >= 0)
        fprintf(stderr, "  dev P %.2f R %.2f F1 %.2f%s", p->dev_p, p->dev_r, p->dev_f1,
                p->best ? "  *" : "");
    fputc('\n', stderr);
    return 0;
}

int main(int argc, char **argv)
{
    const char *train_path = NULL, *dev_path = NULL, *out_path = NULL;
    nerkit_train_opts to;
    nerkit_reader_opts ro;
    nerkit_train_opts_init(&to);
    nerkit_reader_opts_init(&ro);
    int quiet = 0;
    enum { O_ALGO = 256, O_PATIENCE, O_SEED, O_HASH, O_MINC, O_FEAT, O_TOK, O_LAB, O_TAB, O_SCHEME,
           O_L1, O_L2, O_ITER, O_ITER_PAT, O_DELTA, O_SGD, O_ETA, O_CLUSTERS, O_EMBED,
           O_LEXWORDS, O_CKPT, O_RESUME, O_PROB, O_GAZ, O_CASE, O_FOLDS, O_LEXFROM, O_SELFLEX, O_SEEDS,
           O_WEIGHTS, O_PRUNE };
    static const struct option longopts[] = {
        {"train", required_argument, 0, 't'},      {"dev", required_argument, 0, 'd'},
        {"output", required_argument, 0, 'o'},     {"algo", required_argument, 0, O_ALGO},
        {"epochs", required_argument, 0, 'e'},     {"patience", required_argument, 0, O_PATIENCE},
        {"seed", required_argument, 0, O_SEED},    {"hash-bits", required_argument, 0, O_HASH},
        {"min-count", required_argument, 0, O_MINC}, {"features", required_argument, 0, O_FEAT},
        {"token-col", required_argument, 0, O_TOK}, {"label-col", required_argument, 0, O_LAB},
        {"tab", no_argument, 0, O_TAB},            {"scheme", required_argument, 0, O_SCHEME},
        {"threads", required_argument, 0, 'j'},    {"quiet", no_argument, 0, 'q'},
        {"l1", required_argument, 0, O_L1},        {"l2", required_argument, 0, O_L2},
        {"iterations", required_argument, 0, O_ITER},
        {"iter-patience", required_argument, 0, O_ITER_PAT},
        {"delta", required_argument, 0, O_DELTA},  {"sgd", no_argument, 0, O_SGD},
        {"eta", required_argument, 0, O_ETA},
        {"clusters", required_argument, 0, O_CLUSTERS},
        {"embeddings", required_argument, 0, O_EMBED},
        {"lexicon-words", required_argument, 0, O_LEXWORDS},
        {"lexicon-from", required_argument, 0, O_LEXFROM},
        {"self-lexicon", required_argument, 0, O_SELFLEX},
        {"seeds", required_argument, 0, O_SEEDS},
        {"weights", required_argument, 0, O_WEIGHTS},
        {"prune", required_argument, 0, O_PRUNE},
        {"gazetteer", required_argument, 0, O_GAZ},
        {"checkpoint", required_argument, 0, O_CKPT},
        {"resume", required_argument, 0, O_RESUME},
        {"prob-scale", required_argument, 0, O_PROB},
        {"case-copies", required_argument, 0, O_CASE},
        {"folds", required_argument, 0, O_FOLDS},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    nerkit_error err = {0};
    const char *cluster_files[8], *gazetteer_files[8];
    size_t nclusters = 0, ngazetteers = 0;
    cli_args a;
    cli_start(&a, "nerkit-train", longopts, "t:d:o:e:j:qh", (const int[]){O_CLUSTERS, O_GAZ, 0});
    /* the trainers' matrix products are a sentence or a batch of them:
     * OpenBLAS's own threads only spin beside them, and -j is the way to
     * more cores */
    cli_blas_one_thread();
    int c;
    while ((c = cli_next(&a, argc, argv)) != -1) {
        switch (c) {
        case 't': train_path = optarg; break;
        case 'd': dev_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'e': to.epochs = (unsigned)cli_int(&a, optarg, 1, 10000); break;
        case 'j': to.threads = (int)cli_int(&a, optarg, 1, NERKIT_THREADS_MAX); break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case O_ALGO: to.algorithm = optarg; break;
        case O_PATIENCE: to.patience = (unsigned)cli_int(&a, optarg, 1, 10000); break;
        case O_SEED: to.seed = (uint64_t)cli_int(&a, optarg, 0, 0x7fffffffL); break;
        case O_HASH: to.hash_bits = (unsigned)cli_int(&a, optarg, 10, 28); break;
        case O_MINC: to.min_count = (unsigned)cli_int(&a, optarg, 1, 1000000); break;
        case O_TOK: ro.token_col = (int)cli_int(&a, optarg, -256, 256); break;
        case O_LAB: ro.label_col = (int)cli_int(&a, optarg, -256, 256); break;
        case O_TAB: ro.tab_only = 1; break;
        case O_L1: to.l1 = cli_real(&a, optarg, 0, 1e9); break;
        case O_L2: to.l2 = cli_real(&a, optarg, 0, 1e9); break;
        case O_ITER: to.iterations = (unsigned)cli_int(&a, optarg, 1, 100000); break;
        case O_ITER_PAT:
            to.iteration_patience = (unsigned)cli_int(&a, optarg, 1, 100000);
            break;
        case O_DELTA: to.delta = cli_real(&a, optarg, 0, 1e9); break;
        case O_SGD: to.optimizer = "sgd"; break;
        case O_ETA: to.eta = cli_real(&a, optarg, 0, 1e9); break;
        case O_FEAT:
            if (nerkit_features_parse(optarg, &to.features, &err)) {
                fprintf(stderr, "nerkit-train: %s\n", err.message);
                return 2;
            }
            break;
        case O_CLUSTERS:
            /* optarg points into argv, which outlives training */
            if (nclusters == sizeof cluster_files / sizeof *cluster_files) {
                fprintf(stderr, "nerkit-train: at most %zu --clusters files\n", nclusters);
                return 2;
            }
            cluster_files[nclusters++] = optarg;
            break;
        case O_GAZ:
            if (ngazetteers == sizeof gazetteer_files / sizeof *gazetteer_files) {
                fprintf(stderr, "nerkit-train: at most %zu --gazetteer files\n", ngazetteers);
                return 2;
            }
            gazetteer_files[ngazetteers++] = optarg;
            break;
        case O_EMBED: to.vectors_file = optarg; break;
        case O_LEXFROM: to.lexicon_from = optarg; break;
        case O_SEEDS: to.seeds = (size_t)cli_int(&a, optarg, 1, 64); break;
        case O_WEIGHTS:
            if (strcmp(optarg, "int8") != 0 && strcmp(optarg, "float") != 0) {
                fprintf(stderr, "nerkit-train: --weights %s: want int8 or float\n", optarg);
                return 2;
            }
            to.weights = optarg;
            break;
        case O_PRUNE: to.prune = cli_real(&a, optarg, 0, 100); break;
        case O_SELFLEX: to.self_lexicon_words = (size_t)cli_int(&a, optarg, 0, 100000000); break;
        case O_CKPT: to.checkpoint = optarg; break;
        case O_RESUME: to.resume = optarg; break;
        case O_PROB: to.prob_scale = cli_real(&a, optarg, 1e-9, 1e6); break;
        case O_CASE: parse_case_copies(&a, optarg, &to); break;
        case O_FOLDS: to.folds = (size_t)cli_int(&a, optarg, 2, 100); break;
        case O_LEXWORDS:
            to.lexicon_words = (size_t)cli_int(&a, optarg, 0, 2000000);
            break;
        case O_SCHEME: {
            int s = nerkit_scheme_parse(optarg);
            if (s <= 0) {
                fprintf(stderr, "nerkit-train: unknown scheme '%s' (IOB1, IOB2, BIOES, BILOU)\n",
                        optarg);
                return 2;
            }
            ro.scheme = (nerkit_scheme)s;
            break;
        }
        default: usage(stderr); return 2;
        }
    }
    to.cluster_files = cluster_files;
    to.ncluster_files = nclusters;
    to.gazetteer_files = gazetteer_files;
    to.ngazetteer_files = ngazetteers;
    if (!train_path || !out_path || optind != argc) {
        usage(stderr);
        return 2;
    }
    char *inputs[] = {(char *)train_path, (char *)(dev_path ? dev_path : "")};
    cli_one_stdin(&a, 2, inputs);
    if (ro.label_col == 0) {
        fprintf(stderr, "nerkit-train: training needs a label column\n");
        return 2;
    }
    int perceptron = strcmp(to.algorithm, "perceptron") == 0;
    if (!perceptron && strcmp(to.algorithm, "crf") != 0)
        cli_usage_error(&a, "--algo: unknown algorithm '%s' (perceptron, crf)", to.algorithm);
    bool sgd = strcmp(to.optimizer, "sgd") == 0;
    /* an option the chosen trainer does not read would be silently ignored */
    if (perceptron)
        cli_not_with(&a, (const int[]){O_L1, O_L2, O_ITER, O_ITER_PAT, O_DELTA, O_SGD, O_ETA, 'j', 0},
                     "to the perceptron (a CRF option: add --algo crf)");
    else
        cli_not_with(&a, (const int[]){O_CKPT, O_RESUME, O_PROB, O_SEEDS, 0},
                     "to the CRF (a perceptron option)");
    if (to.seeds > 1)
        cli_not_with(&a, (const int[]){O_CKPT, O_RESUME, 0},
                     "with --seeds: a checkpoint holds one run");
    if (!perceptron && sgd)
        cli_not_with(&a, (const int[]){O_ITER, O_ITER_PAT, O_DELTA, O_L1, 'j', 0},
                     "to --sgd, which runs on one thread without L1 (an L-BFGS option)");
    if (!perceptron && !sgd)
        cli_not_with(&a, (const int[]){'e', O_PATIENCE, O_SEED, O_ETA, 0},
                     "to L-BFGS, which counts iterations and does not shuffle (an option of "
                     "the perceptron and of --sgd)");
    if (!dev_path)
        cli_not_with(&a, (const int[]){O_PATIENCE, O_ITER_PAT, 0},
                     "without -d, which it watches for gains");
    if (!to.vectors_file && !nclusters)
        cli_not_with(&a, (const int[]){O_LEXWORDS, 0}, "without --clusters or --embeddings");
    if (!(to.features & NERKIT_FEAT_NONLOCAL))
        cli_not_with(&a, (const int[]){O_FOLDS, 0},
                     "without the nonlocal feature group (--features all,nonlocal)");
    if (to.lexicon_from)
        cli_not_with(&a, (const int[]){O_CLUSTERS, O_EMBED, O_SELFLEX, 0},
                     "to --lexicon-from, whose model brings its own vectors and clusters");
    if (to.vectors_file || nclusters)
        cli_not_with(&a, (const int[]){O_SELFLEX, 0},
                     "with --clusters or --embeddings, which take the place of the vectors "
                     "and clusters of the training text");
    if (!to.features && !to.vectors_file && !nclusters && !ngazetteers && !to.lexicon_from)
        cli_usage_error(&a, "--features: no feature group, and no --clusters, --embeddings, "
                            "--gazetteer or --lexicon-from: the model would have nothing to "
                            "learn from");
    /* the files read, and the other output: no output may be one of them;
     * but --checkpoint may name the --resume file, to go on from it */
    const char *in[sizeof cluster_files / sizeof *cluster_files +
                   sizeof gazetteer_files / sizeof *gazetteer_files + 6] = {
        train_path, dev_path, to.vectors_file, NULL, out_path, to.lexicon_from};
    memcpy(in + 6, cluster_files, nclusters * sizeof *in);
    memcpy(in + 6 + nclusters, gazetteer_files, ngazetteers * sizeof *in);
    size_t nin = nclusters + ngazetteers + 6;
    int clash = to.checkpoint && nerkit_check_io(to.checkpoint, in, nin, 0, NULL, NULL, &err);
    in[3] = to.resume;
    in[4] = to.checkpoint;
    if (clash || nerkit_check_io(out_path, in, nin, 0, NULL, NULL, &err)) {
        fprintf(stderr, "nerkit-train: %s\n", err.message);
        return 2;
    }
    nerkit_corpus *train = nerkit_corpus_read(train_path, &ro, &err);
    if (!train) {
        fprintf(stderr, "nerkit-train: %s\n", err.message);
        return 1;
    }
    nerkit_corpus *dev = NULL;
    if (dev_path && !(dev = nerkit_corpus_read(dev_path, &ro, &err))) {
        fprintf(stderr, "nerkit-train: %s\n", err.message);
        nerkit_corpus_free(train);
        return 1;
    }
    if (!quiet) {
        fprintf(stderr, "train: %s: %zu tokens, %zu sentences, %zu documents, %zu types, %s\n",
                train_path, nerkit_corpus_ntokens(train), nerkit_corpus_nsentences(train),
                nerkit_corpus_ndocuments(train), nerkit_corpus_ntypes(train),
                nerkit_scheme_name(nerkit_corpus_scheme(train)));
        if (dev)
            fprintf(stderr, "dev:   %s: %zu tokens, %zu sentences\n", dev_path,
                    nerkit_corpus_ntokens(dev), nerkit_corpus_nsentences(dev));
    }
    struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    to.stop = &interrupted;
    progress_state ps = {&to, cli_now()};
    nerkit_model *m = nerkit_train(train, dev, &to, quiet ? NULL : progress, &ps, &err);
    int rc = 0;
    if (!m && err.code == NERKIT_ERR_INTERRUPTED) {
        if (to.checkpoint)
            fprintf(stderr, "nerkit-train: %s; %s holds the last whole epoch: go on with "
                            "--resume %s\n",
                    err.message, to.checkpoint, to.checkpoint);
        else
            fprintf(stderr, "nerkit-train: %s; no model written\n", err.message);
        rc = 130;
    } else if (!m) {
        fprintf(stderr, "nerkit-train: %s\n", err.message);
        rc = 1;
    } else {
        cli_held held;
        cli_hold_signals(&held);
        int saved = nerkit_model_save(m, out_path, &err);
        cli_release_signals(&held);
        if (saved) {
            fprintf(stderr, "nerkit-train: %s\n", err.message);
            rc = 1;
        } else if (!quiet) {
            if (perceptron && nerkit_model_has_probabilities(m))
                fprintf(stderr, "probability scale %.6g%s\n", nerkit_model_prob_scale(m),
                        to.prob_scale > 0 ? "" : " (fitted on the dev set)");
            fprintf(stderr, "model written to %s\n", out_path);
        }
    }
    nerkit_model_free(m);
    nerkit_corpus_free(train);
    nerkit_corpus_free(dev);
    return rc;
}
