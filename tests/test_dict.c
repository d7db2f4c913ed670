/*
 * Unit tests for entity dictionaries (src/text/dict.c) through the public
 * API: compiling lists, matching tokens leftmost-longest with each casing
 * and normalization, the file saved and loaded back (mapped) and from a
 * buffer, options structs of an older size, and damaged files: every byte
 * changed in turn, with the checksums made right again so that the
 * structure checks behind them are what is tested, must be refused or
 * load into a dictionary that matches within bounds.
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

#include "../src/text/text.h"

/* the lists and files of the tests, removed by main */
static char dir[] = "/tmp/nerkit-test-dict-XXXXXX";

/* path of a file in the test folder holding text */
static const char *list(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static nerkit_dict *compile(const char *text, nerkit_dict_case casing, unsigned norm)
{
    const char *path = list("l.tsv", text);
    nerkit_dict_opts o;
    nerkit_dict_opts_init(&o);
    o.casing = casing;
    o.normalize = norm;
    nerkit_error err = {0};
    nerkit_dict *d = nerkit_dict_compile(&path, 1, &o, NULL, &err);
    if (!d)
        fail_msg("%s", err.message);
    return d;
}

/* "label:first-last[:id]" of each match of d in text's first sentence */
static void matches(const nerkit_dict *d, const char *text, char *out, size_t cap)
{
    nerkit_tokens *t = nerkit_tokens_new();
    nerkit_error err = {0};
    assert_int_equal(nerkit_tokenize(t, text, strlen(text), &err), NERKIT_OK);
    nerkit_document doc;
    nerkit_tokens_document(t, &doc);
    nerkit_dict_match m[64];
    assert_true(doc.ntokens <= 64);
    size_t n = nerkit_dict_match_tokens(d, doc.tokens, doc.token_len, doc.ntokens, m);
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        assert_true(m[k].start < m[k].end && m[k].end <= doc.ntokens);
        assert_true(k == 0 || m[k - 1].end <= m[k].start);
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%zu-%zu%s%.*s", k ? " " : "",
                                nerkit_dict_label(d, m[k].label), m[k].start, m[k].end,
                                m[k].id_len ? ":" : "", (int)m[k].id_len,
                                m[k].id_len ? m[k].id : "");
    }
    nerkit_tokens_free(t);
}

#define EXPECT(d, text, want)                                                                 \
    do {                                                                                      \
        char got[1024];                                                                       \
        matches((d), (text), got, sizeof got);                                                \
        assert_string_equal(got, (want));                                                     \
    } while (0)

static void test_longest_and_overlaps(void **state)
{
    (void)state;
    nerkit_dict *d = compile("New York\tLOC\tQ1384\nNew York City\tLOC\tQ60\nYork\tX\n"
                             "City Hall\tFAC\n",
                             NERKIT_DICT_EXACT, 0);
    assert_int_equal(nerkit_dict_nentries(d), 4);
    assert_int_equal(nerkit_dict_nlabels(d), 3);
    EXPECT(d, "New York City Hall", "LOC:0-3:Q60");
    EXPECT(d, "New York Hall", "LOC:0-2:Q1384");
    EXPECT(d, "York City Hall", "X:0-1 FAC:1-3");
    EXPECT(d, "New", "");
    EXPECT(d, "", "");
    nerkit_dict_free(d);
}

static void test_casing(void **state)
{
    (void)state;
    const char *l = "WHO\tORG\nZurich\tLOC\nzurich\tLOWER\n";
    nerkit_dict *d = compile(l, NERKIT_DICT_EXACT, 0);
    EXPECT(d, "WHO who Zurich ZURICH zurich", "ORG:0-1 LOC:2-3 LOWER:4-5");
    nerkit_dict_free(d);
    d = compile(l, NERKIT_DICT_IGNORE_CASE, 0);
    /* of two entries of a phrase, the one matching as written wins, else the first listed */
    EXPECT(d, "WHO who Zurich ZURICH zurich", "ORG:0-1 ORG:1-2 LOC:2-3 LOC:3-4 LOWER:4-5");
    nerkit_dict_free(d);
    d = compile(l, NERKIT_DICT_ACRONYMS, 0);
    EXPECT(d, "WHO who Zurich ZURICH zurich", "ORG:0-1 LOC:2-3 LOC:3-4 LOWER:4-5");
    nerkit_dict_free(d);
}

static void test_normalize(void **state)
{
    (void)state;
    const char *l = "Jean-Paul\tPER\nZurich\tLOC\nKobenhavn\tLOC\n";
    /* U+2011 non-breaking hyphen; u with diaeresis precomposed and as u +
     * U+0308; o with stroke */
    const char *text = "Jean\xe2\x80\x91Paul Z\xc3\xbcrich Zu\xcc\x88rich K\xc3\xb8""benhavn";
    nerkit_dict *d = compile(l, NERKIT_DICT_EXACT, 0);
    EXPECT(d, text, "");
    nerkit_dict_free(d);
    d = compile(l, NERKIT_DICT_EXACT, NERKIT_DICT_NORM_PUNCT);
    EXPECT(d, text, "PER:0-1");
    nerkit_dict_free(d);
    d = compile(l, NERKIT_DICT_EXACT, NERKIT_DICT_NORM_PUNCT | NERKIT_DICT_NORM_ACCENTS);
    EXPECT(d, text, "PER:0-1 LOC:1-2 LOC:2-3 LOC:3-4");
    nerkit_dict_free(d);
}

static void test_long_sentence(void **state)
{
    (void)state;
    /* the window of token hashes slides: matches far into a long sentence */
    nerkit_dict *d = compile("a b c\tABC\nz\tZ\n", NERKIT_DICT_EXACT, 0);
    enum { N = 1000 };
    const char *tok[N];
    size_t len[N];
    for (size_t i = 0; i < N; i++) {
        tok[i] = i % 100 == 97 ? "a" : i % 100 == 98 ? "b" : i % 7 == 3 && i % 100 < 90 ? "z" : "c";
        len[i] = 1;
    }
    nerkit_dict_match m[N];
    size_t n = nerkit_dict_match_tokens(d, tok, len, N, m);
    size_t abc = 0, z = 0;
    for (size_t k = 0; k < n; k++) {
        if (m[k].end - m[k].start == 3) {
            assert_int_equal(m[k].start % 100, 97);
            abc++;
        } else {
            assert_int_equal(m[k].start % 7, 3);
            z++;
        }
    }
    size_t want_z = 0;
    for (size_t i = 0; i < N; i++)
        want_z += i % 7 == 3 && i % 100 < 90;
    assert_int_equal(abc, 10);
    assert_int_equal(z, want_z);
    nerkit_dict_free(d);
}

static void count_line(const char *line, void *user)
{
    assert_non_null(strstr(line, "with another label or id, which is kept (duplicates: last)"));
    (*(size_t *)user)++;
}

static void test_errors(void **state)
{
    (void)state;
    struct {
        const char *text, *want;
    } cases[] = {{"Oslo\tCITY\nBergen\n", ":2: no label"},
                 {"\tCITY\n", ":1: empty phrase"},
                 {"Oslo\t\n", ":1: empty label"},
                 {"Os\xc3lo\tCITY\n", ":1: invalid UTF-8"},
                 {"Oslo\tA\tB\tC\n", ":1: more than three fields"},
                 {"Oslo\tCITY\tQ1\nOslo\tCITY\tQ2\n", ":2: the phrase of "},
                 {"# nothing\n", ": no entries"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *path = list("bad.tsv", cases[k].text);
        nerkit_error err = {0};
        assert_null(nerkit_dict_compile(&path, 1, NULL, NULL, &err));
        assert_int_equal(err.code, NERKIT_ERR_FORMAT);
        if (!strstr(err.message, path) || !strstr(err.message, cases[k].want))
            fail_msg("case %zu: %s", k, err.message);
    }
    nerkit_dict_opts o;
    nerkit_dict_opts_init(&o);
    nerkit_error err = {0};
    assert_int_equal(nerkit_dict_opts_set(&o, "case", "upper", &err), NERKIT_ERR_ARG);
    assert_int_equal(nerkit_dict_opts_set(&o, "normalize", "punct,accents", &err), NERKIT_OK);
    assert_int_equal(o.normalize, NERKIT_DICT_NORM_PUNCT | NERKIT_DICT_NORM_ACCENTS);
    assert_int_equal(nerkit_dict_opts_set(&o, "duplicates", "last", &err), NERKIT_OK);
    const char *path = list("dup.tsv", "Oslo\tCITY\tQ1\nOslo\tPER\nOslo\tCITY\tQ1\n");
    size_t conflicts = 0, lines = 0;
    o.message = count_line;
    o.user = &lines;
    nerkit_dict *d = nerkit_dict_compile(&path, 1, &o, &conflicts, &err);
    assert_non_null(d);
    assert_int_equal(conflicts, 1);
    assert_int_equal(lines, 1); /* line 2 gave way; line 1 is line 3 again */
    EXPECT(d, "Oslo", "CITY:0-1:Q1");
    nerkit_dict_free(d);
    /* an options struct of an older, smaller header: the rest defaults */
    nerkit_dict_opts_init_sized(&o, offsetof(nerkit_dict_opts, duplicates));
    o.casing = NERKIT_DICT_IGNORE_CASE;
    d = nerkit_dict_compile(&path, 1, &o, NULL, &err);
    assert_null(d); /* duplicates: error, the default */
    assert_int_equal(err.code, NERKIT_ERR_FORMAT);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void test_file_and_damage(void **state)
{
    (void)state;
    nerkit_dict *d = compile("New York\tLOC\tQ60\nWHO\tORG\nZürich\tLOC\tZ\n", NERKIT_DICT_ACRONYMS,
                             NERKIT_DICT_NORM_ACCENTS);
    char path[256];
    snprintf(path, sizeof path, "%s/d.nkd", dir);
    nerkit_error err = {0};
    assert_int_equal(nerkit_dict_save(d, path, &err), NERKIT_OK);
    nerkit_dict_free(d);
    d = nerkit_dict_load(path, &err);
    assert_non_null(d);
    nerkit_dict_opts o;
    nerkit_dict_opts_init(&o);
    nerkit_dict_options(d, &o);
    assert_int_equal(o.casing, NERKIT_DICT_ACRONYMS);
    assert_int_equal(o.normalize, NERKIT_DICT_NORM_ACCENTS);
    EXPECT(d, "new york and the WHO in Zurich", "LOC:0-2:Q60 ORG:4-5 LOC:6-7:Z");
    nerkit_dict_free(d);
    /* a file whose size says 0 but that has contents (/proc) is read, not
     * taken for empty */
    assert_null(nerkit_dict_load("/proc/self/status", &err));
    if (!strstr(err.message, "/proc/self/status: not a nerkit dictionary"))
        fail_msg("%s", err.message);

    char *data;
    size_t len;
    assert_int_equal(nerkit_read_file(path, &data, &len, &err), NERKIT_OK);
    /* 13 bytes of an unknown section before the arrays move them off the
     * 8-byte boundary they are used at: said so, not "counts" */
    unsigned char *c = malloc(len + 13);
    assert_non_null(c);
    memcpy(c, data, 32);
    memcpy(c + 32, "XTRA\1\0\0\0\0\0\0\0\0", 13);
    memcpy(c + 45, data + 32, len - 32);
    for (int i = 0; i < 8; i++)
        c[16 + i] = (unsigned char)((uint64_t)(len + 13 - 32) >> (8 * i));
    put32(c + 24, (uint32_t)crc32(0, c + 32, (uInt)(len + 13 - 32)));
    put32(c + 28, (uint32_t)crc32(0, c, 28));
    err = (nerkit_error){0};
    assert_null(nerkit_dict_load_buffer(c, len + 13, "shifted.nkd", &err));
    if (!strstr(err.message, "shifted.nkd: damaged dictionary: DTRI section: its arrays do not "
                             "start at a multiple of 8 bytes"))
        fail_msg("%s", err.message);
    free(c);
    unsigned char *b = malloc(len);
    assert_non_null(b);
    size_t loaded = 0;
    for (size_t at = 0; at < len; at++) {
        for (int flip = 1; flip <= 0x80; flip <<= 3) {
            memcpy(b, data, len);
            b[at] ^= (unsigned char)flip;
            if (at >= 32) { /* the checksums made right: the structure checks answer */
                put32(b + 24, (uint32_t)crc32(0, b + 32, (uInt)(len - 32)));
                put32(b + 28, (uint32_t)crc32(0, b, 28));
            }
            err = (nerkit_error){0};
            nerkit_dict *x = nerkit_dict_load_buffer(b, len, "damaged.nkd", &err);
            if (!x) {
                assert_true(err.code != NERKIT_OK);
                assert_non_null(strstr(err.message, "damaged.nkd"));
                continue;
            }
            loaded++;
            char got[1024];
            matches(x, "new york and the WHO in Zurich Zürich who", got, sizeof got);
            nerkit_dict_free(x);
        }
    }
    /* a changed header byte is always refused, with the checksum right or not */
    for (size_t at = 0; at < 32; at++) {
        memcpy(b, data, len);
        b[at] ^= 1;
        assert_null(nerkit_dict_load_buffer(b, len, "h.nkd", &err));
    }
    /* every truncation is refused */
    for (size_t n = 0; n < len; n++)
        assert_null(nerkit_dict_load_buffer(data, n, "t.nkd", &err));
    free(b);
    free(data);
    print_message("%zu of %zu damaged files loaded (changed keys, ids)\n", loaded, (len - 32) * 3);
}

/* "label:start-end:source" of each combined entity */
static void combined(const nerkit_dict_entity *e, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        assert_true(k == 0 || e[k - 1].end <= e[k].start);
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%zu-%zu:%s", k ? " " : "", e[k].label,
                                e[k].start, e[k].end, e[k].from_dict ? "dict" : "model");
    }
}

static void test_combine(void **state)
{
    (void)state;
    static const char *const types[] = {"A", "B"};
    static const size_t lens[] = {1, 1};
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 10};
    nerkit_error err = {0};
    nerkit_model *m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 2, &cfg, &err);
    assert_non_null(m);
    nerkit_dict *d1 = compile("b c\tX\ne\tY\n", NERKIT_DICT_EXACT, 0);
    nerkit_dict *d2 = compile("e f\tZ\na\tW\n", NERKIT_DICT_EXACT, 0);
    const nerkit_dict *both[] = {d1, d2};
    /* two sentences: a b c d | e f */
    const char *tok[] = {"a", "b", "c", "d", "e", "f"};
    size_t len[] = {1, 1, 1, 1, 1, 1}, sent[] = {4, 2};
    nerkit_document doc = {tok, len, 6, sent, 2};
    /* the model: every token an entity, so that the combining writes over
     * the matches' half of out as closely as it can */
    nerkit_entity ents[6];
    for (size_t i = 0; i < 6; i++)
        ents[i] = (nerkit_entity){i, i + 1, i % 2, 0.5};
    nerkit_dict_entity out[12];
    char got[512];
    size_t n = nerkit_dict_combine(m, both, 2, NERKIT_DICT_OVERRIDE, &doc, ents, 6, out);
    combined(out, n, got, sizeof got);
    assert_string_equal(got, "W:0-1:dict X:1-3:dict B:3-4:model Z:4-6:dict");
    n = nerkit_dict_combine(m, both, 2, NERKIT_DICT_FILL, &doc, ents, 6, out);
    combined(out, n, got, sizeof got);
    assert_string_equal(got, "A:0-1:model B:1-2:model A:2-3:model B:3-4:model A:4-5:model "
                             "B:5-6:model");
    assert_true(out[0].prob == 0.5 && out[0].id == NULL);
    n = nerkit_dict_combine(NULL, both, 2, NERKIT_DICT_ONLY, &doc, ents, 6, out);
    combined(out, n, got, sizeof got);
    assert_string_equal(got, "W:0-1:dict X:1-3:dict Z:4-6:dict");
    assert_int_equal(out[2].dict, 1);
    /* a model entity between matches, one overlapping the second */
    nerkit_entity some[] = {{3, 5, 0, -1}};
    n = nerkit_dict_combine(m, both, 1, NERKIT_DICT_FILL, &doc, some, 1, out);
    combined(out, n, got, sizeof got);
    assert_string_equal(got, "X:1-3:dict A:3-5:model");
    n = nerkit_dict_combine(m, both, 1, NERKIT_DICT_OVERRIDE, &doc, some, 1, out);
    combined(out, n, got, sizeof got);
    assert_string_equal(got, "X:1-3:dict Y:4-5:dict");
    assert_int_equal(nerkit_dict_combine(m, both, NERKIT_DICTS_MAX + 1, NERKIT_DICT_ONLY, &doc,
                                         ents, 6, out),
                     0);
    nerkit_dict_free(d1);
    nerkit_dict_free(d2);
    nerkit_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_and_overlaps), cmocka_unit_test(test_casing),
        cmocka_unit_test(test_normalize),            cmocka_unit_test(test_long_sentence),
        cmocka_unit_test(test_errors),               cmocka_unit_test(test_file_and_damage),
        cmocka_unit_test(test_combine),
    };
    if (!mkdtemp(dir))
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? failed : 1;
}
