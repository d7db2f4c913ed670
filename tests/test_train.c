/*
 * Unit tests for training (nerkit_train with the averaged perceptron): it
 * learns a small synthetic task well, is deterministic for a seed, and
 * refuses corpora it cannot learn from.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nerkit.h"
#include "sections.h"

/* ------------------------------------------------ synthetic corpus */

static const char *const first_names[] = {"John",  "Mary",   "Peter", "Anna",   "David",
                                          "Laura", "James",  "Sophie", "Thomas", "Emma",
                                          "Oliver", "Clara", "Henry", "Alice",  "Robert"};
static const char *const surnames[] = {"Smith", "Brown", "Miller", "Wilson", "Taylor",
                                       "Clarke", "Hughes", "Walker", "Young", "Baker"};
static const char *const cities[] = {"Paris",  "London", "Berlin", "Madrid", "Rome",
                                     "Vienna", "Prague", "Lisbon", "Oslo",   "Dublin"};
static const char *const fillers[] = {"the",  "a",     "visited", "said", "met",  "yesterday",
                                      "with", "and",   "today",   "was",  "very", "happy",
                                      "left", "about", "news",    "his",  "her",  "friend",
                                      "from", "to",    "went",    "back", "on",   "Monday"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rnd(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

typedef struct {
    char *p;
    size_t len, cap;
} text;

static void add(text *t, const char *tok, const char *label)
{
    size_t need = strlen(tok) + strlen(label) + 3;
    if (t->len + need >= t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4096;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    t->len += (size_t)sprintf(t->p + t->len, "%s %s\n", tok, label);
}

static void add_blank(text *t)
{
    assert_non_null(t->p);
    assert_true(t->len + 1 < t->cap);
    t->p[t->len++] = '\n';
}

/* nsent sentences: "Mr" + a person's first name (and sometimes surname) is
 * PER, a city name is LOC, anything else O. IOB2 labels. */
static char *generate(uint64_t seed, size_t nsent, size_t *len)
{
    uint64_t rng = seed;
    text t = {0};
    for (size_t s = 0; s < nsent; s++) {
        if (s > 0)
            add_blank(&t);
        size_t chunks = 3 + rnd(&rng, 8);
        for (size_t c = 0; c < chunks; c++) {
            size_t r = rnd(&rng, 10);
            if (r < 2) {
                add(&t, "Mr", "O");
                add(&t, first_names[rnd(&rng, COUNT(first_names))], "B-PER");
                if (rnd(&rng, 2))
                    add(&t, surnames[rnd(&rng, COUNT(surnames))], "I-PER");
            } else if (r < 4) {
                add(&t, cities[rnd(&rng, COUNT(cities))], "B-LOC");
            } else {
                add(&t, fillers[rnd(&rng, COUNT(fillers))], "O");
            }
        }
        add(&t, ".", "O");
    }
    *len = t.len;
    return t.p;
}

/* The corpus of generate with its tokens (not its labels) put through
 * recase, e.g. tolower; NULL keeps them. */
static nerkit_corpus *generate_cased(uint64_t seed, size_t nsent, int (*recase)(int))
{
    size_t len;
    char *txt = generate(seed, nsent, &len);
    for (size_t i = 0; recase && i < len; i++) {
        for (; txt[i] != ' ' && txt[i] != '\n'; i++)
            txt[i] = (char)recase((unsigned char)txt[i]);
        while (i < len && txt[i] != '\n')
            i++;
    }
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(txt, len, "synthetic", NULL, &err);
    free(txt);
    if (!c)
        fail_msg("synthetic corpus: %s", err.message);
    assert_int_equal(nerkit_corpus_nsentences(c), nsent);
    return c;
}

static nerkit_corpus *generate_corpus(uint64_t seed, size_t nsent)
{
    return generate_cased(seed, nsent, NULL);
}

typedef struct {
    unsigned epochs;
    unsigned last_epoch;
    double last_error;
} progress_log;

static int on_progress(const nerkit_progress *p, void *user)
{
    progress_log *log = user;
    log->epochs++;
    /* epochs are numbered 1, 2, ... */
    if (p->epoch != log->epochs)
        log->last_epoch = 0xFFFFFFFF;
    else
        log->last_epoch = p->epoch;
    log->last_error = p->train_error;
    return 0;
}

/* o: NULL for the options of these tests, else its seed is replaced */
static nerkit_model *train_with(const nerkit_corpus *c, nerkit_train_opts *o, uint64_t seed,
                                progress_log *log)
{
    nerkit_train_opts d;
    if (!o) {
        nerkit_train_opts_init(&d);
        /* the perceptron's own epochs, which these tests count: the
         * non-local features' first passes are test_nonlocal.c's */
        d.features = NERKIT_FEAT_ALL;
        d.hash_bits = 16;
        d.epochs = 10;
        o = &d;
    }
    o->seed = seed;
    nerkit_error err = {0};
    nerkit_model *m = nerkit_train(c, NULL, o, log ? on_progress : NULL, log, &err);
    if (!m)
        fail_msg("training failed: %s", err.message);
    return m;
}

static nerkit_model *train(const nerkit_corpus *c, uint64_t seed, progress_log *log)
{
    return train_with(c, NULL, seed, log);
}

/* Tags c with m; returns token accuracy and conlleval F1. */
static void evaluate(const nerkit_model *m, const nerkit_corpus *c, double *accuracy, double *f1)
{
    size_t n = nerkit_corpus_ntokens(c);
    uint16_t *labels = malloc(n * sizeof *labels);
    const char **names = malloc(n * sizeof *names);
    assert_non_null(labels);
    assert_non_null(names);
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_non_null(t);
    assert_int_equal(nerkit_tag_corpus(t, c, labels, &err), NERKIT_OK);
    nerkit_tagger_free(t);
    nerkit_corpus_label_strings(c, m, labels, NERKIT_SCHEME_AUTO, names);

    nerkit_eval *e = nerkit_eval_new();
    assert_non_null(e);
    size_t right = 0, i = 0;
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        i = nerkit_corpus_document(c, d, &doc);
        for (size_t s = 0; s < doc.nsentences; s++) {
            for (size_t k = 0; k < doc.sentence_len[s]; k++, i++) {
                size_t glen;
                const char *gold = nerkit_corpus_label(c, i, &glen);
                right += strlen(names[i]) == glen && memcmp(names[i], gold, glen) == 0;
                assert_int_equal(nerkit_eval_token(e, gold, glen, names[i], strlen(names[i])),
                                 NERKIT_OK);
            }
            nerkit_eval_boundary(e);
        }
    }
    assert_int_equal(i, n);
    double p, r;
    nerkit_eval_scores(e, &p, &r, f1);
    nerkit_eval_free(e);
    *accuracy = (double)right / (double)n;
    free(labels);
    free(names);
}

/* ------------------------------------------------------------ tests */

static void test_learns_synthetic_task(void **state)
{
    (void)state;
    nerkit_corpus *tr = generate_corpus(1, 300);
    nerkit_corpus *test = generate_corpus(99, 100);
    assert_int_equal(nerkit_corpus_ntypes(tr), 2);
    progress_log log = {0, 0, 1};
    nerkit_model *m = train(tr, 1, &log);
    assert_true(log.epochs >= 1 && log.epochs <= 10);
    assert_int_equal(log.last_epoch, log.epochs);
    assert_true(log.last_error < 0.02);

    assert_string_equal(nerkit_model_algorithm(m), "perceptron");
    assert_int_equal(nerkit_model_scheme(m), NERKIT_SCHEME_IOB2);
    assert_int_equal(nerkit_model_ntypes(m), 2);
    assert_int_equal(nerkit_model_nlabels(m), 9);
    assert_string_equal(nerkit_model_type(m, 0), "LOC");
    assert_string_equal(nerkit_model_type(m, 1), "PER");

    double acc, f1;
    evaluate(m, test, &acc, &f1);
    print_message("held-out token accuracy %.4f, F1 %.2f\n", acc, f1);
    assert_true(acc >= 0.98);
    assert_true(f1 >= 95.0);

    /* tagging one sentence directly: Mr Peter Smith went to Oslo . */
    static const char *const toks[] = {"Mr", "Peter", "Smith", "went", "to", "Oslo", "."};
    size_t lens[7];
    for (size_t i = 0; i < 7; i++)
        lens[i] = strlen(toks[i]);
    uint16_t labels[7];
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_non_null(t);
    assert_int_equal(nerkit_tag_sentence(t, toks, lens, 7, labels, &err), NERKIT_OK);
    nerkit_tagger_free(t);
    const char *names[7];
    nerkit_model_label_strings(m, labels, 7, NERKIT_SCHEME_IOB2, names);
    static const char *const want[] = {"O", "B-PER", "I-PER", "O", "O", "B-LOC", "O"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(names[i], want[i]);

    nerkit_model_free(m);
    nerkit_corpus_free(tr);
    nerkit_corpus_free(test);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void temp_path(char path[64])
{
    strcpy(path, "/tmp/nerkit_test_train_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Trains from a fresh copy of the corpus, deeper in the stack, so that
 * nothing may depend on where things are in memory. */
static nerkit_model *train_elsewhere(uint64_t corpus_seed, size_t nsent, uint64_t seed, int depth)
{
    volatile char pad[4096];
    pad[0] = (char)depth;
    if (depth > 0)
        return train_elsewhere(corpus_seed, nsent, seed, depth - 1 + 0 * pad[0]);
    nerkit_corpus *tr = generate_corpus(corpus_seed, nsent);
    nerkit_model *m = train(tr, seed, NULL);
    nerkit_corpus_free(tr);
    return m;
}

static void test_deterministic(void **state)
{
    (void)state;
    nerkit_corpus *tr = generate_corpus(5, 200);
    void *spacer = malloc(12345); /* shifts the heap for the second run */
    assert_non_null(spacer);
    nerkit_model *a = train(tr, 42, NULL);
    nerkit_model *b = train_elsewhere(5, 200, 42, 3);
    free(spacer);
    nerkit_model *c = train(tr, 43, NULL);
    char pa[64], pb[64], pc[64];
    temp_path(pa);
    temp_path(pb);
    temp_path(pc);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(a, pa, &err), NERKIT_OK);
    assert_int_equal(nerkit_model_save(b, pb, &err), NERKIT_OK);
    assert_int_equal(nerkit_model_save(c, pc, &err), NERKIT_OK);
    size_t la, lb, lc;
    unsigned char *ba = slurp(pa, &la), *bb = slurp(pb, &lb), *bc = slurp(pc, &lc);
    unlink(pa);
    unlink(pb);
    unlink(pc);
    assert_int_equal(la, lb);
    assert_memory_equal(ba, bb, la);
    /* another seed may give other weights (not required), but it is a
     * model of the same shape: same header magic and label set */
    assert_true(lc > 32);
    assert_memory_equal(bc, ba, 12);
    assert_int_equal(nerkit_model_nlabels(c), nerkit_model_nlabels(a));
    free(ba);
    free(bb);
    free(bc);
    nerkit_model_free(a);
    nerkit_model_free(b);
    nerkit_model_free(c);
    nerkit_corpus_free(tr);
}

static int stop_after_first(const nerkit_progress *p, void *user)
{
    unsigned *calls = user;
    (*calls)++;
    return p->epoch >= 1;
}

static void test_progress_can_stop_training(void **state)
{
    (void)state;
    nerkit_corpus *tr = generate_corpus(7, 50);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 12;
    o.epochs = 10;
    unsigned calls = 0;
    nerkit_error err = {0};
    nerkit_model *m = nerkit_train(tr, NULL, &o, stop_after_first, &calls, &err);
    assert_non_null(m);
    /* the non-local features' first-pass perceptrons, one a fold, then the
     * model: each ends after its first epoch */
    assert_int_equal(calls, o.folds + 1);
    nerkit_model_free(m);
    o.features = NERKIT_FEAT_ALL;
    calls = 0;
    m = nerkit_train(tr, NULL, &o, stop_after_first, &calls, &err);
    assert_non_null(m);
    assert_int_equal(calls, 1);
    nerkit_model_free(m);
    nerkit_corpus_free(tr);
}

/* Without case copies the model finds names by their capitals and misses
 * most in text without case; with them it tags such text about as well as
 * cased text, and cased text as well as before. */
static void test_case_copies(void **state)
{
    (void)state;
    nerkit_corpus *tr = generate_corpus(1, 300);
    nerkit_corpus *test[] = {generate_corpus(99, 100), generate_cased(99, 100, tolower),
                             generate_cased(99, 100, toupper)};
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 10;
    nerkit_model *plain = train_with(tr, &o, 1, NULL);
    o.case_lower = o.case_upper = 1;
    nerkit_model *copies = train_with(tr, &o, 1, NULL);
    double acc, f1[2][3];
    for (size_t k = 0; k < 3; k++) {
        evaluate(plain, test[k], &acc, &f1[0][k]);
        evaluate(copies, test[k], &acc, &f1[1][k]);
        print_message("test %zu (cased, lower, upper): F1 %.2f without copies, %.2f with\n", k,
                      f1[0][k], f1[1][k]);
    }
    assert_true(f1[0][1] < 90.0);
    for (size_t k = 0; k < 3; k++)
        assert_true(f1[1][k] >= 95.0);
    nerkit_model_free(plain);
    nerkit_model_free(copies);

    /* fractions outside 0 to 1 are refused, naming the option */
    nerkit_error err = {0};
    o.case_upper = 1.5;
    assert_null(nerkit_train(tr, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "case copies"));
    o.case_upper = NAN;
    assert_null(nerkit_train(tr, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    nerkit_corpus_free(tr);
    for (size_t k = 0; k < 3; k++)
        nerkit_corpus_free(test[k]);
}

static void test_refuses_empty_and_unlabelled(void **state)
{
    (void)state;
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 10;
    nerkit_error err = {0};

    nerkit_corpus *empty = nerkit_corpus_parse("", 0, "empty", NULL, &err);
    assert_non_null(empty);
    assert_null(nerkit_train(empty, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_true(strlen(err.message) > 0);
    nerkit_corpus_free(empty);

    /* blank lines and -DOCSTART- only: still no tokens */
    const char *txt = "-DOCSTART- -X- O O\n\n\n";
    nerkit_corpus *docs = nerkit_corpus_parse(txt, strlen(txt), "docs", NULL, &err);
    assert_non_null(docs);
    memset(&err, 0, sizeof err);
    assert_null(nerkit_train(docs, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    nerkit_corpus_free(docs);

    /* one column: tokens without labels */
    txt = "Mr\nJohn\nwent\n\nto\nParis\n";
    nerkit_corpus *unl = nerkit_corpus_parse(txt, strlen(txt), "unlabelled", NULL, &err);
    assert_non_null(unl);
    assert_int_equal(nerkit_corpus_has_labels(unl), 0);
    memset(&err, 0, sizeof err);
    assert_null(nerkit_train(unl, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_true(strlen(err.message) > 0);
    nerkit_corpus_free(unl);

    /* labels switched off by the reader options */
    nerkit_reader_opts ro;
    nerkit_reader_opts_init(&ro);
    ro.label_col = 0;
    txt = "Mr O\nJohn B-PER\n";
    unl = nerkit_corpus_parse(txt, strlen(txt), "nolabel", &ro, &err);
    assert_non_null(unl);
    memset(&err, 0, sizeof err);
    assert_null(nerkit_train(unl, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    nerkit_corpus_free(unl);

    /* an unknown algorithm */
    txt = "Mr O\nJohn B-PER\n";
    nerkit_corpus *ok = nerkit_corpus_parse(txt, strlen(txt), "ok", NULL, &err);
    assert_non_null(ok);
    o.algorithm = "svm";
    memset(&err, 0, sizeof err);
    assert_null(nerkit_train(ok, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "svm"));
    nerkit_corpus_free(ok);
}

/* A corpus of nsent sentences whose O words come from a vocabulary of
 * `words` ("w0" ...), each sentence "Mr NAME" or a city among them. */
static nerkit_corpus *generate_wordy(uint64_t seed, size_t nsent, size_t words)
{
    uint64_t rng = seed;
    text t = {0};
    char w[32];
    for (size_t s = 0; s < nsent; s++) {
        if (s > 0)
            add_blank(&t);
        add(&t, "Mr", "O");
        add(&t, first_names[rnd(&rng, COUNT(first_names))], "B-PER");
        for (size_t k = 0; k < 8; k++) {
            snprintf(w, sizeof w, "w%zu", rnd(&rng, words));
            add(&t, w, "O");
        }
        add(&t, cities[rnd(&rng, COUNT(cities))], "B-LOC");
        add(&t, ".", "O");
    }
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(t.p, t.len, "wordy", NULL, &err);
    free(t.p);
    if (!c)
        fail_msg("wordy corpus: %s", err.message);
    return c;
}

/* The FEAT groups of the model m is saved as. */
static uint32_t saved_groups(const nerkit_model *m)
{
    char path[64];
    temp_path(path);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    size_t len, n;
    unsigned char *b = slurp(path, &len);
    size_t at = find_section(b, len, "FEAT", &n);
    uint32_t groups = (uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 |
                      (uint32_t)b[at + 3] << 24;
    free(b);
    unlink(path);
    return groups;
}

/* By default a model has the non-local features, and word vectors and
 * clusters of its own training text when at least self_lexicon_words of
 * its words occur twice; fewer words, or 0, leave the lexicon out. */
static void test_self_lexicon(void **state)
{
    (void)state;
    const uint32_t lexicon = NERKIT_FEAT_CLUSTERS | NERKIT_FEAT_VECTORS;
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    assert_true(o.features & NERKIT_FEAT_NONLOCAL);
    assert_int_equal(o.self_lexicon_words, 1000);
    o.hash_bits = 16;
    o.epochs = 2;
    nerkit_corpus *wordy = generate_wordy(7, 600, 1200); /* 4,800 draws of 1,200 words */
    nerkit_model *m = train_with(wordy, &o, 1, NULL);
    uint32_t g = saved_groups(m);
    assert_int_equal(g & lexicon, lexicon);
    assert_true(g & NERKIT_FEAT_NONLOCAL);
    nerkit_model_free(m);

    o.self_lexicon_words = 2000; /* more words than occur twice */
    m = train_with(wordy, &o, 1, NULL);
    assert_int_equal(saved_groups(m) & lexicon, 0);
    nerkit_model_free(m);
    o.self_lexicon_words = 0;
    m = train_with(wordy, &o, 1, NULL);
    assert_int_equal(saved_groups(m) & lexicon, 0);
    nerkit_model_free(m);
    nerkit_corpus_free(wordy);

    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 2;
    nerkit_corpus *small = generate_corpus(3, 300); /* about 50 words */
    m = train_with(small, &o, 1, NULL);
    g = saved_groups(m);
    assert_int_equal(g & lexicon, 0);
    assert_true(g & NERKIT_FEAT_NONLOCAL);
    nerkit_model_free(m);
    nerkit_corpus_free(small);
}

/* The bytes of m as saved. */
static unsigned char *saved_bytes(const nerkit_model *m, size_t *len)
{
    char path[64];
    temp_path(path);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    unsigned char *b = slurp(path, len);
    unlink(path);
    return b;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef(const unsigned char *p)
{
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* The slots of the float rows of a saved model of 2^12 slots (its ROWS
 * section's bitmap) into slots; returns where the rows start. */
static size_t rows_of(const unsigned char *b, size_t len, uint32_t *slots, uint32_t *nrows)
{
    size_t n, at = find_section(b, len, "ROWS", &n);
    assert_int_equal(le32(b + at), 0); /* floats */
    *nrows = le32(b + at + 4);
    size_t bits = at + 12 + le32(b + at + 8);
    uint32_t k = 0;
    for (uint32_t s = 0; s < 4096; s++)
        if (b[bits + s / 8] >> (s % 8) & 1)
            slots[k++] = s;
    assert_int_equal(k, *nrows);
    return bits + 4096 / 8;
}

/* The weight of (slot, label) in a saved model: 0 when it has no row. */
static float weight_of(const unsigned char *b, size_t len, size_t L, uint32_t slot, size_t y)
{
    uint32_t slots[4096], R;
    size_t at = rows_of(b, len, slots, &R);
    for (uint32_t r = 0; r < R; r++)
        if (slots[r] == slot)
            return lef(b + at + 4 * ((size_t)r * L + y));
    return 0;
}

/* --seeds K keeps the mean of the K runs' weights: every row and
 * transition of the model of seeds 5 and 6 is the mean of those of the
 * models of seed 5 and of seed 6, a slot one of them lacks counting as 0. */
static void test_seeds_average(void **state)
{
    (void)state;
    nerkit_corpus *c = generate_corpus(11, 200);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 12;
    o.epochs = 3;
    o.weights = "float";
    size_t len[3];
    unsigned char *b[3];
    for (int k = 0; k < 3; k++) {
        o.seeds = k < 2 ? 1 : 2;
        nerkit_model *m = train_with(c, &o, k == 1 ? 6 : 5, NULL);
        b[k] = saved_bytes(m, &len[k]);
        nerkit_model_free(m);
    }
    const size_t L = 9;
    uint32_t slots[4096], R;
    size_t n, at = rows_of(b[2], len[2], slots, &R);
    assert_true(R > 0);
    for (uint32_t r = 0; r < R; r++) {
        uint32_t slot = slots[r];
        for (size_t y = 0; y < L; y++) {
            float mean = (weight_of(b[0], len[0], L, slot, y) + weight_of(b[1], len[1], L, slot, y)) *
                         0.5f;
            float got = lef(b[2] + at + 4 * ((size_t)r * L + y));
            if (fabsf(got - mean) > 1e-5f * (1 + fabsf(mean)))
                fail_msg("slot %u label %zu: %g, not the mean %g", slot, y, got, mean);
        }
    }
    size_t t[3];
    for (int k = 0; k < 3; k++)
        t[k] = find_section(b[k], len[k], "TRAN", &n);
    for (size_t i = 0; i < L * L; i++)
        assert_float_equal(lef(b[2] + t[2] + 4 * i),
                           (lef(b[0] + t[0] + 4 * i) + lef(b[1] + t[1] + 4 * i)) * 0.5f, 1e-5);
    for (int k = 0; k < 3; k++)
        free(b[k]);
    nerkit_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learns_synthetic_task),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_progress_can_stop_training),
        cmocka_unit_test(test_refuses_empty_and_unlabelled),
        cmocka_unit_test(test_case_copies),
        cmocka_unit_test(test_self_lexicon),
        cmocka_unit_test(test_seeds_average),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
