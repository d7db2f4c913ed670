/*
 * Unit tests for the model file (src/model_io.c, docs/model-format.md):
 * save / load keeps every weight, damaged files of every kind are refused
 * with the right status and a message (and never read out of bounds: run
 * this under AddressSanitizer), and saving is atomic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "sections.h"

#include "../src/core/core.h"

#define HEADER 32

/* ------------------------------------------------ synthetic training data */

static const char *const first_names[] = {"John", "Mary", "Peter", "Anna", "David", "Laura"};
static const char *const surnames[] = {"Smith", "Brown", "Miller", "Wilson"};
static const char *const cities[] = {"Paris", "London", "Berlin", "Madrid", "Rome"};
static const char *const fillers[] = {"the",  "a",   "visited", "said", "met", "yesterday",
                                      "with", "and", "today",   "was",  "to",  "from"};
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

static nerkit_corpus *generate_corpus(uint64_t seed, size_t nsent)
{
    uint64_t rng = seed;
    size_t cap = nsent * 16 * 24 + 64, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (size_t s = 0; s < nsent; s++) {
        if (s > 0)
            t[len++] = '\n';
        size_t chunks = 3 + rnd(&rng, 6);
        for (size_t c = 0; c < chunks; c++) {
            size_t r = rnd(&rng, 10);
            if (r < 2) {
                len += (size_t)sprintf(t + len, "Mr O\n%s B-PER\n",
                                       first_names[rnd(&rng, COUNT(first_names))]);
                if (rnd(&rng, 2))
                    len += (size_t)sprintf(t + len, "%s I-PER\n",
                                           surnames[rnd(&rng, COUNT(surnames))]);
            } else if (r < 4) {
                len += (size_t)sprintf(t + len, "%s B-LOC\n", cities[rnd(&rng, COUNT(cities))]);
            } else {
                len += (size_t)sprintf(t + len, "%s O\n", fillers[rnd(&rng, COUNT(fillers))]);
            }
        }
        len += (size_t)sprintf(t + len, ". O\n");
        assert_true(len < cap);
    }
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(t, len, "synthetic", NULL, &err);
    free(t);
    if (!c)
        fail_msg("synthetic corpus: %s", err.message);
    return c;
}

/* ------------------------------------------------------- shared fixture */

typedef struct {
    nerkit_model *model;
    nerkit_corpus *test;
    uint16_t *labels; /* the in-memory model's labels for test */
    unsigned char *bytes; /* the saved model file */
    size_t len;
    char dir[64]; /* a private temporary directory */
} fixture;

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static uint16_t *tag(const nerkit_model *m, const nerkit_corpus *c)
{
    size_t n = nerkit_corpus_ntokens(c);
    uint16_t *labels = malloc(n * sizeof *labels);
    assert_non_null(labels);
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_non_null(t);
    assert_int_equal(nerkit_tag_corpus(t, c, labels, &err), NERKIT_OK);
    nerkit_tagger_free(t);
    return labels;
}

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    nerkit_corpus *tr = generate_corpus(3, 150);
    fx->test = generate_corpus(77, 60);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 5;
    /* float rows: the damage tests reach single weights; int8 rows have a
     * test of their own */
    o.weights = "float";
    nerkit_error err = {0};
    fx->model = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    nerkit_corpus_free(tr);
    if (!fx->model)
        return -1;
    fx->labels = tag(fx->model, fx->test);
    strcpy(fx->dir, "/tmp/nerkit_test_model_io_XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/model.nerkit", fx->dir);
    if (nerkit_model_save(fx->model, path, &err) != NERKIT_OK)
        return -1;
    fx->bytes = slurp(path, &fx->len);
    unlink(path);
    *state = fx;
    return 0;
}

/* Removes every file in dir (and directories one level down), then dir. */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            chmod(p, 0755);
            remove_tree(p);
        } else {
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static int teardown(void **state)
{
    fixture *fx = *state;
    if (!fx)
        return 0;
    remove_tree(fx->dir);
    nerkit_model_free(fx->model);
    nerkit_corpus_free(fx->test);
    free(fx->labels);
    free(fx->bytes);
    free(fx);
    return 0;
}

/* ---------------------------------------------------- byte-level helpers */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t crc(const unsigned char *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Recomputes the header CRC only (bytes 28-31 over 0-27). */
static void fix_header_crc(unsigned char *b)
{
    wr32(b + 28, crc(b, 28));
}

/* Makes the header describe the payload as it now is: length, payload CRC,
 * header CRC. */
static void fix_all(unsigned char *b, size_t len)
{
    wr64(b + 16, len - HEADER);
    wr32(b + 24, crc(b + HEADER, len - HEADER));
    fix_header_crc(b);
}

/* Offset of the body of the section with this tag, and its length. */
static unsigned char *copy(const fixture *fx, size_t extra)
{
    unsigned char *b = malloc(fx->len + extra + 1);
    assert_non_null(b);
    memcpy(b, fx->bytes, fx->len);
    return b;
}

/* Loads a buffer that must be refused with code; the message must name the
 * buffer and, when given, contain word. */
static void expect_refused(const void *data, size_t len, nerkit_status code, const char *word)
{
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load_buffer(data, len, "damaged.nerkit", &err);
    if (m) {
        nerkit_model_free(m);
        fail_msg("a damaged model (%zu bytes) was accepted", len);
    }
    if (err.code != code)
        fail_msg("status %d, expected %d: %s", err.code, code, err.message);
    if (!strstr(err.message, "damaged.nerkit"))
        fail_msg("message does not name the file: %s", err.message);
    if (word && !strstr(err.message, word))
        fail_msg("message lacks '%s': %s", word, err.message);
}

static nerkit_model *expect_loads(const void *data, size_t len)
{
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load_buffer(data, len, "ok.nerkit", &err);
    if (!m)
        fail_msg("refused: %s", err.message);
    return m;
}

/* ------------------------------------------------------------ round trip */

static void test_save_load_same_output(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/rt.nerkit", fx->dir);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(fx->model, path, &err), NERKIT_OK);
    nerkit_model *m = nerkit_model_load(path, &err);
    if (!m)
        fail_msg("load: %s", err.message);

    /* the same label set, configuration and every weight */
    const nerkit_model *o = fx->model;
    assert_int_equal(nerkit_model_nlabels(m), nerkit_model_nlabels(o));
    assert_int_equal(nerkit_model_ntypes(m), 2);
    assert_string_equal(nerkit_model_type(m, 0), "LOC");
    assert_string_equal(nerkit_model_type(m, 1), "PER");
    assert_string_equal(nerkit_model_algorithm(m), "perceptron");
    assert_int_equal(nerkit_model_scheme(m), NERKIT_SCHEME_IOB2);
    assert_int_equal(m->feat.groups, o->feat.groups);
    assert_int_equal(m->feat.hash_bits, 16);
    assert_true(o->nrows > 100);
    assert_int_equal(m->nrows, o->nrows);
    size_t L = o->nlabels, words = ((size_t)1 << 16) / 64;
    assert_memory_equal(m->trans, o->trans, L * L * sizeof *o->trans);
    assert_int_equal(m->rowfmt, NK_ROWS_F32);
    assert_memory_equal(m->rows, o->rows, (size_t)o->nrows * L * sizeof *o->rows);
    assert_memory_equal(m->present, o->present, words * sizeof *o->present);
    assert_memory_equal(m->rank, o->rank, words * sizeof *o->rank);

    /* and so exactly the same labels */
    uint16_t *labels = tag(m, fx->test);
    assert_memory_equal(labels, fx->labels, nerkit_corpus_ntokens(fx->test) * sizeof *labels);
    /* the tagger found entities at all, so the comparison means something */
    size_t entities = 0;
    for (size_t i = 0; i < nerkit_corpus_ntokens(fx->test); i++)
        entities += labels[i] != 0;
    assert_true(entities > 20);
    free(labels);

    /* saving the loaded model gives the same bytes */
    char path2[128];
    snprintf(path2, sizeof path2, "%s/rt2.nerkit", fx->dir);
    assert_int_equal(nerkit_model_save(m, path2, &err), NERKIT_OK);
    size_t l1, l2;
    unsigned char *b1 = slurp(path, &l1), *b2 = slurp(path2, &l2);
    assert_int_equal(l1, fx->len);
    assert_int_equal(l2, fx->len);
    assert_memory_equal(b1, fx->bytes, l1);
    assert_memory_equal(b2, fx->bytes, l2);
    free(b1);
    free(b2);
    unlink(path);
    unlink(path2);
    nerkit_model_free(m);

    /* from a buffer too */
    m = expect_loads(fx->bytes, fx->len);
    labels = tag(m, fx->test);
    assert_memory_equal(labels, fx->labels, nerkit_corpus_ntokens(fx->test) * sizeof *labels);
    free(labels);
    nerkit_model_free(m);
}

/* A perceptron's probability scale travels in a PROB section of exactly
 * one positive float; a model without one has no PROB section at all. */
static void test_probability_scale(void **state)
{
    fixture *fx = *state;
    size_t n;
    assert_int_equal(section_at(fx->bytes, fx->len, "PROB", &n), 0);
    nerkit_model *m = expect_loads(fx->bytes, fx->len);
    assert_false(nerkit_model_has_probabilities(m));
    m->prob_scale = 0.0625f;
    char path[128];
    snprintf(path, sizeof path, "%s/prob.nerkit", fx->dir);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model_free(m);
    size_t len;
    unsigned char *b = slurp(path, &len);
    unlink(path);
    size_t at = find_section(b, len, "PROB", &n);
    assert_true(at > 0);
    assert_int_equal(n, 4);
    m = expect_loads(b, len);
    assert_true(nerkit_model_has_probabilities(m));
    assert_true(nerkit_model_prob_scale(m) == 0.0625);
    nerkit_model_free(m);

    const uint32_t refused[] = {0, 0x80000000u /* -0 */, 0xBF800000u /* -1 */,
                                0x7FC00000u /* NaN */, 0x7F800000u /* inf */,
                                0x4B189680u /* 1e7 */};
    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
        wr32(b + at, refused[k]);
        fix_all(b, len);
        expect_refused(b, len, NERKIT_ERR_MODEL, "PROB");
    }
    /* a section of the wrong size: its length field grown by one byte
     * taken from the next section's header */
    wr32(b + at, 0x3D800000u);
    wr64(b + at - 8, 5);
    fix_all(b, len);
    expect_refused(b, len, NERKIT_ERR_MODEL, NULL);
    free(b);
}

static void test_header_layout(void **state)
{
    fixture *fx = *state;
    const unsigned char *b = fx->bytes;
    assert_memory_equal(b, "NERKITM\x1a", 8);
    assert_int_equal(rd32(b + 8), 2);
    assert_int_equal(rd32(b + 12), 0);
    assert_int_equal(rd64(b + 16), fx->len - HEADER);
    assert_int_equal(rd32(b + 24), crc(b + HEADER, fx->len - HEADER));
    assert_int_equal(rd32(b + 28), crc(b, 28));
    /* the sections in order */
    size_t n;
    size_t meta = find_section(b, fx->len, "META", &n);
    assert_int_equal(meta, HEADER + 12);
    assert_int_equal(rd32(b + meta), 10);
    assert_memory_equal(b + meta + 4, "perceptron", 10);
    size_t feat = find_section(b, fx->len, "FEAT", &n);
    assert_int_equal(n, 8);
    assert_int_equal(rd32(b + feat), NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL); /* the defaults */
    assert_int_equal(rd32(b + feat + 4), 16);
    size_t tran = find_section(b, fx->len, "TRAN", &n);
    (void)tran;
    assert_int_equal(n, 9 * 9 * 4);
    /* the rows: format, count, padding, then the bitmap of 2^16 slots
     * (8-byte aligned in the file) and the rows, as they are in memory */
    size_t rows = find_section(b, fx->len, "ROWS", &n);
    assert_int_equal(rd32(b + rows), NK_ROWS_F32);
    assert_int_equal(rd32(b + rows + 4), fx->model->nrows);
    uint32_t pad = rd32(b + rows + 8);
    assert_true(pad < 8);
    assert_int_equal((rows + 12 + pad) % 8, 0);
    assert_memory_equal(b + rows + 12 + pad, fx->model->present, 8192);
    assert_int_equal(n, 12 + pad + 8192 + (size_t)fx->model->nrows * 9 * 4);
    assert_int_equal(rows + n, fx->len);
}

/* ---------------------------------------------------------- damaged files */

static void test_empty_and_short(void **state)
{
    fixture *fx = *state;
    static const unsigned char none[1] = {0};
    expect_refused(none, 0, NERKIT_ERR_MODEL, NULL);
    expect_refused(fx->bytes, 3, NERKIT_ERR_MODEL, "truncated");
    expect_refused(fx->bytes, 8, NERKIT_ERR_MODEL, "truncated");
    expect_refused(fx->bytes, HEADER - 1, NERKIT_ERR_MODEL, "truncated");

    /* an empty file on disk */
    char path[128];
    snprintf(path, sizeof path, "%s/empty.nerkit", fx->dir);
    spit(path, "", 0);
    nerkit_error err = {0};
    assert_null(nerkit_model_load(path, &err));
    assert_int_equal(err.code, NERKIT_ERR_MODEL);
    assert_non_null(strstr(err.message, path));
    /* a file whose size says 0 but that has contents (/proc) is read, not
     * taken for empty */
    memset(&err, 0, sizeof err);
    assert_null(nerkit_model_load("/proc/self/status", &err));
    assert_int_equal(err.code, NERKIT_ERR_MODEL);
    if (!strstr(err.message, "/proc/self/status: not a nerkit model"))
        fail_msg("%s", err.message);
    /* three bytes of the magic */
    spit(path, "NER", 3);
    memset(&err, 0, sizeof err);
    assert_null(nerkit_model_load(path, &err));
    assert_int_equal(err.code, NERKIT_ERR_MODEL);
    assert_non_null(strstr(err.message, path));
    unlink(path);
}

static void test_foreign_files(void **state)
{
    (void)state;
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I',  'H', 'D', 'R', 0,    0,    0,    1,    0, 0, 0, 1,
                                        8,    6,   0,   0,   0,    0x1f, 0x15, 0xc4, 0x89, 0};
    expect_refused(png, sizeof png, NERKIT_ERR_MODEL, "not a nerkit model");
    const char *txt = "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\nto O\nboycott O\n";
    expect_refused(txt, strlen(txt), NERKIT_ERR_MODEL, "not a nerkit model");
    expect_refused("N", 1, NERKIT_ERR_MODEL, NULL);
    expect_refused("X", 1, NERKIT_ERR_MODEL, "not a nerkit model");
    /* the magic with a wrong last byte */
    expect_refused("NERKITM\n0123456789012345678901234", 32, NERKIT_ERR_MODEL,
                   "not a nerkit model");
}

static void test_truncated(void **state)
{
    fixture *fx = *state;
    size_t len = fx->len;
    expect_refused(fx->bytes, HEADER, NERKIT_ERR_MODEL, "truncated");
    expect_refused(fx->bytes, HEADER + (len - HEADER) / 2, NERKIT_ERR_MODEL, "truncated");
    expect_refused(fx->bytes, len - 1, NERKIT_ERR_MODEL, "truncated");
    /* every length at a stride, and every one of the last 64 */
    size_t stride = len / 301 + 1;
    for (size_t n = 0; n < len; n += stride)
        expect_refused(fx->bytes, n, NERKIT_ERR_MODEL, NULL);
    for (size_t n = len - 64; n < len; n++)
        expect_refused(fx->bytes, n, NERKIT_ERR_MODEL, NULL);
    /* a copy of exactly the truncated size, so that any read past it is
     * caught by the sanitizer */
    for (size_t n = HEADER; n < len; n += stride * 7) {
        unsigned char *b = malloc(n);
        assert_non_null(b);
        memcpy(b, fx->bytes, n);
        expect_refused(b, n, NERKIT_ERR_MODEL, NULL);
        free(b);
    }
    /* truncated on disk */
    char path[128];
    snprintf(path, sizeof path, "%s/cut.nerkit", fx->dir);
    spit(path, fx->bytes, len - 1);
    nerkit_error err = {0};
    assert_null(nerkit_model_load(path, &err));
    assert_int_equal(err.code, NERKIT_ERR_MODEL);
    assert_non_null(strstr(err.message, path));
    unlink(path);
}

static void test_payload_bit_flips(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 0);
    size_t bits = (fx->len - HEADER) * 8;
    size_t stride = bits / 500 + 1;
    size_t tried = 0;
    /* a flip in a section's tag or length may break the run of sections,
     * which is checked first, or leave it whole: damage either way */
    bool *in_head = calloc(fx->len, sizeof *in_head);
    assert_non_null(in_head);
    for (size_t at = HEADER; at + 12 <= fx->len; at += 12 + rd64(fx->bytes + at + 4))
        for (size_t k = 0; k < 12; k++)
            in_head[at + k] = true;
    for (size_t bit = 0; bit < bits; bit += stride) {
        size_t byte = HEADER + bit / 8;
        b[byte] ^= (unsigned char)(1u << (bit % 8));
        expect_refused(b, fx->len, NERKIT_ERR_MODEL, in_head[byte] ? NULL : "checksum");
        b[byte] ^= (unsigned char)(1u << (bit % 8));
        tried++;
    }
    free(in_head);
    /* the last bit of the file too */
    b[fx->len - 1] ^= 0x80;
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "checksum");
    assert_true(tried >= 400);
    free(b);
}

/* A payload that is not a run of sections (here zeros, as a sparse file
 * of the promised length reads) is refused at its first section header,
 * before the checksum reads the rest. */
static void test_payload_not_sections(void **state)
{
    (void)state;
    const size_t n = (size_t)8 << 20;
    unsigned char *b = calloc(HEADER + n, 1);
    assert_non_null(b);
    memcpy(b, "NERKITM\x1a", 8);
    wr32(b + 8, 2);
    fix_all(b, HEADER + n);
    expect_refused(b, HEADER + n, NERKIT_ERR_MODEL,
                   "no section at byte offset 32 (a tag is four ASCII letters)");
    /* a tag of letters whose length runs past the end */
    memcpy(b + HEADER, "ROWS", 4);
    wr64(b + HEADER + 4, n);
    fix_all(b, HEADER + n);
    expect_refused(b, HEADER + n, NERKIT_ERR_MODEL, "section longer than the payload");
    /* a well-formed run of one unknown section: the checksum is read, and
     * it is the required sections that are missing */
    wr64(b + HEADER + 4, n - 12);
    memcpy(b + HEADER, "ABCD", 4);
    fix_all(b, HEADER + n);
    expect_refused(b, HEADER + n, NERKIT_ERR_MODEL, "a required section is missing");
    free(b);
}

static void test_header_bit_flips(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 0);
    for (size_t bit = 0; bit < HEADER * 8; bit++) {
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        /* a damaged magic, or a header that fails its own checksum; never a
         * "newer version" from a damaged version field */
        expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
        b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    /* a flip in the version field is reported as damage */
    b[8] ^= 0x02;
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "checksum");
    free(b);
}

static void test_versions(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 0);
    wr32(b + 8, 3);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_VERSION, "version 3");
    wr32(b + 8, 0xFFFFFFFFu);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_VERSION, "4294967295");
    /* the version check comes before the payload is looked at: a newer
     * file is refused as newer even when its payload is missing or damaged */
    wr32(b + 8, 3);
    fix_header_crc(b);
    expect_refused(b, HEADER, NERKIT_ERR_VERSION, NULL);
    b[fx->len - 1] ^= 1;
    expect_refused(b, fx->len, NERKIT_ERR_VERSION, NULL);
    b[fx->len - 1] ^= 1;
    /* version 0 is not a version */
    wr32(b + 8, 0);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    /* version 1 over sections of version 2: the rows and the lexicon of
     * one version are never read by the other's rules */
    wr32(b + 8, 1);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "a version 1 file with a section of version 2");
    /* and back to 2: fine again */
    wr32(b + 8, 2);
    fix_header_crc(b);
    nerkit_model_free(expect_loads(b, fx->len));
    free(b);
}

/* Bytes inserted before the arrays (here an unknown section, which readers
 * skip, of 13 bytes) move them off the 8-byte boundary their pad gave them
 * and they are used in place at: refused as such, not as bad counts. */
static void test_misaligned_arrays(void **state)
{
    fixture *fx = *state;
    static const unsigned char extra[13] = {'X', 'T', 'R', 'A', 1, 0, 0, 0, 0, 0, 0, 0, 0};
    unsigned char *b = malloc(fx->len + sizeof extra);
    assert_non_null(b);
    memcpy(b, fx->bytes, HEADER);
    memcpy(b + HEADER, extra, sizeof extra);
    memcpy(b + HEADER + sizeof extra, fx->bytes + HEADER, fx->len - HEADER);
    fix_all(b, fx->len + sizeof extra);
    expect_refused(b, fx->len + sizeof extra, NERKIT_ERR_MODEL,
                   "ROWS section: its arrays do not start at a multiple of 8 bytes");
    /* four bytes of body (sixteen in all) keep them aligned: the unknown
     * section is skipped and the model loads */
    const size_t more = 16;
    unsigned char *c = malloc(fx->len + more);
    assert_non_null(c);
    memcpy(c, fx->bytes, HEADER);
    memcpy(c + HEADER, extra, 12);
    c[HEADER + 4] = 4;
    memset(c + HEADER + 12, 0, 4);
    memcpy(c + HEADER + more, fx->bytes + HEADER, fx->len - HEADER);
    fix_all(c, fx->len + more);
    nerkit_model_free(expect_loads(c, fx->len + more));
    free(c);
    free(b);
}

static void test_length_field(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 0);
    uint64_t payload = fx->len - HEADER;
    /* the header (with a valid checksum) promises more than there is */
    wr64(b + 16, payload + 1);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "truncated");
    wr64(b + 16, UINT64_MAX);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "truncated");
    /* or less */
    wr64(b + 16, payload - 1);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    wr64(b + 16, 0);
    fix_header_crc(b);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    free(b);
}

static void test_trailing_garbage(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 100);
    memset(b + fx->len, 'x', 100);
    expect_refused(b, fx->len + 1, NERKIT_ERR_MODEL, "trailing");
    expect_refused(b, fx->len + 100, NERKIT_ERR_MODEL, "trailing");
    /* a second copy of the model appended */
    unsigned char *two = malloc(2 * fx->len);
    assert_non_null(two);
    memcpy(two, fx->bytes, fx->len);
    memcpy(two + fx->len, fx->bytes, fx->len);
    expect_refused(two, 2 * fx->len, NERKIT_ERR_MODEL, "trailing");
    free(two);
    free(b);
}

/* ------------------------------------------ crafted files, checksums valid */

static void test_absurd_row_count(void **state)
{
    fixture *fx = *state;
    unsigned char *b = copy(fx, 0);
    size_t n;
    size_t w = find_section(b, fx->len, "ROWS", &n) + 4;
    uint32_t nrows = rd32(b + w);
    static const uint32_t counts[] = {0xFFFFFFFFu, 0x80000000u, 1u << 16, (1u << 16) + 1,
                                      0, 1, 0, 0};
    uint32_t tries[8];
    memcpy(tries, counts, sizeof counts);
    tries[6] = nrows + 1;
    tries[7] = nrows - 1;
    for (size_t k = 0; k < 8; k++) {
        wr32(b + w, tries[k]);
        fix_all(b, fx->len);
        /* the checksums are right: the structure check must catch it */
        expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    }
    free(b);
}

static void test_crafted_sections(void **state)
{
    fixture *fx = *state;
    size_t n;
    unsigned char *b;

    /* a bitmap that does not count the rows: a slot more, a slot less,
     * and the format field past the known ones */
    b = copy(fx, 0);
    size_t w = find_section(b, fx->len, "ROWS", &n);
    size_t bits = w + 12 + rd32(b + w + 8);
    size_t k = 0;
    while (b[bits + k] == 0xFF)
        k++;
    b[bits + k] ^= (unsigned char)(~b[bits + k] & -~b[bits + k]); /* its lowest clear bit */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    memcpy(b, fx->bytes, fx->len);
    for (k = 0; !b[bits + k];)
        k++;
    b[bits + k] &= (unsigned char)(b[bits + k] - 1); /* its lowest set bit */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    memcpy(b, fx->bytes, fx->len);
    wr32(b + w, 2);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    free(b);

    /* a weight that is not a number: in the rows, in the transitions */
    b = copy(fx, 0);
    size_t first = bits + 8192;
    wr32(b + first + 4 * 5, 0x7FC00000u); /* NaN */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    wr32(b + first + 4 * 5, 0x7F800000u); /* +inf */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    free(b);
    b = copy(fx, 0);
    size_t t = find_section(b, fx->len, "TRAN", &n);
    wr32(b + t + 4 * 7, 0xFF800000u); /* -inf */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "TRAN");
    free(b);

    /* type count: absurd, past the limit, one more than the names */
    b = copy(fx, 0);
    size_t l = find_section(b, fx->len, "LABL", &n);
    static const uint32_t ntypes[] = {0xFFFFFFFFu, 4001, 3, 1, 0};
    for (size_t k = 0; k < 5; k++) {
        wr32(b + l, ntypes[k]);
        fix_all(b, fx->len);
        expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    }
    wr32(b + l, 2);
    /* a type name length running past the section */
    wr32(b + l + 4, 0x7FFFFFFF);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "LABL");
    /* an empty type name */
    wr32(b + l + 4, 0);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    wr32(b + l + 4, 3);
    /* a type name that is not UTF-8 */
    unsigned char keep = b[l + 8];
    b[l + 8] = 0xFF;
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "LABL");
    b[l + 8] = keep;
    fix_all(b, fx->len);
    nerkit_model_free(expect_loads(b, fx->len));
    free(b);

    /* feature configuration out of range */
    b = copy(fx, 0);
    size_t f = find_section(b, fx->len, "FEAT", &n);
    static const uint32_t hb[] = {9, 29, 64, 0xFFFFFFFFu};
    for (size_t k = 0; k < 4; k++) {
        wr32(b + f + 4, hb[k]);
        fix_all(b, fx->len);
        expect_refused(b, fx->len, NERKIT_ERR_MODEL, "FEAT");
    }
    wr32(b + f + 4, 16);
    wr32(b + f, NERKIT_FEAT_ALL | (1u << 20)); /* a group no version knows */
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "FEAT");
    /* groups that need word representations the file does not carry */
    wr32(b + f, NERKIT_FEAT_ALL | NERKIT_FEAT_CLUSTERS);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "LEXV");
    /* a smaller table than the slots need */
    wr32(b + f, NERKIT_FEAT_ALL);
    wr32(b + f + 4, 10);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "ROWS");
    free(b);

    /* an unknown scheme in META */
    b = copy(fx, 0);
    size_t m = find_section(b, fx->len, "META", &n);
    size_t sch = m + 4 + rd32(b + m) + 4; /* after the algorithm string */
    assert_int_equal(rd32(b + sch - 4), 4);
    assert_memory_equal(b + sch, "IOB2", 4);
    memcpy(b + sch, "auto", 4);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "scheme");
    memcpy(b + sch, "IOB9", 4);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "scheme");
    /* an algorithm name longer than the field */
    memcpy(b + sch, "IOB2", 4);
    wr32(b + m, 1000);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "META");
    free(b);
}

static void test_crafted_section_table(void **state)
{
    fixture *fx = *state;
    size_t n;
    unsigned char *b = copy(fx, 64);

    /* a section longer than the payload */
    size_t m = find_section(b, fx->len, "META", &n);
    wr64(b + m - 8, (uint64_t)1 << 40);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    wr64(b + m - 8, UINT64_MAX);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, NULL);
    wr64(b + m - 8, n);

    /* a required section renamed away: missing */
    size_t w = find_section(b, fx->len, "ROWS", &n);
    memcpy(b + w - 12, "ROWX", 4);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "missing");
    memcpy(b + w - 12, "ROWS", 4);

    /* a section twice */
    size_t l = find_section(b, fx->len, "LABL", &n);
    memcpy(b + l - 12, "META", 4);
    fix_all(b, fx->len);
    expect_refused(b, fx->len, NERKIT_ERR_MODEL, "twice");
    memcpy(b + l - 12, "LABL", 4);

    /* a few stray bytes after the last section: a cut-short section header */
    memcpy(b + fx->len, "GAZE\x01\x00", 6);
    fix_all(b, fx->len + 6);
    expect_refused(b, fx->len + 6, NERKIT_ERR_MODEL, NULL);

    /* an unknown section with a valid length is skipped: later versions
     * may add sections */
    memcpy(b + fx->len, "GAZE", 4);
    wr64(b + fx->len + 4, 20);
    memset(b + fx->len + 12, 0xAB, 20);
    fix_all(b, fx->len + 32);
    nerkit_model *mod = expect_loads(b, fx->len + 32);
    uint16_t *labels = tag(mod, fx->test);
    assert_memory_equal(labels, fx->labels, nerkit_corpus_ntokens(fx->test) * sizeof *labels);
    free(labels);
    nerkit_model_free(mod);
    /* but one claiming more than is there is not */
    wr64(b + fx->len + 4, 21);
    fix_all(b, fx->len + 32);
    expect_refused(b, fx->len + 32, NERKIT_ERR_MODEL, NULL);
    free(b);
}

/* ----------------------------------------------------------- load errors */

/* A small file that claims the largest label set but lacks the tables that
 * go with it: refused from the section sizes, before anything is sized by
 * the claim (which would be a 64 MB transition table). */
static void test_large_label_set_checked_first(void **state)
{
    (void)state;
    nk_buf b = {0};
    unsigned char header[HEADER] = {0};
    nk_buf_put(&b, header, HEADER);
    const char *meta[] = {"perceptron", "IOB2", "0.1.0"};
    unsigned char w[8];
    nk_buf_put(&b, "META", 4);
    size_t meta_len = 0;
    for (int k = 0; k < 3; k++)
        meta_len += 4 + strlen(meta[k]);
    wr64(w, meta_len);
    nk_buf_put(&b, w, 8);
    for (int k = 0; k < 3; k++) {
        wr32(w, (uint32_t)strlen(meta[k]));
        nk_buf_put(&b, w, 4);
        nk_buf_put(&b, meta[k], strlen(meta[k]));
    }
    nk_buf_put(&b, "LABL", 4);
    wr64(w, 4 + 1000 * (4 + 5));
    nk_buf_put(&b, w, 8);
    wr32(w, 1000);
    nk_buf_put(&b, w, 4);
    for (int t = 0; t < 1000; t++) {
        char name[16];
        snprintf(name, sizeof name, "T%04d", t % 10000);
        wr32(w, 5);
        nk_buf_put(&b, w, 4);
        nk_buf_put(&b, name, 5);
    }
    const char *empty[] = {"FEAT", "TRAN", "ROWS"};
    for (int k = 0; k < 3; k++) {
        nk_buf_put(&b, empty[k], 4);
        wr64(w, k == 0 ? 8 : 0);
        nk_buf_put(&b, w, 8);
        if (k == 0) {
            wr32(w, NERKIT_FEAT_ALL);
            wr32(w + 4, 16);
            nk_buf_put(&b, w, 8);
        }
    }
    assert_false(b.failed);
    unsigned char *bytes = (unsigned char *)b.p;
    memcpy(bytes, "NERKITM\x1a", 8);
    wr32(bytes + 8, 2);
    fix_all(bytes, b.len);
    double t0 = nk_now();
    expect_refused(bytes, b.len, NERKIT_ERR_MODEL, "TRAN");
    assert_true(nk_now() - t0 < 0.05);
    nk_buf_free(&b);
    /* an empty buffer may be NULL */
    expect_refused(NULL, 0, NERKIT_ERR_MODEL, "empty");
}

static void test_load_directory_or_missing(void **state)
{
    fixture *fx = *state;
    nerkit_error err = {0};
    assert_null(nerkit_model_load(fx->dir, &err));
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, fx->dir));

    char path[128];
    snprintf(path, sizeof path, "%s/no-such-model.nerkit", fx->dir);
    memset(&err, 0, sizeof err);
    assert_null(nerkit_model_load(path, &err));
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, path));
}

/* ------------------------------------------------------------ atomic save */

/* Number of entries in dir (without . and ..), and whether any name has
 * ".tmp." in it. */
static size_t list_dir(const char *dir, bool *has_tmp)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    *has_tmp = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (strstr(e->d_name, ".tmp."))
            *has_tmp = true;
    }
    closedir(d);
    return n;
}

static void make_subdir(const fixture *fx, const char *name, char out[128])
{
    snprintf(out, 128, "%s/%s", fx->dir, name);
    assert_int_equal(mkdir(out, 0755), 0);
}

static void test_save_into_missing_directory(void **state)
{
    fixture *fx = *state;
    char sub[128], path[160];
    make_subdir(fx, "save-missing", sub);
    snprintf(path, sizeof path, "%s/not-there/model.nerkit", sub);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(fx->model, path, &err), NERKIT_ERR_IO);
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, path));
    bool tmp;
    assert_int_equal(list_dir(sub, &tmp), 0);
    struct stat st;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/not-there", sub);
    assert_int_not_equal(stat(missing, &st), 0);
}

static void test_save_replaces_existing(void **state)
{
    fixture *fx = *state;
    char sub[128], path[160];
    make_subdir(fx, "save-replace", sub);
    snprintf(path, sizeof path, "%s/model.nerkit", sub);
    /* an old file, longer than the model, that must be wholly replaced */
    size_t old_len = fx->len * 2 + 1000;
    unsigned char *old = malloc(old_len);
    assert_non_null(old);
    memset(old, 'x', old_len);
    spit(path, old, old_len);
    free(old);

    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(fx->model, path, &err), NERKIT_OK);
    size_t len;
    unsigned char *got = slurp(path, &len);
    assert_int_equal(len, fx->len);
    assert_memory_equal(got, fx->bytes, len);
    free(got);
    bool tmp;
    assert_int_equal(list_dir(sub, &tmp), 1);
    assert_false(tmp);

    /* and once more over a model */
    assert_int_equal(nerkit_model_save(fx->model, path, &err), NERKIT_OK);
    assert_int_equal(list_dir(sub, &tmp), 1);
    assert_false(tmp);
    nerkit_model *m = nerkit_model_load(path, &err);
    assert_non_null(m);
    nerkit_model_free(m);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mode & S_IRUSR);
}

/* Makes dir one where no file can be created, or undoes it: mode 0555, or
 * for root, whom modes do not bind, the immutable attribute (chattr +i).
 * -1 when the file system has no such attribute. */
static int read_only(const char *dir, bool on)
{
    if (geteuid() != 0)
        return chmod(dir, on ? 0555 : 0755);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int flags = 0, rc = -1;
    if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A failed save leaves the file at the path as it was and no temporary. */
static void test_failed_save_keeps_previous(void **state)
{
    fixture *fx = *state;
    char sub[128], path[160];
    make_subdir(fx, "save-fail", sub);
    snprintf(path, sizeof path, "%s/model.nerkit", sub);
    static const char previous[] = "the previous file";
    spit(path, previous, sizeof previous - 1);
    nerkit_error err = {0};
    size_t len;
    bool tmp;

    if (read_only(sub, true) == 0) {
        /* a read-only directory: no temporary file can be made */
        int rc = nerkit_model_save(fx->model, path, &err);
        assert_int_equal(read_only(sub, false), 0);
        assert_int_equal(rc, NERKIT_ERR_IO);
        assert_non_null(strstr(err.message, path));
        unsigned char *got = slurp(path, &len);
        assert_int_equal(len, sizeof previous - 1);
        assert_memory_equal(got, previous, len);
        free(got);
        assert_int_equal(list_dir(sub, &tmp), 1);
        assert_false(tmp);
    } else {
        /* root on a file system without the attribute: /proc/self takes no
         * new files from anyone */
        const char *proc = "/proc/self/nerkit-save-test.nerkit";
        assert_int_equal(nerkit_model_save(fx->model, proc, &err), NERKIT_ERR_IO);
        assert_non_null(strstr(err.message, proc));
    }

    /* a path whose parent is a regular file (permissions do not matter
     * here, so this runs as root too): the file is untouched */
    char below[192];
    snprintf(below, sizeof below, "%s/inner.nerkit", path);
    memset(&err, 0, sizeof err);
    assert_int_equal(nerkit_model_save(fx->model, below, &err), NERKIT_ERR_IO);
    assert_int_equal(err.code, NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, below));
    unsigned char *got = slurp(path, &len);
    assert_int_equal(len, sizeof previous - 1);
    assert_memory_equal(got, previous, len);
    free(got);
    assert_int_equal(list_dir(sub, &tmp), 1);
    assert_false(tmp);

    /* the path is a directory: the final rename fails after the temporary
     * file was written; the directory stays and the temporary is removed */
    char dirpath[192];
    snprintf(dirpath, sizeof dirpath, "%s/a-directory", sub);
    assert_int_equal(mkdir(dirpath, 0755), 0);
    memset(&err, 0, sizeof err);
    assert_int_equal(nerkit_model_save(fx->model, dirpath, &err), NERKIT_ERR_IO);
    assert_non_null(strstr(err.message, dirpath));
    struct stat st;
    assert_int_equal(stat(dirpath, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(list_dir(sub, &tmp), 2);
    assert_false(tmp);
    assert_int_equal(list_dir(dirpath, &tmp), 0);
    /* the previous model file is still as it was */
    got = slurp(path, &len);
    assert_memory_equal(got, previous, sizeof previous - 1);
    free(got);
}

/* ------------------------------------------------------------ int8 rows */

/* A scale code is the smallest whose scale brings max to at most levels. */
static void test_scale_codes(void **state)
{
    (void)state;
    for (unsigned c = 1; c < 255; c++) {
        float s = nk_scale_decode((uint8_t)c), next = nk_scale_decode((uint8_t)(c + 1));
        assert_true(next > s);
        for (int levels = 7; levels <= 127; levels += 120) {
            assert_int_equal(nk_scale_encode(s * (float)levels, levels), c);
            assert_int_equal(nk_scale_encode(nextafterf(s * (float)levels, INFINITY), levels),
                             c + 1);
        }
    }
    assert_true(nk_scale_decode(0) == 0);
    assert_int_equal(nk_scale_encode(1e-30f, 127), 1);
    assert_int_equal(nk_scale_encode(1e30f, 127), 255);
}

/* The perceptron's default: rows of bytes, a quarter of the floats' room,
 * tagging nearly as the floats do; pruning keeps the rows of the largest
 * weights, and the file keeps what the model has. */
static void test_int8_rows(void **state)
{
    fixture *fx = *state;
    nerkit_corpus *tr = generate_corpus(3, 150);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 5;
    nerkit_error err = {0};
    nerkit_model *m = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    o.prune = 1;
    nerkit_model *p = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    o.weights = "double";
    assert_null(nerkit_train(tr, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    /* pruning that would leave nothing is refused */
    o.weights = NULL;
    o.prune = 100;
    assert_null(nerkit_train(tr, NULL, &o, NULL, NULL, &err));
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "every weight row"));
    nerkit_corpus_free(tr);
    assert_non_null(m);
    assert_non_null(p);
    const nerkit_model *f = fx->model; /* the same training with float rows */
    const size_t L = f->nlabels;
    assert_int_equal(m->rowfmt, NK_ROWS_I8);
    assert_int_equal(m->nrows, f->nrows);
    for (uint32_t r = 0; r < m->nrows; r++) {
        const int8_t *q = m->qrows + (size_t)r * (L + 1);
        float s = nk_scale_decode((uint8_t)q[0]), max = 0;
        for (size_t y = 0; y < L; y++)
            max = fmaxf(max, fabsf(f->rows[r * L + y]));
        for (size_t y = 0; y < L; y++)
            if (fabsf((float)q[1 + y] * s - f->rows[r * L + y]) > max / 127 * 1.125f / 2 + 1e-6f)
                fail_msg("row %u label %zu: %g for %g", r, y, (float)q[1 + y] * s,
                         f->rows[r * L + y]);
    }
    size_t ntok = nerkit_corpus_ntokens(fx->test), same = 0;
    uint16_t *a = tag(m, fx->test);
    for (size_t i = 0; i < ntok; i++)
        same += a[i] == fx->labels[i];
    assert_true(same >= ntok * 99 / 100);
    /* pruned: fewer rows, each of a slot the whole model has */
    assert_true(p->nrows < m->nrows && p->nrows > 0);
    for (size_t slot = 0; slot < (size_t)1 << 16; slot++)
        assert_true(!nk_model_row(p, (uint32_t)slot) || nk_model_row(m, (uint32_t)slot));

    char path[128];
    snprintf(path, sizeof path, "%s/int8.nerkit", fx->dir);
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model *back = nerkit_model_load(path, &err);
    assert_non_null(back);
    assert_int_equal(back->rowfmt, NK_ROWS_I8);
    assert_memory_equal(back->qrows, m->qrows, (size_t)m->nrows * (L + 1));
    uint16_t *z = tag(back, fx->test);
    assert_memory_equal(z, a, ntok * sizeof *a);
    size_t bytes;
    free(slurp(path, &bytes));
    assert_true(bytes + (size_t)m->nrows * (3 * L - 1) == fx->len);
    unlink(path);
    /* a checkpoint's model has float rows, which the trainer goes on from:
     * one of bytes is refused, not taken */
    enum { CK_ROWS = 16, CK_N = 2 };
    int32_t w[CK_ROWS * 9] = {0}, wt[81] = {0};
    int64_t u[CK_ROWS * 9] = {0}, ut[81] = {0};
    size_t order[CK_N] = {1, 0};
    nk_checkpoint ck = {.fingerprint = 7, .epoch = 1, .step = 1, .best_score = -1, .L = L,
                        .rows = CK_ROWS, .n = CK_N, .w = w, .wt = wt, .u = u, .ut = ut,
                        .order = order};
    assert_int_equal(nk_checkpoint_save(path, m, &ck, &err), NERKIT_OK);
    nk_checkpoint got = {.fingerprint = 7, .L = L, .rows = CK_ROWS, .n = CK_N, .w = w,
                         .wt = wt, .u = u, .ut = ut, .order = order};
    nerkit_model *best = NULL;
    assert_int_equal(nk_checkpoint_load(path, &got, &best, &err), NERKIT_ERR_MODEL);
    assert_null(best);
    /* damage in a checkpoint's model is the checkpoint's */
    size_t n;
    unsigned char *ckb = slurp(path, &bytes);
    wr32(ckb + find_section(ckb, bytes, "ROWS", &n), 7);
    fix_all(ckb, bytes);
    err = (nerkit_error){0};
    assert_int_equal(nk_checkpoint_load_buffer(ckb, bytes, "c.ck", &got, &best, &err),
                     NERKIT_ERR_MODEL);
    if (!strstr(err.message, "c.ck: damaged checkpoint: ROWS section: bad header"))
        fail_msg("%s", err.message);
    free(ckb);
    unlink(path);
    free(a);
    free(z);
    nerkit_model_free(back);
    nerkit_model_free(m);
    nerkit_model_free(p);
}

/* ---------------------------------------- the token cache, shared */

typedef struct {
    const nerkit_model *m;
    const nerkit_document *doc;
    float *em; /* the scores of the last of three passes */
    int rc;
} score_job;

static void *score_thrice(void *arg)
{
    score_job *j = arg;
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(j->m, &err);
    const float *em = NULL;
    j->rc = t ? NERKIT_OK : err.code;
    for (int pass = 0; pass < 3 && !j->rc; pass++)
        j->rc = nk_tagger_score(t, j->doc, &em, &err);
    if (!j->rc)
        memcpy(j->em, em, j->doc->ntokens * j->m->nlabels * sizeof *em);
    nerkit_tagger_free(t);
    return NULL;
}

/* Taggers of two loads of one model file (as two processes would be), on
 * three threads at once, share one cache: every score is the same, bit for
 * bit, as a tagger's own cache gives, with more distinct tokens than the
 * cache holds, so that ways are taken from under the others. The cache is
 * removed when the last model using it is freed; an object of its name
 * that is not one is refused, and the tagger keeps a cache of its own. */
static void test_shared_token_cache(void **state)
{
    fixture *fx = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/shared.nerkit", fx->dir);
    spit(path, fx->bytes, fx->len);
    nerkit_error err = {0};
    nerkit_model *own = nerkit_model_load(path, &err), *m1 = nerkit_model_load(path, &err),
                 *m2 = nerkit_model_load(path, &err);
    assert_true(own && m1 && m2);
    assert_int_equal(nerkit_model_share_tokens(m1, &err), NERKIT_OK);
    assert_int_equal(nerkit_model_share_tokens(m2, &err), NERKIT_OK);
    /* both in one object, under /dev/shm where Linux keeps them */
    assert_string_equal(nk_tokcache_name(m1->tokens), nk_tokcache_name(m2->tokens));
    char shm[300];
    snprintf(shm, sizeof shm, "/dev/shm%s", nk_tokcache_name(m1->tokens));
    struct stat sst;
    assert_int_equal(stat(shm, &sst), 0);
    const size_t shm_len = (size_t)sst.st_size;
    /* a model built in memory has no file to name a cache after */
    assert_int_equal(nerkit_model_share_tokens(fx->model, &err), NERKIT_ERR_ARG);

    static const char *const words[] = {"John", "Smith", "visited", "Paris", "the", "a", "."};
    const size_t V = 3 * NK_TOKEN_SETS * NK_TOKEN_WAYS / 2, N = 2 * V;
    char (*text)[16] = malloc(V * sizeof *text);
    const char **tok = malloc(N * sizeof *tok);
    size_t *len = malloc(N * sizeof *len), *sl = malloc(N / 16 * sizeof *sl);
    assert_true(text && tok && len && sl);
    for (size_t w = 0; w < V; w++)
        snprintf(text[w], sizeof *text, w % 2 ? "Tok%zu" : "tok%zu", w);
    for (size_t i = 0; i < N; i++) {
        tok[i] = i % 3 ? words[i % 7] : text[(i * 7919) % V];
        len[i] = strlen(tok[i]);
    }
    for (size_t k = 0; k < N / 16; k++)
        sl[k] = 16;
    nerkit_document doc = {tok, len, N, sl, N / 16};
    const size_t L = own->nlabels;
    score_job jobs[4] = {{own, &doc, NULL, 0}, {m1, &doc, NULL, 0}, {m1, &doc, NULL, 0},
                         {m2, &doc, NULL, 0}};
    for (int k = 0; k < 4; k++)
        assert_non_null(jobs[k].em = malloc(N * L * sizeof(float)));
    score_thrice(&jobs[0]);
    pthread_t th[3];
    for (int k = 0; k < 3; k++)
        assert_int_equal(pthread_create(&th[k], NULL, score_thrice, &jobs[k + 1]), 0);
    for (int k = 0; k < 3; k++)
        pthread_join(th[k], NULL);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(jobs[k].rc, NERKIT_OK);
        if (memcmp(jobs[k].em, jobs[0].em, N * L * sizeof(float)) != 0)
            fail_msg("tagger %d: scores differ from those of a cache of its own", k);
    }
    nerkit_model_free(m1);
    assert_int_equal(access(shm, F_OK), 0); /* m2 still uses it */
    nerkit_model_free(m2);
    assert_int_not_equal(access(shm, F_OK), 0);

    /* Objects of its name that are not this cache: one of the right size
     * whose head is another's (every other way is a copy of a real cache
     * would be taken for entries), and one of another size. In use (a
     * process holds its lock), it is refused, and the tagger keeps a cache
     * of its own; unused, it is removed and made again. */
    for (int size = 0; size < 2; size++) {
        int fd = open(shm, O_CREAT | O_RDWR | O_EXCL, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, size ? 7 : (off_t)shm_len), 0);
        assert_int_equal(pwrite(fd, "NKTOKEN1 another head", 21, 0), 21);
        assert_int_equal(flock(fd, LOCK_SH), 0);
        nerkit_model *m3 = nerkit_model_load(path, &err);
        assert_non_null(m3);
        assert_int_equal(nerkit_model_share_tokens(m3, &err), NERKIT_ERR_IO);
        if (!strstr(err.message, "not this cache, and is in use"))
            fail_msg("%s", err.message);
        jobs[1].m = m3;
        score_thrice(&jobs[1]);
        assert_int_equal(jobs[1].rc, NERKIT_OK);
        assert_memory_equal(jobs[1].em, jobs[0].em, N * L * sizeof(float));
        nerkit_model_free(m3);
        close(fd); /* unused now */
        m3 = nerkit_model_load(path, &err);
        assert_int_equal(nerkit_model_share_tokens(m3, &err), NERKIT_OK);
        struct stat st;
        assert_int_equal(stat(shm, &st), 0);
        assert_int_equal((size_t)st.st_size, shm_len);
        nerkit_model_free(m3);
        assert_int_not_equal(access(shm, F_OK), 0);
    }

    nerkit_model_free(own);
    for (int k = 0; k < 4; k++)
        free(jobs[k].em);
    free(text);
    free(tok);
    free(len);
    free(sl);
    unlink(path);
}

/* ------------------------------------------------------- the token cache */

/* The tagger sums what each distinct token brings to its window once and
 * keeps it (nk_features_word): its scores must be the sums of the rows of
 * every feature nk_features_extract gives each token, for a document of
 * more distinct tokens than the cache holds (each comes back once
 * evicted), and with a window whose five tokens fall in one set of the
 * cache, which holds four (a model of 9 labels has the most sets). */
static void test_token_cache(void **state)
{
    (void)state;
    nerkit_corpus *tr = generate_corpus(5, 300);
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 16;
    o.epochs = 3;
    o.features = NERKIT_FEAT_ALL;
    o.weights = "float";
    nerkit_error err = {0};
    nerkit_model *m = nerkit_train(tr, NULL, &o, NULL, NULL, &err);
    nerkit_corpus_free(tr);
    assert_non_null(m);
    const size_t L = m->nlabels, V = 3 * NK_TOKEN_SETS * NK_TOKEN_WAYS;
    /* five tokens of set 0, each of another shape, so that what they
     * bring differs; then every distinct token twice */
    static const char *const shapes[5] = {"X%s", "x%s", "%s.", "%s-x", "%s"};
    char (*text)[16] = malloc((V + 5) * sizeof *text);
    for (size_t k = 0; k < 5; k++)
        for (unsigned x = 0;; x++) {
            char letters[8] = {0};
            for (unsigned v = x, c = 0; c < 6; v /= 26, c++)
                letters[c] = (char)((k == 4 ? 'A' : 'a') + v % 26);
            snprintf(text[k], sizeof *text, shapes[k], letters);
            uint64_t key = nk_token_key(nk_word_hash(text[k], strlen(text[k])), 0);
            if (nk_token_set(key, NK_TOKEN_SETS) == 0)
                break;
        }
    for (size_t w = 0; w < V; w++)
        snprintf(text[5 + w], sizeof *text, w % 3 ? "w%zu" : "W%zu", w);
    const size_t N = 5 + 2 * V, sl[3] = {5, V, V};
    const char **tok = malloc(N * sizeof *tok);
    size_t *len = malloc(N * sizeof *len);
    for (size_t i = 0; i < N; i++) {
        tok[i] = text[i < 5 ? i : 5 + (i - 5) % V];
        len[i] = strlen(tok[i]);
    }
    nerkit_document doc = {tok, len, N, sl, 3};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    const float *em;
    assert_int_equal(nk_tagger_score(t, &doc, &em, &err), NERKIT_OK);
    nk_featbuf fb = {0};
    assert_int_equal(nk_features_extract(&m->feat, &m->lex, NULL, &doc, &fb, &err), NERKIT_OK);
    for (size_t i = 0; i < N; i++) {
        float want[64] = {0};
        assert_true(L <= 64);
        for (size_t k = fb.start[i]; k < fb.start[i + 1]; k++) {
            uint32_t r = nk_model_row(m, fb.slots[k]);
            for (size_t y = 0; r && y < L; y++)
                want[y] += m->rows[(r - 1) * L + y];
        }
        for (size_t y = 0; y < L; y++)
            if (fabsf(em[i * L + y] - want[y]) > 1e-4f * (1 + fabsf(want[y])))
                fail_msg("token %zu (%s) label %zu: %g, the rows sum to %g", i, tok[i], y,
                         em[i * L + y], want[y]);
    }
    nk_featbuf_free(&fb);
    nerkit_tagger_free(t);
    nerkit_model_free(m);
    free(text);
    free(tok);
    free(len);
}

/* ------------------------------------------------------------ version 1 */

static float f32_at(const unsigned char *p)
{
    uint32_t u = rd32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* A model of format version 1 (tests/data/v1, made by the last build that
 * wrote one) loads: its float rows as they are, its clusters by their ids,
 * its vectors rounded to 4 bits. Saved again it is a version 2 file, which
 * loads mapped and tags as the version 1 model does. */
static void test_version1_file(void **state)
{
    fixture *fx = *state;
    size_t len, n;
    unsigned char *b = slurp("tests/data/v1/model.nerkit", &len);
    assert_int_equal(rd32(b + 8), 1);
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load_buffer(b, len, "v1", &err);
    if (!m)
        fail_msg("%s", err.message);
    const size_t L = m->nlabels;
    /* the same sections under a header of version 2 */
    wr32(b + 8, 2);
    fix_header_crc(b);
    expect_refused(b, len, NERKIT_ERR_MODEL, "a version 2 file with a section of version 1");
    wr32(b + 8, 1);
    fix_header_crc(b);
    size_t w = find_section(b, len, "WGHT", &n);
    uint32_t R = rd32(b + w);
    assert_int_equal(m->rowfmt, NK_ROWS_F32);
    assert_int_equal(m->nrows, R);
    for (uint32_t r = 0; r < R; r++) {
        assert_int_equal(nk_model_row(m, rd32(b + w + 4 + 4 * r)), r + 1);
        for (size_t y = 0; y < L; y++)
            assert_true(m->rows[r * L + y] == f32_at(b + w + 4 + 4 * R + 4 * (r * L + y)));
    }
    const nk_lexicon *lx = &m->lex;
    size_t x = find_section(b, len, "LEXN", &n);
    uint32_t nw = rd32(b + x), nc = rd32(b + x + 4), D = rd32(b + x + 8);
    assert_int_equal(lx->nwords, nw);
    assert_int_equal(nc, 1);
    assert_int_equal(lx->brown[0], b[x + 12]);
    const unsigned char *ids = b + x + 12 + nc + 8 * nw, *scales = ids + 4 * nc * nw;
    float v[4];
    assert_int_equal(D, 4);
    for (uint32_t k = 0; k < nw; k++) {
        assert_int_equal(nk_lexicon_cluster(lx, k, 0), rd32(ids + 4 * k));
        float scale = f32_at(scales + 4 * k), max = 127 * scale;
        assert_true(nk_lexicon_vector(lx, k, v));
        for (uint32_t d = 0; d < D; d++) {
            float was = (float)(int8_t)scales[4 * nw + k * D + d] * scale;
            if (fabsf(v[d] - was) > max / 7 * 1.125f / 2 + 1e-6f)
                fail_msg("word %u component %u: %g, not %g in 4 bits", k, d, v[d], was);
        }
    }

    char path[128];
    snprintf(path, sizeof path, "%s/v2.nerkit", fx->dir);
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model *back = nerkit_model_load(path, &err);
    if (!back)
        fail_msg("%s", err.message);
    assert_non_null(back->map);
    assert_true(back->rows_borrowed && back->lex.borrowed);
    nerkit_corpus *c = nerkit_corpus_read("tests/data/v1/train.conll", NULL, &err);
    assert_non_null(c);
    uint16_t *a = tag(m, c), *z = tag(back, c);
    assert_memory_equal(a, z, nerkit_corpus_ntokens(c) * sizeof *a);
    size_t entities = 0;
    for (size_t i = 0; i < nerkit_corpus_ntokens(c); i++)
        entities += a[i] != 0;
    assert_true(entities > 100);
    free(a);
    free(z);
    nerkit_corpus_free(c);
    nerkit_model_free(back);
    nerkit_model_free(m);
    unlink(path);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_load_same_output),
        cmocka_unit_test(test_version1_file),
        cmocka_unit_test(test_scale_codes),
        cmocka_unit_test(test_int8_rows),
        cmocka_unit_test(test_token_cache),
        cmocka_unit_test(test_shared_token_cache),
        cmocka_unit_test(test_probability_scale),
        cmocka_unit_test(test_header_layout),
        cmocka_unit_test(test_empty_and_short),
        cmocka_unit_test(test_foreign_files),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_payload_bit_flips),
        cmocka_unit_test(test_payload_not_sections),
        cmocka_unit_test(test_header_bit_flips),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_misaligned_arrays),
        cmocka_unit_test(test_length_field),
        cmocka_unit_test(test_trailing_garbage),
        cmocka_unit_test(test_absurd_row_count),
        cmocka_unit_test(test_crafted_sections),
        cmocka_unit_test(test_crafted_section_table),
        cmocka_unit_test(test_large_label_set_checked_first),
        cmocka_unit_test(test_load_directory_or_missing),
        cmocka_unit_test(test_save_into_missing_directory),
        cmocka_unit_test(test_save_replaces_existing),
        cmocka_unit_test(test_failed_save_keeps_previous),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
