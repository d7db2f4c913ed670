/*
 * Model loader (nerkit_model_load_buffer) and checkpoint loader
 * (nk_checkpoint_load_buffer, same container) on arbitrary bytes.
 *
 * Mode byte, bit 0 set: the harness writes the magic, version, payload
 * length and both checksums into the header before loading, so that the
 * fuzzer gets past the CRCs into the section parser; clear: the bytes are
 * loaded as they are, which tests the header checks. Bit 1 set: what loads
 * is also saved and loaded again. Bit 2 set: the bytes are a checkpoint of
 * a training with 4 entity types, 2^10 weight rows and 8 sentences.
 *
 * Invariants: a refusal has a message; a model that loads has a sound
 * label set and tags sentences without reading out of bounds (ASan) with
 * labels in range; saved and loaded again, it tags the same and saves to
 * the same bytes. A checkpoint that loads has a model that tags, an order
 * that is a permutation, and saves and loads back to the same state.
 */
#include "common.h"

#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* A document of two sentences, with accents, a CJK word and a long token. */
static void tag(const nerkit_model *m, uint16_t *labels)
{
    static const char *const tok[] = {"Angela", "Merkel", "visited", "Zürich", "on",
                                      "Monday", ".",      "東京",    "x-x-x-x-x-x-x-x-x-x-x-x", "'s"};
    size_t len[10], sent[2] = {7, 3};
    for (size_t i = 0; i < 10; i++)
        len[i] = strlen(tok[i]);
    nerkit_document doc = {tok, len, 10, sent, 2};
    nerkit_error err = {0};
    nerkit_tagger *t = nerkit_tagger_new(m, &err);
    FZ_CHECK(t, "tagger: %s", err.message);
    FZ_CHECK(nerkit_tag_document(t, &doc, labels, &err) == 0, "tagging failed: %s", err.message);
    FZ_CHECK(nerkit_tag_sentence(t, tok, len, 1, labels + 10, &err) == 0, "tagging failed: %s",
             err.message);
    nerkit_tagger_free(t);
    const char *names[11];
    for (int s = NERKIT_SCHEME_AUTO; s <= NERKIT_SCHEME_BILOU; s++) {
        for (size_t i = 0; i < 11; i++)
            FZ_CHECK(labels[i] < nerkit_model_nlabels(m), "label %u of %zu", labels[i],
                     nerkit_model_nlabels(m));
        nerkit_model_label_strings(m, labels, 10, (nerkit_scheme)s, names);
        for (size_t i = 0; i < 10; i++)
            FZ_CHECK(names[i] && names[i][0], "no label string for token %zu", i);
    }
}

static unsigned char *slurp(const char *path, size_t *len);

static unsigned char *save(const nerkit_model *m, const char *path, size_t *len)
{
    nerkit_error err = {0};
    FZ_CHECK(nerkit_model_save(m, path, &err) == 0, "save failed: %s", err.message);
    return slurp(path, len);
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    FZ_CHECK(f, "cannot open %s", path);
    nk_buf b = {0};
    char chunk[65536];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        nk_buf_put(&b, chunk, k);
    fclose(f);
    FZ_CHECK(!b.failed, "out of memory");
    *len = b.len;
    return (unsigned char *)b.p;
}

static void round_trip(const nerkit_model *m, const uint16_t *labels)
{
    const char *path = fz_scratch_path();
    size_t len, len2;
    unsigned char *bytes = save(m, path, &len);
    nerkit_error err = {0};
    nerkit_model *again = nerkit_model_load_buffer(bytes, len, "saved", &err);
    FZ_CHECK(again, "a saved model does not load: %s", err.message);
    uint16_t labels2[11];
    tag(again, labels2);
    FZ_CHECK(memcmp(labels, labels2, sizeof labels2) == 0, "reloaded model tags differently");
    unsigned char *bytes2 = save(again, path, &len2);
    FZ_CHECK(len == len2 && memcmp(bytes, bytes2, len) == 0, "a reloaded model saves differently");
    unlink(path);
    free(bytes);
    free(bytes2);
    nerkit_model_free(again);
}

/* The training the checkpoints of this harness (and its seeds) belong to. */
enum { CK_TYPES = 4, CK_L = 1 + 4 * CK_TYPES, CK_ROWS = 1024, CK_N = 8 };
#define CK_FINGERPRINT 0x5eed5eed5eed5eedULL

static nk_checkpoint *checkpoint_new(void)
{
    nk_checkpoint *ck = calloc(1, sizeof *ck);
    FZ_CHECK(ck, "out of memory");
    ck->fingerprint = CK_FINGERPRINT;
    ck->L = CK_L;
    ck->rows = CK_ROWS;
    ck->n = CK_N;
    ck->w = calloc(CK_ROWS * CK_L, sizeof *ck->w);
    ck->u = calloc(CK_ROWS * CK_L, sizeof *ck->u);
    ck->wt = calloc(CK_L * CK_L, sizeof *ck->wt);
    ck->ut = calloc(CK_L * CK_L, sizeof *ck->ut);
    ck->order = calloc(CK_N, sizeof *ck->order);
    FZ_CHECK(ck->w && ck->u && ck->wt && ck->ut && ck->order, "out of memory");
    return ck;
}

static void checkpoint_free(nk_checkpoint *ck)
{
    free(ck->w);
    free(ck->u);
    free(ck->wt);
    free(ck->ut);
    free(ck->order);
    free(ck);
}

static void checkpoint(const unsigned char *b, size_t len, bool again)
{
    nk_checkpoint *ck = checkpoint_new();
    nerkit_model *best;
    nerkit_error err = {0};
    if (nk_checkpoint_load_buffer(b, len, "fuzz", ck, &best, &err)) {
        FZ_CHECK(err.code != NERKIT_OK && err.message[0], "refused without a message");
        checkpoint_free(ck);
        return;
    }
    bool seen[CK_N] = {false};
    for (size_t i = 0; i < CK_N; i++) {
        FZ_CHECK(ck->order[i] < CK_N && !seen[ck->order[i]], "order is not a permutation");
        seen[ck->order[i]] = true;
    }
    uint16_t labels[11];
    tag(best, labels);
    if (again) {
        const char *path = fz_scratch_path();
        FZ_CHECK(nk_checkpoint_save(path, best, ck, &err) == 0, "save failed: %s", err.message);
        size_t n1, n2;
        unsigned char *saved = slurp(path, &n1);
        nk_checkpoint *ck2 = checkpoint_new();
        nerkit_model *best2;
        FZ_CHECK(nk_checkpoint_load_buffer(saved, n1, "saved", ck2, &best2, &err) == 0,
                 "a saved checkpoint does not load: %s", err.message);
        FZ_CHECK(ck2->epoch == ck->epoch && ck2->since_best == ck->since_best &&
                     ck2->stopped == ck->stopped && ck2->step == ck->step &&
                     memcmp(&ck2->best_score, &ck->best_score, sizeof ck->best_score) == 0 &&
                     memcmp(ck2->w, ck->w, CK_ROWS * CK_L * sizeof *ck->w) == 0 &&
                     memcmp(ck2->u, ck->u, CK_ROWS * CK_L * sizeof *ck->u) == 0 &&
                     memcmp(ck2->wt, ck->wt, CK_L * CK_L * sizeof *ck->wt) == 0 &&
                     memcmp(ck2->ut, ck->ut, CK_L * CK_L * sizeof *ck->ut) == 0 &&
                     memcmp(ck2->order, ck->order, CK_N * sizeof *ck->order) == 0,
                 "a reloaded checkpoint holds another state");
        FZ_CHECK(nk_checkpoint_save(path, best2, ck2, &err) == 0, "save failed: %s", err.message);
        unsigned char *saved2 = slurp(path, &n2);
        FZ_CHECK(n1 == n2 && memcmp(saved, saved2, n1) == 0,
                 "a reloaded checkpoint saves differently");
        unlink(path);
        free(saved);
        free(saved2);
        nerkit_model_free(best2);
        checkpoint_free(ck2);
    }
    nerkit_model_free(best);
    checkpoint_free(ck);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    data++, size--;
    unsigned char *b = malloc(size + 1);
    FZ_CHECK(b, "out of memory");
    if (size)
        memcpy(b, data, size);
    if ((mode & 1) && size >= 32)
        /* the current versions: model format 2, checkpoint format 3 */
        fz_fix_header(b, size, mode & 4 ? "NERKITC\x1a" : "NERKITM\x1a", mode & 4 ? 3 : 2);
    if (mode & 4) {
        checkpoint(b, size, mode & 2);
        free(b);
        return 0;
    }
    nerkit_error err = {0};
    nerkit_model *m = nerkit_model_load_buffer(b, size, "fuzz", &err);
    free(b);
    if (!m) {
        FZ_CHECK(err.code != NERKIT_OK && err.message[0], "refused without a message");
        return 0;
    }
    size_t nt = nerkit_model_ntypes(m);
    FZ_CHECK(nerkit_model_nlabels(m) == 1 + 4 * nt, "%zu labels for %zu types",
             nerkit_model_nlabels(m), nt);
    for (size_t t = 1; t < nt; t++)
        FZ_CHECK(strcmp(nerkit_model_type(m, t - 1), nerkit_model_type(m, t)) < 0,
                 "types not sorted");
    uint16_t labels[11];
    tag(m, labels);
    if (mode & 2)
        round_trip(m, labels);
    nerkit_model_free(m);
    return 0;
}
