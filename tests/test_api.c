/*
 * Unit tests for the compatibility surface of the public API: the run-time
 * version against the header's, the sentence of every status code, and the
 * option structs as programs built against an older or a newer header, or
 * no init at all, hand them over.
 */
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

/* ------------------------------------------------------------- version */

static void test_version_matches_header(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", NERKIT_VERSION_MAJOR, NERKIT_VERSION_MINOR,
             NERKIT_VERSION_PATCH);
    assert_string_equal(NERKIT_VERSION, want);
    assert_string_equal(nerkit_version(), want);
}

static void test_strerror_every_code(void **state)
{
    (void)state;
    const char *seen[NERKIT_ERR_INTERRUPTED + 1];
    for (int c = NERKIT_OK; c <= NERKIT_ERR_INTERRUPTED; c++) {
        const char *s = nerkit_strerror((nerkit_status)c);
        assert_non_null(s);
        if (!s[0] || strcmp(s, "unknown error code") == 0)
            fail_msg("code %d has no sentence of its own: '%s'", c, s);
        for (int d = 0; d < c; d++)
            if (strcmp(seen[d], s) == 0)
                fail_msg("codes %d and %d share '%s'", d, c, s);
        seen[c] = s;
    }
    assert_string_equal(nerkit_strerror((nerkit_status)(NERKIT_ERR_INTERRUPTED + 1)),
                        "unknown error code");
    assert_string_equal(nerkit_strerror((nerkit_status)-1), "unknown error code");
}

/* ------------------------------------------------------------- options */

/* Bytes past an older program's struct: whatever lies there. Read as a
 * pointer, a count or a flag, they would crash the call or fail it. */
#define POISON 0xA5

/* The struct as a program whose header had it `size` bytes long hands it
 * over: full's first bytes, poison after them, size in its size member.
 * (A newer header's struct is at most 8 bytes larger here.) */
static void *sized(const void *full, size_t full_size, size_t size)
{
    size_t room = full_size + 8;
    unsigned char *p = malloc(room);
    assert_non_null(p);
    memset(p, POISON, room);
    memcpy(p, full, size < full_size ? size : full_size);
    memcpy(p, &size, sizeof size);
    return p;
}

static void expect_refused(const nerkit_error *err, nerkit_status code, const char *part)
{
    assert_int_equal(err->code, code);
    if (!strstr(err->message, part))
        fail_msg("message '%s' does not say '%s'", err->message, part);
}

/* The sizes an options struct is refused with: none set (0), garbage, and
 * one from a header newer than the library. */
enum { UNSET, GARBAGE, NEWER, NREFUSED };
static const nerkit_status refused_code[NREFUSED] = {NERKIT_ERR_ARG, NERKIT_ERR_ARG,
                                                     NERKIT_ERR_VERSION};

static size_t refused_size(int kind, size_t full_size)
{
    switch (kind) {
    case UNSET: return 0;
    case GARBAGE: return (size_t)0xA5A5A5A5A5A5A5A5ull;
    default: return full_size + 8;
    }
}

static const char *refused_part(int kind, const char *init)
{
    return kind == NEWER ? "newer" : init;
}

static const char conll_text[] = "Paris B-LOC\nis O\nnice O\n\nJohn B-PER\nruns O\n\n";

static nerkit_corpus *small_corpus(void)
{
    nerkit_error err;
    nerkit_corpus *c = nerkit_corpus_parse(conll_text, sizeof conll_text - 1, "t", NULL, &err);
    assert_non_null(c);
    return c;
}

/* Training options that make a model of the small corpus at once. */
static void quick_training(nerkit_train_opts *o)
{
    nerkit_train_opts_init(o);
    o->hash_bits = 10;
    o->epochs = 1;
}

static nerkit_model *small_model(void)
{
    nerkit_corpus *c = small_corpus();
    nerkit_train_opts o;
    quick_training(&o);
    nerkit_error err;
    nerkit_model *m = nerkit_train(c, NULL, &o, NULL, NULL, &err);
    nerkit_corpus_free(c);
    assert_non_null(m);
    return m;
}

/* A file holding text, for the calls that read files. */
static char *text_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/nerkit-api-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* The init writes the defaults into an older, smaller struct and nothing
 * past its end. */
static void test_init_stays_within_size(void **state)
{
    (void)state;
    size_t old = offsetof(nerkit_reader_opts, tab_only);
    unsigned char room[sizeof(nerkit_reader_opts) + 8];
    memset(room, POISON, sizeof room);
    nerkit_reader_opts *o = (nerkit_reader_opts *)(void *)room;
    nerkit_reader_opts_init_sized(o, old);
    assert_int_equal(o->size, old);
    assert_int_equal(o->token_col, 1);
    assert_int_equal(o->label_col, -1);
    for (size_t i = old; i < sizeof room; i++)
        assert_int_equal(room[i], POISON);
}

static void test_reader_opts_sizes(void **state)
{
    (void)state;
    nerkit_reader_opts full;
    nerkit_reader_opts_init(&full);
    full.label_col = 0;
    nerkit_error err;
    /* an older header without tab_only and scheme: its members are used,
     * the others get their defaults */
    nerkit_reader_opts *old = sized(&full, sizeof full, offsetof(nerkit_reader_opts, tab_only));
    nerkit_corpus *c = nerkit_corpus_parse(conll_text, sizeof conll_text - 1, "t", old, &err);
    if (!c)
        fail_msg("%s", err.message);
    assert_false(nerkit_corpus_has_labels(c));
    assert_int_equal(nerkit_corpus_ntokens(c), 5);
    nerkit_corpus_free(c);
    free(old);
    for (int kind = 0; kind < NREFUSED; kind++) {
        nerkit_reader_opts *o = sized(&full, sizeof full, refused_size(kind, sizeof full));
        memset(&err, 0, sizeof err);
        assert_null(nerkit_corpus_parse(conll_text, sizeof conll_text - 1, "t", o, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_reader_opts_init"));
        const char *path = text_file(conll_text);
        memset(&err, 0, sizeof err);
        assert_null(nerkit_corpus_read(path, o, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_reader_opts_init"));
        memset(&err, 0, sizeof err);
        assert_null(nerkit_corpus_read_prefix(path, o, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_reader_opts_init"));
        unlink(path);
        free(o);
    }
}

static void test_bulk_opts_sizes(void **state)
{
    (void)state;
    nerkit_model *m = small_model();
    nerkit_tagger *t = nerkit_tagger_new(m, NULL);
    nerkit_corpus *c = small_corpus();
    const char *path = text_file("Paris is nice.\n");
    nerkit_bulk_opts full;
    nerkit_bulk_opts_init(&full);
    full.threads = 1;
    full.output = NERKIT_OUTPUT_TSV;
    nerkit_error err;
    /* an older header that ends before nbest: poison there would ask for
     * n-best lists past the cap, and callbacks at no address */
    nerkit_bulk_opts *old = sized(&full, sizeof full, offsetof(nerkit_bulk_opts, nbest));
    assert_int_equal(nerkit_bulk_check(m, old, &err), NERKIT_OK);
    assert_int_equal(nerkit_bulk_check(m, NULL, &err), NERKIT_OK); /* all defaults */
    FILE *out = tmpfile();
    if (nerkit_bulk_tag(m, &path, 1, out, old, NULL, &err))
        fail_msg("%s", err.message);
    /* TSV, as the old struct asked: one line per entity, no JSON */
    rewind(out);
    int first = fgetc(out);
    assert_true(first == EOF || first != '{');
    if (nerkit_corpus_tag_write(t, c, old, out, &err))
        fail_msg("%s", err.message);
    fclose(out);
    free(old);
    for (int kind = 0; kind < NREFUSED; kind++) {
        const char *part = refused_part(kind, "nerkit_bulk_opts_init");
        nerkit_bulk_opts *o = sized(&full, sizeof full, refused_size(kind, sizeof full));
        memset(&err, 0, sizeof err);
        assert_int_equal(nerkit_bulk_check(m, o, &err), refused_code[kind]);
        expect_refused(&err, refused_code[kind], part);
        memset(&err, 0, sizeof err);
        assert_int_equal(nerkit_bulk_tag(m, &path, 1, stdout, o, NULL, &err), refused_code[kind]);
        expect_refused(&err, refused_code[kind], part);
        memset(&err, 0, sizeof err);
        assert_int_equal(nerkit_corpus_tag_write(t, c, o, stdout, &err), refused_code[kind]);
        expect_refused(&err, refused_code[kind], part);
        free(o);
    }
    unlink(path);
    nerkit_corpus_free(c);
    nerkit_tagger_free(t);
    nerkit_model_free(m);
}

static void test_train_opts_sizes(void **state)
{
    (void)state;
    nerkit_corpus *c = small_corpus();
    nerkit_train_opts full;
    quick_training(&full);
    nerkit_error err;
    /* an older header without the word representations, checkpoints and
     * the stop flag: poison there names files and a flag at no address */
    nerkit_train_opts *old = sized(&full, sizeof full, offsetof(nerkit_train_opts, cluster_files));
    nerkit_model *m = nerkit_train(c, NULL, old, NULL, NULL, &err);
    if (!m)
        fail_msg("%s", err.message);
    nerkit_model_free(m);
    free(old);
    for (int kind = 0; kind < NREFUSED; kind++) {
        nerkit_train_opts *o = sized(&full, sizeof full, refused_size(kind, sizeof full));
        memset(&err, 0, sizeof err);
        assert_null(nerkit_train(c, NULL, o, NULL, NULL, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_train_opts_init"));
        free(o);
    }
    nerkit_corpus_free(c);
}

static void test_embed_opts_sizes(void **state)
{
    (void)state;
    char text[8192] = "";
    const char *words[] = {"Paris", "London", "is", "was", "nice", "busy", "today", "."};
    for (int s = 0; s < 60; s++) {
        char line[128];
        snprintf(line, sizeof line, "%s %s %s %s\n", words[s % 2], words[2 + s % 3 % 2],
                 words[4 + s % 5 % 2], s % 7 ? words[6] : words[7]);
        strcat(text, line);
    }
    const char *path = text_file(text);
    nerkit_embed_opts full;
    nerkit_embed_opts_init(&full);
    full.dim = 2;
    full.window = 2;
    full.min_count = 1;
    full.threads = 1;
    full.oversample = 2;
    nerkit_error err;
    /* an older header without the callbacks: poison would be called */
    nerkit_embed_opts *old = sized(&full, sizeof full, offsetof(nerkit_embed_opts, message));
    nerkit_vectors *v = nerkit_embed(&path, 1, old, &err);
    if (!v)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_vectors_dim(v), 2);
    free(old);
    for (int kind = 0; kind < NREFUSED; kind++) {
        nerkit_embed_opts *o = sized(&full, sizeof full, refused_size(kind, sizeof full));
        memset(&err, 0, sizeof err);
        assert_null(nerkit_embed(&path, 1, o, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_embed_opts_init"));
        free(o);
    }
    unlink(path);

    nerkit_kmeans_opts kfull;
    nerkit_kmeans_opts_init(&kfull);
    const size_t ks[] = {2};
    /* an older header without the progress callback */
    nerkit_kmeans_opts *kold = sized(&kfull, sizeof kfull, offsetof(nerkit_kmeans_opts, progress));
    nerkit_clusters *cl = nerkit_kmeans(v, ks, 1, kold, &err);
    if (!cl)
        fail_msg("%s", err.message);
    assert_int_equal(nerkit_clusters_k(cl, 0), 2);
    nerkit_clusters_free(cl);
    free(kold);
    cl = nerkit_kmeans(v, ks, 1, NULL, &err); /* all defaults */
    assert_non_null(cl);
    nerkit_clusters_free(cl);
    for (int kind = 0; kind < NREFUSED; kind++) {
        nerkit_kmeans_opts *o = sized(&kfull, sizeof kfull, refused_size(kind, sizeof kfull));
        memset(&err, 0, sizeof err);
        assert_null(nerkit_kmeans(v, ks, 1, o, &err));
        expect_refused(&err, refused_code[kind], refused_part(kind, "nerkit_kmeans_opts_init"));
        free(o);
    }
    nerkit_vectors_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_strerror_every_code),
        cmocka_unit_test(test_init_stays_within_size),
        cmocka_unit_test(test_reader_opts_sizes),
        cmocka_unit_test(test_bulk_opts_sizes),
        cmocka_unit_test(test_train_opts_sizes),
        cmocka_unit_test(test_embed_opts_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
