/*
 * Word vectors from raw text (nerkit-embed): PPMI-weighted window
 * co-occurrences factored by a truncated SVD.
 *
 * The input is read twice, like word2vec and GloVe do: once to count the
 * words and choose the vocabulary, once to count co-occurrences between
 * vocabulary words. Standard input cannot be read twice, so the first pass
 * copies it to a temporary file for the second. In each pass the calling
 * thread cuts the input into documents (blocks of lines up to a blank
 * line, as nerkit-tag -i text reads them) and packs them into batches; N
 * workers take batches from a fixed ring, tokenize them with the tagger's
 * tokenizer and count; windows never cross from one document into the
 * next. The ring bounds the text in memory; the counts are
 * bounded by pruning: words (--max-words per thread) as word2vec prunes
 * its vocabulary, pairs (--max-pairs) the same way. Counting is in
 * integers, so the result does not depend on the number of threads.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOC_BYTES (1 << 20)  /* a document grows to this, then ends at a line end */
#define BATCH_BYTES (1 << 20)
#define MAX_LINE ((size_t)64 << 20)
#define PAIRBUF (1 << 22)    /* raw pairs a worker gathers before sorting (32 MiB) */

void nerkit_embed_opts_init(nerkit_embed_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dim = 100;
    o->window = 5;
    o->min_count = 5;
    o->cds = 0.75;
    o->eig = 0.5;
    o->oversample = 20;
    o->power_iters = 3;
    o->seed = 1;
    o->max_words = (size_t)1 << 22;
    o->max_pairs = (size_t)1 << 27;
}

enum { PASS_VOCAB, PASS_COOC };

typedef struct {
    nk_buf text;
    size_t *end; /* document d is text[end[d-1] .. end[d]) */
    size_t ndocs, cap;
    bool busy;   /* filled, and not yet counted */
} batch;

typedef struct embed embed;

typedef struct {
    embed *e;
    pthread_t tid;
    nerkit_tokens *tok;
    nk_buf lower; /* a lower-cased token */
    /* words counted by this thread (first pass) */
    nk_wordtab words;
    uint64_t *count;
    size_t cap_count;
    uint64_t min_reduce;
    /* a document's word ids and the pairs not yet merged (second pass) */
    uint32_t *ids;
    size_t cap_ids;
    nk_pairbuf pairs;
    int rc;
    nerkit_error err;
} worker;

struct embed {
    const nerkit_embed_opts *o;
    int pass;
    size_t nthreads;
    worker *w;
    pthread_mutex_t mu; /* the ring, the progress counts */
    pthread_cond_t cv;
    batch *ring;
    size_t nring;
    uint64_t filled, taken;
    bool reading_done, failed;
    nk_wordtab vocab;
    pthread_mutex_t cooc_mu;
    nk_cooc cooc;
    nerkit_embed_progress prog;
    double start, last_report;
};

static void report(embed *e, bool force)
{
    double now = nk_now();
    if (!e->o->progress || (!force && now - e->last_report < 0.25))
        return;
    e->last_report = now;
    pthread_mutex_lock(&e->mu);
    nerkit_embed_progress p = e->prog;
    pthread_mutex_unlock(&e->mu);
    p.seconds = now - e->start;
    e->o->progress(&p, e->o->user);
}

/* ---- the workers */

/* Points *s at the lower-cased token when --lower is on. */
static int normalize(worker *w, const char **s, size_t *n, nerkit_error *err)
{
    if (!w->e->o->lower)
        return NERKIT_OK;
    const unsigned char *u = (const unsigned char *)*s;
    size_t k = 0;
    while (k < *n && u[k] < 0x80 && !(u[k] >= 'A' && u[k] <= 'Z'))
        k++;
    if (k == *n)
        return NERKIT_OK; /* already lower case: the common case */
    w->lower.len = 0;
    for (k = 0; k < *n;) {
        uint32_t cp;
        size_t m = nk_utf8_decode(u + k, *n - k, &cp);
        if (!m) { /* the tokenizer's text is valid UTF-8; keep a stray byte as it is */
            nk_buf_putc(&w->lower, (char)u[k++]);
            continue;
        }
        char enc[4];
        nk_buf_put(&w->lower, enc, nk_utf8_encode(nk_cp_lower(cp), enc));
        k += m;
    }
    if (w->lower.failed)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory lower-casing a token");
    *s = w->lower.p;
    *n = w->lower.len;
    return NERKIT_OK;
}

/* Drops the rarest words until the table is back under three quarters of
 * its bound, raising the cut-off one count at a time, as word2vec does. */
static int prune_words(worker *w, nerkit_error *err)
{
    size_t bound = w->e->o->max_words;
    bool *keep = malloc(w->words.n * sizeof *keep);
    if (!keep)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory pruning %zu words", w->words.n);
    int rc = NERKIT_OK;
    while (!rc && w->words.n > bound - bound / 4) {
        w->min_reduce++;
        size_t m = 0;
        for (size_t i = 0; i < w->words.n; i++)
            if ((keep[i] = w->count[i] > w->min_reduce))
                w->count[m++] = w->count[i];
        rc = nk_wordtab_keep(&w->words, keep, err);
    }
    free(keep);
    return rc;
}

/* Adds c to a word's count in w's table. */
static int add_count(worker *w, const char *s, size_t n, uint64_t c, nerkit_error *err)
{
    size_t idx, before = w->words.n;
    int rc = nk_wordtab_add(&w->words, s, n, &idx, err);
    if (rc)
        return rc;
    if (w->words.n > before) {
        if (idx >= w->cap_count) {
            size_t cap = w->cap_count ? 2 * w->cap_count : 1024;
            if (!nk_resize(&w->count, cap, sizeof *w->count))
                return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory counting words");
            w->cap_count = cap;
        }
        w->count[idx] = 0;
    }
    w->count[idx] += c;
    return NERKIT_OK;
}

static int count_words(worker *w, const nerkit_document *doc, nerkit_error *err)
{
    for (size_t i = 0; i < doc->ntokens; i++) {
        const char *s = doc->tokens[i];
        size_t n = doc->token_len[i];
        int rc = normalize(w, &s, &n, err);
        if (!rc)
            rc = add_count(w, s, n, 1, err);
        if (rc)
            return rc;
    }
    return w->words.n > w->e->o->max_words ? prune_words(w, err) : NERKIT_OK;
}

static int flush_pairs(worker *w, nerkit_error *err)
{
    embed *e = w->e;
    nk_pairs_reduce(&w->pairs); /* the sort, outside the lock */
    pthread_mutex_lock(&e->cooc_mu);
    int rc = nk_cooc_merge(&e->cooc, &w->pairs, e->o->max_pairs, err);
    size_t pairs = e->cooc.n;
    unsigned prunes = e->cooc.prunes;
    pthread_mutex_unlock(&e->cooc_mu);
    pthread_mutex_lock(&e->mu);
    e->prog.pairs = pairs;
    e->prog.prunes = prunes;
    pthread_mutex_unlock(&e->mu);
    return rc;
}

static int count_pairs(worker *w, const nerkit_document *doc, nerkit_error *err)
{
    size_t n = doc->ntokens;
    if (n > w->cap_ids) {
        if (!nk_resize(&w->ids, n, sizeof *w->ids))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu tokens", n);
        w->cap_ids = n;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = doc->tokens[i];
        size_t len = doc->token_len[i];
        int rc = normalize(w, &s, &len, err);
        if (rc)
            return rc;
        int64_t id = nk_wordtab_find(&w->e->vocab, s, len);
        w->ids[i] = id < 0 ? NK_OOV : (uint32_t)id;
    }
    for (size_t i = 0; i < n;) {
        i = nk_pairs_add(&w->pairs, w->ids, n, i);
        int rc = i < n ? flush_pairs(w, err) : NERKIT_OK;
        if (rc)
            return rc;
    }
    return NERKIT_OK;
}

static int process(worker *w, const batch *b, uint64_t *tokens)
{
    for (size_t d = 0; d < b->ndocs; d++) {
        size_t from = d ? b->end[d - 1] : 0;
        int rc = nerkit_tokenize(w->tok, b->text.p + from, b->end[d] - from, &w->err);
        if (rc)
            return rc;
        nerkit_document doc;
        nerkit_tokens_document(w->tok, &doc);
        *tokens += doc.ntokens;
        rc = w->e->pass == PASS_VOCAB ? count_words(w, &doc, &w->err)
                                      : count_pairs(w, &doc, &w->err);
        if (rc)
            return rc;
    }
    return NERKIT_OK;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    embed *e = w->e;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        while (!e->failed && e->taken == e->filled && !e->reading_done)
            pthread_cond_wait(&e->cv, &e->mu);
        if (e->failed || e->taken == e->filled) {
            pthread_mutex_unlock(&e->mu);
            break;
        }
        batch *b = &e->ring[e->taken++ % e->nring];
        pthread_mutex_unlock(&e->mu);

        uint64_t tokens = 0;
        int rc = process(w, b, &tokens);

        pthread_mutex_lock(&e->mu);
        b->busy = false;
        e->prog.tokens += tokens;
        if (rc) {
            w->rc = rc;
            e->failed = true;
        }
        pthread_cond_broadcast(&e->cv);
        pthread_mutex_unlock(&e->mu);
        if (rc)
            return NULL;
    }
    pthread_mutex_lock(&e->mu);
    bool failed = e->failed;
    pthread_mutex_unlock(&e->mu);
    if (e->pass == PASS_COOC && !failed && (w->rc = flush_pairs(w, &w->err))) {
        pthread_mutex_lock(&e->mu);
        e->failed = true;
        pthread_mutex_unlock(&e->mu);
    }
    return NULL;
}

/* ---- the reader */

typedef struct {
    embed *e;
    batch *b;
    size_t doc_start;    /* of the document being read, in b->text */
    FILE *spool;         /* first pass over standard input: its copy */
    nk_lines *lr;        /* the input being read */
    uint64_t done_bytes; /* of the inputs read before it */
} reader;

/* The next free batch of the ring, or NULL when a worker failed. */
static batch *acquire(embed *e)
{
    pthread_mutex_lock(&e->mu);
    batch *b = &e->ring[e->filled % e->nring];
    while (b->busy && !e->failed)
        pthread_cond_wait(&e->cv, &e->mu);
    bool failed = e->failed;
    pthread_mutex_unlock(&e->mu);
    if (failed)
        return NULL;
    b->text.len = 0;
    b->ndocs = 0;
    return b;
}

static bool submit(reader *r)
{
    embed *e = r->e;
    pthread_mutex_lock(&e->mu);
    r->b->busy = true;
    e->filled++;
    e->prog.bytes_read = r->done_bytes + (r->lr ? nk_lines_consumed(r->lr) : 0);
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    report(e, false);
    r->doc_start = 0;
    return (r->b = acquire(e)) != NULL;
}

/* Ends the document being read; false when the run must stop. */
static bool end_doc(reader *r, nerkit_error *err)
{
    batch *b = r->b;
    if (b->text.len == r->doc_start)
        return true;
    if (b->ndocs == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        if (!nk_resize(&b->end, cap, sizeof *b->end)) {
            nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading");
            return false;
        }
        b->cap = cap;
    }
    b->end[b->ndocs++] = b->text.len;
    r->doc_start = b->text.len;
    return b->text.len < BATCH_BYTES || submit(r);
}

/* Where to cut a line longer than a document: at the last space of its
 * second half, else at a character boundary. */
static size_t cut_point(const char *s, size_t max)
{
    for (size_t i = max; i > max / 2; i--)
        if (s[i - 1] == ' ' || s[i - 1] == '\t')
            return i;
    size_t i = max;
    while (i > 1 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static bool add_line(reader *r, const char *s, size_t n, nerkit_error *err)
{
    for (;;) {
        size_t used = r->b->text.len - r->doc_start;
        if (used + n + 1 <= DOC_BYTES) {
            nk_buf_put(&r->b->text, s, n);
            nk_buf_putc(&r->b->text, '\n');
            if (r->b->text.failed) {
                nk_fail(err, NERKIT_ERR_NOMEM, "out of memory reading");
                return false;
            }
            return true;
        }
        if (used > 0) {
            if (!end_doc(r, err))
                return false;
            continue;
        }
        size_t cut = cut_point(s, DOC_BYTES - 1);
        nk_buf_put(&r->b->text, s, cut);
        if (!end_doc(r, err))
            return false;
        s += cut;
        n -= cut;
    }
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Reads one input into documents. Returns a status; a worker's failure
 * shows as r->b == NULL. */
static int read_input(reader *r, const char *path, nerkit_error *err)
{
    embed *e = r->e;
    nk_lines lr;
    int rc = nk_lines_open(&lr, path, MAX_LINE, err), got = 0;
    if (rc)
        return rc;
    r->lr = &lr;
    bool warned = false;
    const char *line;
    size_t len;
    uint64_t off;
    while (!rc && r->b && (got = nk_lines_next(&lr, &line, &len, &off, err)) == 1) {
        if (r->spool && (fwrite(line, 1, len, r->spool) != len || putc('\n', r->spool) == EOF)) {
            rc = nk_fail(err, NERKIT_ERR_IO, "cannot copy standard input to a temporary file: %s",
                         strerror(errno));
            break;
        }
        size_t bad = nk_utf8_check((const unsigned char *)line, len);
        if (bad < len && !warned && e->o->message && e->pass == PASS_VOCAB) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s:%u: invalid UTF-8 at byte offset %llu (read as U+FFFD)",
                     lr.name, lr.lineno, (unsigned long long)(off + bad));
            e->o->message(msg, e->o->user);
            warned = true;
        }
        bool ok = is_blank(line, len) ? end_doc(r, err) : add_line(r, line, len, err);
        if (!ok && r->b)
            rc = NERKIT_ERR_NOMEM;
    }
    /* the line reader gives its errors negated */
    if (!rc && got < 0)
        rc = -got;
    if (!rc && got == 0 && r->b && !end_doc(r, err) && r->b)
        rc = NERKIT_ERR_NOMEM;
    r->lr = NULL;
    nk_lines_close(&lr);
    return rc;
}

/* One pass over the inputs: the calling thread reads, the workers count. */
static int run_pass(embed *e, const nk_pathlist *in, const char *spool_path, nerkit_error *err)
{
    e->filled = e->taken = 0;
    e->reading_done = e->failed = false;
    e->prog.bytes_read = e->prog.tokens = 0;
    e->prog.files_done = 0;
    size_t started = 0;
    int rc = NERKIT_OK;
    for (; started < e->nthreads; started++)
        if (pthread_create(&e->w[started].tid, NULL, worker_main, &e->w[started]) != 0)
            break;
    if (!started)
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "cannot start a thread: %s", strerror(errno));
    reader r = {e, started ? acquire(e) : NULL, 0, NULL, NULL, 0};
    for (size_t i = 0; i < in->n && r.b && !rc; i++) {
        const char *path = in->path[i];
        if (strcmp(path, "-") == 0 && e->pass == PASS_COOC)
            path = spool_path;
        else if (strcmp(path, "-") == 0 && spool_path && !(r.spool = fopen(spool_path, "wb")))
            rc = nk_fail(err, NERKIT_ERR_IO, "%s: %s", spool_path, strerror(errno));
        if (!rc)
            rc = read_input(&r, path, err);
        if (r.spool && fclose(r.spool) != 0 && !rc)
            rc = nk_fail(err, NERKIT_ERR_IO, "cannot copy standard input to %s: %s", spool_path,
                         strerror(errno));
        r.spool = NULL;
        r.done_bytes += in->size[i];
        pthread_mutex_lock(&e->mu);
        e->prog.files_done = i + 1;
        e->prog.bytes_read = r.done_bytes;
        pthread_mutex_unlock(&e->mu);
    }
    if (!rc && r.b && r.b->ndocs)
        submit(&r);
    pthread_mutex_lock(&e->mu);
    e->reading_done = true;
    if (rc)
        e->failed = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    for (size_t t = 0; t < started; t++)
        pthread_join(e->w[t].tid, NULL);
    for (size_t t = 0; t < started && !rc; t++)
        if (e->w[t].rc) {
            *err = e->w[t].err;
            rc = e->w[t].rc;
        }
    report(e, true);
    return rc;
}

/* ---- the vocabulary */

typedef struct {
    uint64_t count;
    const char *word;
    size_t len;
} candidate;

/* most frequent first; ties in byte order, so the choice is reproducible */
static int by_count(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->word, y->word);
}

/* Sums the workers' counts and keeps the words that pass --min-count,
 * the --max-vocab most frequent of them, as e->vocab in frequency order. */
static int choose_vocab(embed *e, nerkit_error *err)
{
    worker *all = &e->w[0];
    for (size_t t = 1; t < e->nthreads; t++) {
        worker *w = &e->w[t];
        for (size_t i = 0; i < w->words.n; i++) {
            int rc = add_count(all, nk_wordtab_word(&w->words, i), w->words.len[i], w->count[i],
                               err);
            if (rc)
                return rc;
        }
        nk_wordtab_free(&w->words);
    }
    candidate *c = nk_alloc(all->words.n, sizeof *c, err);
    if (!c)
        return NERKIT_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < all->words.n; i++)
        if (all->count[i] >= e->o->min_count)
            c[n++] = (candidate){all->count[i], nk_wordtab_word(&all->words, i), all->words.len[i]};
    qsort(c, n, sizeof *c, by_count);
    if (e->o->max_vocab && n > e->o->max_vocab)
        n = e->o->max_vocab;
    if (n > NK_EMBED_MAX_VOCAB)
        n = NK_EMBED_MAX_VOCAB;
    int rc = NERKIT_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        size_t idx;
        rc = nk_wordtab_add(&e->vocab, c[i].word, c[i].len, &idx, err);
    }
    free(c);
    nk_wordtab_free(&all->words);
    e->prog.vocab = e->vocab.n;
    return rc;
}

/* ---- from counts to vectors */

static void svd_step(unsigned done, unsigned total, void *user)
{
    embed *e = user;
    pthread_mutex_lock(&e->mu);
    e->prog.step = done;
    e->prog.steps = total;
    pthread_mutex_unlock(&e->mu);
    report(e, true);
}

static void set_stage(embed *e, nerkit_embed_stage s)
{
    pthread_mutex_lock(&e->mu);
    e->prog.stage = s;
    pthread_mutex_unlock(&e->mu);
    report(e, true);
}

/* PPMI, then vectors U * S^eig of its truncated SVD; each dimension's sign
 * is chosen so that its components sum to a positive number, which makes
 * the output independent of the LAPACK build's sign conventions. */
static int factor(embed *e, float **vectors, nerkit_error *err)
{
    const nerkit_embed_opts *o = e->o;
    const size_t V = e->vocab.n, D = o->dim;
    nk_csr A;
    set_stage(e, NERKIT_EMBED_PPMI);
    int rc = nk_ppmi(&e->cooc, V, o->cds, &A, err);
    nk_cooc_free(&e->cooc);
    if (rc)
        return rc;
    e->prog.pairs = A.row[V];
    set_stage(e, NERKIT_EMBED_SVD);
    float *U = nk_alloc(V * D, sizeof *U, err), *s = nk_alloc(D, sizeof *s, err);
    nk_rsvd_opts ro = {D, o->oversample, o->power_iters, o->seed, (int)e->nthreads, svd_step, e};
    rc = U && s ? nk_rsvd(&A, &ro, U, s, err) : NERKIT_ERR_NOMEM;
    nk_csr_free(&A);
    if (!rc) {
        for (size_t j = 0; j < D; j++) {
            double sum = 0;
            for (size_t i = 0; i < V; i++)
                sum += U[i * D + j];
            float scale = (float)pow(s[j], o->eig) * (sum < 0 ? -1.0f : 1.0f);
            for (size_t i = 0; i < V; i++)
                U[i * D + j] *= scale;
        }
    }
    free(s);
    if (rc)
        free(U);
    else
        *vectors = U;
    return rc;
}

static int check_opts(const nerkit_embed_opts *o, nerkit_error *err)
{
    if (o->dim < 1 || o->window < 1 || o->window > NK_EMBED_MAX_WINDOW)
        return nk_fail(err, NERKIT_ERR_ARG, "--dim must be at least 1 and --window 1 to %d",
                       NK_EMBED_MAX_WINDOW);
    if (o->threads < 0 || o->min_count < 1)
        return nk_fail(err, NERKIT_ERR_ARG, "-j wants 0 or more threads, --min-count 1 or more");
    if (!(o->cds > 0 && o->cds <= 1) || !(o->eig >= 0 && o->eig <= 1))
        return nk_fail(err, NERKIT_ERR_ARG, "the smoothing exponent must be in (0, 1] and the "
                                            "singular value exponent in [0, 1]");
    if (o->max_words < 1024 || o->max_pairs < 65536)
        return nk_fail(err, NERKIT_ERR_ARG, "--max-words wants at least 1024, --max-pairs 65536");
    return NERKIT_OK;
}

static void embed_free(embed *e)
{
    for (size_t t = 0; e->w && t < e->nthreads; t++) {
        worker *w = &e->w[t];
        nerkit_tokens_free(w->tok);
        nk_buf_free(&w->lower);
        nk_wordtab_free(&w->words);
        free(w->count);
        free(w->ids);
        nk_pairbuf_free(&w->pairs);
    }
    free(e->w);
    for (size_t i = 0; e->ring && i < e->nring; i++) {
        nk_buf_free(&e->ring[i].text);
        free(e->ring[i].end);
    }
    free(e->ring);
    nk_wordtab_free(&e->vocab);
    nk_cooc_free(&e->cooc);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->cooc_mu);
    pthread_cond_destroy(&e->cv);
}

nerkit_vectors *nerkit_embed(const char *const *paths, size_t npaths, const nerkit_embed_opts *o,
                             nerkit_error *err)
{
    if (check_opts(o, err))
        return NULL;
    embed e = {.o = o, .start = nk_now()};
    pthread_mutex_init(&e.mu, NULL);
    pthread_mutex_init(&e.cooc_mu, NULL);
    pthread_cond_init(&e.cv, NULL);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    e.nthreads = o->threads > 0 ? (size_t)o->threads : cores > 0 ? (size_t)cores : 1;
    e.nring = 2 * e.nthreads + 2;
    nk_pathlist in = {0};
    char spool[4096] = "";
    nerkit_vectors *v = NULL;
    float *data = NULL;
    int rc = nk_paths_expand(paths, npaths, &in, err);
    if (rc)
        goto done;
    e.prog.files_total = in.n;
    for (size_t i = 0; i < in.n; i++) {
        e.prog.bytes_total += in.size[i];
        if (strcmp(in.path[i], "-") == 0 && spool[0]) {
            rc = nk_fail(err, NERKIT_ERR_ARG, "standard input (-) given twice");
            goto done;
        }
        if (strcmp(in.path[i], "-") == 0) {
            const char *dir = getenv("TMPDIR");
            snprintf(spool, sizeof spool, "%s/nerkit-embed-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
            int fd = mkstemp(spool);
            if (fd < 0) {
                rc = nk_fail(err, NERKIT_ERR_IO, "cannot create a temporary copy of standard "
                                                 "input (%s): %s", spool, strerror(errno));
                spool[0] = '\0';
                goto done;
            }
            close(fd);
        }
    }
    e.w = nk_alloc(e.nthreads, sizeof *e.w, err);
    e.ring = nk_alloc(e.nring, sizeof *e.ring, err);
    if (!e.w || !e.ring) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    for (size_t t = 0; t < e.nthreads; t++) {
        e.w[t].e = &e;
        if (!(e.w[t].tok = nerkit_tokens_new())) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
            goto done;
        }
    }

    e.pass = PASS_VOCAB;
    e.prog.stage = NERKIT_EMBED_VOCAB;
    if ((rc = run_pass(&e, &in, spool[0] ? spool : NULL, err)) || (rc = choose_vocab(&e, err)))
        goto done;
    if (e.vocab.n < o->dim) {
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "only %zu words occur %llu times or more: fewer than --dim %u (lower "
                     "--dim or --min-count, or give more text)",
                     e.vocab.n, (unsigned long long)o->min_count, o->dim);
        goto done;
    }
    uint64_t tokens = e.prog.tokens;
    for (size_t t = 0; t < e.nthreads; t++) {
        nk_wordtab_free(&e.w[t].words);
        if ((rc = nk_pairbuf_init(&e.w[t].pairs, PAIRBUF, e.vocab.n, o->window, err)))
            goto done;
    }
    e.pass = PASS_COOC;
    e.prog.stage = NERKIT_EMBED_COOCCUR;
    if ((rc = run_pass(&e, &in, spool, err)))
        goto done;
    for (size_t t = 0; t < e.nthreads; t++)
        nk_pairbuf_free(&e.w[t].pairs);
    e.prog.tokens = tokens;
    if ((rc = factor(&e, &data, err)))
        goto done;
    if (!(v = nk_alloc(1, sizeof *v, err))) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    v->words = e.vocab;
    memset(&e.vocab, 0, sizeof e.vocab);
    v->data = data;
    v->dim = o->dim;
    data = NULL;
    e.prog.stage = NERKIT_EMBED_DONE;
    report(&e, true);
done:
    if (spool[0])
        unlink(spool);
    free(data);
    nk_pathlist_free(&in);
    embed_free(&e);
    return rc ? NULL : v;
}
