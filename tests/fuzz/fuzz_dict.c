/*
 * Dictionaries on arbitrary bytes: the loader (nerkit_dict_load_buffer)
 * and the list compiler (nerkit_dict_compile).
 *
 * Mode byte, bit 0 set: the bytes are a list, compiled with the casing of
 * bits 1-2 and the normalization of bits 3-4; clear: a dictionary file,
 * whose header the harness makes right first when bit 1 is set, so that
 * the fuzzer gets past the checksums into the sections.
 *
 * Invariants: a refusal has a message; a dictionary that loads or
 * compiles matches a sentence within bounds (ASan), its matches in order
 * and apart, with labels it has; saved and loaded again it matches the
 * same and saves the same bytes.
 */
#include "common.h"

#include <string.h>

/* The matches of d in a sentence made of its own list's words, and more. */
static size_t match(const nerkit_dict *d, nerkit_dict_match *m)
{
    static const char *const tok[] = {"New", "York", "City", "WHO", "who", "Zürich",
                                      "Zurich", ".",  "東京",   "'s",  "O'Neill", "a",
                                      "b",   "c",    "-",    "\"",  "x",      "Oslo"};
    enum { N = sizeof tok / sizeof *tok };
    size_t len[N];
    for (size_t i = 0; i < N; i++)
        len[i] = strlen(tok[i]);
    size_t n = nerkit_dict_match_tokens(d, tok, len, N, m);
    FZ_CHECK(n <= N, "%zu matches in %d tokens", n, (int)N);
    for (size_t k = 0; k < n; k++) {
        FZ_CHECK(m[k].start < m[k].end && m[k].end <= N, "match %zu out of bounds", k);
        FZ_CHECK(k == 0 || m[k - 1].end <= m[k].start, "matches overlap");
        FZ_CHECK(m[k].label < nerkit_dict_nlabels(d), "label %zu of %zu", m[k].label,
                 nerkit_dict_nlabels(d));
        FZ_CHECK(nerkit_dict_label(d, m[k].label), "a label without a name");
    }
    return n;
}

static void check(nerkit_dict *d)
{
    nerkit_dict_match a[32], b[32];
    size_t n = match(d, a);
    const char *path = fz_scratch_path();
    nerkit_error err = {0};
    FZ_CHECK(nerkit_dict_save(d, path, &err) == NERKIT_OK, "save: %s", err.message);
    nerkit_dict *again = nerkit_dict_load(path, &err);
    FZ_CHECK(again, "saved, then refused: %s", err.message);
    FZ_CHECK(match(again, b) == n, "another number of matches after saving");
    for (size_t k = 0; k < n; k++)
        FZ_CHECK(a[k].start == b[k].start && a[k].end == b[k].end && a[k].label == b[k].label &&
                     a[k].id_len == b[k].id_len && memcmp(a[k].id, b[k].id, a[k].id_len) == 0,
                 "match %zu differs after saving", k);
    nerkit_dict_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    data++, size--;
    nerkit_error err = {0};
    nerkit_dict *d;
    if (mode & 1) {
        nerkit_dict_opts o;
        nerkit_dict_opts_init(&o);
        o.casing = (nerkit_dict_case)((mode >> 1) & 3) % 3;
        o.normalize = (mode >> 3) & 3;
        o.duplicates = NERKIT_DICT_DUP_LAST;
        const char *path = fz_file(data, size);
        d = nerkit_dict_compile(&path, 1, &o, NULL, &err);
    } else {
        unsigned char *b = malloc(size + 1);
        FZ_CHECK(b, "out of memory");
        if (size)
            memcpy(b, data, size);
        if ((mode & 2) && size >= 32)
            fz_fix_header(b, size, "NERKITD\x1a", 1);
        d = nerkit_dict_load_buffer(b, size, "fuzz", &err);
        free(b);
    }
    if (!d) {
        FZ_CHECK(err.code != NERKIT_OK && err.message[0], "refused without a message");
        return 0;
    }
    check(d);
    nerkit_dict_free(d);
    return 0;
}
