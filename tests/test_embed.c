/* Word representations: co-occurrence counting, PPMI, the randomized SVD,
 * k-means and its distances, and the vector and cluster files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lapacke.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/embed/embed.h"

static char dir[] = "/tmp/nerkit-test-embed-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* A file in the test folder, written with the given text. */
static const char *file(const char *name, const char *text)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    if (text) {
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
    return p;
}

static uint64_t rng = 12345;
static double uniform(void)
{
    rng += 0x9e3779b97f4a7c15ULL;
    return (double)(nk_mix64(rng) >> 11) / 9007199254740992.0;
}
static float normal(void)
{
    return (float)(sqrt(-2 * log(uniform() + 1e-300)) * cos(2 * M_PI * uniform()));
}

/* ---- counting and PPMI */

static void merge_all(nk_cooc *c, nk_pairbuf *b, const uint32_t *ids, size_t n)
{
    nerkit_error err;
    for (size_t i = 0; i < n;) {
        i = nk_pairs_add(b, ids, n, i);
        nk_pairs_reduce(b);
        assert_int_equal(nk_cooc_merge(c, b, SIZE_MAX, &err), NERKIT_OK);
    }
}

static void test_window_counts(void **state)
{
    (void)state;
    /* window 2: (0,1) at distance 1 twice, (0,0) at distance 2 (counted
     * from both sides), (0,2) at distance 2 across an unknown word */
    const uint32_t ids[] = {0, 1, 0, NK_OOV, 2};
    for (size_t cap = 3; cap <= 64; cap += 61) { /* a tiny buffer flushes at every token */
        nk_pairbuf b;
        nk_cooc c = {0};
        nerkit_error err;
        assert_int_equal(nk_pairbuf_init(&b, cap, 3, 2, false, &err), NERKIT_OK);
        merge_all(&c, &b, ids, 5);
        assert_int_equal(c.n, 3);
        assert_true(c.key[0] == 0 && c.val[0] == NK_COOC_UNIT);
        assert_true(c.key[1] == 1 && c.val[1] == 2 * NK_COOC_UNIT);
        assert_true(c.key[2] == 2 && c.val[2] == NK_COOC_UNIT / 2);
        /* the same text again doubles every count */
        merge_all(&c, &b, ids, 5);
        assert_int_equal(c.n, 3);
        assert_true(c.val[1] == 4 * NK_COOC_UNIT);
        nk_pairbuf_free(&b);
        nk_cooc_free(&c);
    }
}

static void test_pair_pruning(void **state)
{
    (void)state;
    /* 39 distinct pairs seen once and (1,2) seen often: over a bound of
     * 16 pairs, the rare ones go and the frequent one stays */
    nk_pairbuf b;
    nk_cooc c = {0};
    nerkit_error err;
    assert_int_equal(nk_pairbuf_init(&b, 1024, 64, 1, false, &err), NERKIT_OK);
    uint32_t ids[200];
    size_t n = 0;
    for (uint32_t w = 3; w < 43; w++) /* 39 pairs (w, w + 1) */
        ids[n++] = w;
    ids[n++] = NK_OOV;
    for (int r = 0; r < 50; r++) {
        ids[n++] = 1;
        ids[n++] = 2;
        ids[n++] = NK_OOV;
    }
    assert_int_equal(nk_pairs_add(&b, ids, n, 0), n);
    nk_pairs_reduce(&b);
    assert_int_equal(nk_cooc_merge(&c, &b, 16, &err), NERKIT_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.prunes, 1);
    bool kept = false;
    for (size_t i = 0; i < c.n; i++)
        kept |= c.key[i] == ((uint64_t)1 << 32 | 2) && c.val[i] == 50 * NK_COOC_UNIT;
    assert_true(kept);
    nk_pairbuf_free(&b);
    nk_cooc_free(&c);
}

/* The symmetric counts
 *     X = [2 4 1]    row sums 7, 7, 4
 *         [4 0 3]
 *         [1 3 0]
 * give PMI(w,c) = log(X(w,c) * sum_c' r(c')^a / (r(w) * r(c)^a)); the
 * values below were worked out by hand (and checked with a calculator). */
static void test_ppmi_by_hand(void **state)
{
    (void)state;
    uint64_t key[] = {0, 1, 2, (uint64_t)1 << 32 | 2};
    uint64_t val[] = {2, 4, 1, 3};
    nk_cooc c = {key, val, 4, 4, 0, 0};
    nerkit_error err;
    nk_csr A;
    /* plain PPMI (a = 1): log(4*18/49) and log(3*18/28); the rest is
     * negative or absent, and A is symmetric */
    assert_int_equal(nk_ppmi(&c, 3, 1.0, &A, &err), NERKIT_OK);
    const size_t row[] = {0, 1, 3, 4};
    const uint32_t col[] = {1, 0, 2, 1};
    const float a1[] = {0.3848458f, 0.3848458f, 0.6567795f, 0.6567795f};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(A.row[i], row[i]);
    for (size_t e = 0; e < 4; e++) {
        assert_int_equal(A.col[e], col[e]);
        assert_float_equal(A.a[e], a1[e], 1e-6);
        assert_float_equal(A.at[e], a1[e], 1e-6);
    }
    nk_csr_free(&A);
    /* smoothed contexts (a = 0.75) make A asymmetric: A(1,2) = 0.5497005
     * but A(2,1) = 0.6896045; at holds the transpose */
    assert_int_equal(nk_ppmi(&c, 3, 0.75, &A, &err), NERKIT_OK);
    const float a[] = {0.4176708f, 0.4176708f, 0.5497005f, 0.6896045f};
    const float at[] = {0.4176708f, 0.4176708f, 0.6896045f, 0.5497005f};
    for (size_t e = 0; e < 4; e++) {
        assert_int_equal(A.col[e], col[e]);
        assert_float_equal(A.a[e], a[e], 1e-6);
        assert_float_equal(A.at[e], at[e], 1e-6);
    }
    nk_csr_free(&A);
}

/* ---- the randomized SVD */

static void test_rsvd_low_rank(void **state)
{
    (void)state;
    /* M = sum of 6 random rank-one terms with weights 40 .. 15, plus a
     * little noise, stored as a dense "sparse" matrix */
    enum { N = 90, R = 6 };
    static float M[N * N], F[N * N], U[N * R], s[R], sref[N], uref[N * N], vt[N * N];
    float u[R][N], v[R][N];
    for (int r = 0; r < R; r++)
        for (int i = 0; i < N; i++) {
            u[r][i] = normal();
            v[r][i] = normal();
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            float x = 0.01f * normal();
            for (int r = 0; r < R; r++)
                x += (40.0f - 5 * r) / N * u[r][i] * v[r][j];
            M[i * N + j] = x;
        }
    nk_csr A = {N, malloc((N + 1) * sizeof(size_t)), malloc(N * N * sizeof(uint32_t)),
                malloc(N * N * sizeof(float)), malloc(N * N * sizeof(float))};
    for (int i = 0; i <= N; i++)
        A.row[i] = (size_t)i * N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A.col[i * N + j] = (uint32_t)j;
            A.a[i * N + j] = M[i * N + j];
            A.at[i * N + j] = M[j * N + i];
        }
    nk_rsvd_opts o = {R, 10, 2, 7, 2, NULL, NULL};
    nerkit_error err;
    assert_int_equal(nk_rsvd(&A, &o, U, s, &err), NERKIT_OK);
    memcpy(F, M, sizeof F);
    assert_int_equal(LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', N, N, F, N, sref, uref, N, vt, N), 0);
    for (int r = 0; r < R; r++) {
        assert_float_equal(s[r], sref[r], 1e-3 * sref[0]);
        /* the same singular vector, up to its sign */
        double dot = 0;
        for (int i = 0; i < N; i++)
            dot += U[i * R + r] * uref[i * N + r];
        assert_float_equal(fabs(dot), 1.0, 1e-3);
    }
    nk_csr_free(&A);
}

/* ---- k-means */

static void test_distances_blas_vs_plain(void **state)
{
    (void)state;
    enum { N = 300, K = 70, D = 37 };
    static float X[N * D], C[K * D], xn[N], cn[K], out[N * K];
    for (int i = 0; i < N + K; i++) {
        float *row = i < N ? X + i * D : C + (i - N) * D;
        double s = 0;
        for (int j = 0; j < D; j++) {
            row[j] = normal();
            s += row[j] * row[j];
        }
        for (int j = 0; j < D; j++) /* unit length, as k-means clusters them */
            row[j] = (float)(row[j] / sqrt(s));
        float nn = 0;
        for (int j = 0; j < D; j++)
            nn += row[j] * row[j];
        *(i < N ? &xn[i] : &cn[i - N]) = nn;
    }
    nk_sqdist(X, N, D, xn, C, K, cn, out);
    double worst = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K; j++) {
            double d = 0;
            for (int t = 0; t < D; t++)
                d += ((double)X[i * D + t] - C[j * D + t]) * ((double)X[i * D + t] - C[j * D + t]);
            worst = fmax(worst, fabs(d - out[i * K + j]));
        }
    assert_true(worst < 1e-5);
}

static nerkit_vectors *blobs(size_t groups, size_t per, size_t dim, float spread)
{
    size_t n = groups * per;
    char (*names)[16] = malloc(n * sizeof *names);
    const char **words = malloc(n * sizeof *words);
    float *data = malloc(n * dim * sizeof *data);
    for (size_t i = 0; i < n; i++) {
        /* interleaved, so a group is not a run of rows */
        size_t g = i % groups;
        snprintf(names[i], 16, "w%zu", i);
        words[i] = names[i];
        for (size_t j = 0; j < dim; j++)
            data[i * dim + j] = (j == g ? 10.0f : 0.0f) + spread * normal();
    }
    nerkit_error err;
    nerkit_vectors *v = nerkit_vectors_new(words, data, n, dim, &err);
    assert_non_null(v);
    free(names);
    free(words);
    free(data);
    return v;
}

static void test_kmeans_finds_blobs(void **state)
{
    (void)state;
    nerkit_vectors *v = blobs(5, 60, 8, 0.5f);
    for (int normalize = 0; normalize <= 1; normalize++) {
        nerkit_kmeans_opts o;
        nerkit_kmeans_opts_init(&o);
        o.normalize = normalize;
        size_t ks[] = {5, 2, 300};
        nerkit_error err;
        nerkit_clusters *c = nerkit_kmeans(v, ks, 3, &o, &err);
        assert_non_null(c);
        assert_int_equal(nerkit_clusters_levels(c), 3);
        assert_int_equal(nerkit_clusters_k(c, 0), 5);
        /* every group in one cluster of its own */
        uint32_t of_group[5];
        bool used[5] = {false};
        for (size_t i = 0; i < 300; i++) {
            uint32_t id = nerkit_clusters_id(c, 0, i);
            if (i < 5) {
                assert_false(used[id]);
                used[id] = true;
                of_group[i] = id;
            }
            assert_int_equal(id, of_group[i % 5]);
        }
        /* k = n: every word alone */
        bool seen[300] = {false};
        for (size_t i = 0; i < 300; i++) {
            uint32_t id = nerkit_clusters_id(c, 2, i);
            assert_false(seen[id]);
            seen[id] = true;
        }
        /* and the file says the same */
        const char *path = file("blobs.clusters", NULL);
        assert_int_equal(nerkit_clusters_save(c, path, &err), NERKIT_OK);
        nerkit_clusters *back = nerkit_clusters_load(path, &err);
        assert_non_null(back);
        assert_int_equal(nerkit_clusters_count(back), 300);
        for (size_t i = 0; i < 300; i++) {
            int64_t j = nerkit_clusters_find(back, nerkit_clusters_word(c, i),
                                             strlen(nerkit_clusters_word(c, i)));
            assert_int_equal(j, (int64_t)i);
            for (size_t l = 0; l < 3; l++)
                assert_int_equal(nerkit_clusters_id(back, l, i), nerkit_clusters_id(c, l, i));
        }
        assert_null(nerkit_clusters_path(back, 0));
        nerkit_clusters_free(back);
        nerkit_clusters_free(c);
    }
    nerkit_error err;
    size_t too_many = 301;
    nerkit_kmeans_opts o;
    nerkit_kmeans_opts_init(&o);
    assert_null(nerkit_kmeans(v, &too_many, 1, &o, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    nerkit_vectors_free(v);
}

/* ---- files */

static void test_vector_files_round_trip(void **state)
{
    (void)state;
    const char *words[] = {"the", "Zürich", "U.S.", "'s", "東京", "-"};
    enum { N = 6, D = 7 };
    float data[N * D];
    for (int i = 0; i < N * D; i++)
        data[i] = normal() * (i % 3 == 0 ? 1e-3f : 10.0f);
    nerkit_error err;
    nerkit_vectors *v = nerkit_vectors_new(words, data, N, D, &err);
    assert_non_null(v);
    const nerkit_vec_format formats[] = {NERKIT_VEC_WORD2VEC, NERKIT_VEC_WORD2VEC_BIN,
                                         NERKIT_VEC_GLOVE};
    for (int f = 0; f < 3; f++) {
        const char *path = file("v.vec", NULL);
        assert_int_equal(nerkit_vectors_save(v, path, formats[f], &err), NERKIT_OK);
        for (int autodetect = 0; autodetect <= 1; autodetect++) {
            nerkit_vectors *w =
                nerkit_vectors_load(path, autodetect ? NERKIT_VEC_AUTO : formats[f], &err);
            if (!w)
                fail_msg("format %d: %s", f, err.message);
            assert_int_equal(nerkit_vectors_count(w), N);
            assert_int_equal(nerkit_vectors_dim(w), D);
            for (int i = 0; i < N; i++) {
                assert_string_equal(nerkit_vectors_word(w, (size_t)i), words[i]);
                const float *row = nerkit_vectors_get(w, words[i], strlen(words[i]));
                assert_ptr_equal(row, nerkit_vectors_data(w) + i * D);
                for (int j = 0; j < D; j++) {
                    float want = data[i * D + j];
                    if (formats[f] == NERKIT_VEC_WORD2VEC_BIN)
                        assert_true(row[j] == want); /* exact */
                    else
                        assert_float_equal(row[j], want, 1e-6 * fabsf(want));
                }
            }
            assert_int_equal(nerkit_vectors_find(w, "Zurich", 6), -1);
            nerkit_vectors_free(w);
        }
    }
    /* gzip is read as well */
    char *text;
    size_t len;
    const char *plain = file("v.vec", NULL), *gz = file("v.vec.gz", NULL);
    assert_int_equal(nerkit_vectors_save(v, plain, NERKIT_VEC_WORD2VEC, &err), NERKIT_OK);
    assert_int_equal(nerkit_read_file(plain, &text, &len, &err), NERKIT_OK);
    gzFile g = gzopen(gz, "wb");
    gzwrite(g, text, (unsigned)len);
    gzclose(g);
    free(text);
    nerkit_vectors *w = nerkit_vectors_load(gz, NERKIT_VEC_AUTO, &err);
    assert_non_null(w);
    assert_int_equal(nerkit_vectors_count(w), N);
    /* nearest neighbours: a word is its own nearest */
    size_t rows[3];
    float cos[3];
    assert_int_equal(nerkit_vectors_nearest(w, nerkit_vectors_data(w) + 2 * D, 3, rows, cos), 3);
    assert_int_equal(rows[0], 2);
    assert_float_equal(cos[0], 1.0, 1e-5);
    assert_true(cos[1] >= cos[2]);
    nerkit_vectors_free(w);
    nerkit_vectors_free(v);

    /* a word the format would split is refused, and no file is left */
    const char *spaced[] = {"ok", "new york"};
    v = nerkit_vectors_new(spaced, data, 2, D, &err);
    assert_non_null(v);
    const char *bad = file("spaced.vec", NULL);
    unlink(bad);
    assert_int_equal(nerkit_vectors_save(v, bad, NERKIT_VEC_GLOVE, &err), NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "word 1 ('new york') is empty or has white space"));
    assert_int_equal(access(bad, F_OK), -1);
    nerkit_vectors_free(v);

    /* nor can a GloVe file start with the gzip magic (found by fuzz_wordvec);
     * word2vec's header line comes first, so it can hold the word */
    const char *magic[] = {"\x1f\x8b", "ok"};
    v = nerkit_vectors_new(magic, data, 2, D, &err);
    assert_non_null(v);
    assert_int_equal(nerkit_vectors_save(v, bad, NERKIT_VEC_GLOVE, &err), NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "magic bytes of gzip data"));
    assert_int_equal(access(bad, F_OK), -1);
    /* nor with those of a compression the readers refuse (found by
     * fuzz_wordvec once the readers named bzip2, xz, zstd and zip) */
    const char *zstd[] = {"\x28\xb5\x2f\xfd", "ok"}, *bz[] = {"BZh9", "ok"};
    for (int k = 0; k < 2; k++) {
        nerkit_vectors *z = nerkit_vectors_new(k ? bz : zstd, data, 2, D, &err);
        assert_non_null(z);
        assert_int_equal(nerkit_vectors_save(z, bad, NERKIT_VEC_GLOVE, &err), NERKIT_ERR_ARG);
        assert_non_null(strstr(err.message, k ? "bzip2" : "zstd"));
        assert_int_equal(access(bad, F_OK), -1);
        nerkit_vectors_free(z);
    }
    assert_int_equal(nerkit_vectors_save(v, bad, NERKIT_VEC_WORD2VEC, &err), NERKIT_OK);
    nerkit_vectors *back = nerkit_vectors_load(bad, NERKIT_VEC_AUTO, &err);
    assert_non_null(back);
    assert_string_equal(nerkit_vectors_word(back, 0), "\x1f\x8b");
    nerkit_vectors_free(back);
    nerkit_vectors_free(v);
    unlink(bad);
}

static void test_brown_clusters(void **state)
{
    (void)state;
    const char *path = file("brown.txt", "0010\tthe\t1500\n"
                                         "0011\tnew york\t12\n"
                                         "110\tParis\r\n"
                                         "\n");
    nerkit_error err;
    nerkit_clusters *c = nerkit_clusters_load(path, &err);
    if (!c)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_clusters_count(c), 3);
    assert_int_equal(nerkit_clusters_levels(c), 0);
    int64_t i = nerkit_clusters_find(c, "new york", 8);
    assert_int_equal(i, 1);
    assert_string_equal(nerkit_clusters_path(c, 1), "0011");
    assert_int_equal(nerkit_clusters_frequency(c, 1), 12);
    assert_string_equal(nerkit_clusters_path(c, 2), "110");
    assert_int_equal(nerkit_clusters_frequency(c, 2), 0);
    /* written back the same */
    const char *out = file("brown.out", NULL);
    assert_int_equal(nerkit_clusters_save(c, out, &err), NERKIT_OK);
    char *text;
    size_t len;
    assert_int_equal(nerkit_read_file(out, &text, &len, &err), NERKIT_OK);
    assert_true(len == strlen("0010\tthe\t1500\n0011\tnew york\t12\n110\tParis\n") &&
                memcmp(text, "0010\tthe\t1500\n0011\tnew york\t12\n110\tParis\n", len) == 0);
    free(text);
    nerkit_clusters_free(c);

    /* the shared Brown clusters, when they are here */
    const char *data = getenv("NER_DATA");
    char real[1024];
    snprintf(real, sizeof real, "%s/clusters/nlp4j_twitter_brown_lowercase.txt",
             data && *data ? data : "../shared/data");
    if (access(real, R_OK) != 0) {
        print_message("skipped: no %s\n", real);
        return;
    }
    c = nerkit_clusters_load(real, &err);
    if (!c)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_clusters_count(c), 216852);
    i = nerkit_clusters_find(c, "the", 3);
    assert_true(i >= 0);
    assert_true(strspn(nerkit_clusters_path(c, (size_t)i), "01") ==
                strlen(nerkit_clusters_path(c, (size_t)i)));
    nerkit_clusters_free(c);
}

/* Loading must fail with the file and line (or offset) in the message. */
static void expect_vec_error(const char *name, const char *text, size_t len, nerkit_vec_format f,
                             const char *where)
{
    const char *path = file(name, NULL);
    FILE *fp = fopen(path, "wb");
    fwrite(text, 1, len, fp);
    fclose(fp);
    nerkit_error err = {0};
    nerkit_vectors *v = nerkit_vectors_load(path, f, &err);
    if (v)
        fail_msg("%s loaded", name);
    char want[512];
    snprintf(want, sizeof want, "%s%s", path, where);
    if (!strstr(err.message, want))
        fail_msg("%s: message '%s' lacks '%s'", name, err.message, want);
}

static void expect_cluster_error(const char *name, const char *text, const char *where)
{
    const char *path = file(name, text);
    nerkit_error err = {0};
    nerkit_clusters *c = nerkit_clusters_load(path, &err);
    if (c)
        fail_msg("%s loaded", name);
    char want[512];
    snprintf(want, sizeof want, "%s%s", path, where);
    if (!strstr(err.message, want))
        fail_msg("%s: message '%s' lacks '%s'", name, err.message, want);
}

#define TEXT(s) s, sizeof s - 1

static void test_bad_files(void **state)
{
    (void)state;
    const nerkit_vec_format T = NERKIT_VEC_WORD2VEC, B = NERKIT_VEC_WORD2VEC_BIN,
                            G = NERKIT_VEC_GLOVE, A = NERKIT_VEC_AUTO;
    expect_vec_error("short.vec", TEXT("3 2\na 1 2\nb 1 2\n"), T, ": the header says 3 vectors");
    expect_vec_error("long.vec", TEXT("1 2\na 1 2\nb 1 2\n"), T, ":3: more vectors");
    expect_vec_error("nan.vec", TEXT("2 2\na 1 2\nb 1 x\n"), T, ":3: number 2");
    expect_vec_error("inf.vec", TEXT("2 2\na 1 2\nb inf 1\n"), T, ":3: number 1");
    expect_vec_error("extra.vec", TEXT("1 2\na 1 2 3\n"), A, ":2: more than 2 numbers");
    expect_vec_error("header.vec", TEXT("two 2\na 1 2\n"), T, ":1: expected the word2vec header");
    expect_vec_error("ragged.txt", TEXT("a 1 2\nb 1\n"), G, ":2: number 2");
    expect_vec_error("noword.txt", TEXT("a 1 2\n 1 2\n"), G, ":2: expected a word");
    expect_vec_error("nul.txt", TEXT("a 1 2\nb\0 1 2\n"), G, ":2: NUL byte");
    expect_vec_error("empty.txt", TEXT(""), G, ": no vectors");
    /* binary: truncated inside the second vector, which starts at byte 15 */
    expect_vec_error("cut.bin", TEXT("2 2\na \0\0\x80?\0\0\0@\nb \0\0\x80"), B,
                     ": vector 2 ('b', byte offset 15): truncated");
    expect_vec_error("cut2.bin", TEXT("3 1\na \0\0\x80?\n"), A,
                     ": vector 2 (byte offset 11): the file ends");
    expect_vec_error("nan.bin", TEXT("1 1\na \0\0\xc0\x7f\n"), B, ": vector 1 ('a', byte offset 4)");

    expect_cluster_error("bits.txt", "0101\tthe\n01x1\tcat\n", ":2: the path '01x1'");
    expect_cluster_error("noword.txt", "0101\tthe\n0101\n", ":2: expected BITS<TAB>WORD");
    expect_cluster_error("count.txt", "0101\tthe\tmany\n", ":1: the count 'many'");
    expect_cluster_error("twice.txt", "0101\tthe\n0111\ta\n0101\tthe\n", ":3: 'the' is listed twice");
    expect_cluster_error("k.clusters", "#nerkit-clusters\t4\t2\nthe\t3\t1\ncat\t1\t2\n",
                         ":3: cluster id '2' is not a number below 2");
    expect_cluster_error("cols.clusters", "#nerkit-clusters\t4\t2\nthe\t3\n",
                         ":2: expected a word and 2 cluster ids");
    expect_cluster_error("head.clusters", "#nerkit-clusters\tmany\n", ":1: field 2, 'many'");
    expect_cluster_error("none.clusters", "#nerkit-clusters\t4\n", ": no clustered words");
}

/* ---- learning from text */

/* Sentences from a little grammar in which days and cities fill different
 * slots: vectors must put each day nearest another day. */
static const char *grammar_corpus(const char *name, int docs)
{
    static const char *days[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"};
    static const char *cities[] = {"Paris", "London", "Berlin", "Madrid", "Rome"};
    static const char *verbs[] = {"rose", "fell", "climbed", "slipped"};
    const char *path = file(name, NULL);
    FILE *f = fopen(path, "w");
    for (int d = 0; d < docs; d++) {
        for (int s = 0; s < 8; s++) {
            fprintf(f, "Shares in %s %s %d percent on %s .\n", cities[(int)(uniform() * 5)],
                    verbs[(int)(uniform() * 4)], 1 + (int)(uniform() * 9),
                    days[(int)(uniform() * 5)]);
            fprintf(f, "On %s , traders in %s said the market was %s .\n",
                    days[(int)(uniform() * 5)], cities[(int)(uniform() * 5)],
                    uniform() < 0.5 ? "calm" : "busy");
        }
        fputs("\n", f);
    }
    fclose(f);
    return path;
}

static void test_embed_learns(void **state)
{
    (void)state;
    const char *path = grammar_corpus("grammar.txt", 200);
    nerkit_embed_opts o;
    nerkit_embed_opts_init(&o);
    o.dim = 8;
    o.window = 2;
    o.min_count = 3;
    o.threads = 1;
    nerkit_error err;
    nerkit_vectors *v1 = nerkit_embed(&path, 1, &o, &err);
    if (!v1)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_vectors_dim(v1), 8);
    /* most frequent first: every sentence has a full stop */
    assert_string_equal(nerkit_vectors_word(v1, 0), ".");
    size_t rows[2];
    float cos[2];
    const char *probe[] = {"Monday", "Paris"};
    for (int p = 0; p < 2; p++) {
        const float *q = nerkit_vectors_get(v1, probe[p], strlen(probe[p]));
        assert_non_null(q);
        assert_int_equal(nerkit_vectors_nearest(v1, q, 2, rows, cos), 2);
        const char *near = nerkit_vectors_word(v1, rows[1]);
        bool same_kind = p == 0 ? strstr("Monday Tuesday Wednesday Thursday Friday", near) != NULL
                                : strstr("Paris London Berlin Madrid Rome", near) != NULL;
        if (!same_kind)
            fail_msg("nearest to %s: %s", probe[p], near);
    }
    /* integer counts and row-wise products: the thread count changes nothing */
    o.threads = 2;
    nerkit_vectors *v2 = nerkit_embed(&path, 1, &o, &err);
    assert_non_null(v2);
    assert_int_equal(nerkit_vectors_count(v1), nerkit_vectors_count(v2));
    assert_memory_equal(nerkit_vectors_data(v1), nerkit_vectors_data(v2),
                        nerkit_vectors_count(v1) * 8 * sizeof(float));
    nerkit_vectors_free(v2);
    /* --lower folds the case */
    o.lower = 1;
    v2 = nerkit_embed(&path, 1, &o, &err);
    assert_non_null(v2);
    assert_true(nerkit_vectors_find(v2, "monday", 6) >= 0);
    assert_int_equal(nerkit_vectors_find(v2, "Monday", 6), -1);
    nerkit_vectors_free(v2);
    nerkit_vectors_free(v1);

    /* too few words for the dimension, and unreadable input */
    o.dim = 500;
    assert_null(nerkit_embed(&path, 1, &o, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    o.dim = 8;
    const char *missing = file("missing.txt", NULL);
    assert_null(nerkit_embed(&missing, 1, &o, &err));
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, missing));
}

/* Documents of five sentences DET NOUN VERB .: each kind always follows
 * one other kind and precedes one other, so the four kinds are the best
 * four classes, and the exchange from its start finds them. */
static const char *kinds_corpus(const char *name, int sentences)
{
    static const char *const kind[4][5] = {{"the", "a", "this", "that", "every"},
                                           {"dog", "cat", "man", "house", "tree"},
                                           {"sees", "eats", "likes", "hits", "runs"},
                                           {".", ".", ".", ".", "."}};
    const char *path = file(name, NULL);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int s = 0; s < sentences; s++) {
        for (int t = 0; t < 4; t++)
            fprintf(f, "%s%s", t ? " " : "", kind[t][(int)(uniform() * 5)]);
        fputs(s % 5 == 4 ? "\n\n" : " ", f);
    }
    fclose(f);
    return path;
}

/* Random text over thousands of words: frequent words have hundreds of
 * neighbouring classes, so their candidate classes are split between
 * threads. */
static const char *random_corpus(const char *name, int tokens)
{
    const char *path = file(name, NULL);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int t = 0; t < tokens; t++) {
        /* half from a few frequent words, half from thousands of rare ones */
        int w = uniform() < 0.5 ? (int)(1.0 / (uniform() + 0.001)) : 1000 + (int)(uniform() * 3000);
        fprintf(f, "w%d%s", w, t % 40 == 39 ? "\n\n" : " ");
    }
    fclose(f);
    return path;
}

static void test_exchange_classes(void **state)
{
    (void)state;
    const char *path = kinds_corpus("kinds.txt", 2000);
    nerkit_embed_opts o;
    nerkit_embed_opts_init(&o);
    o.min_count = 1;
    o.threads = 1;
    nerkit_error err;
    const size_t ks[] = {2, 4};
    nerkit_clusters *c = nerkit_exchange(&path, 1, &o, ks, 2, 20, &err);
    if (!c)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_clusters_levels(c), 2);
    assert_int_equal(nerkit_clusters_k(c, 1), 4);
    assert_int_equal(nerkit_clusters_count(c), 16);
    /* the four kinds are the four classes */
    const char *const first[4] = {"the", "dog", "sees", "."};
    const char *const same[4] = {"a this that every", "cat man house tree", "eats likes hits runs",
                                 "."};
    uint32_t id[4];
    for (int k = 0; k < 4; k++)
        id[k] = nerkit_clusters_id(c, 1, (size_t)nerkit_clusters_find(c, first[k], strlen(first[k])));
    for (int k = 0; k < 4; k++)
        for (int j = k + 1; j < 4; j++)
            assert_int_not_equal(id[k], id[j]);
    for (size_t i = 0; i < nerkit_clusters_count(c); i++) {
        const char *w = nerkit_clusters_word(c, i);
        int k = 0;
        while (k < 4 && !(strcmp(w, first[k]) == 0 || strstr(same[k], w)))
            k++;
        assert_true(k < 4);
        if (nerkit_clusters_id(c, 1, i) != id[k])
            fail_msg("'%s' is in class %u, not with '%s' in %u", w, nerkit_clusters_id(c, 1, i),
                     first[k], id[k]);
        /* the coarser level groups whole classes */
        size_t f = (size_t)nerkit_clusters_find(c, first[k], strlen(first[k]));
        assert_int_equal(nerkit_clusters_id(c, 0, i), nerkit_clusters_id(c, 0, f));
        assert_true(nerkit_clusters_id(c, 0, i) < 2);
    }
    nerkit_clusters_free(c);

    /* the same classes on one thread or two */
    path = random_corpus("random.txt", 200000);
    const size_t big[] = {1000, 30};
    o.threads = 1;
    nerkit_clusters *c1 = nerkit_exchange(&path, 1, &o, big, 2, 3, &err);
    o.threads = 2;
    nerkit_clusters *c2 = nerkit_exchange(&path, 1, &o, big, 2, 3, &err);
    assert_non_null(c1);
    assert_non_null(c2);
    assert_int_equal(nerkit_clusters_count(c1), nerkit_clusters_count(c2));
    size_t used = 0;
    for (size_t i = 0; i < nerkit_clusters_count(c1); i++)
        for (size_t l = 0; l < 2; l++) {
            assert_int_equal(nerkit_clusters_id(c1, l, i), nerkit_clusters_id(c2, l, i));
            used += l == 0 && nerkit_clusters_id(c1, l, i) != (i < 999 ? i : 999);
        }
    assert_true(used > 0); /* words did move */
    nerkit_clusters_free(c1);
    nerkit_clusters_free(c2);

    /* no classes at all */
    const size_t none[] = {4, 0};
    assert_null(nerkit_exchange(&path, 1, &o, none, 2, 5, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    /* more classes than words */
    const size_t many[] = {100};
    path = kinds_corpus("few.txt", 10);
    assert_null(nerkit_exchange(&path, 1, &o, many, 1, 5, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
}

/* nk_strtof is strtof, bit for bit and up to the same end, on every kind
 * of number: its fast path's (digits, power of ten) split must round as
 * strtof does, and whatever it does not take must reach strtof whole. */
static void check_strtof(const char *s)
{
    char *e1, *e2;
    float a = nk_strtof(s, &e1), b = strtof(s, &e2);
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    if (ua != ub || e1 != e2)
        fail_msg("\"%s\": nk_strtof %.9g (end +%td), strtof %.9g (end +%td)", s, a, e1 - s, b,
                 e2 - s);
}

static void test_strtof_is_strtof(void **state)
{
    (void)state;
    static const char *const odd[] = {
        "",          "-",          ".",         "-.",        "1e",        "1e+",
        "1e5x",      "2.5abc",     "inf",       "-nan",      "0x1p3",     "-0",
        "-0.0",      "  3.5",      "\t-7",      "\n1",       "+.5",       "5.",
        "16777215",  "16777216",   "16777217",  "99999999",  "123456789", "9999999e10",
        "1e10",      "1e11",       "1e-10",     "1.5e-11",   "3e-45",     "1e39",
        "0.000000001", "0.00000000000000000001", "1e0009", "1e00001", "7E-3 4"};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        check_strtof(odd[i]);
    /* random floats as vector files print them, and with one digit more
     * than float needs, where rounding ties and near-ties live */
    static const char *const fmt[] = {"%.7g", "%.8g", "%.9g", "%.6e", "%.8f", "%.3f"};
    uint64_t x = 88172645463325252ull;
    char buf[64];
    for (int i = 0; i < 300000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        float v = (float)((double)(x >> 11) / 9007199254740992.0 - 0.5) *
                  powf(10.0f, (float)((int)(x % 13) - 8));
        snprintf(buf, sizeof buf, fmt[i % 6], (double)v);
        check_strtof(buf);
        /* decimal strings no float prints: 8 digits at every exponent */
        snprintf(buf, sizeof buf, "%u.%ue%d", (unsigned)(x % 10), (unsigned)(x >> 40) % 10000000,
                 (int)(x % 23) - 11);
        check_strtof(buf);
    }
}

/* The trainer's vectors of its own corpus (nk_embed_corpus) are
 * nerkit_embed's of the same tokens written as text: one implementation
 * of the counting and the factoring, fed two ways. */
static void test_corpus_vectors_are_text_vectors(void **state)
{
    (void)state;
    const char *path = file("same.txt", NULL);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t cap = 1 << 20, len = 0;
    char *conll = malloc(cap);
    assert_non_null(conll);
    for (int d = 0; d < 300; d++) {
        len += (size_t)snprintf(conll + len, cap - len, "-DOCSTART- O\n\n");
        for (int t = 0; t < 40; t++) {
            int w = uniform() < 0.5 ? (int)(1.0 / (uniform() + 0.01)) : 100 + (int)(uniform() * 400);
            fprintf(f, "w%d%s", w, t == 39 ? "\n\n" : " ");
            len += (size_t)snprintf(conll + len, cap - len, "w%d O\n%s", w, t == 39 ? "\n" : "");
        }
    }
    fclose(f);
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(conll, len, "same.conll", NULL, &err);
    free(conll);
    if (!c)
        fail_msg("%s", err.message);
    nerkit_embed_opts o;
    nerkit_embed_opts_init(&o);
    o.dim = 10;
    o.min_count = 2;
    o.threads = 1;
    nerkit_vectors *a = nerkit_embed(&path, 1, &o, &err);
    nerkit_vectors *b = nk_embed_corpus(c, 0, &o, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(nerkit_vectors_count(a) > 100);
    assert_int_equal(nerkit_vectors_count(a), nerkit_vectors_count(b));
    for (size_t i = 0; i < nerkit_vectors_count(a); i++)
        assert_string_equal(nerkit_vectors_word(a, i), nerkit_vectors_word(b, i));
    assert_memory_equal(nerkit_vectors_data(a), nerkit_vectors_data(b),
                        nerkit_vectors_count(a) * 10 * sizeof(float));
    nerkit_vectors_free(b);
    /* too few words for min_words: no vectors, and no SVD run to find out */
    assert_null(nk_embed_corpus(c, nerkit_vectors_count(a) + 1, &o, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    nerkit_vectors_free(a);
    nerkit_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_counts),
        cmocka_unit_test(test_pair_pruning),
        cmocka_unit_test(test_ppmi_by_hand),
        cmocka_unit_test(test_rsvd_low_rank),
        cmocka_unit_test(test_distances_blas_vs_plain),
        cmocka_unit_test(test_kmeans_finds_blobs),
        cmocka_unit_test(test_vector_files_round_trip),
        cmocka_unit_test(test_brown_clusters),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_embed_learns),
        cmocka_unit_test(test_exchange_classes),
        cmocka_unit_test(test_strtof_is_strtof),
        cmocka_unit_test(test_corpus_vectors_are_text_vectors),
    };
    return cmocka_run_group_tests_name("embed", tests, setup, teardown);
}
