/*
 * crf_confidence: what entity confidences and n-best lists cost at tagging
 * time, measured through the library on a CoNLL file already in memory
 * (features, scoring and decoding only; no reading or writing).
 *
 *   crf_confidence MODEL FILE [RUNS]
 *
 * Tags every document of FILE RUNS times (default 5) in each mode: plain
 * Viterbi, Viterbi plus entity confidences, and 5-best lists with
 * probabilities; prints tokens per second of each, one thread.
 */
#include "nerkit.h"
#include "../cli/args.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { PLAIN, CONFIDENCE, NBEST };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fputs("usage: crf_confidence MODEL FILE [RUNS]\n", stderr);
        return 2;
    }
    int runs = argc == 4 ? atoi(argv[3]) : 5;
    cli_blas_one_thread(); /* timings as nerkit-tag's */
    nerkit_error err = {0};
    nerkit_reader_opts ro;
    nerkit_reader_opts_init(&ro);
    nerkit_model *m = nerkit_model_load(argv[1], &err);
    nerkit_corpus *c = m ? nerkit_corpus_read(argv[2], &ro, &err) : NULL;
    nerkit_tagger *t = c ? nerkit_tagger_new(m, &err) : NULL;
    if (!t || runs < 1) {
        fprintf(stderr, "crf_confidence: %s\n", runs < 1 ? "RUNS must be positive" : err.message);
        return 1;
    }
    enum { K = 5 };
    size_t n = nerkit_corpus_ntokens(c), S = nerkit_corpus_nsentences(c);
    uint16_t *labels = malloc((K * n + 1) * sizeof *labels);
    nerkit_entity *ents = malloc((n + 1) * sizeof *ents);
    double *scores = malloc((K * S + 1) * sizeof *scores),
           *probs = malloc((K * S + 1) * sizeof *probs);
    size_t *found = malloc((S + 1) * sizeof *found);
    if (!labels || !ents || !scores || !probs || !found) {
        fputs("crf_confidence: out of memory\n", stderr);
        return 1;
    }
    const char *names[] = {"plain Viterbi", "with confidences", "5-best with probabilities"};
    printf("%s on %s: %zu tokens x %d runs, one thread\n", argv[1], argv[2], n, runs);
    int rc = 0;
    for (int mode = PLAIN; mode <= NBEST && !rc; mode++) {
        size_t entities = 0;
        double t0 = now();
        for (int r = 0; r < runs && !rc; r++)
            for (size_t d = 0; d < nerkit_corpus_ndocuments(c) && !rc; d++) {
                nerkit_document doc;
                size_t first = nerkit_corpus_document(c, d, &doc), ne = 0;
                if (mode == PLAIN)
                    rc = nerkit_tag_document(t, &doc, labels + first, &err);
                else if (mode == CONFIDENCE)
                    rc = nerkit_tag_confidence(t, &doc, labels + first, ents, &ne, &err);
                else
                    rc = nerkit_tag_nbest(t, &doc, K, labels, scores, probs, found, &err);
                entities += ne;
            }
        double secs = now() - t0;
        if (rc)
            fprintf(stderr, "crf_confidence: %s\n", err.message);
        else
            printf("%-26s %10.0f tokens/s%s\n", names[mode], (double)n * runs / secs,
                   mode == CONFIDENCE && entities == 0 ? "  (no entities found)" : "");
    }
    free(labels);
    free(ents);
    free(scores);
    free(probs);
    free(found);
    nerkit_tagger_free(t);
    nerkit_corpus_free(c);
    nerkit_model_free(m);
    return rc ? 1 : 0;
}
