/*
 * Unit tests for the phrase matcher (src/core/phrases.c), gazetteer files
 * (src/text/gazetteer.c), the gazetteer features and the GAZT section of
 * the model file.
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

#include "sections.h"

#include "../train/trainer.h"

#define MAXTOK 32

/* Tokens as the features hash them, from a string of space-separated words. */
typedef struct {
    uint64_t lower[MAXTOK], word[MAXTOK];
    size_t n;
} toks;

static toks words(const char *s)
{
    toks t = {.n = 0};
    while (*s) {
        size_t n = strcspn(s, " ");
        assert_true(t.n < MAXTOK);
        t.lower[t.n] = nk_lower_hash(s, n);
        t.word[t.n++] = nk_word_hash(s, n);
        s += n + (s[n] == ' ');
    }
    return t;
}

static void add(nk_phrase_builder *b, const char *phrase, const char *list)
{
    nerkit_error err = {0};
    uint32_t id;
    toks t = words(phrase);
    assert_int_equal(nk_phrase_builder_list(b, list, strlen(list), &id, &err), NERKIT_OK);
    assert_int_equal(nk_phrase_builder_add(b, t.lower, t.word, t.n, id, &err), NERKIT_OK);
}

static void build(nk_phrase_builder *b, nk_phrases *p)
{
    nerkit_error err = {0};
    assert_int_equal(nk_phrase_builder_finish(b, p, &err), NERKIT_OK);
    nk_phrase_builder_free(b);
    assert_int_equal(nk_phrases_check(p), 0);
}

static uint32_t list_id(const nk_phrases *p, const char *name)
{
    for (uint32_t l = 0; l < p->nlists; l++)
        if (strcmp(p->lists[l], name) == 0)
            return l;
    fail_msg("no list %s", name);
    return 0;
}

/* The matches starting at token i of text, as "len:LIST:exact" joined by
 * spaces, longest first. */
static char *at(const nk_phrases *p, const toks *t, size_t i)
{
    static char buf[512];
    nk_phrase_match m[16];
    size_t n = nk_phrases_at(p, t->lower + i, t->word + i, t->n - i, m, 16);
    assert_true(n <= 16);
    buf[0] = '\0';
    for (size_t k = 0; k < n; k++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%u:%s:%d", k ? " " : "",
                 m[k].len, p->lists[m[k].list], m[k].exact);
    return buf;
}

static void test_longest_and_overlapping(void **state)
{
    (void)state;
    nk_phrase_builder b = {0};
    nk_phrases p;
    add(&b, "New York", "CITY");
    add(&b, "New York City", "CITY");
    add(&b, "New York Times", "ORG");
    add(&b, "York", "CITY");
    add(&b, "New", "WORD");
    add(&b, "New York", "STATE");
    add(&b, "New York", "CITY"); /* a repeat is one phrase */
    build(&b, &p);
    assert_int_equal(p.nout, 6);
    toks t = words("in New York City today");
    assert_string_equal(at(&p, &t, 0), "");
    assert_string_equal(at(&p, &t, 1), "3:CITY:1 2:CITY:1 2:STATE:1 1:WORD:1");
    assert_string_equal(at(&p, &t, 2), "1:CITY:1");
    assert_string_equal(at(&p, &t, 3), "");
    /* a short buffer keeps the longest */
    nk_phrase_match m[1];
    assert_int_equal(nk_phrases_at(&p, t.lower + 1, t.word + 1, t.n - 1, m, 1), 4);
    assert_int_equal(m[0].len, 3);
    assert_int_equal(m[0].list, list_id(&p, "CITY"));
    nk_phrases_free(&p);
}

static void test_case_folded(void **state)
{
    (void)state;
    nk_phrase_builder b = {0};
    nk_phrases p;
    add(&b, "Bank of England", "ORG");
    add(&b, "may", "LOWER");
    build(&b, &p);
    toks t = words("the BANK OF ENGLAND and Bank of England may May");
    assert_string_equal(at(&p, &t, 1), "3:ORG:0");
    assert_string_equal(at(&p, &t, 5), "3:ORG:1");
    assert_string_equal(at(&p, &t, 8), "1:LOWER:1");
    assert_string_equal(at(&p, &t, 9), "1:LOWER:0");
    nk_phrases_free(&p);
}

static void test_edges_and_non_ascii(void **state)
{
    (void)state;
    nk_phrase_builder b = {0};
    nk_phrases p;
    add(&b, "São Paulo", "CITY");
    add(&b, "Zürich", "CITY");
    add(&b, "one two three four five", "LONG");
    build(&b, &p);
    /* case folding of non-ASCII letters; a match at the last tokens */
    toks t = words("to SÃO PAULO or zürich");
    assert_string_equal(at(&p, &t, 1), "2:CITY:0");
    assert_string_equal(at(&p, &t, 4), "1:CITY:0");
    /* a phrase longer than what is left of the sentence never matches */
    toks s = words("one two three");
    for (size_t i = 0; i < s.n; i++)
        assert_string_equal(at(&p, &s, i), "");
    /* and no tokens at all */
    assert_int_equal(nk_phrases_at(&p, s.lower, s.word, 0, NULL, 0), 0);
    nk_phrases_free(&p);
}

static void test_empty(void **state)
{
    (void)state;
    nk_phrases zero = {0};
    toks t = words("New York");
    assert_int_equal(nk_phrases_at(&zero, t.lower, t.word, t.n, NULL, 0), 0);
    nk_phrase_builder b = {0};
    nk_phrases p;
    build(&b, &p);
    assert_int_equal(p.nout, 0);
    assert_string_equal(at(&p, &t, 0), "");
    nk_phrases_free(&p);
}

/* Many phrases sharing prefixes and first words: every one is found, with
 * its own list, and nothing else is. */
static void test_many(void **state)
{
    (void)state;
    nk_phrase_builder b = {0};
    nk_phrases p;
    nerkit_error err = {0};
    uint32_t ids[3];
    const char *names[3] = {"A", "B", "C"};
    for (int l = 0; l < 3; l++)
        assert_int_equal(nk_phrase_builder_list(&b, names[l], 1, &ids[l], &err), 0);
    enum { N = 20000 };
    for (uint64_t i = 0; i < N; i++) {
        uint64_t tk[3] = {i % 701, i, i * 7};
        assert_int_equal(nk_phrase_builder_add(&b, tk, tk, 2 + i % 2, ids[i % 3], &err), 0);
    }
    build(&b, &p);
    assert_int_equal(p.nout, N);
    for (uint64_t i = 0; i < N; i++) {
        uint64_t tk[3] = {i % 701, i, i * 7};
        nk_phrase_match m[8];
        size_t n = nk_phrases_at(&p, tk, tk, 3, m, 8);
        assert_int_equal(n, 1);
        assert_int_equal(m[0].len, 2 + i % 2);
        assert_int_equal(m[0].list, ids[i % 3]);
        assert_true(m[0].exact);
    }
    uint64_t none[2] = {701, 0};
    assert_int_equal(nk_phrases_at(&p, none, none, 2, NULL, 0), 0);
    nk_phrases_free(&p);
}

/* ---------------------------------------------------------- files */

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void expect_file_error(const char *text, const char *where, const char *what)
{
    const char *path = write_file("bad.tsv", text);
    nk_phrases p;
    nerkit_error err = {0};
    assert_int_not_equal(nk_gazetteer_read(&path, 1, &p, &err), NERKIT_OK);
    char want[160];
    snprintf(want, sizeof want, "%s:%s", path, where);
    if (!strstr(err.message, want) || !strstr(err.message, what))
        fail_msg("'%s' gave '%s', not %s ... %s", text, err.message, want, what);
}

static void test_file_errors(void **state)
{
    (void)state;
    expect_file_error("# lists\nNew York\tCITY\nParis\n", "3:", "phrase<TAB>LIST");
    expect_file_error("New York\t\n", "1:", "phrase<TAB>LIST");
    expect_file_error("\tCITY\n", "1:", "phrase<TAB>LIST");
    expect_file_error("a\tB\tC\tD\n", "1:", "phrase<TAB>LIST");
    expect_file_error("\n\nParis\xff\tCITY\n", "3:", "UTF-8");
    expect_file_error("  \tCITY\n", "1:", "tokens");
    char *many = malloc(400);
    strcpy(many, "x");
    for (int i = 0; i < 70; i++)
        strcat(many, " x");
    strcat(many, "\tL\n");
    expect_file_error(many, "1:", "tokens");
    free(many);
    nk_phrases p;
    nerkit_error err = {0};
    const char *missing = "/nonexistent/gaz.tsv";
    assert_int_not_equal(nk_gazetteer_read(&missing, 1, &p, &err), NERKIT_OK);
    assert_non_null(strstr(err.message, missing));
}

static void test_file_tokenized(void **state)
{
    (void)state;
    const char *path = write_file("ok.tsv", "# comment\n\nU.S.-based firm's\tX\r\n"
                                            "Smith's\tX\nNew York\tCITY\n");
    nk_phrases p;
    nerkit_error err = {0};
    assert_int_equal(nk_gazetteer_read(&path, 1, &p, &err), NERKIT_OK);
    assert_int_equal(p.nlists, 2);
    /* cut as the tokenizer cuts text */
    toks t = words("Smith 's");
    assert_string_equal(at(&p, &t, 0), "2:X:1");
    toks u = words("U.S.-based firm 's");
    assert_string_equal(at(&p, &u, 0), "3:X:1");
    nk_phrases_free(&p);
}

/* ------------------------------------------------ features and model file */

static nerkit_corpus *corpus(void)
{
    static const char text[] =
        "John B-PER\nSmith I-PER\nvisited O\nNew B-LOC\nYork I-LOC\n. O\n\n"
        "Mary B-PER\nsaw O\nBerlin B-LOC\nand O\nKrakow B-LOC\n. O\n\n"
        "the O\nman O\nfrom O\nOslo B-LOC\nmet O\nAnna B-PER\n. O\n";
    nerkit_error err = {0};
    nerkit_corpus *c = nerkit_corpus_parse(text, sizeof text - 1, "tiny", NULL, &err);
    if (!c)
        fail_msg("%s", err.message);
    return c;
}

static nerkit_model *train(const char *gazetteer)
{
    nerkit_train_opts o;
    nerkit_train_opts_init(&o);
    o.hash_bits = 14;
    o.epochs = 3;
    o.ngazetteer_files = gazetteer != NULL;
    o.gazetteer_files = &gazetteer;
    nerkit_corpus *c = corpus();
    nerkit_error err = {0};
    nerkit_model *m = nerkit_train(c, NULL, &o, NULL, NULL, &err);
    nerkit_corpus_free(c);
    if (!m)
        fail_msg("train: %s", err.message);
    return m;
}

/* Only a gazetteer adds features, and only to tokens its phrases cover,
 * and their neighbours. */
static void test_features(void **state)
{
    (void)state;
    const char *path = write_file("f.tsv", "New York\tCITY\nKrakow\tCITY\nJohn\tFIRST\n");
    nk_phrases p;
    nerkit_error err = {0};
    assert_int_equal(nk_gazetteer_read(&path, 1, &p, &err), NERKIT_OK);
    nerkit_corpus *c = corpus();
    nerkit_document doc;
    nerkit_corpus_document(c, 0, &doc);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    nk_featbuf plain = {0}, gaz = {0};
    assert_int_equal(nk_features_extract(&cfg, NULL, NULL, &doc, &plain, &err), 0);
    assert_int_equal(nk_features_extract(&cfg, NULL, &p, &doc, &gaz, &err), 0);
    size_t extra[64] = {0};
    for (size_t i = 0; i < doc.ntokens; i++) {
        size_t n0 = plain.start[i + 1] - plain.start[i], n1 = gaz.start[i + 1] - gaz.start[i];
        assert_true(n1 >= n0);
        assert_memory_equal(plain.slots + plain.start[i], gaz.slots + gaz.start[i],
                            n0 * sizeof *plain.slots);
        extra[i] = n1 - n0;
    }
    /* John (U) and its neighbour Smith; New (B) and York (L), each also
     * seeing the other, and their neighbours; Krakow and its neighbours */
    size_t want[] = {1, 1, 1, 2, 2, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(doc.ntokens, 19);
    for (size_t i = 0; i < 19; i++)
        assert_int_equal(extra[i], want[i]);
    nk_featbuf_free(&plain);
    nk_featbuf_free(&gaz);
    nk_phrases_free(&p);
    nerkit_corpus_free(c);
}

static uint16_t *tag_all(const nerkit_model *m)
{
    nerkit_corpus *c = corpus();
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    assert_non_null(t);
    uint16_t *labels = calloc(nerkit_corpus_ntokens(c), sizeof *labels);
    assert_int_equal(nerkit_tag_corpus(t, c, labels, &err), NERKIT_OK);
    nerkit_tagger_free(t);
    nerkit_corpus_free(c);
    return labels;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* Recomputes both checksums, so that only the section check can refuse. */
static void reseal(unsigned char *b, size_t len)
{
    uint32_t c = (uint32_t)crc32(0, b + 32, (uInt)(len - 32));
    for (int i = 0; i < 4; i++)
        b[24 + i] = (unsigned char)(c >> (8 * i));
    c = (uint32_t)crc32(0, b, 28);
    for (int i = 0; i < 4; i++)
        b[28 + i] = (unsigned char)(c >> (8 * i));
}

static void test_model_round_trip_and_damage(void **state)
{
    (void)state;
    const char *gpath = write_file("m.tsv", "New York\tCITY\nBerlin\tCITY\nJohn\tFIRST\n"
                                            "Anna\tFIRST\n");
    nerkit_model *m = train(gpath);
    assert_true(m->feat.groups & NERKIT_FEAT_GAZETTEER);
    assert_int_equal(m->gaz.nout, 4);
    char path[128];
    snprintf(path, sizeof path, "%s/g.nerkit", dir);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    nerkit_model *r = nerkit_model_load(path, &err);
    if (!r)
        fail_msg("load: %s", err.message);
    assert_int_equal(r->gaz.nstates, m->gaz.nstates);
    assert_int_equal(r->gaz.nlists, 2);
    assert_string_equal(r->gaz.lists[0], m->gaz.lists[0]);
    assert_memory_equal(r->gaz.key, m->gaz.key, m->gaz.nstates * sizeof *m->gaz.key);
    uint16_t *a = tag_all(m), *b = tag_all(r);
    nerkit_corpus *c = corpus();
    assert_memory_equal(a, b, nerkit_corpus_ntokens(c) * sizeof *a);
    nerkit_corpus_free(c);
    free(a);
    free(b);
    nerkit_model_free(r);

    size_t len;
    unsigned char *file = slurp(path, &len);
    unsigned char *bad = malloc(len);
    size_t g = find_section(file, len, "GAZT", &(size_t){0});
    /* every byte of the section changed in turn: refused cleanly or, where
     * the byte is a key or a case hash, loaded */
    size_t refused = 0;
    for (size_t k = g; k < len; k++) {
        memcpy(bad, file, len);
        bad[k] ^= 0x5a;
        reseal(bad, len);
        nerkit_model *x = nerkit_model_load_buffer(bad, len, "bad", &err);
        if (!x) {
            assert_int_equal(err.code, NERKIT_ERR_MODEL);
            refused++;
        }
        nerkit_model_free(x);
    }
    assert_true(refused > 0);
    /* the section missing while the features need it */
    memcpy(bad, file, len);
    memcpy(bad + g - 12, "XXXX", 4);
    reseal(bad, len);
    assert_null(nerkit_model_load_buffer(bad, len, "bad", &err));
    assert_non_null(strstr(err.message, "GAZT"));
    free(bad);
    free(file);
    nerkit_model_free(m);
}

/* A model without a gazetteer writes no GAZT section. */
static void test_no_gazetteer_no_section(void **state)
{
    (void)state;
    nerkit_model *m = train(NULL);
    assert_false(m->feat.groups & NERKIT_FEAT_GAZETTEER);
    char path[128];
    snprintf(path, sizeof path, "%s/n.nerkit", dir);
    nerkit_error err = {0};
    assert_int_equal(nerkit_model_save(m, path, &err), NERKIT_OK);
    size_t len;
    unsigned char *file = slurp(path, &len);
    for (size_t k = 0; k + 4 <= len; k++)
        assert_false(memcmp(file + k, "GAZT", 4) == 0);
    free(file);
    nerkit_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/nerkit-phrases-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"bad.tsv", "ok.tsv", "f.tsv", "m.tsv", "g.nerkit", "n.nerkit"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_and_overlapping),
        cmocka_unit_test(test_case_folded),
        cmocka_unit_test(test_edges_and_non_ascii),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_file_tokenized),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_model_round_trip_and_damage),
        cmocka_unit_test(test_no_gazetteer_no_section),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
