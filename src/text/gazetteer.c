/*
 * Gazetteer files into a phrase matcher: phrase<TAB>LIST lines, each phrase
 * cut by the tokenizer that cuts the text to tag, so that a list and a text
 * agree on where tokens end ("U.S.-based", "O'Neill", "Smith's").
 */
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* Longest line read: a phrase is a few words, a longer line is not one. */
#define MAX_LINE 4096

static int read_file(const char *path, nk_phrase_builder *b, nerkit_tokens *tk, nerkit_error *err)
{
    nk_lines lr;
    int rc = nk_lines_open(&lr, path, MAX_LINE, err);
    if (rc)
        return rc;
    uint64_t lower[NK_PHRASE_MAX_TOKENS], word[NK_PHRASE_MAX_TOKENS];
    size_t before = b->nentries;
    const char *line;
    size_t len;
    uint64_t off;
    while ((rc = nk_lines_next(&lr, &line, &len, &off, err)) == 1) {
        if (len && line[len - 1] == '\r')
            len--;
        size_t sp = 0;
        while (sp < len && (line[sp] == ' ' || line[sp] == '\t'))
            sp++;
        if (sp == len || line[sp] == '#')
            continue;
        const char *tab = memchr(line, '\t', len);
        const char *list = tab ? tab + 1 : NULL;
        size_t list_len = tab ? len - (size_t)(list - line) : 0;
        if (!tab || tab == line || !list_len || memchr(list, '\t', list_len)) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: expected phrase<TAB>LIST", path,
                         lr.lineno);
            break;
        }
        if (nk_utf8_check((const unsigned char *)line, len) != len) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: invalid UTF-8", path, lr.lineno);
            break;
        }
        if (list_len > NK_MAX_TYPE_LEN) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: list name of %zu bytes (at most %d)",
                         path, lr.lineno, list_len, NK_MAX_TYPE_LEN);
            break;
        }
        if ((rc = nerkit_tokenize(tk, line, (size_t)(tab - line), err)))
            break;
        nerkit_document doc;
        nerkit_tokens_document(tk, &doc);
        if (doc.ntokens == 0 || doc.ntokens > NK_PHRASE_MAX_TOKENS) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: a phrase of %zu tokens (1 to %d allowed)",
                         path, lr.lineno, doc.ntokens, NK_PHRASE_MAX_TOKENS);
            break;
        }
        for (size_t k = 0; k < doc.ntokens; k++) {
            lower[k] = nk_lower_hash(doc.tokens[k], doc.token_len[k]);
            word[k] = nk_word_hash(doc.tokens[k], doc.token_len[k]);
        }
        uint32_t id;
        nerkit_error inner = {0};
        if ((rc = nk_phrase_builder_list(b, list, list_len, &id, &inner)) ||
            (rc = nk_phrase_builder_add(b, lower, word, doc.ntokens, id, &inner))) {
            rc = nk_fail(err, (nerkit_status)rc, "%s:%u: %s", path, lr.lineno, inner.message);
            break;
        }
    }
    nk_lines_close(&lr);
    /* an empty list (a wrong file, comments only) would train a model that
     * silently lacks what it was asked for */
    if (rc == 0 && b->nentries == before)
        rc = nk_fail(err, NERKIT_ERR_FORMAT,
                     "%s: no phrases: a gazetteer has lines of phrase<TAB>LIST", path);
    return rc < 0 ? -rc : rc;
}

int nk_gazetteer_read(const char *const *paths, size_t n, nk_phrases *out, nerkit_error *err)
{
    nk_phrase_builder b = {0};
    nerkit_tokens *tk = nerkit_tokens_new();
    int rc = tk ? NERKIT_OK : nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading gazetteers");
    for (size_t f = 0; f < n && !rc; f++)
        rc = read_file(paths[f], &b, tk, err);
    if (!rc)
        rc = nk_phrase_builder_finish(&b, out, err);
    nk_phrase_builder_free(&b);
    nerkit_tokens_free(tk);
    return rc;
}
