/* Dense features: the BLAS product against the plain C one, the window of
 * word vectors, the tagger's projected vocabulary against the product of
 * each document, and a model trained with word representations surviving
 * save and load exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <math.h>

#include <cmocka.h>

#include "../src/base/blas.h"
#include "../src/core/core.h"

static uint64_t rng = 42;
static float frand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((rng >> 40) & 0xFFFF) / 32768.0f - 1.0f;
}

static void test_blas_matches_plain(void **state)
{
    (void)state;
    /* below and above the size where BLAS takes over */
    const size_t sizes[][3] = {{1, 500, 17}, {15, 500, 17}, {16, 500, 17}, {300, 500, 17},
                               {257, 250, 49}};
    for (size_t c = 0; c < sizeof sizes / sizeof *sizes; c++) {
        size_t T = sizes[c][0], K = sizes[c][1], L = sizes[c][2];
        float *x = malloc(T * K * sizeof *x), *w = malloc(L * K * sizeof *w);
        float *a = malloc(T * L * sizeof *a), *b = malloc(T * L * sizeof *b);
        for (size_t i = 0; i < T * K; i++)
            x[i] = frand();
        for (size_t i = 0; i < L * K; i++)
            w[i] = frand();
        for (size_t i = 0; i < T * L; i++)
            a[i] = b[i] = frand(); /* both add to what is there */
        nk_dense_scores(x, T, K, w, L, a);
        nk_dense_scores_plain(x, T, K, w, L, b);
        for (size_t i = 0; i < T * L; i++) {
            float tol = 1e-5f * (1.0f + fabsf(b[i]));
            if (fabsf(a[i] - b[i]) > tol)
                fail_msg("T=%zu K=%zu L=%zu: %g vs %g", T, K, L, a[i], b[i]);
        }
        free(x);
        free(w);
        free(a);
        free(b);
    }
}

static void test_window_inputs(void **state)
{
    (void)state;
    uint64_t paris = nk_lower_hash("paris", 5), berlin = nk_lower_hash("berlin", 6);
    uint64_t keys[2] = {paris < berlin ? paris : berlin, paris < berlin ? berlin : paris};
    nk_lexicon lx;
    nerkit_error err;
    assert_int_equal(nk_lexicon_init(&lx, keys, 2, 0, 2, &err), NERKIT_OK);
    int32_t p = nk_lexicon_find(&lx, paris), b = nk_lexicon_find(&lx, berlin);
    nk_lexicon_set_vector(&lx, (uint32_t)p, (const float[]){1.0f, -0.5f});
    nk_lexicon_set_vector(&lx, (uint32_t)b, (const float[]){0.25f, 0.0f});
    /* two sentences: Paris x | Berlin */
    int32_t word[3] = {nk_lexicon_find(&lx, nk_lower_hash("PARIS", 5)), -1, b};
    assert_int_equal(word[0], p);
    size_t lens[2] = {2, 1};
    nerkit_document doc = {NULL, NULL, 3, lens, 2};
    float x[3 * NK_WINDOW * 2];
    memset(x, 0xff, sizeof x);
    nk_dense_inputs(&lx, word, &doc, x);
    /* token 0: window -2..+2 = out, out, Paris, x(unknown), out */
    const float want0[10] = {0, 0, 0, 0, 1.0f, -0.5f, 0, 0, 0, 0};
    for (size_t k = 0; k < 10; k++)
        assert_true(fabsf(x[k] - want0[k]) < 0.1f); /* 4-bit components */
    /* token 2 stands alone: Berlin in the middle, nothing of sentence 1 */
    const float want2[10] = {0, 0, 0, 0, 0.25f, 0, 0, 0, 0, 0};
    for (size_t k = 0; k < 10; k++)
        assert_true(fabsf(x[20 + k] - want2[k]) < 0.1f);
    nk_lexicon_free(&lx);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The tagger scores word vectors from its cache of words' scores
 * (nk_dense_word); its scores must be those of the product of the
 * document's window inputs with the dense weights, as the trainers score,
 * for a text of more words than the cache holds, so that words evict each
 * other (and some come back), with words of no vector among them. */
static void test_word_scores_match_product(void **state)
{
    (void)state;
    const char *types[] = {"LOC", "ORG", "PER"};
    size_t tlen[] = {3, 3, 3};
    nk_featcfg feat = {NERKIT_FEAT_WORD | NERKIT_FEAT_VECTORS, 10};
    nerkit_error err;
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, tlen, 3, &feat, &err);
    assert_non_null(m);
    enum { V = 5000, D = 7, N = 3 * V };
    const size_t L = m->nlabels, K = NK_WINDOW * D;
    char (*names)[8] = malloc(V * sizeof *names);
    uint64_t *keys = malloc(V * sizeof *keys);
    for (size_t w = 0; w < V; w++) {
        snprintf(names[w], sizeof names[w], "w%zu", w);
        keys[w] = nk_lower_hash(names[w], strlen(names[w]));
    }
    qsort(keys, V, sizeof *keys, cmp_u64);
    assert_int_equal(nk_lexicon_init(&m->lex, keys, V, 0, D, &err), NERKIT_OK);
    float v[D];
    for (size_t w = 0; w < V; w++) {
        for (size_t k = 0; k < D; k++)
            v[k] = frand();
        if (w % 10) /* every tenth word has no vector */
            nk_lexicon_set_vector(&m->lex, (uint32_t)w, v);
    }
    m->dense = malloc(L * K * sizeof *m->dense);
    for (size_t i = 0; i < L * K; i++)
        m->dense[i] = frand();
    /* one sentence of every word, twice in turn, then once backwards */
    const char **toks = malloc(N * sizeof *toks);
    size_t *lens = malloc(N * sizeof *lens);
    for (size_t i = 0; i < N; i++) {
        toks[i] = names[i < 2 * V ? i % V : N - 1 - i];
        lens[i] = strlen(toks[i]);
    }
    nerkit_document doc = {toks, lens, N, (size_t[]){N}, 1};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    const float *em;
    assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);

    nk_featbuf fb = {0};
    assert_int_equal(nk_features_extract(&m->feat, &m->lex, NULL, &doc, &fb, &err), NERKIT_OK);
    float *x = malloc((size_t)N * K * sizeof *x), *want = calloc((size_t)N * L, sizeof *want);
    nk_dense_inputs(&m->lex, fb.word, &doc, x);
    nk_dense_scores_plain(x, N, K, m->dense, L, want);
    for (size_t i = 0; i < (size_t)N * L; i++)
        if (fabsf(em[i] - want[i]) > 1e-5f * (1.0f + fabsf(want[i])))
            fail_msg("token %zu label %zu: product %g, tagger %g", i / L, i % L, want[i], em[i]);
    /* a word without a vector scores nothing of its own */
    float out[NK_WINDOW * 16], tmp[NK_WINDOW * 16];
    assert_false(nk_dense_word(m, 0, v, tmp, out));
    nk_featbuf_free(&fb);
    nerkit_tagger_free(t);
    free(x);
    free(want);
    free(toks);
    free(lens);
    free(names);
    free(keys);
    nerkit_model_free(m);
}

static char *write_file(const char *name, const char *text)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/nerkit-dense-%d-%s", (int)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* A corpus where the type of a capitalised word is told by its vector and
 * its Brown cluster, not by its spelling: "we saw NAME today", cities
 * labelled loc and people per. */
static nerkit_corpus *names_corpus(const char *loc, const char *per)
{
    const char *names[] = {"Paris", "Rome", "Anna", "Maria"};
    nk_buf corpus = {0};
    for (int s = 0; s < 200; s++) {
        int k = s % 4;
        nk_buf_printf(&corpus, "we O\nsaw O\n%s B-%s\ntoday O\n\n", names[k], k < 2 ? loc : per);
    }
    nk_buf_printf(&corpus, "we O\nsaw O\n\n");
    nerkit_error err;
    nerkit_corpus *c = nerkit_corpus_parse(corpus.p, corpus.len, "dense", NULL, &err);
    if (!c)
        fail_msg("%s", err.message);
    nk_buf_free(&corpus);
    return c;
}

static void test_model_with_representations_round_trip(void **state)
{
    (void)state;
    char *vec = write_file("v.txt", "4 3\nparis 1 0 0\nrome 0.9 0.1 0\nanna 0 1 0\nmaria 0 0.9 0.2\n");
    char *brown = write_file("b.txt", "0010\tparis\t5\n0011\trome\t4\n110\tanna\t3\n111\tmaria\t2\n");
    nerkit_corpus *c = names_corpus("LOC", "PER");
    nerkit_error err;
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 5;
    const char *clusters[] = {brown};
    o.cluster_files = clusters;
    o.ncluster_files = 1;
    o.vectors_file = vec;
    nerkit_model *m = nerkit_train(c, NULL, &o, NULL, NULL, &err);
    if (!m)
        fail_msg("%s", err.message);
    assert_true(m->feat.groups & NERKIT_FEAT_CLUSTERS);
    assert_true(m->feat.groups & NERKIT_FEAT_VECTORS);
    assert_int_equal(m->lex.dim, 3);

    char *path = write_file("m.nerkit", "");
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model *back = nerkit_model_load(path, &err);
    if (!back)
        fail_msg("%s", err.message);
    assert_int_equal(back->lex.nwords, m->lex.nwords);
    assert_memory_equal(back->dense, m->dense, m->nlabels * NK_WINDOW * 3 * sizeof(float));
    /* tagging with both gives the same labels, and words known only by
     * their representations ("rome" spelled in capitals) are found */
    const char *toks[] = {"we", "saw", "ROME", "and", "Maria"};
    size_t lens[] = {2, 3, 4, 3, 5};
    uint16_t a[5], b[5];
    nerkit_tagger *ta = nerkit_tagger_new(m, &err), *tb = nerkit_tagger_new(back, &err);
    assert_int_equal(nerkit_tag_sentence(ta, toks, lens, 5, a, &err), NERKIT_OK);
    assert_int_equal(nerkit_tag_sentence(tb, toks, lens, 5, b, &err), NERKIT_OK);
    assert_memory_equal(a, b, sizeof a);
    const char *out[5];
    nerkit_model_label_strings(m, a, 5, NERKIT_SCHEME_IOB2, out);
    assert_string_equal(out[4], "B-PER");
    nerkit_tagger_free(ta);
    nerkit_tagger_free(tb);
    nerkit_model_free(m);
    nerkit_model_free(back);
    nerkit_corpus_free(c);
    unlink(path);
    unlink(vec);
    unlink(brown);
    free(path);
    free(vec);
    free(brown);
}

static nerkit_model *train_or_fail(const nerkit_corpus *c, const nerkit_train_opts *o)
{
    nerkit_error err;
    nerkit_model *m = nerkit_train(c, NULL, o, NULL, NULL, &err);
    if (!m)
        fail_msg("%s", err.message);
    return m;
}

static void save_or_fail(const nerkit_model *m, const char *path)
{
    nerkit_error err;
    if (nerkit_model_save(m, path, &err))
        fail_msg("%s", err.message);
}

/* lexicon_from: a model of another label set takes the source's lexicon
 * and gazetteer as they are, owns them (the source model and its file may
 * go), and tags by them. */
static void test_lexicon_from_model(void **state)
{
    (void)state;
    char *vec = write_file("v.txt", "4 3\nparis 1 0 0\nrome 0.9 0.1 0\nanna 0 1 0\nmaria 0 0.9 0.2\n");
    char *brown = write_file("b.txt", "0010\tparis\t5\n0011\trome\t4\n110\tanna\t3\n111\tmaria\t2\n");
    char *kmeans = write_file("k.txt", "#nerkit-clusters\t2\t4\nparis\t0\t0\nrome\t0\t1\nanna\t1\t2\nmaria\t1\t3\n");
    char *gaz = write_file("g.tsv", "Paris\tCITY\nRome\tCITY\n");
    char *src_path = write_file("src.nerkit", ""), *plain_path = write_file("plain.nerkit", "");
    char *path = write_file("m.nerkit", "");
    nerkit_corpus *c = names_corpus("LOC", "PER"), *custom = names_corpus("PLACE", "NAME");
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 5;
    nerkit_model *plain = train_or_fail(c, &o);
    save_or_fail(plain, plain_path);
    const char *clusters[] = {brown, kmeans}, *gazetteers[] = {gaz};
    o.cluster_files = clusters;
    o.ncluster_files = 2;
    o.vectors_file = vec;
    o.gazetteer_files = gazetteers;
    o.ngazetteer_files = 1;
    nerkit_model *trained = train_or_fail(c, &o);
    save_or_fail(trained, src_path);
    nerkit_model_free(trained);
    nerkit_error err;
    nerkit_model *src = nerkit_model_load(src_path, &err);
    assert_non_null(src);
    assert_int_equal(src->lex.nclusterings, 3);

    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 5;
    o.lexicon_from = src_path;
    nerkit_model *m = train_or_fail(custom, &o);
    const unsigned groups = NERKIT_FEAT_CLUSTERS | NERKIT_FEAT_VECTORS | NERKIT_FEAT_GAZETTEER;
    assert_int_equal(m->feat.groups & groups, groups);
    const nk_lexicon *a = &src->lex, *b = &m->lex;
    assert_int_equal(b->nwords, a->nwords);
    assert_int_equal(b->nclusterings, a->nclusterings);
    assert_int_equal(b->dim, a->dim);
    assert_memory_equal(b->brown, a->brown, sizeof a->brown);
    assert_memory_equal(b->key, a->key, a->nwords * sizeof *a->key);
    assert_memory_equal(b->cluster, a->cluster, a->nwords * a->nclusterings * sizeof *a->cluster);
    assert_memory_equal(b->cstart, a->cstart, sizeof a->cstart);
    assert_memory_equal(b->cvalue, a->cvalue, a->cstart[a->nclusterings] * sizeof *a->cvalue);
    assert_int_equal(b->nvec, a->nvec);
    assert_memory_equal(b->has_vec, a->has_vec, (a->nwords + 63) / 64 * sizeof *a->has_vec);
    assert_memory_equal(b->vec, a->vec, a->nvec * NK_VEC_BYTES(a->dim));
    assert_memory_equal(b->vec_scale, a->vec_scale, a->nvec);
    assert_int_equal(m->gaz.nstates, src->gaz.nstates);
    assert_int_equal(m->gaz.nlists, 1);
    assert_string_equal(m->gaz.lists[0], "CITY");
    assert_memory_equal(m->gaz.key, src->gaz.key, src->gaz.nstates * sizeof *src->gaz.key);

    /* what the source model makes cannot be added to */
    o.vectors_file = vec;
    assert_null(nerkit_train(custom, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, src_path));
    o.vectors_file = NULL;
    o.gazetteer_files = gazetteers;
    o.ngazetteer_files = 1;
    assert_null(nerkit_train(custom, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "gazetteer lists of its own"));
    o.gazetteer_files = NULL;
    o.ngazetteer_files = 0;
    /* nor taken from a model that has none, or from what is no model */
    o.lexicon_from = plain_path;
    assert_null(nerkit_train(custom, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "no lexicon"));
    o.lexicon_from = vec;
    assert_null(nerkit_train(custom, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_MODEL);
    assert_non_null(strstr(err.message, vec));

    nerkit_model_free(src);
    unlink(src_path);
    /* the cities by their representations alone: capitals no training
     * sentence has, and a gazetteer entry in lower case */
    const char *toks[] = {"we", "saw", "ROME", "and", "Maria", "in", "paris"};
    size_t lens[] = {2, 3, 4, 3, 5, 2, 5};
    uint16_t labels[7];
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_int_equal(nerkit_tag_sentence(t, toks, lens, 7, labels, &err), NERKIT_OK);
    const char *out[7];
    nerkit_model_label_strings(m, labels, 7, NERKIT_SCHEME_IOB2, out);
    assert_string_equal(out[2], "B-PLACE");
    assert_string_equal(out[4], "B-NAME");
    nerkit_tagger_free(t);
    /* and the model keeps them in its file */
    save_or_fail(m, path);
    nerkit_model *back = nerkit_model_load(path, &err);
    assert_non_null(back);
    assert_int_equal(back->lex.nwords, m->lex.nwords);
    assert_int_equal(back->lex.nvec, m->lex.nvec);
    assert_memory_equal(back->lex.vec, m->lex.vec, m->lex.nvec * NK_VEC_BYTES(m->lex.dim));
    assert_int_equal(back->gaz.nstates, m->gaz.nstates);

    nerkit_model_free(back);
    nerkit_model_free(m);
    nerkit_model_free(plain);
    nerkit_corpus_free(c);
    nerkit_corpus_free(custom);
    char *files[] = {vec, brown, kmeans, gaz, src_path, plain_path, path};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        unlink(files[i]);
        free(files[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blas_matches_plain),
        cmocka_unit_test(test_window_inputs),
        cmocka_unit_test(test_word_scores_match_product),
        cmocka_unit_test(test_model_with_representations_round_trip),
        cmocka_unit_test(test_lexicon_from_model),
    };
    return cmocka_run_group_tests_name("dense", tests, NULL, NULL);
}
