/*
 * Unit tests for the hardening (docs/robustness.md): the caps of the CoNLL
 * reader (line length, sentence length, entity types) at and past their
 * limit; gzip input that a plain zlib gzread would read silently short (a
 * member cut in its first byte, bytes after the last member); and training
 * checkpoints: a state saved and loaded back, and each kind of damaged or
 * foreign checkpoint refused with its own message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "sections.h"

#include "../src/embed/embed.h"

/* ------------------------------------------------------------- helpers */

/* Parses text; NULL and the message in err when it is refused. */
static nerkit_corpus *parse(const char *text, size_t len, nerkit_error *err)
{
    memset(err, 0, sizeof *err);
    return nerkit_corpus_parse(text, len, "t.conll", NULL, err);
}

static void expect_message(const nerkit_error *err, nerkit_status code, const char *part)
{
    assert_int_equal(err->code, code);
    if (!strstr(err->message, part))
        fail_msg("message '%s' does not say '%s'", err->message, part);
}

/* n lines of "tok LABEL\n", the label made by label(i, buf). */
static char *lines(size_t n, void (*label)(size_t, char *), size_t *len)
{
    nk_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        char l[32];
        label(i, l);
        nk_buf_printf(&b, "t %s\n", l);
    }
    assert_false(b.failed);
    *len = b.len;
    return b.p;
}

static void label_o(size_t i, char *out)
{
    (void)i;
    strcpy(out, "O");
}

static void label_type(size_t i, char *out)
{
    sprintf(out, "B-T%04zu", i);
}

/* A file holding data; the path is a static buffer. */
static const char *temp_file(const void *data, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/nerkit-robust-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static void gzip_append(nk_buf *b, const char *text)
{
    size_t n = strlen(text);
    z_stream z = {0};
    unsigned char out[4096];
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = sizeof out;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    nk_buf_put(b, out, z.total_out);
    deflateEnd(&z);
}

/* ------------------------------------------------------------ CoNLL caps */

static void test_conll_line_limit(void **state)
{
    (void)state;
    size_t max = 1 << 20;
    char *text = malloc(max + 8);
    assert_non_null(text);
    memset(text, 'a', max - 2);
    memcpy(text + max - 2, " O\n", 3);
    nerkit_error err;
    nerkit_corpus *c = parse(text, max + 1, &err);
    assert_non_null(c);
    size_t n;
    nerkit_corpus_token(c, 0, &n);
    assert_int_equal(n, max - 2);
    nerkit_corpus_free(c);
    /* one byte more */
    memset(text, 'a', max - 1);
    memcpy(text + max - 1, " O\n", 3);
    assert_null(parse(text, max + 2, &err));
    expect_message(&err, NERKIT_ERR_FORMAT, "t.conll:1: line of 1048577 bytes, over the");
    free(text);
}

static void test_conll_sentence_limit(void **state)
{
    (void)state;
    size_t len;
    char *text = lines(10000, label_o, &len);
    nerkit_error err;
    nerkit_corpus *c = parse(text, len, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_nsentences(c), 1);
    nerkit_corpus_free(c);
    free(text);
    /* one token more, after a first sentence */
    nk_buf b = {0};
    nk_buf_put(&b, "a O\n\n", 5);
    char *more = lines(10001, label_o, &len);
    nk_buf_put(&b, more, len);
    free(more);
    assert_null(parse(b.p, b.len, &err));
    expect_message(&err, NERKIT_ERR_FORMAT,
                   "t.conll:10003: sentence longer than 10000 tokens (from line 3)");
    nk_buf_free(&b);
}

static void test_conll_type_limit(void **state)
{
    (void)state;
    size_t len;
    char *text = lines(NK_MAX_TYPES, label_type, &len);
    nerkit_error err;
    nerkit_corpus *c = parse(text, len, &err);
    assert_non_null(c);
    assert_int_equal(nerkit_corpus_ntypes(c), NK_MAX_TYPES);
    nerkit_corpus_free(c);
    free(text);
    text = lines(NK_MAX_TYPES + 1, label_type, &len);
    assert_null(parse(text, len, &err));
    expect_message(&err, NERKIT_ERR_FORMAT, "t.conll:1001: more than 1000 entity types");
    free(text);
}

/* A type name of NK_MAX_TYPE_LEN bytes trains, saves and loads; one byte
 * more is refused where it is read, with the file and line, rather than
 * making a model the loader refuses. */
static void test_conll_type_name_limit(void **state)
{
    (void)state;
    char longest[NK_MAX_TYPE_LEN + 2];
    memset(longest, 'T', sizeof longest - 1);
    longest[NK_MAX_TYPE_LEN] = '\0';
    nk_buf b = {0};
    nk_buf_printf(&b, "a O\nParis B-%s\n\n", longest);
    nerkit_error err;
    nerkit_corpus *c = parse(b.p, b.len, &err);
    assert_non_null(c);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 10;
    o.epochs = 1;
    nerkit_model *m = nerkit_train(c, NULL, &o, NULL, NULL, &err);
    assert_non_null(m);
    char path[] = "/tmp/nerkit-type-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model *back = nerkit_model_load(path, &err);
    unlink(path);
    if (!back)
        fail_msg("a model that trained does not load: %s", err.message);
    nerkit_model_free(back);
    nerkit_model_free(m);
    nerkit_corpus_free(c);

    longest[NK_MAX_TYPE_LEN] = 'T';
    longest[NK_MAX_TYPE_LEN + 1] = '\0';
    b.len = 0;
    nk_buf_printf(&b, "a O\nParis B-%s\n\n", longest);
    assert_null(parse(b.p, b.len, &err));
    expect_message(&err, NERKIT_ERR_FORMAT, "t.conll:2: entity type of 256 bytes");
    nk_buf_free(&b);

    /* and the trainer's own check, for corpora made otherwise */
    const char *types[] = {longest};
    size_t lens[] = {NK_MAX_TYPE_LEN + 1};
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 10};
    memset(&err, 0, sizeof err);
    assert_null(nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 1, &cfg, &err));
    expect_message(&err, NERKIT_ERR_ARG, "of 256 bytes: want 1 to 255");
}

/* ------------------------------------------------------------------ gzip */

static int read_all(const void *data, size_t len, char **out, size_t *n, nerkit_error *err)
{
    const char *path = temp_file(data, len);
    memset(err, 0, sizeof *err);
    int rc = nerkit_read_file(path, out, n, err);
    unlink(path);
    return rc;
}

static void test_gzip_members_and_trailing_bytes(void **state)
{
    (void)state;
    nk_buf b = {0};
    gzip_append(&b, "first line\n");
    gzip_append(&b, "second line\n");
    char *text;
    size_t n;
    nerkit_error err;
    assert_int_equal(read_all(b.p, b.len, &text, &n, &err), NERKIT_OK);
    assert_int_equal(n, 23);
    assert_memory_equal(text, "first line\nsecond line\n", 23);
    free(text);

    /* the first byte of a third member: a member cut short */
    nk_buf_putc(&b, '\x1f');
    assert_int_not_equal(read_all(b.p, b.len, &text, &n, &err), NERKIT_OK);
    expect_message(&err, NERKIT_ERR_IO, "truncated gzip data");
    /* bytes that are no gzip member at all */
    b.len--;
    nk_buf_put(&b, "appended text\n", 14);
    assert_int_not_equal(read_all(b.p, b.len, &text, &n, &err), NERKIT_OK);
    expect_message(&err, NERKIT_ERR_IO, "not gzip data after the last member");
    nk_buf_free(&b);
}

static void test_gzip_cut_anywhere(void **state)
{
    (void)state;
    nk_buf b = {0};
    gzip_append(&b, "Angela Merkel visited Paris.\nShe met Emmanuel Macron.\n");
    for (size_t cut = 2; cut < b.len; cut++) {
        char *text;
        size_t n;
        nerkit_error err;
        if (read_all(b.p, cut, &text, &n, &err) == NERKIT_OK)
            fail_msg("gzip cut at %zu of %zu bytes read without an error", cut, b.len);
        assert_true(err.message[0]);
    }
    /* the same through the line reader, as bulk tagging reads */
    const char *path = temp_file(b.p, b.len - 5);
    nk_lines r;
    nerkit_error err = {0};
    assert_int_equal(nk_lines_open(&r, path, 1000, &err), NERKIT_OK);
    const char *line;
    size_t len;
    uint64_t off;
    int rc;
    while ((rc = nk_lines_next(&r, &line, &len, &off, &err)) == 1)
        ;
    assert_int_equal(rc, -NERKIT_ERR_IO);
    expect_message(&err, NERKIT_ERR_IO, "truncated gzip data after");
    nk_lines_close(&r);
    unlink(path);
    nk_buf_free(&b);
}

/* ----------------------------------------------------------- checkpoints */

enum { L = 9, ROWS = 1024, N = 5 };

static void state_alloc(nk_checkpoint *ck)
{
    *ck = (nk_checkpoint){.fingerprint = 42, .L = L, .rows = ROWS, .n = N};
    ck->w = calloc(ROWS * L, sizeof *ck->w);
    ck->u = calloc(ROWS * L, sizeof *ck->u);
    ck->wt = calloc(L * L, sizeof *ck->wt);
    ck->ut = calloc(L * L, sizeof *ck->ut);
    ck->order = calloc(N, sizeof *ck->order);
    assert_true(ck->w && ck->u && ck->wt && ck->ut && ck->order);
}

static void state_free(nk_checkpoint *ck)
{
    free(ck->w);
    free(ck->u);
    free(ck->wt);
    free(ck->ut);
    free(ck->order);
}

static nerkit_model *small_model(void)
{
    static const char *const types[] = {"LOC", "PER"};
    static const size_t lens[] = {3, 3};
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 10};
    nerkit_error err = {0};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 2, &cfg, &err);
    assert_non_null(m);
    uint32_t slots[] = {7, 700};
    assert_int_equal(nk_model_set_rows(m, slots, 2, &err), NERKIT_OK);
    for (size_t k = 0; k < 2 * L; k++)
        m->rows[k] = (float)k / 4;
    return m;
}

/* Saves a checkpoint of a made-up state and returns the file's bytes. */
static unsigned char *checkpoint_bytes(size_t *len)
{
    nk_checkpoint ck;
    state_alloc(&ck);
    ck.epoch = 4;
    ck.since_best = 2;
    ck.best_score = 81.25;
    ck.step = 1234;
    for (size_t i = 0; i < N; i++)
        ck.order[i] = (i + 2) % N;
    ck.w[3 * L + 1] = -7;
    ck.u[3 * L + 1] = -7000000000LL;
    ck.w[900 * L + 8] = 5;
    ck.wt[10] = 2;
    ck.ut[10] = 99;
    nerkit_model *m = small_model();
    nerkit_error err = {0};
    char path[] = "/tmp/nerkit-ck-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nk_checkpoint_save(path, m, &ck, &err), NERKIT_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    unlink(path);
    nerkit_model_free(m);
    state_free(&ck);
    return b;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Checksums made right again after an edit, so that only the structure
 * checks can catch it. */
static void reseal(unsigned char *b, size_t len)
{
    put32(b + 24, (uint32_t)crc32(0, b + 32, (uInt)(len - 32)));
    put32(b + 28, (uint32_t)crc32(0, b, 28));
}

/* Loads bytes as a checkpoint of the made-up training. */
static int load(const unsigned char *b, size_t len, nk_checkpoint *ck, nerkit_error *err)
{
    state_alloc(ck);
    nerkit_model *best = NULL;
    memset(err, 0, sizeof *err);
    int rc = nk_checkpoint_load_buffer(b, len, "t.ck", ck, &best, err);
    assert_true((rc == NERKIT_OK) == (best != NULL));
    nerkit_model_free(best);
    return rc;
}

static void expect_refused(const unsigned char *b, size_t len, nerkit_status code,
                           const char *part)
{
    nk_checkpoint ck;
    nerkit_error err;
    assert_int_not_equal(load(b, len, &ck, &err), NERKIT_OK);
    expect_message(&err, code, part);
    state_free(&ck);
}

static void test_checkpoint_round_trip(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = checkpoint_bytes(&len);
    nk_checkpoint ck;
    nerkit_error err;
    assert_int_equal(load(b, len, &ck, &err), NERKIT_OK);
    assert_int_equal(ck.epoch, 4);
    assert_int_equal(ck.since_best, 2);
    assert_true(ck.best_score == 81.25);
    assert_int_equal(ck.step, 1234);
    assert_int_equal(ck.order[0], 2);
    assert_int_equal(ck.order[4], 1);
    assert_int_equal(ck.w[3 * L + 1], -7);
    assert_true(ck.u[3 * L + 1] == -7000000000LL);
    assert_int_equal(ck.w[900 * L + 8], 5);
    assert_int_equal(ck.wt[10], 2);
    assert_int_equal(ck.ut[10], 99);
    assert_int_equal(ck.w[0], 0);
    state_free(&ck);
    free(b);
}

static void test_checkpoint_of_another_training(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = checkpoint_bytes(&len);
    nk_checkpoint ck;
    nerkit_error err;
    state_alloc(&ck);
    ck.fingerprint = 43;
    nerkit_model *best;
    assert_int_equal(nk_checkpoint_load_buffer(b, len, "t.ck", &ck, &best, &err), NERKIT_ERR_ARG);
    expect_message(&err, NERKIT_ERR_ARG, "of another training");
    ck.fingerprint = 42;
    ck.n = N - 1;
    assert_int_equal(nk_checkpoint_load_buffer(b, len, "t.ck", &ck, &best, &err), NERKIT_ERR_ARG);
    state_free(&ck);
    free(b);
}

static void test_checkpoint_damaged(void **state)
{
    (void)state;
    size_t len;
    unsigned char *b = checkpoint_bytes(&len);
    unsigned char *d = malloc(len + 64);
    assert_non_null(d);

    /* checksums, truncation, foreign files: the container's checks */
    memcpy(d, b, len);
    d[len / 2] ^= 1;
    expect_refused(d, len, NERKIT_ERR_MODEL, "t.ck: corrupted checkpoint");
    expect_refused(b, len - 1, NERKIT_ERR_MODEL, "truncated checkpoint");
    expect_refused(b, 20, NERKIT_ERR_MODEL, "truncated checkpoint");
    memcpy(d, b, len);
    memcpy(d, "NERKITM\x1a", 8);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "a nerkit model, not a checkpoint");
    /* version 1 numbered weight rows by slot: resuming one would mix them up */
    memcpy(d, b, len);
    put32(d + 8, 1);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_VERSION, "t.ck: checkpoint format version 1 is older");

    /* counters out of range */
    size_t p = find_section(b, len, "PSTA", &(size_t){0});
    static const struct {
        size_t at;
        uint32_t value;
    } counters[] = {{8, 0}, {12, 4}, {16, 2}, {28, 0}, {32, 0x80000000u}};
    for (size_t k = 0; k < 5; k++) {
        memcpy(d, b, len);
        put32(d + p + counters[k].at, counters[k].value);
        reseal(d, len);
        expect_refused(d, len, NERKIT_ERR_MODEL, "PSTA section: counters out of range");
    }
    /* a best score that is not a score */
    memcpy(d, b, len);
    memcpy(d + p + 20, "\x00\x00\x00\x00\x00\x00\xf8\x7f", 8);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "counters out of range");

    /* an order that repeats a sentence, or names one past the end */
    p = find_section(b, len, "ORDR", &(size_t){0});
    memcpy(d, b, len);
    memcpy(d + p, d + p + 8, 8);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "not an order of the sentences");
    memcpy(d, b, len);
    put32(d + p, N);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "not an order of the sentences");

    /* weight rows out of order, or past the table */
    p = find_section(b, len, "WSUM", &(size_t){0});
    size_t entry = 8 + 12 * L;
    memcpy(d, b, len);
    memcpy(d + p, b + p + entry, 8);
    memcpy(d + p + entry, b + p, 8);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "WSUM section: rows out of order or range");
    memcpy(d, b, len);
    put32(d + p + entry, ROWS);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "WSUM section: rows out of order or range");

    /* a section renamed away */
    memcpy(d, b, len);
    memcpy(d + find_section(b, len, "TSUM", &(size_t){0}) - 12, "XSUM", 4);
    reseal(d, len);
    expect_refused(d, len, NERKIT_ERR_MODEL, "a training state section is missing");
    free(d);
    free(b);
}

/* Thread counts and n-best lists are bounded in the library, not only in
 * nerkit-tag: 20000 threads took 1.5 GB for one sentence, n-best 1000
 * 1.8 GB. */
static void test_thread_and_nbest_caps(void **state)
{
    (void)state;
    nerkit_model *m = small_model();
    nerkit_bulk_opts o;
    nerkit_bulk_opts_init(&o);
    nerkit_error err = {0};
    o.threads = NERKIT_THREADS_MAX;
    assert_int_equal(nerkit_bulk_check(m, &o, &err), NERKIT_OK);
    o.threads = 257;
    assert_int_equal(nerkit_bulk_check(m, &o, &err), NERKIT_ERR_ARG);
    expect_message(&err, NERKIT_ERR_ARG, "257 threads: want 1 to 256");
    o.threads = -1;
    assert_int_equal(nerkit_bulk_check(m, &o, &err), NERKIT_ERR_ARG);
    o.threads = 0;
    o.nbest = 100;
    assert_int_equal(nerkit_bulk_check(m, &o, &err), NERKIT_OK);
    o.nbest = 101;
    assert_int_equal(nerkit_bulk_check(m, &o, &err), NERKIT_ERR_ARG);
    expect_message(&err, NERKIT_ERR_ARG, "at most 100");
    nerkit_model_free(m);

    static const char text[] = "Paris B-LOC\nis O\n\n";
    nerkit_corpus *c = parse(text, sizeof text - 1, &err);
    assert_non_null(c);
    nerkit_train_opts to;
    nerkit_train_opts_init(&to);
    to.algorithm = "crf";
    to.hash_bits = 10;
    to.threads = 20000;
    memset(&err, 0, sizeof err);
    assert_null(nerkit_train(c, NULL, &to, NULL, NULL, &err));
    expect_message(&err, NERKIT_ERR_ARG, "20000 threads: want 1 to 256");
    nerkit_corpus_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conll_line_limit),
        cmocka_unit_test(test_conll_sentence_limit),
        cmocka_unit_test(test_conll_type_limit),
        cmocka_unit_test(test_conll_type_name_limit),
        cmocka_unit_test(test_gzip_members_and_trailing_bytes),
        cmocka_unit_test(test_gzip_cut_anywhere),
        cmocka_unit_test(test_checkpoint_round_trip),
        cmocka_unit_test(test_checkpoint_of_another_training),
        cmocka_unit_test(test_checkpoint_damaged),
        cmocka_unit_test(test_thread_and_nbest_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
