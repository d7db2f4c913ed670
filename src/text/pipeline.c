/*
 * The threaded document pipeline under bulk tagging and nerkit-embed:
 * one reader, N workers, one ordered writer.
 *
 * The reader (the calling thread) cuts the inputs into documents and packs
 * them into batches; workers take whole batches and run the caller's work
 * on each document; the writer hands the batches' output and messages on
 * strictly in sequence. A fixed ring of batches is the only queue, so
 * memory is bounded by ring size x batch size whatever the input, and
 * output order never depends on which worker finished first: N workers
 * write exactly what one writes.
 *
 * Both programs once had a copy of this loop each; the copies drifted, and
 * one of them kept a cut-point search that could return 0 and loop for
 * ever. There is one now, and one way to cut a document.
 */
#include "text.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A batch's text and its output stay allocated in its slot of the ring, so
 * their size is memory each process holds alone (the model it shares):
 * batches of 16 KB in a ring of N + 2 take a fifth of the memory of 64 KB
 * ones in a ring of 2N + 2, and tag raw text as fast at -j 1 (wall-time
 * ratio 1.00, 7 alternating runs) and 2% slower at -j 2 (1.02). */
#define BATCH_DOCS 256
#define BATCH_BYTES (16 * 1024)

typedef struct {
    size_t text_off, text_len; /* in the batch arena */
    size_t json_off, json_len; /* JSONL: the whole input object */
    uint64_t seq, offset;
    const char *file;
    unsigned line, part;
    bool cut;
} record;

enum { FREE, FILLED, WORKING, DONE };

struct nk_batch_ring {
    nk_batch b;
    nk_buf arena;
    record *rec;
    size_t nrec, cap;
    int state, rc;
};
typedef struct nk_batch_ring slot;

typedef struct {
    const nk_pipe_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *ring;
    size_t nring;
    uint64_t filled, taken, written; /* batches handed on at each stage */
    bool reading_done, stop;
    int rc; /* the first failure of a worker or of the writer */
    nerkit_error err;
    double start;
    nerkit_bulk_stats stats;
} pipe_t;

/* Records the first failure and stops every stage; called with mu held. */
static void fail_locked(pipe_t *p, int rc, const nerkit_error *err)
{
    if (!p->rc) {
        p->rc = rc;
        p->err = *err;
    }
    p->stop = true;
    pthread_cond_broadcast(&p->cv);
}

/* ---- the workers */

typedef struct {
    pipe_t *p;
    void *state;
    pthread_t tid;
} worker;

static int work_batch(pipe_t *p, void *state, slot *s, nerkit_error *err)
{
    const nk_pipe_opts *o = p->o;
    for (size_t i = 0; i < s->nrec; i++) {
        const record *r = &s->rec[i];
        nk_doc d = {.text = s->arena.p + r->text_off, .len = r->text_len,
                    .json = r->json_len ? s->arena.p + r->json_off : NULL,
                    .json_len = r->json_len, .file = r->file, .offset = r->offset,
                    .line = r->line, .seq = r->seq, .part = r->part, .cut = r->cut};
        /* JSONL: the other members are passed through, so their bytes are
         * checked too; a whole line (not cut) holds the text as written,
         * and its offset in the line is exact */
        size_t bad = d.len, in_json = d.json_len;
        if (o->warn_utf8) {
            bad = nk_utf8_check((const unsigned char *)d.text, d.len);
            if (d.json)
                in_json = nk_utf8_check((const unsigned char *)d.json, d.json_len);
        }
        if (bad < d.len || in_json < d.json_len) {
            /* text input keeps line breaks: count them to name the line */
            unsigned line = d.line;
            if (!d.json)
                for (size_t k = 0; k < bad; k++)
                    line += d.text[k] == '\n';
            uint64_t at = !d.json ? bad : in_json < d.json_len && !d.cut ? in_json : 0;
            char msg[1024];
            snprintf(msg, sizeof msg, "%s:%u: invalid UTF-8 at byte offset %llu (read as U+FFFD)",
                     d.file, line, (unsigned long long)(d.offset + at));
            nerkit_one_line(msg, sizeof msg);
            nk_buf_printf(&s->b.msgs, "%s\n", msg);
            s->b.warnings++;
        }
        int rc = o->work(state, &s->b, &d, err);
        if (rc)
            return rc;
    }
    return NERKIT_OK;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipe_t *p = w->p;
    nerkit_error err = {0};
    for (;;) {
        pthread_mutex_lock(&p->mu);
        slot *s = NULL;
        while (!p->stop) {
            s = &p->ring[p->taken % p->nring];
            if (p->taken < p->filled && s->state == FILLED)
                break;
            s = NULL;
            if (p->reading_done && p->taken == p->filled)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
        }
        if (!s) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        s->state = WORKING;
        p->taken++;
        pthread_mutex_unlock(&p->mu);

        int rc = s->rc ? s->rc : work_batch(p, w->state, s, &err);

        pthread_mutex_lock(&p->mu);
        s->state = DONE;
        if (rc && !s->rc)
            fail_locked(p, rc, &err);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    /* the worker's last word (embed merges its counts), unless the run failed */
    pthread_mutex_lock(&p->mu);
    bool stopped = p->stop;
    pthread_mutex_unlock(&p->mu);
    int rc;
    if (!stopped && p->o->finish && (rc = p->o->finish(w->state, &err))) {
        pthread_mutex_lock(&p->mu);
        fail_locked(p, rc, &err);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- the writer */

static void emit_messages(pipe_t *p, const nk_buf *msgs)
{
    if (!p->o->message)
        return;
    for (size_t i = 0; i < msgs->len;) {
        const char *nl = memchr(msgs->p + i, '\n', msgs->len - i);
        size_t e = nl ? (size_t)(nl - msgs->p) : msgs->len;
        char line[1024];
        snprintf(line, sizeof line, "%.*s", (int)(e - i), msgs->p + i);
        p->o->message(line, p->o->report_user);
        i = e + 1;
    }
}

static void *writer_main(void *arg)
{
    pipe_t *p = arg;
    nerkit_error err = {0};
    for (;;) {
        pthread_mutex_lock(&p->mu);
        slot *s = &p->ring[p->written % p->nring];
        while (!(p->written < p->filled && s->state == DONE) &&
               !(p->reading_done && p->written == p->filled) && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->written == p->filled || p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);

        int rc = s->rc;
        if (!rc && (s->b.out.failed || s->b.msgs.failed))
            rc = nk_fail(&err, NERKIT_ERR_NOMEM, "out of memory");
        if (!rc && p->o->emit && s->b.out.len)
            rc = p->o->emit(p->o->user, &s->b.out, &err);
        emit_messages(p, &s->b.msgs);

        pthread_mutex_lock(&p->mu);
        p->stats.documents += s->nrec;
        p->stats.tokens += s->b.tokens;
        p->stats.failures += s->b.failures;
        p->stats.warnings += s->b.warnings;
        if (rc) {
            if (s->rc)
                nk_fail(&err, (nerkit_status)rc, "out of memory reading");
            fail_locked(p, rc, &err);
        }
        s->state = FREE;
        p->written++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

/* ---- the reader */

typedef struct {
    pipe_t *p;
    slot *cur;
    uint64_t seq;
    nk_buf doc;           /* text input: the document being read */
    nk_buf scratch;       /* JSONL: the decoded text */
    nk_buf rest;          /* JSONL: the object without a text that is cut */
    double last_progress;
    uint64_t done_bytes;  /* of the files finished */
    nk_lines *lr;         /* the file being read */
} reader;

static slot *acquire(pipe_t *p)
{
    pthread_mutex_lock(&p->mu);
    slot *s = &p->ring[p->filled % p->nring];
    while (s->state != FREE && !p->stop)
        pthread_cond_wait(&p->cv, &p->mu);
    bool stop = p->stop;
    pthread_mutex_unlock(&p->mu);
    if (stop)
        return NULL;
    s->arena.len = s->b.out.len = s->b.msgs.len = 0;
    s->arena.failed = s->b.out.failed = s->b.msgs.failed = false;
    s->nrec = 0;
    s->b.tokens = 0;
    s->b.warnings = s->b.failures = 0;
    s->rc = NERKIT_OK;
    return s;
}

static void report_progress(reader *rd, bool force)
{
    const nk_pipe_opts *o = rd->p->o;
    double now = nk_now();
    if (!o->progress || (!force && now - rd->last_progress < 0.25))
        return;
    rd->last_progress = now;
    pthread_mutex_lock(&rd->p->mu);
    nerkit_bulk_stats s = rd->p->stats;
    pthread_mutex_unlock(&rd->p->mu);
    s.bytes_read = rd->done_bytes + (rd->lr ? nk_lines_consumed(rd->lr) : 0);
    s.seconds = now - rd->p->start;
    o->progress(&s, o->report_user);
}

/* Hands the current batch on and takes the next; false when the run stopped. */
static bool submit(reader *rd)
{
    pipe_t *p = rd->p;
    pthread_mutex_lock(&p->mu);
    rd->cur->state = FILLED;
    p->filled++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    report_progress(rd, false);
    return (rd->cur = acquire(p)) != NULL;
}

/* Queues one document; false when the run has stopped. */
static bool add_record(reader *rd, const record *r, const char *text, const char *json)
{
    slot *s = rd->cur;
    if (s->nrec == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : BATCH_DOCS;
        if (!nk_resize(&s->rec, cap, sizeof *s->rec)) {
            s->arena.failed = true;
            return false;
        }
        s->cap = cap;
    }
    record *q = &s->rec[s->nrec++];
    *q = *r;
    q->seq = rd->seq++;
    q->text_off = s->arena.len;
    nk_buf_put(&s->arena, text, r->text_len);
    q->json_off = s->arena.len;
    nk_buf_put(&s->arena, json, r->json_len);
    if (s->arena.failed) {
        s->rc = NERKIT_ERR_NOMEM;
        return false;
    }
    return (s->nrec < BATCH_DOCS && s->arena.len < BATCH_BYTES) || submit(rd);
}

/* Where to cut text longer than max (s has at least max + 1 bytes): after
 * the last sentence end in its second half, else after a line break or a
 * space there, else before the character that holds byte max. Never 0, so
 * every cut makes progress: bytes that are all UTF-8 continuations (no
 * character at all) are cut at max. */
size_t nk_cut_point(const char *s, size_t max)
{
    for (size_t i = max - 1; i > max / 2; i--)
        if ((s[i - 1] == '.' || s[i - 1] == '!' || s[i - 1] == '?') &&
            (s[i] == ' ' || s[i] == '\n'))
            return i + 1; /* the space goes with the sentence it ends */
    for (size_t i = max; i > max / 2; i--)
        if (s[i - 1] == '\n')
            return i;
    for (size_t i = max; i > max / 2; i--)
        if (s[i - 1] == ' ')
            return i;
    /* a UTF-8 character has at most 3 continuation bytes */
    for (size_t i = max; i + 3 >= max && i > 0; i--)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            return i;
    return max;
}

size_t nerkit_document_cut(const char *text, size_t len, size_t max)
{
    if (max < 64)
        max = 64;
    return len <= max ? len : nk_cut_point(text, max);
}

/* Queues text as documents no longer than the cap; r gives where it is. */
static bool add_text(reader *rd, record r, const char *text, size_t len, const char *json)
{
    size_t max = rd->p->o->max_document;
    r.cut = len > max;
    r.part = 0;
    while (len > max) {
        size_t cut = nk_cut_point(text, max);
        r.text_len = cut;
        if (!add_record(rd, &r, text, json))
            return false;
        if (!json)
            for (size_t k = 0; k < cut; k++)
                r.line += text[k] == '\n';
        text += cut;
        len -= cut;
        r.offset += json ? 0 : cut;
        r.part++;
    }
    r.text_len = len;
    /* an empty text between blank lines is no document, but a JSONL object
     * with an empty "text" is a record: it gets its output line */
    return (len == 0 && !json) || add_record(rd, &r, text, json);
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* One JSONL line: its "text" member, decoded, is the document. */
static int add_json(reader *rd, const record *at, const char *line, size_t len, nerkit_error *err)
{
    size_t error_at;
    nk_json_member text;
    size_t count;
    if (nk_json_find(line, len, "text", &text, &count, &error_at))
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: invalid JSON at byte %zu of the line "
                       "(offset %llu)", at->file, at->line, error_at + 1,
                       (unsigned long long)(at->offset + error_at));
    if (!count || text.value[0] != '"')
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: no \"text\" string in the object",
                       at->file, at->line);
    /* both would be written out, and readers differ on which one counts */
    if (count > 1)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: \"text\" given %zu times in the object: "
                       "which one to tag is ambiguous", at->file, at->line, count);
    /* no escape decodes to more bytes than it is written with */
    rd->scratch.len = 0;
    if (!nk_buf_reserve(&rd->scratch, text.value_len))
        return nk_fail(err, NERKIT_ERR_NOMEM, "%s:%u: out of memory", at->file, at->line);
    size_t n = nk_json_decode_string(text.value, text.value_len, rd->scratch.p);
    record r = *at;
    r.json_len = len;
    if (n > rd->p->o->max_document) {
        /* each piece carries the other members, not the whole text again */
        rd->rest.len = 0;
        if (nk_json_without(line, len, "text", &rd->rest))
            return nk_fail(err, NERKIT_ERR_NOMEM, "%s:%u: out of memory", at->file, at->line);
        line = rd->rest.p;
        r.json_len = rd->rest.len;
    }
    return add_text(rd, r, rd->scratch.p, n, line) ? NERKIT_OK : -1;
}

/* Reads one input. Returns NERKIT_OK, -1 when the run has stopped, or the
 * input's error (in err). */
static int read_file(reader *rd, const char *path, nerkit_error *err)
{
    const nk_pipe_opts *o = rd->p->o;
    nk_lines lr;
    int rc = nk_lines_open(&lr, path, o->max_line, err);
    if (rc)
        return rc;
    rd->lr = &lr;
    FILE *copy = strcmp(path, "-") == 0 ? o->copy_stdin : NULL;
    record doc = {.file = lr.name}; /* text input: where the document began */
    rd->doc.len = 0;
    const char *line;
    size_t len;
    uint64_t off;
    int got;
    bool ok = true;
    while (ok && !rc && (got = nk_lines_next(&lr, &line, &len, &off, err)) == 1) {
        if (o->stop && *o->stop) {
            /* the document being gathered is left out: it is not whole */
            rd->doc.len = 0;
            rc = nk_fail(err, NERKIT_ERR_INTERRUPTED, "interrupted at %s:%u; the records "
                         "written are those of the documents before, each whole",
                         lr.name, lr.lineno);
            break;
        }
        if (copy && (fwrite(line, 1, len, copy) != len || putc('\n', copy) == EOF)) {
            rc = nk_fail(err, NERKIT_ERR_IO, "cannot copy standard input to a temporary file: %s",
                         strerror(errno));
            break;
        }
        record r = {.file = lr.name, .offset = off, .line = lr.lineno};
        if (o->input != NERKIT_INPUT_TEXT) {
            if (is_blank(line, len))
                continue;
            if (o->input == NERKIT_INPUT_JSONL) {
                int j = add_json(rd, &r, line, len, err);
                ok = j != -1;
                rc = j == -1 ? 0 : j;
            } else {
                ok = add_text(rd, r, line, len, NULL);
            }
            continue;
        }
        if (is_blank(line, len)) {
            ok = add_text(rd, doc, rd->doc.p, rd->doc.len ? rd->doc.len - 1 : 0, NULL);
            rd->doc.len = 0;
            continue;
        }
        if (!rd->doc.len)
            doc = r;
        nk_buf_put(&rd->doc, line, len);
        nk_buf_putc(&rd->doc, '\n');
        if (rd->doc.failed) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory", lr.name);
            break;
        }
        /* keep memory bounded: hand on all but the tail of a long document */
        if (rd->doc.len > 2 * o->max_document) {
            size_t cut = nk_cut_point(rd->doc.p, o->max_document);
            ok = add_text(rd, doc, rd->doc.p, cut, NULL);
            for (size_t k = 0; k < cut; k++)
                doc.line += rd->doc.p[k] == '\n';
            memmove(rd->doc.p, rd->doc.p + cut, rd->doc.len - cut);
            rd->doc.len -= cut;
            doc.offset += cut;
        }
    }
    if (!rc && got < 0)
        rc = -got; /* the line reader gives its errors negated */
    if (ok && !rc && rd->doc.len)
        ok = add_text(rd, doc, rd->doc.p, rd->doc.len - 1, NULL);
    rd->lr = NULL;
    nk_lines_close(&lr);
    return !ok ? -1 : rc;
}

int nk_pipe_run(const nk_pathlist *files, const nk_pipe_opts *o, nerkit_bulk_stats *stats,
                nerkit_error *err)
{
    size_t nthreads = o->threads ? o->threads : 1;
    pipe_t p = {.o = o, .nring = nthreads + 2};
    p.ring = calloc(p.nring, sizeof *p.ring);
    worker *w = calloc(nthreads, sizeof *w);
    if (!p.ring || !w) {
        free(p.ring);
        free(w);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.stats.files_total = files->n;
    for (size_t i = 0; i < files->n; i++)
        p.stats.bytes_total += files->size[i];
    p.start = nk_now();

    int rc = NERKIT_OK;
    size_t made = 0, started = 0;
    for (; made < nthreads && !rc; made++) {
        w[made].p = &p;
        if (o->worker_new && !(w[made].state = o->worker_new(o->user, made, err)))
            rc = err->code ? err->code : NERKIT_ERR_NOMEM;
    }
    pthread_t writer;
    bool writer_up = !rc && pthread_create(&writer, NULL, writer_main, &p) == 0;
    while (writer_up && started < nthreads &&
           pthread_create(&w[started].tid, NULL, worker_main, &w[started]) == 0)
        started++;
    if (!rc && (!writer_up || !started))
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "cannot start threads: %s", strerror(errno));

    reader rd = {.p = &p};
    size_t failures = 0;
    int input_rc = NERKIT_OK;
    nerkit_error input_err = {0};
    if (!rc && (rd.cur = acquire(&p))) {
        for (size_t i = 0; i < files->n; i++) {
            nerkit_error ferr = {0};
            int frc = read_file(&rd, files->path[i], &ferr);
            if (frc == -1 || !rd.cur)
                break;
            rd.done_bytes += files->size[i];
            pthread_mutex_lock(&p.mu);
            p.stats.files_done++;
            pthread_mutex_unlock(&p.mu);
            if (frc && (!o->keep_going || frc == NERKIT_ERR_INTERRUPTED)) {
                /* the run's error: the caller reports it after all the output */
                input_rc = frc;
                input_err = ferr;
                break;
            }
            if (frc) {
                /* in the batch, so the message comes after what was read before */
                nk_buf_printf(&rd.cur->b.msgs, "%s\n", ferr.message);
                rd.cur->b.failures++;
                failures++;
            }
            report_progress(&rd, false);
        }
        if (rd.cur) {
            pthread_mutex_lock(&p.mu);
            rd.cur->state = FILLED;
            p.filled++;
            pthread_mutex_unlock(&p.mu);
        }
    }
    pthread_mutex_lock(&p.mu);
    p.reading_done = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (size_t i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    if (writer_up)
        pthread_join(writer, NULL);
    for (size_t i = 0; i < made; i++)
        if (o->worker_free && w[i].state)
            o->worker_free(w[i].state, o->user);

    p.stats.bytes_read = rd.done_bytes;
    p.stats.seconds = nk_now() - p.start;
    report_progress(&rd, true);
    if (stats)
        *stats = p.stats;
    if (!rc && p.rc)
        rc = nk_fail(err, (nerkit_status)p.rc, "%s", p.err.message);
    else if (!rc && input_rc)
        rc = nk_fail(err, input_err.code, "%s", input_err.message);
    else if (!rc && failures)
        rc = nk_fail(err, NERKIT_ERR_IO, "%zu input%s could not be read (see the messages above)",
                     failures, failures == 1 ? "" : "s");
    for (size_t i = 0; i < p.nring; i++) {
        nk_buf_free(&p.ring[i].arena);
        nk_buf_free(&p.ring[i].b.out);
        nk_buf_free(&p.ring[i].b.msgs);
        free(p.ring[i].rec);
    }
    free(p.ring);
    free(w);
    nk_buf_free(&rd.doc);
    nk_buf_free(&rd.scratch);
    nk_buf_free(&rd.rest);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    return rc;
}
