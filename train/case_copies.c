/*
 * Case copies of training documents: the same text lower-cased or
 * upper-cased, with the same labels. A model trained on the originals alone
 * learns that entities are capitalised and misses nearly all of them in text
 * without case; the copies teach it what is left when case is gone.
 */
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

int nk_case_copies_check(const nerkit_train_opts *o, nerkit_error *err)
{
    /* written so that a NaN fails too */
    if (!(o->case_lower >= 0 && o->case_lower <= 1) || !(o->case_upper >= 0 && o->case_upper <= 1))
        return nk_fail(err, NERKIT_ERR_ARG,
                       "case copies: fractions of documents %g (lower) and %g (upper): want 0 "
                       "to 1",
                       o->case_lower, o->case_upper);
    return NERKIT_OK;
}

unsigned nk_case_copies_of(const nerkit_train_opts *o, size_t d)
{
    unsigned v = 1u << NK_CASE_AS_IS;
    const double frac[] = {[NK_CASE_LOWER] = o->case_lower, [NK_CASE_UPPER] = o->case_upper};
    for (unsigned c = NK_CASE_LOWER; c <= NK_CASE_UPPER; c++) {
        /* a uniform draw in [0, 1) per document and case, from the seed:
         * a fraction of 1 takes every document, 0 none */
        uint64_t h = nk_mix64(nk_hash_step(o->seed * 0x9e3779b97f4a7c15ULL + c, d));
        if ((double)(h >> 11) * 0x1p-53 < frac[c])
            v |= 1u << c;
    }
    return v;
}

int nk_recase(const nerkit_document *src, unsigned c, nk_recased *r, nerkit_document *out,
              nerkit_error *err)
{
    size_t bytes = 0;
    for (size_t i = 0; i < src->ntokens; i++)
        bytes += src->token_len[i];
    /* the case pairs nk_cp_lower maps have UTF-8 of the same length, but
     * room for the longest code point keeps that from being a requirement */
    if (4 * bytes >= r->cap_text) {
        if (!nk_resize(&r->text, 4 * bytes + 1, 1))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory making case copies");
        r->cap_text = 4 * bytes + 1;
    }
    if (src->ntokens > r->cap_tokens) {
        if (!nk_resize(&r->tokens, src->ntokens, sizeof *r->tokens) ||
            !nk_resize(&r->len, src->ntokens, sizeof *r->len))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory making case copies");
        r->cap_tokens = src->ntokens;
    }
    char *p = r->text;
    for (size_t i = 0; i < src->ntokens; i++) {
        const unsigned char *s = (const unsigned char *)src->tokens[i];
        size_t n = src->token_len[i];
        r->tokens[i] = p;
        for (size_t k = 0; k < n;) {
            uint32_t cp;
            size_t m = nk_utf8_decode(s + k, n - k, &cp);
            if (!m) { /* not UTF-8: the byte stays as it is */
                *p++ = (char)s[k++];
                continue;
            }
            k += m;
            p += nk_utf8_encode(c == NK_CASE_LOWER ? nk_cp_lower(cp) : nk_cp_upper(cp), p);
        }
        r->len[i] = (size_t)(p - r->tokens[i]);
    }
    *out = *src;
    out->tokens = r->tokens;
    out->token_len = r->len;
    return NERKIT_OK;
}

void nk_recased_free(nk_recased *r)
{
    free(r->text);
    free(r->tokens);
    free(r->len);
    memset(r, 0, sizeof *r);
}
