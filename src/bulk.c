/*
 * Bulk tagging: one reader, N taggers, one ordered writer.
 *
 * The reader (the calling thread) cuts the input into documents and packs
 * them into batches; taggers take whole batches and format their output
 * into the batch; the writer emits batches strictly in sequence. A fixed
 * ring of batches is the only queue, so memory is bounded by
 * ring size x batch size whatever the input, and output order never
 * depends on which tagger finished first: -j N writes exactly what -j 1
 * writes. Messages (bad files, invalid UTF-8) travel in the batches too, so
 * they appear in input order, after the output of what was read before.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_DOCS 256
#define BATCH_BYTES (512 * 1024)

typedef struct {
    size_t text_off, text_len; /* in the batch arena: the text to tag */
    size_t line_off, line_len; /* JSONL: the whole input object */
    uint64_t seq;
    const char *file;
    uint64_t offset; /* of the document in its file's text */
} record;

enum { FREE, FILLED, TAGGING, DONE };

typedef struct {
    nk_buf arena, out, msgs;
    record *rec;
    size_t nrec, cap;
    uint64_t seq, tokens;
    size_t warnings;
    int state, rc;
} batch;

typedef struct {
    const nerkit_model *m;
    const nerkit_bulk_opts *o;
    FILE *out;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *ring;
    size_t nring;
    uint64_t filled, tagged, written; /* batches handed on at each stage */
    bool reading_done, stop;
    int write_rc;
    double start;
    nerkit_bulk_stats stats;
    nerkit_error write_err;
} pipeline;

/* ---- the taggers */

typedef struct {
    nerkit_tagger *tagger;
    nerkit_tokens *tokens;
    nk_tagwork work;
    nerkit_span *span;
    size_t cap;
    nk_json_member *members;
    size_t cap_members;
} worker_state;

static int tag_record(pipeline *p, worker_state *w, batch *b, const record *r, nerkit_error *err)
{
    const char *text = b->arena.p + r->text_off;
    size_t bad = nk_utf8_check((const unsigned char *)text, r->text_len);
    if (bad < r->text_len) {
        nk_buf_printf(&b->msgs,
                      "%s: invalid UTF-8 at byte offset %llu (tagged as U+FFFD; offsets still "
                      "count the original bytes)\n",
                      r->file, (unsigned long long)(r->offset + bad));
        b->warnings++;
    }
    int rc = nerkit_tokenize(w->tokens, text, r->text_len, err);
    if (rc)
        return rc;
    nk_tagged d = {.text = text, .text_len = r->text_len, .seq = r->seq};
    nerkit_tokens_document(w->tokens, &d.doc);
    size_t n = d.doc.ntokens;
    if (n + 1 > w->cap) {
        if (!nk_resize(&w->span, n + 1, sizeof *w->span))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
        w->cap = n + 1;
    }
    if ((rc = nk_tag_document(w->tagger, &w->work, &d.doc, p->o, err)))
        return rc;
    for (size_t i = 0; i < n; i++)
        w->span[i] = nerkit_tokens_span(w->tokens, i);
    d.span = w->span;
    if (r->line_len) {
        /* the line was checked by the reader; list its members again here,
         * where the work is spread over threads */
        size_t count, at;
        const char *line = b->arena.p + r->line_off;
        nk_json_members(line, r->line_len, w->members, w->cap_members, &count, &at);
        if (count > w->cap_members) {
            if (!nk_resize(&w->members, count, sizeof *w->members))
                return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
            w->cap_members = count;
            nk_json_members(line, r->line_len, w->members, count, &count, &at);
        }
        d.members = w->members;
        d.nmembers = count;
        for (size_t k = 0; k < count; k++)
            if (w->members[k].key_len == 2 && memcmp(w->members[k].key, "id", 2) == 0) {
                d.id = w->members[k].value;
                d.id_len = w->members[k].value_len;
            }
    }
    b->tokens += n;
    return nk_format(&b->out, p->m, &d, &w->work, p->o);
}

static void *worker_main(void *arg)
{
    pipeline *p = arg;
    worker_state w = {0};
    nerkit_error err = {0};
    w.tagger = nerkit_tagger_new(p->m, &err);
    w.tokens = nerkit_tokens_new();
    for (;;) {
        pthread_mutex_lock(&p->mu);
        batch *b = NULL;
        while (!p->stop) {
            b = &p->ring[p->tagged % p->nring];
            if (p->tagged < p->filled && b->state == FILLED)
                break;
            b = NULL;
            if (p->reading_done && p->tagged == p->filled)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
        }
        if (!b) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        b->state = TAGGING;
        p->tagged++;
        pthread_mutex_unlock(&p->mu);

        b->rc = (!w.tagger || !w.tokens) ? NERKIT_ERR_NOMEM : NERKIT_OK;
        for (size_t i = 0; i < b->nrec && !b->rc; i++)
            b->rc = tag_record(p, &w, b, &b->rec[i], &err);
        if (b->rc)
            nk_buf_printf(&b->msgs, "tagging failed: %s\n", err.message);

        pthread_mutex_lock(&p->mu);
        b->state = DONE;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    nerkit_tagger_free(w.tagger);
    nerkit_tokens_free(w.tokens);
    nk_tagwork_free(&w.work);
    free(w.span);
    free(w.members);
    return NULL;
}

/* ---- the writer */

static void emit_messages(pipeline *p, const nk_buf *msgs)
{
    if (!p->o->message)
        return;
    for (size_t i = 0; i < msgs->len;) {
        const char *nl = memchr(msgs->p + i, '\n', msgs->len - i);
        size_t e = nl ? (size_t)(nl - msgs->p) : msgs->len;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(e - i), msgs->p + i);
        p->o->message(line, p->o->user);
        i = e + 1;
    }
}

static void *writer_main(void *arg)
{
    pipeline *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        batch *b = &p->ring[p->written % p->nring];
        while (!(p->written < p->filled && b->state == DONE) &&
               !(p->reading_done && p->written == p->filled) && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->written == p->filled || p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);

        if (b->out.failed)
            b->rc = NERKIT_ERR_NOMEM;
        int rc = b->rc;
        if (!rc && b->out.len && fwrite(b->out.p, 1, b->out.len, p->out) != b->out.len)
            rc = nk_fail(&p->write_err, NERKIT_ERR_IO, "write error on output: %s",
                         strerror(errno));
        if (!rc && fflush(p->out) != 0)
            rc = nk_fail(&p->write_err, NERKIT_ERR_IO, "write error on output: %s",
                         strerror(errno));
        emit_messages(p, &b->msgs);

        pthread_mutex_lock(&p->mu);
        p->stats.documents += b->nrec;
        p->stats.tokens += b->tokens;
        p->stats.failures += b->warnings;
        if (rc) {
            p->write_rc = rc;
            if (b->rc)
                nk_fail(&p->write_err, (nerkit_status)rc, "tagging failed");
            p->stop = true;
        }
        b->state = FREE;
        p->written++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- the reader */

typedef struct {
    pipeline *p;
    batch *cur;
    uint64_t seq;
    size_t failures;
    nk_buf scratch;
    double last_progress;
    uint64_t done_bytes; /* of the files finished */
} reader;

static batch *acquire(pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    batch *b = &p->ring[p->filled % p->nring];
    while (b->state != FREE && !p->stop)
        pthread_cond_wait(&p->cv, &p->mu);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    if (stop)
        return NULL;
    b->arena.len = b->out.len = b->msgs.len = 0;
    b->arena.failed = b->out.failed = b->msgs.failed = false;
    b->nrec = 0;
    b->tokens = 0;
    b->warnings = 0;
    b->rc = NERKIT_OK;
    return b;
}

static void submit(pipeline *p, batch *b)
{
    pthread_mutex_lock(&p->mu);
    b->state = FILLED;
    p->filled++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void report_progress(reader *rd, nk_lines *lr, bool force)
{
    const nerkit_bulk_opts *o = rd->p->o;
    double now = nk_now();
    if (!o->progress || (!force && now - rd->last_progress < 0.25))
        return;
    rd->last_progress = now;
    pthread_mutex_lock(&rd->p->mu);
    nerkit_bulk_stats s = rd->p->stats;
    pthread_mutex_unlock(&rd->p->mu);
    s.bytes_read = rd->done_bytes + (lr ? nk_lines_consumed(lr) : 0);
    s.failures += rd->failures;
    s.seconds = now - rd->p->start;
    o->progress(&s, o->user);
}

/* Queues one document; false when the pipeline has stopped. */
static bool add_record(reader *rd, const char *file, uint64_t offset, const char *text,
                       size_t len, const char *line, size_t line_len, nk_lines *lr)
{
    batch *b = rd->cur;
    if (b->nrec == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : BATCH_DOCS;
        if (!nk_resize(&b->rec, cap, sizeof *b->rec)) {
            b->arena.failed = true;
            return false;
        }
        b->cap = cap;
    }
    record *r = &b->rec[b->nrec++];
    r->text_off = b->arena.len;
    r->text_len = len;
    nk_buf_put(&b->arena, text, len);
    r->line_off = b->arena.len;
    r->line_len = line_len;
    nk_buf_put(&b->arena, line, line_len);
    r->seq = rd->seq++;
    r->file = file;
    r->offset = offset;
    if (b->arena.failed) {
        b->rc = NERKIT_ERR_NOMEM;
        nk_buf_printf(&b->msgs, "%s: out of memory reading\n", file);
    }
    if (b->nrec >= BATCH_DOCS || b->arena.len >= BATCH_BYTES) {
        submit(rd->p, b);
        report_progress(rd, lr, false);
        if (!(rd->cur = acquire(rd->p)))
            return false;
    }
    return true;
}

/* Where to cut text that is longer than max: after the last sentence end
 * in its second half, else at a line break or a space, else at a
 * character boundary. s has at least max + 1 bytes. */
static size_t cut_point(const char *s, size_t max)
{
    for (size_t i = max; i > max / 2; i--)
        if ((s[i - 1] == '.' || s[i - 1] == '!' || s[i - 1] == '?') &&
            (s[i] == ' ' || s[i] == '\n'))
            return i + 1; /* the space goes with the sentence it ends */
    for (size_t i = max; i > max / 2; i--)
        if (s[i - 1] == '\n')
            return i;
    for (size_t i = max; i > max / 2; i--)
        if (s[i - 1] == ' ')
            return i;
    size_t i = max;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Queues text as documents no longer than the cap. */
static bool add_text(reader *rd, const char *file, uint64_t offset, const char *text, size_t len,
                     nk_lines *lr)
{
    size_t max = rd->p->o->max_document;
    while (len > max) {
        size_t cut = cut_point(text, max);
        if (!add_record(rd, file, offset, text, cut, NULL, 0, lr))
            return false;
        text += cut;
        len -= cut;
        offset += cut;
    }
    return len == 0 || add_record(rd, file, offset, text, len, NULL, 0, lr);
}

static bool add_json(reader *rd, const char *file, uint64_t offset, const char *line, size_t len,
                     unsigned lineno, nk_lines *lr, nerkit_error *err)
{
    nk_json_member members[64];
    size_t count, at;
    if (nk_json_members(line, len, members, 64, &count, &at)) {
        nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: invalid JSON at byte %zu of the line (offset %llu)",
                file, lineno, at + 1, (unsigned long long)(offset + at));
        return false;
    }
    const nk_json_member *text = NULL;
    for (size_t k = 0; k < count && k < 64; k++)
        if (members[k].key_len == 4 && memcmp(members[k].key, "text", 4) == 0)
            text = &members[k];
    if (!text || text->value[0] != '"') {
        nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: no \"text\" string in the object", file, lineno);
        return false;
    }
    rd->scratch.len = 0;
    nk_buf_put(&rd->scratch, text->value, text->value_len);
    if (rd->scratch.failed) {
        nk_fail(err, NERKIT_ERR_NOMEM, "%s:%u: out of memory", file, lineno);
        return false;
    }
    size_t n = nk_json_decode_string(text->value, text->value_len, rd->scratch.p);
    return add_record(rd, file, offset, rd->scratch.p, n, line, len, lr);
}

/* Reads one input; returns false when the run must stop. */
static bool read_file(reader *rd, const char *path, uint64_t size)
{
    const nerkit_bulk_opts *o = rd->p->o;
    nerkit_error err = {0};
    nk_lines lr;
    int rc = nk_lines_open(&lr, path, o->max_line, &err);
    nk_buf doc = {0};
    uint64_t doc_off = 0;
    const char *line;
    size_t len;
    uint64_t off;
    if (rc)
        rc = -rc; /* errors are negative below, as nk_lines_next returns them */
    bool ok = !rc;
    while (ok && (rc = nk_lines_next(&lr, &line, &len, &off, &err)) == 1) {
        if (o->input == NERKIT_INPUT_TEXT) {
            if (is_blank(line, len)) {
                ok = add_text(rd, lr.name, doc_off, doc.p, doc.len ? doc.len - 1 : 0, &lr);
                doc.len = 0;
                continue;
            }
            if (!doc.len)
                doc_off = off;
            nk_buf_put(&doc, line, len);
            nk_buf_putc(&doc, '\n');
            if (doc.failed) {
                rc = -nk_fail(&err, NERKIT_ERR_NOMEM, "%s: out of memory", lr.name);
                break;
            }
            /* keep memory bounded: hand on all but the tail of a long document */
            if (doc.len > 2 * o->max_document) {
                size_t cut = cut_point(doc.p, o->max_document);
                ok = add_text(rd, lr.name, doc_off, doc.p, cut, &lr);
                memmove(doc.p, doc.p + cut, doc.len - cut);
                doc.len -= cut;
                doc_off += cut;
            }
        } else if (!is_blank(line, len)) {
            ok = o->input == NERKIT_INPUT_JSONL
                     ? add_json(rd, lr.name, off, line, len, lr.lineno, &lr, &err)
                     : add_text(rd, lr.name, off, line, len, &lr);
            if (!ok && err.message[0])
                rc = -NERKIT_ERR_FORMAT;
        }
    }
    if (ok && rc == 0 && doc.len)
        ok = add_text(rd, lr.name, doc_off, doc.p, doc.len - 1, &lr);
    nk_buf_free(&doc);
    if (rc != 0 && rc != 1 && rd->cur) {
        nk_buf_printf(&rd->cur->msgs, "%s\n", err.message);
        rd->failures++;
        ok = o->keep_going && rd->cur;
    }
    rd->done_bytes += size;
    report_progress(rd, NULL, false);
    nk_lines_close(&lr);
    return ok && rd->cur;
}

void nerkit_bulk_opts_init(nerkit_bulk_opts *o)
{
    memset(o, 0, sizeof *o);
    o->input = NERKIT_INPUT_TEXT;
    o->output = NERKIT_OUTPUT_JSONL;
    o->max_document = 1 << 20;
    o->max_line = 64u << 20;
    nerkit_reader_opts_init(&o->conll);
}

int nerkit_bulk_tag(const nerkit_model *m, const char *const *paths, size_t npaths, FILE *out,
                    const nerkit_bulk_opts *o, nerkit_bulk_stats *stats, nerkit_error *err)
{
    if (o->input == NERKIT_INPUT_CONLL)
        return nk_fail(err, NERKIT_ERR_ARG, "CoNLL input is read with nerkit_corpus_read");
    int rc = nerkit_bulk_check(m, o, err);
    if (rc)
        return rc;
    if (o->max_document < 64 || o->max_line < o->max_document)
        return nk_fail(err, NERKIT_ERR_ARG, "document cap must be at least 64 bytes and no more "
                                            "than the line cap");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nthreads = o->threads > 0 ? (size_t)o->threads : cores > 0 ? (size_t)cores : 1;
    nk_pathlist files;
    rc = nk_paths_expand(paths, npaths, &files, err);
    if (rc)
        return rc;
    pipeline p = {.m = m, .o = o, .out = out, .nring = 2 * nthreads + 2};
    p.ring = calloc(p.nring, sizeof *p.ring);
    pthread_t *th = calloc(nthreads, sizeof *th);
    if (!p.ring || !th) {
        free(p.ring);
        free(th);
        nk_pathlist_free(&files);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.stats.files_total = files.n;
    for (size_t i = 0; i < files.n; i++)
        p.stats.bytes_total += files.size[i];
    p.start = nk_now();

    pthread_t writer;
    size_t started = 0;
    bool writer_up = pthread_create(&writer, NULL, writer_main, &p) == 0;
    while (writer_up && started < nthreads &&
           pthread_create(&th[started], NULL, worker_main, &p) == 0)
        started++;
    reader rd = {.p = &p};
    if (writer_up && started > 0 && (rd.cur = acquire(&p))) {
        for (size_t i = 0; i < files.n; i++) {
            if (!read_file(&rd, files.path[i], files.size[i]))
                break;
            pthread_mutex_lock(&p.mu);
            p.stats.files_done++;
            pthread_mutex_unlock(&p.mu);
        }
        if (rd.cur)
            submit(&p, rd.cur);
    }
    pthread_mutex_lock(&p.mu);
    p.reading_done = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (writer_up)
        pthread_join(writer, NULL);

    p.stats.failures += rd.failures;
    p.stats.bytes_read = rd.done_bytes;
    p.stats.seconds = nk_now() - p.start;
    if (stats)
        *stats = p.stats;
    if (!writer_up || started == 0)
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "cannot start threads");
    else if (p.write_rc)
        rc = nk_fail(err, (nerkit_status)p.write_rc, "%s", p.write_err.message);
    else if (p.stats.failures)
        rc = nk_fail(err, NERKIT_ERR_IO, "%zu input problem%s (see the messages above)",
                     p.stats.failures, p.stats.failures == 1 ? "" : "s");
    for (size_t i = 0; i < p.nring; i++) {
        nk_buf_free(&p.ring[i].arena);
        nk_buf_free(&p.ring[i].out);
        nk_buf_free(&p.ring[i].msgs);
        free(p.ring[i].rec);
    }
    free(p.ring);
    free(th);
    nk_buf_free(&rd.scratch);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    nk_pathlist_free(&files);
    return rc;
}
