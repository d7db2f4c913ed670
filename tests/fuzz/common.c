/*
 * Shared parts of the fuzz harnesses (see common.h).
 */
#define _GNU_SOURCE
#include "common.h"

#include <zlib.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const nerkit_model *fz_model(void)
{
    static nerkit_model *m;
    if (m)
        return m;
    static const char *const types[] = {"LOC", "MISC", "ORG", "PER"};
    static const size_t lens[] = {3, 4, 3, 3};
    nk_featcfg cfg = {NERKIT_FEAT_ALL, 10};
    nerkit_error err = {0};
    m = nk_model_new("perceptron", NERKIT_SCHEME_IOB2, types, lens, 4, &cfg, &err);
    FZ_CHECK(m, "fz_model: %s", err.message);
    /* every third slot has a row: some features score, some do not */
    uint32_t slots[342];
    uint32_t n = 0;
    for (uint32_t s = 0; s < 1024; s += 3)
        slots[n++] = s;
    FZ_CHECK(nk_model_set_rows(m, slots, n, &err) == 0, "fz_model: %s", err.message);
    uint64_t x = 42;
    for (size_t k = 0; k < (size_t)n * m->nlabels; k++)
        m->rows[k] = (float)((double)((x = nk_mix64(x + k)) % 2001) / 100.0 - 10.0);
    for (size_t k = 0; k < m->nlabels * m->nlabels; k++)
        m->trans[k] = (float)((double)((x = nk_mix64(x + k)) % 2001) / 1000.0 - 1.0);
    return m;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void fz_fix_header(unsigned char *b, size_t len, const char *magic, uint32_t version)
{
    memcpy(b, magic, 8);
    put32(b + 8, version);
    put32(b + 12, 0);
    put32(b + 16, (uint32_t)(len - 32));
    put32(b + 20, (uint32_t)((uint64_t)(len - 32) >> 32));
    put32(b + 24, (uint32_t)crc32(0, b + 32, (uInt)(len - 32)));
    put32(b + 28, (uint32_t)crc32(0, b, 28));
}

const char *fz_file(const void *data, size_t len)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("nerkit-fuzz", 0);
        FZ_CHECK(fd >= 0, "memfd_create failed");
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    FZ_CHECK(ftruncate(fd, 0) == 0, "ftruncate failed");
    FZ_CHECK(len == 0 || pwrite(fd, data, len, 0) == (ssize_t)len, "pwrite failed");
    return path;
}

static char scratch[64];

static void remove_scratch(void) { unlink(scratch); }

const char *fz_scratch_path(void)
{
    /* removed when the fuzzer exits: each run left one behind */
    if (!scratch[0]) {
        snprintf(scratch, sizeof scratch, "%s/nerkit-fuzz-%d",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
        atexit(remove_scratch);
    }
    return scratch;
}

void fz_tag_document(const nerkit_document *doc)
{
    static nerkit_tagger *t;
    static uint16_t *labels;
    static size_t cap;
    nerkit_error err = {0};
    if (!t)
        FZ_CHECK(t = nerkit_tagger_new(fz_model(), &err), "tagger: %s", err.message);
    if (doc->ntokens + 1 > cap) {
        cap = doc->ntokens + 1;
        FZ_CHECK(labels = realloc(labels, cap * sizeof *labels), "out of memory");
    }
    FZ_CHECK(nerkit_tag_document(t, doc, labels, &err) == 0, "tagging failed: %s", err.message);
    for (size_t i = 0; i < doc->ntokens; i++)
        FZ_CHECK(labels[i] < nerkit_model_nlabels(fz_model()), "label %u of token %zu",
                 labels[i], i);
}

void fz_check_jsonl(const char *out, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(out + i, '\n', len - i);
        FZ_CHECK(nl, "output does not end in a line break");
        size_t n = (size_t)(nl - (out + i)), count, at;
        nk_json_member mem[1];
        FZ_CHECK(nk_json_members(out + i, n, mem, 1, &count, &at) == 0,
                 "output line is not a JSON object (byte %zu): %.*s", at, (int)n, out + i);
        i += n + 1;
    }
}
