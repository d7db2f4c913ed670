/*
 * Bulk tagging: the document pipeline (pipeline.c) with taggers as its
 * workers and the output file as its writer. Each worker tags its
 * documents and formats them into its batch; the pipeline writes the
 * batches in input order, so -j N writes exactly what -j 1 writes.
 */
#include "text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const nerkit_model *m;
    const nerkit_bulk_opts *o;
    FILE *out;
} bulk;

typedef struct {
    const bulk *k;
    nerkit_tagger *tagger;
    nerkit_tokens *tokens;
    nk_tagwork work;
    nerkit_span *span;
    size_t cap;
    nk_json_member *members;
    size_t cap_members;
} tagger_state;

static void *tagger_new(void *user, size_t index, nerkit_error *err)
{
    (void)index;
    tagger_state *w = nk_alloc(1, sizeof *w, err);
    if (!w)
        return NULL;
    w->k = user;
    if (!(w->tagger = nerkit_tagger_new(w->k->m, err))) {
        free(w);
        return NULL;
    }
    if (!(w->tokens = nerkit_tokens_new())) {
        nerkit_tagger_free(w->tagger);
        free(w);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "out of memory starting a tagger");
    }
    return w;
}

static void tagger_free(void *state, void *user)
{
    (void)user;
    tagger_state *w = state;
    nerkit_tagger_free(w->tagger);
    nerkit_tokens_free(w->tokens);
    nk_tagwork_free(&w->work);
    free(w->span);
    free(w->members);
    free(w);
}

/* The JSONL input's members, to pass through to the output. */
static int list_members(tagger_state *w, nk_tagged *d, const nk_doc *doc, nerkit_error *err)
{
    /* the reader checked the line; list its members here, where the work
     * is spread over threads */
    size_t count, at;
    nk_json_members(doc->json, doc->json_len, w->members, w->cap_members, &count, &at);
    if (count > w->cap_members) {
        if (!nk_resize(&w->members, count, sizeof *w->members))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
        w->cap_members = count;
        nk_json_members(doc->json, doc->json_len, w->members, count, &count, &at);
    }
    d->members = w->members;
    d->nmembers = count;
    for (size_t k = 0; k < count; k++)
        if (nk_json_key_is(&w->members[k], "id")) {
            d->id = w->members[k].value;
            d->id_len = w->members[k].value_len;
        }
    return NERKIT_OK;
}

static int tag_doc(void *state, nk_batch *b, const nk_doc *doc, nerkit_error *err)
{
    tagger_state *w = state;
    int rc = nerkit_tokenize(w->tokens, doc->text, doc->len, err);
    if (rc)
        return rc;
    nk_tagged d = {.text = doc->text, .text_len = doc->len, .seq = doc->seq, .part = doc->part,
                   .cut = doc->cut};
    nerkit_tokens_document(w->tokens, &d.doc);
    size_t n = d.doc.ntokens;
    if (n + 1 > w->cap) {
        if (!nk_resize(&w->span, n + 1, sizeof *w->span))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
        w->cap = n + 1;
    }
    if ((rc = nk_tag_document(w->tagger, &w->work, &d.doc, w->k->o, err)))
        return rc;
    for (size_t i = 0; i < n; i++)
        w->span[i] = nerkit_tokens_span(w->tokens, i);
    d.span = w->span;
    if (doc->json && (rc = list_members(w, &d, doc, err)))
        return rc;
    b->tokens += n;
    rc = nk_format(&b->out, w->k->m, &d, &w->work, w->k->o);
    return rc ? nk_fail(err, (nerkit_status)rc, "out of memory formatting output") : NERKIT_OK;
}

static int write_out(void *user, const nk_buf *out, nerkit_error *err)
{
    const bulk *k = user;
    if (fwrite(out->p, 1, out->len, k->out) != out->len || fflush(k->out) != 0)
        return nk_fail(err, NERKIT_ERR_IO, "write error on output: %s", strerror(errno));
    return NERKIT_OK;
}

NK_OPTS_LAST(nerkit_bulk_opts, ndicts);

void nerkit_bulk_opts_init_sized(nerkit_bulk_opts *o, size_t size)
{
    const nerkit_bulk_opts d = {.size = sizeof d,
                                .input = NERKIT_INPUT_TEXT,
                                .output = NERKIT_OUTPUT_JSONL,
                                .max_document = 1 << 20,
                                .max_line = 64u << 20};
    nk_opts_init(o, size, &d, sizeof d);
}

int nerkit_bulk_tag(const nerkit_model *m, const char *const *paths, size_t npaths, FILE *out,
                    const nerkit_bulk_opts *given, nerkit_bulk_stats *stats, nerkit_error *err)
{
    nerkit_bulk_opts opts;
    const nerkit_bulk_opts *o = &opts;
    int rc = NK_OPTS_TAKE(&opts, given, nerkit_bulk_opts_init, err);
    if (rc)
        return rc;
    if (o->input == NERKIT_INPUT_CONLL)
        return nk_fail(err, NERKIT_ERR_ARG, "CoNLL input is read with nerkit_corpus_read");
    if ((rc = nerkit_bulk_check(m, o, err)))
        return rc;
    if (o->max_document < 64 || o->max_line < o->max_document)
        return nk_fail(err, NERKIT_ERR_ARG, "document cap must be at least 64 bytes and no more "
                                            "than the line cap");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    bulk k = {m, o, out};
    nk_pipe_opts po = {
        .input = o->input, .max_document = o->max_document, .max_line = o->max_line,
        .threads = o->threads > 0 ? (size_t)o->threads : cores > 0 ? (size_t)cores : 1,
        .keep_going = o->keep_going, .warn_utf8 = true,
        .worker_new = tagger_new, .worker_free = tagger_free, .work = tag_doc,
        .emit = write_out, .user = &k,
        .message = o->message, .progress = o->progress, .report_user = o->user,
        .stop = o->stop};
    nk_pathlist files;
    if ((rc = nk_paths_expand(paths, npaths, &files, err)))
        return rc;
    nerkit_bulk_stats st = {0};
    rc = nk_pipe_run(&files, &po, &st, err);
    nk_pathlist_free(&files);
    if (stats)
        *stats = st;
    return rc;
}
