/*
 * The decoders beyond Viterbi as the API offers them, with their scratch
 * kept in the tagger: entity confidences and n-best lists. The algorithms
 * are marginals.c (forward-backward) and nbest.c (list Viterbi); this file
 * only drives them over a document.
 *
 * An entity's confidence is the probability, under a CRF model, that
 * exactly this span carries exactly this type. For a BILOU entity that is
 * the probability of the label run B I..I L (or U) over the span, whatever
 * the rest of the sentence holds: the labels just before and after are
 * then forced to close the neighbouring chunks, so the event is "this
 * chunk and no other covering these tokens". It is read off one
 * forward-backward pass (nk_fb_path), not multiplied together from token
 * marginals, which would count the same uncertainty once per token and
 * ignore that the span's labels depend on each other.
 *
 * A perceptron's scores have no probabilistic meaning as they stand: their
 * scale is set by how many updates training made. Multiplied by a
 * temperature fitted on held-out data (the model's prob_scale, see
 * train/calibrate.c), they become a CRF's log-potentials in all but
 * training, and the same forward-backward gives probabilities that are
 * measured, by nerkit-eval --calibration, to be as well calibrated as the
 * CRF's. A model without that scale (every perceptron model trained
 * without a dev set, and those made before it existed) has its
 * confidences refused with NERKIT_ERR_UNSUPPORTED rather than invented;
 * its n-best lists come with scores only.
 */
#include "decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nerkit_model_has_probabilities(const nerkit_model *m)
{
    return m->prob_scale > 0;
}

double nerkit_model_prob_scale(const nerkit_model *m)
{
    return m->prob_scale;
}

int nk_need_probabilities(const nerkit_model *m, nerkit_error *err)
{
    if (nerkit_model_has_probabilities(m))
        return NERKIT_OK;
    return nk_fail(err, NERKIT_ERR_UNSUPPORTED,
                   "no confidences: this %s model scores label sequences but defines no "
                   "probabilities (train it with a dev set, which fits them, or with --algo crf)",
                   m->algorithm);
}

size_t nerkit_entities(const uint16_t *labels, size_t n, nerkit_entity *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t l = labels[i];
        if (l == 0 || (NK_LABEL_PART(l) != NK_B && NK_LABEL_PART(l) != NK_U))
            continue;
        size_t end = i + 1;
        if (NK_LABEL_PART(l) == NK_B) {
            while (end < n && labels[end] == l + (NK_I - NK_B))
                end++;
            if (end == n || labels[end] != l + (NK_L - NK_B))
                continue; /* not a BILOU chunk: only labels made elsewhere can be like this */
            end++;
        }
        out[count++] = (nerkit_entity){i, end, (size_t)NK_LABEL_TYPE(l), -1.0};
        i = end - 1;
    }
    return count;
}

void nk_decoders_free(nk_decoders *d)
{
    nk_fb_free(&d->fb);
    nk_nbest_free(&d->nb);
    *d = (nk_decoders){0};
}

static void *decoders_new(void)
{
    return calloc(1, sizeof(nk_decoders));
}

static void decoders_drop(void *d)
{
    nk_decoders_free(d);
    free(d);
}

nk_decoders *nk_tagger_decoders(nerkit_tagger *t)
{
    return nk_tagger_scratch(t, decoders_new, decoders_drop);
}

int nk_decoders_prepare_fb(nk_decoders *d, const nerkit_model *m, size_t longest,
                           nerkit_error *err)
{
    const size_t L = m->nlabels;
    int rc = nk_fb_reserve(&d->fb, L, longest, err);
    if (rc)
        return rc;
    for (size_t k = 0; k < L * L; k++)
        d->fb.T[k] = (double)m->prob_scale * m->trans[k];
    nk_fb_transitions(&d->fb, &m->lat);
    return NERKIT_OK;
}

int nk_decoders_forward(nk_decoders *d, const nerkit_model *m, const float *em, size_t n,
                        double *logz, nerkit_error *err)
{
    for (size_t k = 0; k < n * m->nlabels; k++)
        d->fb.E[k] = (double)m->prob_scale * em[k];
    if (!nk_fb_forward(&d->fb, &m->lat, n))
        return nk_fail(err, NERKIT_ERR_MODEL,
                       "the model's scores for a sentence of %zu tokens are too far apart to "
                       "turn into probabilities",
                       n);
    *logz = d->fb.logz;
    return NERKIT_OK;
}

int nerkit_tag_confidence(nerkit_tagger *t, const nerkit_document *doc, uint16_t *labels,
                          nerkit_entity *ents, size_t *nents, nerkit_error *err)
{
    const nerkit_model *m = nk_tagger_model(t);
    int rc = nk_need_probabilities(m, err);
    if (rc)
        return rc;
    nk_decoders *d = nk_tagger_decoders(t);
    if (!d)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the decoders");
    const size_t L = m->nlabels;
    const float *em;
    if ((rc = nk_tagger_score(t, doc, &em, err)))
        return rc;
    size_t longest = 0;
    for (size_t s = 0; s < doc->nsentences; s++)
        longest = doc->sentence_len[s] > longest ? doc->sentence_len[s] : longest;
    if ((rc = nk_decoders_prepare_fb(d, m, longest, err)))
        return rc;
    size_t count = 0, first = 0;
    for (size_t s = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        const float *e = em + first * L;
        uint16_t *lab = labels + first;
        nk_tagger_viterbi(t, e, n, lab);
        size_t k = nerkit_entities(lab, n, ents + count);
        if (k == 0)
            continue; /* nothing to weigh: skip the forward-backward */
        double logz;
        if ((rc = nk_decoders_forward(d, m, e, n, &logz, err)))
            return rc;
        nk_fb_backward(&d->fb, &m->lat, n);
        for (nerkit_entity *x = ents + count; x < ents + count + k; x++) {
            double p = nk_fb_path(&d->fb, x->start, lab + x->start, x->end - x->start);
            x->prob = fmin(1.0, fmax(0.0, p));
            x->start += first;
            x->end += first;
        }
        count += k;
    }
    *nents = count;
    return NERKIT_OK;
}

int nerkit_tag_nbest(nerkit_tagger *t, const nerkit_document *doc, size_t k, uint16_t *labels,
                     double *scores, double *probs, size_t *found, nerkit_error *err)
{
    if (k < 1 || k > NERKIT_NBEST_MAX)
        return nk_fail(err, NERKIT_ERR_ARG, "n-best wants 1 to %d sequences, not %zu",
                       NERKIT_NBEST_MAX, k);
    const nerkit_model *m = nk_tagger_model(t);
    nk_decoders *d = nk_tagger_decoders(t);
    if (!d)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for the decoders");
    const size_t L = m->nlabels, N = doc->ntokens, S = doc->nsentences;
    const bool with_probs = probs && nerkit_model_has_probabilities(m);
    const float *em;
    int rc = nk_tagger_score(t, doc, &em, err);
    if (rc)
        return rc;
    size_t longest = 0;
    for (size_t s = 0; s < S; s++)
        longest = doc->sentence_len[s] > longest ? doc->sentence_len[s] : longest;
    if ((rc = nk_nbest_reserve(&d->nb, L, longest, k, err)))
        return rc;
    if (with_probs && (rc = nk_decoders_prepare_fb(d, m, longest, err)))
        return rc;
    size_t first = 0;
    for (size_t s = 0; s < S; first += doc->sentence_len[s++]) {
        size_t n = doc->sentence_len[s];
        size_t got =
            nk_nbest_decode(&d->nb, &m->lat, em + first * L, n, m->trans, labels + first, N);
        double logz = 0;
        if (with_probs && (rc = nk_decoders_forward(d, m, em + first * L, n, &logz, err)))
            return rc;
        for (size_t r = 0; r < k; r++) {
            bool real = r < got;
            if (!real)
                memset(labels + r * N + first, 0, n * sizeof *labels);
            scores[r * S + s] = real ? d->nb.best[r] : -INFINITY;
            if (probs)
                probs[r * S + s] = !with_probs ? -1.0
                                   : real      ? fmin(1.0, exp(m->prob_scale * d->nb.best[r] - logz))
                                               : 0.0;
        }
        found[s] = got;
    }
    return NERKIT_OK;
}
