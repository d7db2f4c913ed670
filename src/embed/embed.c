/*
 * Word vectors from raw text (nerkit-embed): PPMI-weighted window
 * co-occurrences factored by a truncated SVD.
 *
 * The input is read twice, like word2vec and GloVe do: once to count the
 * words and choose the vocabulary, once to count co-occurrences between
 * vocabulary words. Standard input cannot be read twice, so the first pass
 * copies it to a temporary file for the second. Each pass runs the
 * document pipeline of bulk tagging (pipeline.c): documents are cut from
 * the input exactly as nerkit-tag -i text cuts them, and N workers
 * tokenize them with the tagger's tokenizer and count; windows never
 * cross from one document into the next. The pipeline bounds the text in
 * memory; the counts are
 * bounded by pruning: words (--max-words per thread) as word2vec prunes
 * its vocabulary, pairs (--max-pairs) the same way. Counting is in
 * integers, so the result does not depend on the number of threads.
 */
#include "embed.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOC_BYTES (1 << 20) /* a longer document is cut, as nerkit-tag cuts it */
#define MAX_LINE ((size_t)64 << 20)
#define PAIRBUF (1 << 22)    /* raw pairs a worker gathers before sorting (32 MiB) */

NK_OPTS_LAST(nerkit_embed_opts, user);

void nerkit_embed_opts_init_sized(nerkit_embed_opts *o, size_t size)
{
    const nerkit_embed_opts d = {.size = sizeof d,
                                 .dim = 100,
                                 .window = 5,
                                 .min_count = 5,
                                 .cds = 0.75,
                                 .eig = 0.5,
                                 .oversample = 20,
                                 .power_iters = 3,
                                 .seed = 1,
                                 .max_words = (size_t)1 << 22,
                                 .max_pairs = (size_t)1 << 27};
    nk_opts_init(o, size, &d, sizeof d);
}

enum { PASS_VOCAB, PASS_COOC };

typedef struct embed embed;

typedef struct {
    embed *e;
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
} worker;

struct embed {
    const nerkit_embed_opts *o;
    int pass;
    size_t nthreads;
    worker *w;
    pthread_mutex_t mu; /* the progress counts */
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

/* One document of a pass, on a worker thread. */
static int count_doc(void *state, nk_batch *b, const nk_doc *d, nerkit_error *err)
{
    worker *w = state;
    int rc = nerkit_tokenize(w->tok, d->text, d->len, err);
    if (rc)
        return rc;
    nerkit_document doc;
    nerkit_tokens_document(w->tok, &doc);
    b->tokens += doc.ntokens;
    return w->e->pass == PASS_VOCAB ? count_words(w, &doc, err) : count_pairs(w, &doc, err);
}

/* The pairs a worker still holds, once its pass has read everything. */
static int finish_pass(void *state, nerkit_error *err)
{
    worker *w = state;
    return w->e->pass == PASS_COOC ? flush_pairs(w, err) : NERKIT_OK;
}

static void *worker_of(void *user, size_t index, nerkit_error *err)
{
    (void)err;
    embed *e = user;
    return &e->w[index];
}

static void pass_progress(const nerkit_bulk_stats *s, void *user)
{
    embed *e = user;
    pthread_mutex_lock(&e->mu);
    e->prog.bytes_read = s->bytes_read;
    e->prog.files_done = s->files_done;
    e->prog.tokens = s->tokens;
    pthread_mutex_unlock(&e->mu);
    report(e, false);
}

static void pass_message(const char *line, void *user)
{
    embed *e = user;
    e->o->message(line, e->o->user);
}

/* One pass over the inputs: the calling thread reads, the workers count.
 * The first pass copies standard input to copy, the second reads that
 * copy back from spool_path. */
static int run_pass(embed *e, const nk_pathlist *in, FILE *copy, const char *spool_path,
                    nerkit_error *err)
{
    nk_pathlist second = *in;
    char **paths = NULL;
    if (spool_path && e->pass == PASS_COOC) {
        if (!(paths = nk_alloc(in->n, sizeof *paths, err)))
            return NERKIT_ERR_NOMEM;
        for (size_t i = 0; i < in->n; i++)
            paths[i] = strcmp(in->path[i], "-") == 0 ? (char *)spool_path : in->path[i];
        second.path = paths;
    }
    e->prog.bytes_read = e->prog.tokens = 0;
    e->prog.files_done = 0;
    nk_pipe_opts po = {
        .input = NERKIT_INPUT_TEXT, .max_document = DOC_BYTES, .max_line = MAX_LINE,
        .threads = e->nthreads, .warn_utf8 = e->pass == PASS_VOCAB, .copy_stdin = copy,
        .worker_new = worker_of, .work = count_doc, .finish = finish_pass, .user = e,
        .message = e->o->message ? pass_message : NULL, .progress = pass_progress,
        .report_user = e};
    nerkit_bulk_stats st;
    int rc = nk_pipe_run(&second, &po, &st, err);
    free(paths);
    pthread_mutex_lock(&e->mu);
    e->prog.tokens = st.tokens;
    pthread_mutex_unlock(&e->mu);
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
    nk_wordtab_free(&e->vocab);
    nk_cooc_free(&e->cooc);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->cooc_mu);
}

/* Both passes over the inputs: e->vocab gets the words, e->cooc their
 * pairs within the window (ordered: each word with the next, in text
 * order). */
static int count_text(embed *e, const char *const *paths, size_t npaths, bool ordered,
                      nerkit_error *err)
{
    const nerkit_embed_opts *o = e->o;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    e->nthreads = o->threads > 0 ? (size_t)o->threads : cores > 0 ? (size_t)cores : 1;
    nk_pathlist in = {0};
    char spool[4096] = "";
    FILE *copy = NULL; /* the copy of standard input, kept open from mkstemp on */
    int rc = nk_paths_expand(paths, npaths, &in, err);
    if (rc)
        goto done;
    e->prog.files_total = in.n;
    for (size_t i = 0; i < in.n; i++) {
        e->prog.bytes_total += in.size[i];
        if (strcmp(in.path[i], "-") == 0 && spool[0]) {
            rc = nk_fail(err, NERKIT_ERR_ARG, "standard input (-) given twice");
            goto done;
        }
        if (strcmp(in.path[i], "-") == 0) {
            const char *dir = getenv("TMPDIR");
            snprintf(spool, sizeof spool, "%s/nerkit-embed-stdin-XXXXXX", dir && *dir ? dir : "/tmp");
            int fd = mkstemp(spool);
            if (fd < 0 || !(copy = fdopen(fd, "wb"))) {
                rc = nk_fail(err, NERKIT_ERR_IO, "cannot create a temporary copy of standard "
                                                 "input (%s): %s", spool, strerror(errno));
                if (fd >= 0) {
                    close(fd);
                    unlink(spool);
                }
                spool[0] = '\0';
                goto done;
            }
        }
    }
    e->w = nk_alloc(e->nthreads, sizeof *e->w, err);
    if (!e->w) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    for (size_t t = 0; t < e->nthreads; t++) {
        e->w[t].e = e;
        if (!(e->w[t].tok = nerkit_tokens_new())) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
            goto done;
        }
    }

    e->pass = PASS_VOCAB;
    e->prog.stage = NERKIT_EMBED_VOCAB;
    rc = run_pass(e, &in, copy, NULL, err);
    if (copy && fclose(copy) != 0 && !rc)
        rc = nk_fail(err, NERKIT_ERR_IO, "cannot copy standard input to %s: %s", spool,
                     strerror(errno));
    copy = NULL;
    if (rc || (rc = choose_vocab(e, err)))
        goto done;
    if (e->vocab.n < o->dim) {
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "only %zu words occur %llu times or more: fewer than --dim %u (lower "
                     "--dim or --min-count, or give more text)",
                     e->vocab.n, (unsigned long long)o->min_count, o->dim);
        goto done;
    }
    uint64_t tokens = e->prog.tokens;
    for (size_t t = 0; t < e->nthreads; t++) {
        nk_wordtab_free(&e->w[t].words);
        if ((rc = nk_pairbuf_init(&e->w[t].pairs, PAIRBUF, e->vocab.n, o->window, ordered, err)))
            goto done;
    }
    e->pass = PASS_COOC;
    e->prog.stage = NERKIT_EMBED_COOCCUR;
    if ((rc = run_pass(e, &in, NULL, spool[0] ? spool : NULL, err)))
        goto done;
    for (size_t t = 0; t < e->nthreads; t++)
        nk_pairbuf_free(&e->w[t].pairs);
    e->prog.tokens = tokens;
done:
    if (copy)
        fclose(copy);
    if (spool[0])
        unlink(spool);
    nk_pathlist_free(&in);
    return rc;
}

/* Both passes over a corpus already in memory, its tokens as they are, on
 * the calling thread: the training text of nerkit_train is small, and its
 * tokens, not the tokenizer's reading of them, are what the features see. */
static int count_corpus(embed *e, const nerkit_corpus *c, size_t min_words, nerkit_error *err)
{
    e->nthreads = 1;
    if (!(e->w = nk_alloc(1, sizeof *e->w, err)))
        return NERKIT_ERR_NOMEM;
    worker *w = &e->w[0];
    w->e = e;
    const size_t ndocs = nerkit_corpus_ndocuments(c);
    nerkit_document doc;
    int rc = NERKIT_OK;
    e->pass = PASS_VOCAB;
    for (size_t d = 0; d < ndocs && !rc; d++) {
        nerkit_corpus_document(c, d, &doc);
        rc = count_words(w, &doc, err);
    }
    if (rc || (rc = choose_vocab(e, err)))
        return rc;
    /* decided before the SVD, which is most of the work */
    if (e->vocab.n < e->o->dim || e->vocab.n < min_words)
        return nk_fail(err, NERKIT_ERR_ARG, "only %zu words occur %llu times or more: fewer "
                       "than %zu", e->vocab.n, (unsigned long long)e->o->min_count,
                       min_words > e->o->dim ? min_words : (size_t)e->o->dim);
    if ((rc = nk_pairbuf_init(&w->pairs, PAIRBUF, e->vocab.n, e->o->window, false, err)))
        return rc;
    e->pass = PASS_COOC;
    for (size_t d = 0; d < ndocs && !rc; d++) {
        nerkit_corpus_document(c, d, &doc);
        rc = count_pairs(w, &doc, err);
    }
    return rc ? rc : flush_pairs(w, err);
}

/* Counts from files (paths) or from corpus, then the vectors. */
static nerkit_vectors *embed_vectors(const char *const *paths, size_t npaths,
                                     const nerkit_corpus *corpus, size_t min_words,
                                     const nerkit_embed_opts *given, nerkit_error *err)
{
    nerkit_embed_opts opts;
    const nerkit_embed_opts *o = &opts;
    if (NK_OPTS_TAKE(&opts, given, nerkit_embed_opts_init, err) || check_opts(o, err))
        return NULL;
    embed e = {.o = o, .start = nk_now()};
    pthread_mutex_init(&e.mu, NULL);
    pthread_mutex_init(&e.cooc_mu, NULL);
    nerkit_vectors *v = NULL;
    float *data = NULL;
    int rc = corpus ? count_corpus(&e, corpus, min_words, err)
                    : count_text(&e, paths, npaths, false, err);
    if (rc || (rc = factor(&e, &data, err)))
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
    free(data);
    embed_free(&e);
    return rc ? NULL : v;
}

nerkit_vectors *nerkit_embed(const char *const *paths, size_t npaths,
                             const nerkit_embed_opts *given, nerkit_error *err)
{
    return embed_vectors(paths, npaths, NULL, 0, given, err);
}

nerkit_vectors *nk_embed_corpus(const nerkit_corpus *c, size_t min_words,
                                const nerkit_embed_opts *o, nerkit_error *err)
{
    return embed_vectors(NULL, 0, c, min_words, o, err);
}

nerkit_clusters *nerkit_exchange(const char *const *paths, size_t npaths,
                                 const nerkit_embed_opts *given, const size_t *ks, size_t nks,
                                 unsigned iterations, nerkit_error *err)
{
    nerkit_embed_opts opts;
    const nerkit_embed_opts *o = &opts;
    if (NK_OPTS_TAKE(&opts, given, nerkit_embed_opts_init, err))
        return NULL;
    /* the class bigram model sees each word and the next; --dim only
     * bounds the vocabulary from below, and a clustering needs its classes */
    opts.window = 1;
    opts.dim = 1;
    size_t kmax = 0, kmin = SIZE_MAX;
    for (size_t l = 0; l < nks; l++) {
        kmax = ks[l] > kmax ? ks[l] : kmax;
        kmin = ks[l] < kmin ? ks[l] : kmin;
    }
    if (check_opts(o, err))
        return NULL;
    if (!nks || kmin < 1 || kmax > UINT32_MAX || iterations < 1)
        return nk_fail_null(err, NERKIT_ERR_ARG, "the exchange clustering wants class counts "
                                                 "of 1 or more and at least one iteration");
    embed e = {.o = o, .start = nk_now()};
    pthread_mutex_init(&e.mu, NULL);
    pthread_mutex_init(&e.cooc_mu, NULL);
    nerkit_clusters *c = NULL;
    int rc = count_text(&e, paths, npaths, true, err);
    if (!rc && e.vocab.n < kmax)
        rc = nk_fail(err, NERKIT_ERR_ARG, "only %zu words occur %llu times or more: fewer than "
                     "%zu classes (lower the count or --min-count, or give more text)",
                     e.vocab.n, (unsigned long long)o->min_count, kmax);
    if (!rc && (!(c = nk_alloc(1, sizeof *c, err)) || !(c->k = nk_alloc(nks, sizeof *c->k, err)) ||
                !(c->id = nk_alloc(e.vocab.n * nks, sizeof *c->id, err))))
        rc = NERKIT_ERR_NOMEM;
    if (!rc) {
        set_stage(&e, NERKIT_EMBED_CLUSTER);
        rc = nk_exchange(&e.cooc, e.vocab.n, ks, nks, iterations, (int)e.nthreads, c->id, err);
    }
    if (!rc) {
        for (size_t l = 0; l < nks; l++)
            c->k[l] = (uint32_t)ks[l];
        c->nlevels = nks;
        c->cap = e.vocab.n;
        c->words = e.vocab;
        memset(&e.vocab, 0, sizeof e.vocab);
        e.prog.stage = NERKIT_EMBED_DONE;
        report(&e, true);
    }
    embed_free(&e);
    if (rc && c) {
        nerkit_clusters_free(c);
        c = NULL;
    }
    return c;
}
