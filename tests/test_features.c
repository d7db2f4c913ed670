/*
 * Unit tests for feature extraction (nk_features_extract): hashed slots are
 * stable across runs and buffers, UTF-8 aware, within the table, and each
 * feature group really contributes features.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../src/core/core.h"

/* A small document of two sentences. */
static const char *const doc_tokens[] = {"John",  "Smith", "visited", "Z\xC3\xBCrich", ".",
                                         "SMITH", "said",  "john",    "2024-06-01",    "!"};
enum { DOC_N = 10 };

typedef struct {
    const char *tok[64];
    size_t len[64];
    size_t sent[64];
    nerkit_document doc;
} docbuf;

/* A document of the given tokens; sentence lengths in sl (nsent of them),
 * or one sentence per token when sl is NULL. */
static void make_doc(docbuf *d, const char *const *tokens, size_t n, const size_t *sl,
                     size_t nsent)
{
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        d->tok[i] = tokens[i];
        d->len[i] = strlen(tokens[i]);
    }
    if (!sl) {
        for (size_t i = 0; i < n; i++)
            d->sent[i] = 1;
        nsent = n;
    } else {
        memcpy(d->sent, sl, nsent * sizeof *sl);
    }
    d->doc = (nerkit_document){d->tok, d->len, n, d->sent, nsent};
}

static void make_test_doc(docbuf *d)
{
    static const size_t sl[] = {5, 5};
    make_doc(d, doc_tokens, DOC_N, sl, 2);
}

static void extract(const nk_featcfg *cfg, const nerkit_document *doc, nk_featbuf *fb)
{
    nerkit_error err = {0};
    int rc = nk_features_extract(cfg, NULL, NULL, doc, fb, &err);
    if (rc != NERKIT_OK)
        fail_msg("extract failed: %s", err.message);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Token i's slots, sorted into out (room for NK_MAX_FEATURES): what a
 * token's features are does not depend on the order they are made in. */
static size_t sorted_slots(const nk_featbuf *fb, size_t i, uint32_t *out)
{
    size_t n = fb->start[i + 1] - fb->start[i];
    memcpy(out, fb->slots + fb->start[i], n * sizeof *out);
    qsort(out, n, sizeof *out, cmp_u32);
    return n;
}

static void assert_token_slots(const nk_featbuf *fb, size_t i, const uint32_t *want, size_t n)
{
    uint32_t got[NK_MAX_FEATURES], w[NK_MAX_FEATURES];
    size_t ngot = sorted_slots(fb, i, got);
    if (ngot != n)
        fail_msg("token %zu has %zu slots, expected %zu", i, ngot, n);
    memcpy(w, want, n * sizeof *w);
    qsort(w, n, sizeof *w, cmp_u32);
    for (size_t k = 0; k < n; k++)
        if (got[k] != w[k])
            fail_msg("token %zu: sorted slot %zu is %u, expected %u", i, k, got[k], w[k]);
}

/* How many of a's slots occur among b's. */
static size_t shared(const nk_featbuf *fb, size_t a, size_t b)
{
    size_t n = 0;
    for (size_t i = fb->start[a]; i < fb->start[a + 1]; i++)
        for (size_t j = fb->start[b]; j < fb->start[b + 1]; j++)
            if (fb->slots[i] == fb->slots[j]) {
                n++;
                break;
            }
    return n;
}

static bool has_slot(const nk_featbuf *fb, size_t tok, uint32_t slot)
{
    for (size_t i = fb->start[tok]; i < fb->start[tok + 1]; i++)
        if (fb->slots[i] == slot)
            return true;
    return false;
}

static size_t nslots_of(const nk_featbuf *fb, size_t tok)
{
    return fb->start[tok + 1] - fb->start[tok];
}

/* -------------------------------------------------------------- golden */

/*
 * Golden slots for tokens of the test document with every feature group and
 * 2^20 slots, computed once from the implementation. Any change to the hash
 * function, the templates, the per-token values (case mapping, shapes,
 * flags) changes these numbers (the order of emission does not: tokens'
 * slots are compared sorted), and also changes what every slot of every
 * trained model means: a deliberate change must
 * bump FORMAT_VERSION in src/model_io.c (and docs/model-format.md) and then
 * update these values.
 */
static const uint32_t golden_john[] = {
    286084, 738255, 84687,  953367, 512528, 958531, 147603, 862837, 91184,  938851,
    123225, 16332,  863944, 262567, 82376,  758252, 901456, 385880, 510360, 877622,
    717814, 1025430, 859996, 301240, 396419, 1041831, 642879, 916090, 403729, 141906,
    181042, 824975, 195666, 474231, 219487, 309656, 277396};
static const uint32_t golden_zurich[] = {
    286084, 706405, 303404, 626285, 858130, 181187, 651880, 137052, 925017, 85270,
    1026205, 1896,  863944, 262567, 82376,  758252, 1036273, 590259, 336896, 409421,
    951044, 297383, 279868, 877597, 348177, 318603, 295214, 941739, 401638, 845268,
    65973,  307141, 884703, 301170, 790270, 17528,  795232};
static const uint32_t golden_smith_caps[] = {
    286084, 429720, 433997, 461592, 858130, 355869, 149608, 1033260, 181160, 395559,
    338517, 888833, 688680, 600904, 82376,  539664, 758252, 901456, 385880, 510360,
    877622, 717814, 1025430, 859996, 350294, 927360, 710284, 307330, 384680, 403729,
    141906, 582961, 875177, 584327, 492503, 364861, 309656, 805369};
static const uint32_t golden_date[] = {
    286084, 743303, 79909,  253103, 1005825, 465047, 606000, 277857, 1025539, 906288,
    389893, 469639, 282169, 47212,  905209, 724693, 842905, 781324, 914202, 652083,
    776267, 769623, 297383, 279868, 824223, 498259, 255686, 732942, 941739, 401638,
    845268, 732649, 740253, 726096, 181102, 947201, 17528};

#define N_OF(a) (sizeof(a) / sizeof *(a))

static void test_golden_slots(void **state)
{
    (void)state;
    docbuf d;
    make_test_doc(&d);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    nk_featbuf fb = {0};
    extract(&cfg, &d.doc, &fb);
    assert_token_slots(&fb, 0, golden_john, N_OF(golden_john));
    assert_token_slots(&fb, 3, golden_zurich, N_OF(golden_zurich));
    assert_token_slots(&fb, 5, golden_smith_caps, N_OF(golden_smith_caps));
    assert_token_slots(&fb, 8, golden_date, N_OF(golden_date));
    /* the bias feature is the same slot for every token */
    for (size_t i = 0; i < DOC_N; i++)
        assert_true(has_slot(&fb, i, 286084));
    nk_featbuf_free(&fb);
}

/* A richer document (initials, clitics, numbers, a headline sentence, Greek
 * and Cyrillic, one-letter tokens): every slot of every token, sorted,
 * folded into one FNV-1a digest, with the same rule as above for
 * deliberate changes. */
static const char *const rich_tokens[] = {
    "J.", "R.", "Tolkien", "'s", "book", "was", "sold", "for", "$", "1,000.50", "in", "A", "shop",
    ".", "EU", "REJECTS", "GERMAN", "CALL", "TO", "BOYCOTT", "BRITISH", "LAMB", ".", "the",
    "U.S.-based", "McDonald's", "and", "Eu", "met", "x", "in", "\xC3\x9C" "ber", "--", "2024",
    "\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1", "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", "I",
    "german", "eu"};
enum { RICH_N = 39 };
#define RICH_NSLOTS 1403
#define RICH_DIGEST 0xb69a33885d4ab2d7ULL

static void test_golden_digest(void **state)
{
    (void)state;
    assert_int_equal(N_OF(rich_tokens), RICH_N);
    static const size_t sl[] = {14, 9, 16};
    docbuf d;
    make_doc(&d, rich_tokens, RICH_N, sl, 3);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 22};
    nk_featbuf fb = {0};
    extract(&cfg, &d.doc, &fb);
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i <= RICH_N; i++) {
        h ^= fb.start[i];
        h *= 0x100000001b3ULL;
    }
    for (size_t i = 0; i < RICH_N; i++) {
        uint32_t sorted[NK_MAX_FEATURES];
        for (size_t k = 0, n = sorted_slots(&fb, i, sorted); k < n; k++) {
            h ^= sorted[k];
            h *= 0x100000001b3ULL;
        }
    }
    assert_int_equal(fb.nslots, RICH_NSLOTS);
    if (h != RICH_DIGEST)
        fail_msg("feature digest 0x%016llx, expected 0x%016llx", (unsigned long long)h,
                 (unsigned long long)RICH_DIGEST);
    nk_featbuf_free(&fb);
}

/* ------------------------------------------------------------ stability */

static void test_same_slots_twice_and_across_buffers(void **state)
{
    (void)state;
    docbuf d;
    make_test_doc(&d);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    nk_featbuf a = {0}, b = {0};
    extract(&cfg, &d.doc, &a);
    size_t n = a.nslots;
    assert_int_equal(a.start[DOC_N], n);
    uint32_t *first = malloc(n * sizeof *first);
    size_t *first_start = malloc((DOC_N + 1) * sizeof *first_start);
    assert_non_null(first);
    assert_non_null(first_start);
    memcpy(first, a.slots, n * sizeof *first);
    memcpy(first_start, a.start, (DOC_N + 1) * sizeof *first_start);

    /* a larger, different document in between reuses the buffer */
    const char *big[60];
    for (size_t i = 0; i < 60; i++)
        big[i] = i % 3 == 0 ? "Berlin" : i % 3 == 1 ? "is" : "BIG";
    docbuf d2;
    size_t sl[3] = {20, 20, 20};
    make_doc(&d2, big, 60, sl, 3);
    extract(&cfg, &d2.doc, &a);
    assert_true(a.nslots > n);

    extract(&cfg, &d.doc, &a);
    extract(&cfg, &d.doc, &b);
    assert_int_equal(a.nslots, n);
    assert_int_equal(b.nslots, n);
    assert_memory_equal(a.slots, first, n * sizeof *first);
    assert_memory_equal(b.slots, first, n * sizeof *first);
    assert_memory_equal(a.start, first_start, (DOC_N + 1) * sizeof *first_start);
    assert_memory_equal(b.start, first_start, (DOC_N + 1) * sizeof *first_start);
    free(first);
    free(first_start);
    nk_featbuf_free(&a);
    nk_featbuf_free(&b);
}

/* Context matters: the same word in another sentence has other window
 * features, but its own word features are the same slots. */
static void test_context_changes_window_features(void **state)
{
    (void)state;
    static const char *const t1[] = {"the", "Paris", "office"};
    static const char *const t2[] = {"in", "Paris", "today"};
    docbuf d1, d2;
    size_t sl[] = {3};
    make_doc(&d1, t1, 3, sl, 1);
    make_doc(&d2, t2, 3, sl, 1);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    nk_featbuf a = {0}, b = {0};
    extract(&cfg, &d1.doc, &a);
    extract(&cfg, &d2.doc, &b);
    size_t na = nslots_of(&a, 1);
    assert_int_equal(na, nslots_of(&b, 1));
    size_t same = 0;
    for (size_t k = 0; k < na; k++)
        same += a.slots[a.start[1] + k] == b.slots[b.start[1] + k];
    assert_true(same > 10);
    assert_true(same < na);
    /* without window, bigram and document groups the token is context-free */
    cfg.groups = NERKIT_FEAT_WORD | NERKIT_FEAT_LOWER | NERKIT_FEAT_AFFIX | NERKIT_FEAT_SHAPE |
                 NERKIT_FEAT_FLAGS;
    extract(&cfg, &d1.doc, &a);
    extract(&cfg, &d2.doc, &b);
    assert_int_equal(nslots_of(&a, 1), nslots_of(&b, 1));
    assert_memory_equal(a.slots + a.start[1], b.slots + b.start[1],
                        nslots_of(&a, 1) * sizeof *a.slots);
    nk_featbuf_free(&a);
    nk_featbuf_free(&b);
}

/* Document features: how a word is written elsewhere in its document
 * changes its features; other documents do not. */
static void test_document_features(void **state)
{
    (void)state;
    static const char *const capmid[] = {"Smith", "said", "we", "met", "Smith"};
    static const char *const lower[] = {"Smith", "said", "we", "met", "smith"};
    static const char *const alone[] = {"Smith", "said"};
    static const size_t sl[] = {2, 3};
    docbuf a, b, c;
    make_doc(&a, capmid, 5, sl, 2);
    make_doc(&b, lower, 5, sl, 2);
    make_doc(&c, alone, 2, sl, 1);
    nk_featcfg cfg = {NERKIT_FEAT_DOCUMENT, 20};
    nk_featbuf fa = {0}, fbb = {0}, fc = {0};
    extract(&cfg, &a.doc, &fa);
    extract(&cfg, &b.doc, &fbb);
    extract(&cfg, &c.doc, &fc);
    /* bias + one document feature per token with letters */
    assert_int_equal(nslots_of(&fa, 0), 2);
    assert_int_equal(nslots_of(&fbb, 0), 2);
    assert_int_equal(nslots_of(&fc, 0), 2);
    uint32_t da = fa.slots[fa.start[0] + 1], db = fbb.slots[fbb.start[0] + 1],
             dc = fc.slots[fc.start[0] + 1];
    /* "Smith" opening a sentence: seen capitalised mid-sentence, seen in
     * lower case, seen nowhere else: three different features */
    assert_int_not_equal(da, db);
    assert_int_not_equal(da, dc);
    assert_int_not_equal(db, dc);
    /* a buffer that held another document forgets it: "Smith said" alone,
     * extracted into the buffer that just held the capmid document */
    extract(&cfg, &c.doc, &fa);
    assert_int_equal(fa.slots[fa.start[0] + 1], dc);
    /* without the group no document feature */
    cfg.groups = 0;
    extract(&cfg, &a.doc, &fa);
    assert_int_equal(nslots_of(&fa, 0), 1);
    nk_featbuf_free(&fa);
    nk_featbuf_free(&fbb);
    nk_featbuf_free(&fc);
}

/* The caseless group changes nothing in a document with case, so a model
 * keeps its features whichever way it was trained; in a document without
 * case the features that read case are not those of cased text, and the
 * lower-cased word gets a second feature of its own. */
static void test_caseless_features(void **state)
{
    (void)state;
    static const char *const cased[] = {"The", "man", "met", "John", "in", "Oslo"};
    static const char *const lower[] = {"the", "man", "met", "john", "in", "oslo"};
    static const char *const upper[] = {"THE", "MAN", "MET", "JOHN", "IN", "OSLO"};
    static const size_t sl[] = {6};
    docbuf c, l, u;
    make_doc(&c, cased, 6, sl, 1);
    make_doc(&l, lower, 6, sl, 1);
    make_doc(&u, upper, 6, sl, 1);
    nk_featcfg all = {NERKIT_FEAT_ALL, 20}, cl = {NERKIT_FEAT_ALL | NERKIT_FEAT_CASELESS, 20};
    nk_featbuf f0 = {0}, f1 = {0}, f2 = {0};
    extract(&all, &c.doc, &f0);
    extract(&cl, &c.doc, &f1);
    assert_int_equal(f0.nslots, f1.nslots);
    assert_memory_equal(f0.slots, f1.slots, f0.nslots * sizeof *f0.slots);

    /* "man" (token 1) in the cased and the lower-cased document: without the
     * group the same word, shape and flags; with it only what ignores case */
    extract(&all, &l.doc, &f1);
    size_t before = 0;
    for (size_t i = f1.start[1]; i < f1.start[2]; i++)
        before += has_slot(&f0, 1, f1.slots[i]);
    extract(&cl, &l.doc, &f2);
    size_t after = 0;
    for (size_t i = f2.start[1]; i < f2.start[2]; i++)
        after += has_slot(&f0, 1, f2.slots[i]);
    assert_int_equal(nslots_of(&f2, 1), nslots_of(&f1, 1) + 1);
    assert_true(after > 0 && after < before);

    /* lower and upper case are two kinds of text, not one */
    extract(&cl, &u.doc, &f1);
    for (size_t i = f1.start[1]; i < f1.start[2]; i++)
        assert_false(has_slot(&f2, 1, f1.slots[i]) && !has_slot(&f0, 1, f1.slots[i]));
    nk_featbuf_free(&f0);
    nk_featbuf_free(&f1);
    nk_featbuf_free(&f2);
}

/* ------------------------------------------------------------ UTF-8 */

static void test_utf8_affixes(void **state)
{
    (void)state;
    enum { ZUERICH, ZURICH, ZUE, ZUER, ZUERI, ZUERICH_LOWER, ZUERICH_CAPS, UE, NTOK };
    static const char *const toks[NTOK] = {
        "Z\xC3\xBCrich", "Zurich", "Z\xC3\xBC", "Z\xC3\xBCr", "Z\xC3\xBCri",
        "z\xC3\xBCrich", "Z\xC3\x9CRICH", "\xC3\xBC"};
    docbuf d;
    make_doc(&d, toks, NTOK, NULL, 0);
    /* affixes only: bias, then a prefix and a suffix per character up to 4 */
    nk_featcfg cfg = {NERKIT_FEAT_AFFIX, 20};
    nk_featbuf fb = {0};
    extract(&cfg, &d.doc, &fb);

    /* characters, not bytes: "Zü" has 2 characters, so 2 prefixes and 2
     * suffixes (3 bytes would give 3 of each) */
    assert_int_equal(nslots_of(&fb, ZUERICH), 1 + 2 * 4);
    assert_int_equal(nslots_of(&fb, ZUE), 1 + 2 * 2);
    assert_int_equal(nslots_of(&fb, ZUER), 1 + 2 * 3);
    assert_int_equal(nslots_of(&fb, UE), 1 + 2 * 1);

    /* "Zü" shares with "Zürich" the bias, prefix "z" and prefix "zü", and
     * its longest prefix (emitted after bias, P1, S1) is one of them */
    assert_int_equal(shared(&fb, ZUE, ZUERICH), 3);
    uint32_t zue_prefix2 = fb.slots[fb.start[ZUE] + 3];
    assert_true(has_slot(&fb, ZUERICH, zue_prefix2));
    assert_int_equal(fb.slots[fb.start[ZUERICH] + 3], zue_prefix2);
    /* "Zür" shares bias and prefixes of 1, 2, 3 characters; "Züri" of 1-4 */
    assert_int_equal(shared(&fb, ZUER, ZUERICH), 4);
    assert_int_equal(shared(&fb, ZUERI, ZUERICH), 5);

    /* "Zurich" differs from "Zürich" in prefixes 2-4 but shares bias, prefix
     * "z" and the suffixes h, ch, ich, rich */
    assert_int_equal(shared(&fb, ZURICH, ZUERICH), 6);
    assert_false(has_slot(&fb, ZURICH, zue_prefix2));

    /* the suffix "ü" of "Zü" is the suffix of the one-letter token "ü" */
    assert_int_equal(shared(&fb, UE, ZUE), 2);

    /* affixes are lower-cased, also beyond ASCII: zürich and ZÜRICH give
     * exactly Zürich's affixes */
    assert_int_equal(nslots_of(&fb, ZUERICH_LOWER), nslots_of(&fb, ZUERICH));
    assert_memory_equal(fb.slots + fb.start[ZUERICH_LOWER], fb.slots + fb.start[ZUERICH],
                        nslots_of(&fb, ZUERICH) * sizeof *fb.slots);
    assert_memory_equal(fb.slots + fb.start[ZUERICH_CAPS], fb.slots + fb.start[ZUERICH],
                        nslots_of(&fb, ZUERICH) * sizeof *fb.slots);

    /* the word feature is case-sensitive, the lower-cased word is not */
    cfg.groups = NERKIT_FEAT_WORD;
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(nslots_of(&fb, ZUERICH), 2);
    assert_int_not_equal(fb.slots[fb.start[ZUERICH] + 1], fb.slots[fb.start[ZUERICH_LOWER] + 1]);
    cfg.groups = NERKIT_FEAT_LOWER;
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(fb.slots[fb.start[ZUERICH] + 1], fb.slots[fb.start[ZUERICH_LOWER] + 1]);
    assert_int_equal(fb.slots[fb.start[ZUERICH] + 1], fb.slots[fb.start[ZUERICH_CAPS] + 1]);
    assert_int_not_equal(fb.slots[fb.start[ZUERICH] + 1], fb.slots[fb.start[ZURICH] + 1]);
    nk_featbuf_free(&fb);
}

/* An invalid byte inside a token (the tagger's input is not checked) is
 * read as one replacement character, never overrunning the token. */
static void test_invalid_utf8_token(void **state)
{
    (void)state;
    static const char *const toks[] = {"ab\xC3", "\xFF\xFE", "x\xE2\x82", ""};
    docbuf d;
    make_doc(&d, toks, 4, NULL, 0);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 16};
    nk_featbuf fb = {0};
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(fb.start[4], fb.nslots);
    /* "ab\xC3" is 3 characters: 3 prefixes and 3 suffixes with affixes only */
    cfg.groups = NERKIT_FEAT_AFFIX;
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(nslots_of(&fb, 0), 7);
    assert_int_equal(nslots_of(&fb, 1), 5);
    /* "x\xE2\x82": a truncated 3-byte sequence is two invalid bytes */
    assert_int_equal(nslots_of(&fb, 2), 7);
    /* the empty token has no affixes, only the bias */
    assert_int_equal(nslots_of(&fb, 3), 1);
    nk_featbuf_free(&fb);
}

/* ------------------------------------------------------------ ranges */

static void test_slots_within_table(void **state)
{
    (void)state;
    docbuf d;
    make_test_doc(&d);
    static const unsigned bits[] = {10, 11, 16, 20, 24, 28};
    nk_featbuf fb = {0};
    for (size_t b = 0; b < sizeof bits / sizeof *bits; b++) {
        nk_featcfg cfg = {NERKIT_FEAT_ALL, bits[b]};
        extract(&cfg, &d.doc, &fb);
        uint32_t max = 0;
        for (size_t k = 0; k < fb.nslots; k++) {
            if (fb.slots[k] >= (1u << bits[b]))
                fail_msg("slot %u out of range for %u bits", fb.slots[k], bits[b]);
            if (fb.slots[k] > max)
                max = fb.slots[k];
        }
        /* the top half of the table is used too */
        assert_true(max >= (1u << (bits[b] - 1)));
        /* start is monotonic and within the per-token limit */
        assert_int_equal(fb.start[0], 0);
        for (size_t i = 0; i < DOC_N; i++) {
            assert_true(fb.start[i + 1] > fb.start[i]);
            assert_true(fb.start[i + 1] - fb.start[i] <= NK_MAX_FEATURES);
        }
        assert_int_equal(fb.start[DOC_N], fb.nslots);
    }
    nk_featbuf_free(&fb);
}

/* The worst case for the per-token limit: a token setting many flags in a
 * long sentence with every group on. */
static void test_feature_count_limit(void **state)
{
    (void)state;
    static const char *const toks[] = {"J.", "A-1'b.", "McDonald's-2x", "ABCDEFGH9-.", "x",
                                       "\xC3\x9C" "ber-Co.", "12", "--", "a"};
    docbuf d;
    size_t sl[] = {9};
    make_doc(&d, toks, 9, sl, 1);
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    nk_featbuf fb = {0};
    extract(&cfg, &d.doc, &fb);
    for (size_t i = 0; i < 9; i++)
        assert_true(nslots_of(&fb, i) <= NK_MAX_FEATURES);
    nk_featbuf_free(&fb);
}

/* ------------------------------------------------------------ groups */

static void test_groups_switched_off_remove_features(void **state)
{
    (void)state;
    docbuf d;
    make_test_doc(&d);
    nk_featbuf fb = {0};
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 20};
    extract(&cfg, &d.doc, &fb);
    size_t all = fb.nslots;
    size_t per_token_all[DOC_N];
    for (size_t i = 0; i < DOC_N; i++)
        per_token_all[i] = nslots_of(&fb, i);
    for (unsigned g = 0; g < 9; g++) {
        cfg.groups = NERKIT_FEAT_ALL & ~(1u << g);
        extract(&cfg, &d.doc, &fb);
        if (fb.nslots >= all)
            fail_msg("switching off group %u left %zu of %zu slots", g, fb.nslots, all);
        for (size_t i = 0; i < DOC_N; i++)
            assert_true(nslots_of(&fb, i) <= per_token_all[i]);
        /* the group alone (plus the bias) gives features of its own */
        cfg.groups = 1u << g;
        extract(&cfg, &d.doc, &fb);
        assert_true(fb.nslots > DOC_N);
    }
    /* no group at all: the bias only */
    cfg.groups = 0;
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(fb.nslots, DOC_N);
    /* word only: bias and word for every token */
    cfg.groups = NERKIT_FEAT_WORD;
    extract(&cfg, &d.doc, &fb);
    assert_int_equal(fb.nslots, 2 * DOC_N);
    nk_featbuf_free(&fb);
}

static void test_features_parse(void **state)
{
    (void)state;
    uint32_t mask = 12345;
    nerkit_error err = {0};
    assert_int_equal(nerkit_features_parse("word,shape", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_WORD | NERKIT_FEAT_SHAPE);
    assert_int_equal(nerkit_features_parse("all", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_ALL);
    assert_int_equal(nerkit_features_parse("word,lower,affix,shape,flags,window,bigram,position,"
                                           "document",
                                           &mask, &err),
                     NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_ALL);
    assert_int_equal(nerkit_features_parse("document", &mask, &err), NERKIT_OK);
    assert_int_equal(mask, NERKIT_FEAT_DOCUMENT);

    mask = 777;
    assert_int_equal(nerkit_features_parse("bogus", &mask, &err), NERKIT_ERR_ARG);
    assert_int_equal(err.code, NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "bogus"));
    assert_int_equal(mask, 777);
    memset(&err, 0, sizeof err);
    assert_int_equal(nerkit_features_parse("word,shapes", &mask, &err), NERKIT_ERR_ARG);
    assert_non_null(strstr(err.message, "shapes"));
    assert_int_equal(nerkit_features_parse("Word", &mask, &err), NERKIT_ERR_ARG);
    assert_int_equal(nerkit_features_parse("wor", &mask, &err), NERKIT_ERR_ARG);
}

/* The character classes the features read, ASCII (answered inline) and
 * beyond it (in utf8.c), against their definitions. */
static void test_character_classes(void **state)
{
    (void)state;
    for (uint32_t c = 0; c < 0x80; c++) {
        bool upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
        assert_int_equal(nk_cp_lower(c), upper ? c + 32 : c);
        assert_int_equal(nk_cp_is_upper(c), upper);
        assert_int_equal(nk_cp_is_letter(c), upper || lower);
        assert_int_equal(nk_cp_is_digit(c), c >= '0' && c <= '9');
        unsigned char b = (unsigned char)c;
        uint32_t cp = 0xFFFF;
        assert_int_equal(nk_utf8_decode(&b, 1, &cp), 1);
        assert_int_equal(cp, c);
    }
    assert_int_equal(nk_cp_lower(0xC9), 0xE9); /* É */
    assert_int_equal(nk_cp_lower(0x416), 0x436); /* Ж */
    assert_true(nk_cp_is_upper(0x178));
    assert_true(nk_cp_is_letter(0xE9));
    assert_false(nk_cp_is_letter(0xD7)); /* × */
    assert_false(nk_cp_is_letter(0x2014));
    assert_false(nk_cp_is_digit(0x660)); /* Arabic-Indic zero: not a digit here */
    uint32_t cp = 0;
    assert_int_equal(nk_utf8_decode((const unsigned char *)"", 0, &cp), 0);
    assert_int_equal(nk_utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(nk_utf8_decode((const unsigned char *)"\xC3", 1, &cp), 0);
    assert_int_equal(nk_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_slots),
        cmocka_unit_test(test_golden_digest),
        cmocka_unit_test(test_same_slots_twice_and_across_buffers),
        cmocka_unit_test(test_context_changes_window_features),
        cmocka_unit_test(test_document_features),
        cmocka_unit_test(test_caseless_features),
        cmocka_unit_test(test_utf8_affixes),
        cmocka_unit_test(test_invalid_utf8_token),
        cmocka_unit_test(test_slots_within_table),
        cmocka_unit_test(test_feature_count_limit),
        cmocka_unit_test(test_groups_switched_off_remove_features),
        cmocka_unit_test(test_features_parse),
        cmocka_unit_test(test_character_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
