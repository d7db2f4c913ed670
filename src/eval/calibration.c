/*
 * Calibration of entity confidences against a labelled corpus: does an
 * entity given probability 0.8 turn out right 80% of the time?
 *
 * Every predicted entity falls into one of nbins equal-width confidence
 * bins; it is right when a gold entity has exactly its span and type (the
 * conlleval notion of a correct chunk, so a bin's accuracy is its
 * precision). The expected calibration error weighs each bin's gap between
 * mean confidence and precision by its share of the entities.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The corpus's gold labels of one document as the model's label ids; types
 * the model lacks become O. */
static void gold_labels(const nerkit_corpus *c, const int *type_map, size_t first, size_t n,
                        uint16_t *out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t l = nk_corpus_bilou(c, first + i);
        int t = l ? type_map[NK_LABEL_TYPE(l)] : -1;
        out[i] = t < 0 ? 0 : NK_LABEL(t, NK_LABEL_PART(l));
    }
}

static void score(const nerkit_entity *pred, size_t np, const nerkit_entity *gold, size_t ng,
                  nerkit_calibration_bin *bins, size_t nbins)
{
    size_t g = 0;
    for (size_t k = 0; k < np; k++) {
        const nerkit_entity *e = pred + k;
        while (g < ng && gold[g].start < e->start)
            g++;
        bool right = g < ng && gold[g].start == e->start && gold[g].end == e->end &&
                     gold[g].type == e->type;
        size_t b = (size_t)(e->prob * (double)nbins);
        nerkit_calibration_bin *bin = bins + (b < nbins ? b : nbins - 1);
        bin->count++;
        bin->correct += right;
        bin->confidence += e->prob; /* a sum until the end */
    }
}

int nerkit_calibration(nerkit_tagger *t, const nerkit_corpus *c, nerkit_calibration_bin *bins,
                       size_t nbins, double *ece, nerkit_error *err)
{
    const nerkit_model *m = nk_tagger_model(t);
    if (nbins == 0)
        return nk_fail(err, NERKIT_ERR_ARG, "calibration needs at least one bin");
    if (!nerkit_corpus_has_labels(c))
        return nk_fail(err, NERKIT_ERR_ARG, "calibration needs a corpus with gold labels");
    memset(bins, 0, nbins * sizeof *bins);
    size_t longest = 0, nct = nerkit_corpus_ntypes(c);
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        nerkit_corpus_document(c, d, &doc);
        longest = doc.ntokens > longest ? doc.ntokens : longest;
    }
    int *map = nk_alloc(nct + 1, sizeof *map, err);
    uint16_t *labels = nk_alloc(2 * longest + 1, sizeof *labels, err);
    nerkit_entity *ents = nk_alloc(2 * longest + 1, sizeof *ents, err);
    int rc = !map || !labels || !ents ? NERKIT_ERR_NOMEM : NERKIT_OK;
    for (size_t k = 0; k < nct && !rc; k++) {
        const char *name = nerkit_corpus_type(c, k);
        map[k] = nk_model_type_index(m, name, strlen(name));
    }
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c) && !rc; d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(c, d, &doc), np;
        uint16_t *gold = labels + longest;
        nerkit_entity *gents = ents + longest;
        if ((rc = nerkit_tag_confidence(t, &doc, labels, ents, &np, err)))
            break;
        gold_labels(c, map, first, doc.ntokens, gold);
        size_t ng = nerkit_entities(gold, doc.ntokens, gents);
        score(ents, np, gents, ng, bins, nbins);
    }
    size_t total = 0;
    double gap = 0;
    for (size_t b = 0; b < nbins; b++) {
        if (!bins[b].count)
            continue;
        bins[b].confidence /= (double)bins[b].count;
        total += bins[b].count;
        gap += fabs((double)bins[b].correct - bins[b].confidence * (double)bins[b].count);
    }
    *ece = total ? gap / (double)total : 0.0;
    free(map);
    free(labels);
    free(ents);
    return rc;
}
