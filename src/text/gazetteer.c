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

int nk_list_read(const char *path, size_t max_line, nk_list_line take, void *user,
                 const char *empty, nerkit_error *err)
{
    nk_lines lr;
    int rc = nk_lines_open(&lr, path, max_line, err);
    if (rc)
        return rc;
    size_t taken = 0;
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
        if ((rc = take(user, path, lr.lineno, line, len, err)))
            break;
        taken++;
    }
    nk_lines_close(&lr);
    /* an empty list (a wrong file, comments only) would silently give
     * nothing of what was asked for */
    if (rc == 0 && !taken)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s: %s", path, empty);
    return rc < 0 ? -rc : rc;
}

typedef struct {
    nk_phrase_builder *b;
    nerkit_tokens *tk;
} gazetteer;

static int add_phrase(void *user, const char *path, unsigned lineno, const char *line, size_t len,
                      nerkit_error *err)
{
    gazetteer *g = user;
    uint64_t lower[NK_PHRASE_MAX_TOKENS], word[NK_PHRASE_MAX_TOKENS];
    const char *tab = memchr(line, '\t', len);
    const char *list = tab ? tab + 1 : NULL;
    size_t list_len = tab ? len - (size_t)(list - line) : 0;
    if (!tab || tab == line || !list_len || memchr(list, '\t', list_len))
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: expected phrase<TAB>LIST", path, lineno);
    if (nk_utf8_check((const unsigned char *)line, len) != len)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: invalid UTF-8", path, lineno);
    if (list_len > NK_MAX_TYPE_LEN)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: list name of %zu bytes (at most %d)", path,
                       lineno, list_len, NK_MAX_TYPE_LEN);
    int rc = nerkit_tokenize(g->tk, line, (size_t)(tab - line), err);
    if (rc)
        return rc;
    nerkit_document doc;
    nerkit_tokens_document(g->tk, &doc);
    if (doc.ntokens == 0 || doc.ntokens > NK_PHRASE_MAX_TOKENS)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: a phrase of %zu tokens (1 to %d allowed)",
                       path, lineno, doc.ntokens, NK_PHRASE_MAX_TOKENS);
    for (size_t k = 0; k < doc.ntokens; k++) {
        lower[k] = nk_lower_hash(doc.tokens[k], doc.token_len[k]);
        word[k] = nk_word_hash(doc.tokens[k], doc.token_len[k]);
    }
    uint32_t id;
    nerkit_error inner = {0};
    if ((rc = nk_phrase_builder_list(g->b, list, list_len, &id, &inner)) ||
        (rc = nk_phrase_builder_add(g->b, lower, word, doc.ntokens, id, &inner)))
        return nk_fail(err, (nerkit_status)rc, "%s:%u: %s", path, lineno, inner.message);
    return NERKIT_OK;
}

int nk_gazetteer_read(const char *const *paths, size_t n, nk_phrases *out, nerkit_error *err)
{
    nk_phrase_builder b = {0};
    nerkit_tokens *tk = nerkit_tokens_new();
    int rc = tk ? NERKIT_OK : nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading gazetteers");
    gazetteer g = {&b, tk};
    for (size_t f = 0; f < n && !rc; f++)
        rc = nk_list_read(paths[f], MAX_LINE, add_phrase, &g,
                          "no phrases: a gazetteer has lines of phrase<TAB>LIST", err);
    if (!rc)
        rc = nk_phrase_builder_finish(&b, out, err);
    nk_phrase_builder_free(&b);
    nerkit_tokens_free(tk);
    return rc;
}
