/*
 * What the fuzz harnesses share. Each harness checks invariants, not only
 * "no crash": a broken invariant aborts with a message, which libFuzzer
 * reports as a crash and saves the input for.
 */
#ifndef NERKIT_FUZZ_COMMON_H
#define NERKIT_FUZZ_COMMON_H

#include "../../src/embed/embed.h"

#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond, ...)                                                             \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "invariant broken at %s:%d: ", __FILE__, __LINE__);         \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* A small model built in memory (four types, every feature group, weights
 * on some rows and every transition), so that tagging does real work and
 * no harness depends on a model file. Made once, shared, never freed. */
const nerkit_model *fz_model(void);

/* The path of a file holding exactly data[0..len): an in-memory file,
 * rewritten on each call, for readers that take a path. */
const char *fz_file(const void *data, size_t len);

/* A path for files a harness saves and loads back (in /dev/shm when it
 * can be, so that saving costs no disk), private to the process. */
const char *fz_scratch_path(void);

/* Tags doc with fz_model and checks every label is one of the model's. */
void fz_tag_document(const nerkit_document *doc);

/* Writes magic, version, the payload length and both checksums into the
 * 32-byte header of the container file b[0..len) (len >= 32), so that the
 * fuzzer gets past the checks of the header into the sections. */
void fz_fix_header(unsigned char *b, size_t len, const char *magic, uint32_t version);

/* Checks that every line of out[0..len) is one JSON object. */
void fz_check_jsonl(const char *out, size_t len);

#endif
