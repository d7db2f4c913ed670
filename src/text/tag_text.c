/*
 * Tagging one text to entities with their offsets, in one call: what a
 * binding (Python's ctypes) needs per document, so that it crosses into C
 * once per document, not once per entity, and gets exactly the spans
 * nerkit_bulk_tag writes for the same text.
 */
#include "text.h"

#include <stdlib.h>

int nerkit_tag_text(nerkit_tagger *t, const nerkit_tokens *tokens, int confidence,
                    uint16_t *labels, nerkit_text_entity *ents, size_t *nents, nerkit_error *err)
{
    *nents = 0;
    nerkit_document doc;
    nerkit_tokens_document(tokens, &doc);
    if (doc.ntokens == 0)
        return NERKIT_OK;
    /* token entities first: the tagging calls give them as nerkit_entity,
     * then they become text entities in place of the caller's array, which
     * has no room for both */
    nerkit_entity *te = nk_alloc(doc.ntokens, sizeof *te, err);
    if (!te)
        return NERKIT_ERR_NOMEM;
    size_t n = 0;
    int rc;
    if (confidence) {
        rc = nerkit_tag_confidence(t, &doc, labels, te, &n, err);
    } else {
        rc = nerkit_tag_document(t, &doc, labels, err);
        n = rc ? 0 : nerkit_entities(labels, doc.ntokens, te);
    }
    for (size_t k = 0; !rc && k < n; k++) {
        /* the same offsets output.c writes: first token's start, last one's end */
        nerkit_span a = nerkit_tokens_span(tokens, te[k].start);
        nerkit_span z = nerkit_tokens_span(tokens, te[k].end - 1);
        ents[k] = (nerkit_text_entity){.start = a.char_start, .end = z.char_end,
                                       .byte_start = a.byte_start, .byte_end = z.byte_end,
                                       .token_start = te[k].start, .token_end = te[k].end,
                                       .type = te[k].type, .prob = te[k].prob};
    }
    if (!rc)
        *nents = n;
    free(te);
    return rc;
}
