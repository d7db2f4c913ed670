/*
 * Word vectors and word clusters: the sets themselves, their lookup by
 * word, and their files.
 *
 * Vectors: word2vec text ("V D" line, then "word v1 .. vD" lines), word2vec
 * binary ("V D\n", then per word: the word, a space, D little-endian
 * float32 and usually a newline) and GloVe text (word2vec text without the
 * header line). Clusters: nerkit-embed's k-means file (a "#nerkit-clusters"
 * line with the k of each level, then "word<TAB>id..." lines) and Brown
 * paths ("bits<TAB>word[<TAB>count]"). Every reader takes gzip or plain
 * files, and every error names the file and its line (or, in binary files,
 * the record and byte offset). Saving is atomic: a temporary file beside
 * the target, fsync, rename (atomic_file.c).
 */
#include "embed.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIM (1 << 20)
#define MAX_LINE ((size_t)64 << 20)
#define SNIFF_BYTES (1 << 20)

/* ---- vectors */

/* Refuses to save a word the file format could not read back: an empty
 * one, or one holding a separator of the format (seps, named by what). */
static int check_storable(const nk_wordtab *words, const char *seps, const char *what,
                          const char *path, nerkit_error *err)
{
    for (size_t i = 0; i < words->n; i++) {
        const char *w = nk_wordtab_word(words, i);
        if (!words->len[i] || strpbrk(w, seps))
            return nk_fail(err, NERKIT_ERR_ARG,
                           "%s: word %zu ('%s') is empty or has %s, which the format cannot "
                           "store",
                           path, i, w, what);
    }
    return NERKIT_OK;
}

/* Makes room for row index row; rows beyond the old count are zeroed. */
static int grow_rows(nerkit_vectors *v, size_t row, nerkit_error *err)
{
    if (row < v->cap_rows)
        return NERKIT_OK;
    size_t cap = v->cap_rows ? v->cap_rows : 1024;
    while (cap <= row)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof(float) / v->dim || !nk_resize(&v->data, cap * v->dim, sizeof(float)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu vectors of %zu", cap, v->dim);
    v->cap_rows = cap;
    return NERKIT_OK;
}

/* Adds a word and points *row at its vector; *row is NULL when the word is
 * already in the set (a file's first vector for a word is the one kept). */
static int add_word(nerkit_vectors *v, const char *w, size_t n, float **row, nerkit_error *err)
{
    size_t idx, before = v->words.n;
    int rc = nk_wordtab_add(&v->words, w, n, &idx, err);
    if (!rc)
        rc = grow_rows(v, idx, err);
    *row = !rc && v->words.n > before ? v->data + idx * v->dim : NULL;
    return rc;
}

static nerkit_vectors *vectors_new(size_t dim, nerkit_error *err)
{
    nerkit_vectors *v = nk_alloc(1, sizeof *v, err);
    if (v)
        v->dim = dim;
    return v;
}

nerkit_vectors *nerkit_vectors_new(const char *const *words, const float *data, size_t n,
                                   size_t dim, nerkit_error *err)
{
    if (dim < 1 || dim > MAX_DIM)
        return nk_fail_null(err, NERKIT_ERR_ARG, "vector dimension %zu: must be 1 to %d", dim,
                            MAX_DIM);
    nerkit_vectors *v = vectors_new(dim, err);
    for (size_t i = 0; v && i < n; i++) {
        float *row;
        if (add_word(v, words[i], strlen(words[i]), &row, err)) {
            nerkit_vectors_free(v);
            return NULL;
        }
        if (!row) {
            nerkit_vectors_free(v);
            return nk_fail_null(err, NERKIT_ERR_ARG, "word %zu, '%s', is given twice", i,
                                words[i]);
        }
        memcpy(row, data + i * dim, dim * sizeof *row);
    }
    return v;
}

void nerkit_vectors_free(nerkit_vectors *v)
{
    if (!v)
        return;
    nk_wordtab_free(&v->words);
    free(v->data);
    free(v);
}

size_t nerkit_vectors_count(const nerkit_vectors *v) { return v->words.n; }
size_t nerkit_vectors_dim(const nerkit_vectors *v) { return v->dim; }
const float *nerkit_vectors_data(const nerkit_vectors *v) { return v->data; }

const char *nerkit_vectors_word(const nerkit_vectors *v, size_t i)
{
    return nk_wordtab_word(&v->words, i);
}

int64_t nerkit_vectors_find(const nerkit_vectors *v, const char *word, size_t len)
{
    return nk_wordtab_find(&v->words, word, len);
}

const float *nerkit_vectors_get(const nerkit_vectors *v, const char *word, size_t len)
{
    int64_t i = nk_wordtab_find(&v->words, word, len);
    return i < 0 ? NULL : v->data + (size_t)i * v->dim;
}

size_t nerkit_vectors_nearest(const nerkit_vectors *v, const float *query, size_t k, size_t *rows,
                              float *cosine)
{
    const size_t D = v->dim;
    double qq = 0;
    for (size_t j = 0; j < D; j++)
        qq += (double)query[j] * query[j];
    size_t found = 0;
    for (size_t i = 0; i < v->words.n && qq > 0; i++) {
        const float *x = v->data + i * D;
        double dot = 0, xx = 0;
        for (size_t j = 0; j < D; j++) {
            dot += (double)x[j] * query[j];
            xx += (double)x[j] * x[j];
        }
        if (xx == 0)
            continue;
        float c = (float)(dot / sqrt(xx * qq));
        /* insertion into the k best so far, best first */
        if (found == k && (k == 0 || c <= cosine[k - 1]))
            continue;
        size_t p = found < k ? found++ : k - 1;
        for (; p > 0 && cosine[p - 1] < c; p--) {
            cosine[p] = cosine[p - 1];
            rows[p] = rows[p - 1];
        }
        cosine[p] = c;
        rows[p] = i;
    }
    return found;
}

/* -- text formats */

/* Parses "word v1 .. vD" (trailing blanks allowed) into v. A v without a
 * dimension yet (GloVe's first line) takes it from the line. */
static int parse_text_vector(nerkit_vectors *v, nk_buf *scratch, const char *line, size_t len,
                             const nk_lines *lr, nerkit_error *err)
{
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
        len--;
    const char *sp = memchr(line, ' ', len);
    if (!sp || sp == line)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: expected a word, a space and numbers",
                       lr->name, lr->lineno);
    scratch->len = 0;
    nk_buf_put(scratch, sp, len - (size_t)(sp - line));
    nk_buf_putc(scratch, '\0');
    if (scratch->failed)
        return nk_fail(err, NERKIT_ERR_NOMEM, "%s:%u: out of memory", lr->name, lr->lineno);
    size_t dim = v->dim;
    if (!dim) { /* GloVe's first line: its numbers set the dimension */
        for (const char *p = scratch->p + strspn(scratch->p, " \t"); *p;
             p += strspn(p, " \t")) {
            dim++;
            p += strcspn(p, " \t");
        }
        if (dim < 1 || dim > MAX_DIM)
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: %zu numbers after the word: want 1 to %d",
                           lr->name, lr->lineno, dim, MAX_DIM);
        v->dim = dim;
    }
    float *row;
    int rc = add_word(v, line, (size_t)(sp - line), &row, err);
    if (rc)
        return rc;
    /* a repeated word has no row: its first vector stays; the line is still checked */
    char *p = scratch->p;
    for (size_t j = 0; j < dim; j++) {
        char *end;
        float x = nk_strtof(p, &end);
        if (end == p || (*end && *end != ' ' && *end != '\t') || !isfinite(x))
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: number %zu of the vector of '%.*s' is %s",
                           lr->name, lr->lineno, j + 1, (int)(sp - line), line,
                           end == p && !p[strspn(p, " \t")] ? "missing" : "not a finite number");
        if (row)
            row[j] = x;
        p = end;
    }
    if (p[strspn(p, " \t")])
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: more than %zu numbers after '%.*s'",
                       lr->name, lr->lineno, dim, (int)(sp - line), line);
    return NERKIT_OK;
}

/* Reads "V D" into *n and *dim; false when the line is not two numbers. */
static bool parse_header(const char *s, size_t len, unsigned long long *n, unsigned long long *dim)
{
    char buf[64];
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\r' || s[len - 1] == '\t'))
        len--;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int used = 0;
    return sscanf(buf, "%llu %llu%n", n, dim, &used) == 2 && (size_t)used == len &&
           buf[0] >= '0' && buf[0] <= '9';
}

static nerkit_vectors *load_text(const char *path, bool header, nerkit_error *err)
{
    nk_lines lr;
    if (nk_lines_open_regular(&lr, path, MAX_LINE, err))
        return NULL;
    nerkit_vectors *v = vectors_new(0, err);
    nk_buf scratch = {0};
    unsigned long long want = 0, dim = 0;
    const char *line;
    size_t len;
    uint64_t off;
    int rc = v ? NERKIT_OK : NERKIT_ERR_NOMEM, got = 0;
    size_t lines = 0;
    while (!rc && (got = nk_lines_next(&lr, &line, &len, &off, err)) == 1) {
        if (header && lr.lineno == 1) {
            if (!parse_header(line, len, &want, &dim) || dim < 1 || dim > MAX_DIM)
                rc = nk_fail(err, NERKIT_ERR_FORMAT,
                             "%s:1: expected the word2vec header \"WORDS DIMENSION\" (dimension 1 "
                             "to %d)",
                             lr.name, MAX_DIM);
            v->dim = (size_t)dim;
            continue;
        }
        lines++;
        if (header && lines > want)
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: more vectors than the %llu of the header",
                         lr.name, lr.lineno, want);
        else
            rc = parse_text_vector(v, &scratch, line, len, &lr, err);
    }
    if (!rc && got < 0)
        rc = -got;
    if (!rc && header && lines != want)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s: the header says %llu vectors, the file has %zu",
                     lr.name, want, lines);
    if (!rc && !v->words.n)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s: no vectors", lr.name);
    nk_lines_close(&lr);
    nk_buf_free(&scratch);
    if (rc) {
        nerkit_vectors_free(v);
        return NULL;
    }
    return v;
}

/* -- word2vec binary */

static nerkit_vectors *load_binary(const char *path, nerkit_error *err)
{
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    int fd = -1;
    if (strcmp(path, "-") == 0)
        fd = dup(0);
    else if (nk_open_regular(path, &fd, err))
        return NULL;
    gzFile gz = fd >= 0 ? gzdopen(fd, "rb") : NULL;
    if (!gz) {
        if (fd >= 0)
            close(fd);
        return nk_fail_null(err, NERKIT_ERR_IO, "%s: cannot open: %s", name, strerror(errno));
    }
    gzbuffer(gz, 1 << 18);
    char head[128];
    unsigned long long want = 0, dim = 0;
    nerkit_vectors *v = NULL;
    nk_buf word = {0};
    unsigned char *bytes = NULL;
    int rc = NERKIT_OK;
    if (!gzgets(gz, head, sizeof head) || !parse_header(head, strcspn(head, "\n"), &want, &dim) ||
        dim < 1 || dim > MAX_DIM) {
        rc = nk_fail(err, NERKIT_ERR_FORMAT,
                     "%s:1: expected the word2vec header \"WORDS DIMENSION\" (dimension 1 to %d)",
                     name, MAX_DIM);
        goto done;
    }
    if (!(v = vectors_new((size_t)dim, err)) || !(bytes = nk_alloc(dim, 4, err))) {
        rc = NERKIT_ERR_NOMEM;
        goto done;
    }
    for (unsigned long long r = 0; r < want && !rc; r++) {
        long long at = (long long)gztell(gz);
        int c;
        /* word2vec ends each vector with a newline; some writers do not */
        while ((c = gzgetc(gz)) == '\n')
            at++;
        word.len = 0;
        for (; c != ' ' && c != EOF && c != '\0' && word.len < 4096; c = gzgetc(gz))
            nk_buf_putc(&word, (char)c);
        if (c != ' ' || word.len == 0) {
            rc = nk_fail(err, NERKIT_ERR_FORMAT,
                         "%s: vector %llu (byte offset %lld): %s", name, r + 1, at,
                         c == EOF      ? "the file ends before it (truncated?)"
                         : c == '\0'   ? "NUL byte in its word"
                         : word.len    ? "a word of more than 4096 bytes"
                                       : "an empty word");
            break;
        }
        if (word.failed) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory", name);
            break;
        }
        int n = gzread(gz, bytes, (unsigned)(4 * dim));
        if (n != (int)(4 * dim)) {
            int zerr;
            const char *zmsg = gzerror(gz, &zerr);
            rc = nk_fail(err, zerr && zerr != Z_BUF_ERROR ? NERKIT_ERR_IO : NERKIT_ERR_FORMAT,
                         "%s: vector %llu ('%.*s', byte offset %lld): %s", name, r + 1,
                         (int)word.len, word.p, at,
                         zerr && zerr != Z_BUF_ERROR ? zmsg : "truncated: the file ends inside it");
            break;
        }
        float *row;
        if ((rc = add_word(v, word.p, word.len, &row, err)))
            break;
        for (size_t j = 0; row && j < dim; j++) {
            const unsigned char *b = bytes + 4 * j;
            uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                         (uint32_t)b[3] << 24;
            memcpy(&row[j], &u, 4);
            if (!isfinite(row[j]))
                rc = nk_fail(err, NERKIT_ERR_FORMAT,
                             "%s: vector %llu ('%.*s', byte offset %lld): component %zu is not a "
                             "finite number (not a word2vec binary file?)",
                             name, r + 1, (int)word.len, word.p, at, j + 1);
        }
    }
    if (!rc && !v->words.n)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s: no vectors", name);
done:
    gzclose(gz);
    nk_buf_free(&word);
    free(bytes);
    if (rc) {
        nerkit_vectors_free(v);
        return NULL;
    }
    return v;
}

/* Tells the formats apart by the first bytes of the file: a "V D" first
 * line means word2vec, text when the line after it reads as a word and
 * numbers (how many is the loader's to check, with a line number), binary
 * otherwise; no such line means GloVe. */
static int sniff(const char *path, nerkit_vec_format *f, nerkit_error *err)
{
    if (strcmp(path, "-") == 0)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "the format of vectors on standard input cannot be detected: name it");
    int fd;
    int rc = nk_open_regular(path, &fd, err);
    if (rc)
        return rc;
    gzFile gz = gzdopen(fd, "rb");
    char *buf = malloc(SNIFF_BYTES + 1);
    if (!gz)
        close(fd);
    if (!gz || !buf) {
        rc = nk_fail(err, gz ? NERKIT_ERR_NOMEM : NERKIT_ERR_IO, "%s: cannot open: %s", path,
                     strerror(errno));
        if (gz)
            gzclose(gz);
        free(buf);
        return rc;
    }
    int n = gzread(gz, buf, SNIFF_BYTES);
    gzclose(gz);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    size_t len = (size_t)n;
    /* zlib passes what is not gzip through as it is */
    const char *what = nk_unsupported_compression((const unsigned char *)buf, len);
    if (what) {
        free(buf);
        return nk_fail(err, NERKIT_ERR_FORMAT,
                       "%s: %s is not supported (decompress it, or recompress with gzip)", path,
                       what);
    }
    const char *nl = memchr(buf, '\n', len);
    unsigned long long words, dim;
    *f = NERKIT_VEC_GLOVE;
    if (nl && parse_header(buf, (size_t)(nl - buf), &words, &dim) && dim >= 1) {
        *f = NERKIT_VEC_WORD2VEC_BIN;
        const char *p = nl + 1, *end = buf + len;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        if (eol && sp && sp < eol && memchr(p, '\0', (size_t)(eol - p)) == NULL) {
            /* count the numbers after the word on that line */
            buf[eol - buf] = '\0';
            char *q = (char *)sp;
            unsigned long long k = 0;
            for (;;) {
                char *e;
                float x = nk_strtof(q, &e);
                (void)x;
                if (e == q)
                    break;
                k++;
                q = e;
            }
            while (*q == ' ' || *q == '\t' || *q == '\r')
                q++;
            if (k > 0 && *q == '\0')
                *f = NERKIT_VEC_WORD2VEC;
        }
    }
    free(buf);
    return NERKIT_OK;
}

nerkit_vectors *nerkit_vectors_load(const char *path, nerkit_vec_format f, nerkit_error *err)
{
    if (f == NERKIT_VEC_AUTO && sniff(path, &f, err))
        return NULL;
    switch (f) {
    case NERKIT_VEC_WORD2VEC: return load_text(path, true, err);
    case NERKIT_VEC_GLOVE: return load_text(path, false, err);
    case NERKIT_VEC_WORD2VEC_BIN: return load_binary(path, err);
    default: return nk_fail_null(err, NERKIT_ERR_ARG, "unknown vector format %d", (int)f);
    }
}

int nerkit_vectors_save(const nerkit_vectors *v, const char *path, nerkit_vec_format f,
                        nerkit_error *err)
{
    if (f == NERKIT_VEC_AUTO)
        f = NERKIT_VEC_WORD2VEC;
    if (f != NERKIT_VEC_WORD2VEC && f != NERKIT_VEC_WORD2VEC_BIN && f != NERKIT_VEC_GLOVE)
        return nk_fail(err, NERKIT_ERR_ARG, "unknown vector format %d", (int)f);
    const size_t V = v->words.n, D = v->dim;
    nk_atomic a;
    int rc = check_storable(&v->words, " \t\n\r", "white space", path, err);
    /* GloVe has no header line: a file that began with the magic bytes of
     * gzip (or of a compression the readers refuse: bzip2, zstd, zip...)
     * would be read back as that, not as vectors */
    const char *what = NULL;
    if (f == NERKIT_VEC_GLOVE && V) {
        unsigned char head[8] = {0};
        const char *w = nk_wordtab_word(&v->words, 0);
        size_t n = strlen(w) < sizeof head - 1 ? strlen(w) : sizeof head - 1;
        memcpy(head, w, n);
        head[n++] = ' ';
        what = head[0] == 0x1f && head[1] == 0x8b ? "gzip data"
                                                  : nk_unsupported_compression(head, n);
    }
    if (!rc && what)
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "%s: word 0 begins with the magic bytes of %s, which a GloVe file cannot "
                     "begin with (it would be read as that): save as word2vec instead",
                     path, what);
    if (!rc)
        rc = nk_atomic_open(&a, path, err);
    if (rc)
        return rc;
    if (f != NERKIT_VEC_GLOVE)
        fprintf(a.f, "%zu %zu\n", V, D);
    for (size_t i = 0; i < V && !ferror(a.f); i++) {
        const float *x = v->data + i * D;
        fputs(nk_wordtab_word(&v->words, i), a.f);
        if (f == NERKIT_VEC_WORD2VEC_BIN) {
            putc(' ', a.f);
            for (size_t j = 0; j < D; j++) {
                uint32_t u;
                memcpy(&u, &x[j], 4);
                unsigned char b[4] = {(unsigned char)u, (unsigned char)(u >> 8),
                                      (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
                fwrite(b, 1, 4, a.f);
            }
        } else {
            /* 7 significant digits: within a few units of float rounding */
            for (size_t j = 0; j < D; j++)
                fprintf(a.f, " %.7g", x[j]);
        }
        putc('\n', a.f);
    }
    if (ferror(a.f))
        return nk_atomic_write_failed(&a, err);
    return nk_atomic_commit(&a, err);
}

/* ---- clusters */

#define KMEANS_MAGIC "#nerkit-clusters"

void nerkit_clusters_free(nerkit_clusters *c)
{
    if (!c)
        return;
    nk_wordtab_free(&c->words);
    free(c->k);
    free(c->id);
    free(c->path);
    free(c->freq);
    nk_buf_free(&c->paths);
    free(c);
}

size_t nerkit_clusters_count(const nerkit_clusters *c) { return c->words.n; }
size_t nerkit_clusters_levels(const nerkit_clusters *c) { return c->nlevels; }

const char *nerkit_clusters_word(const nerkit_clusters *c, size_t i)
{
    return nk_wordtab_word(&c->words, i);
}

int64_t nerkit_clusters_find(const nerkit_clusters *c, const char *word, size_t len)
{
    return nk_wordtab_find(&c->words, word, len);
}

size_t nerkit_clusters_k(const nerkit_clusters *c, size_t level)
{
    return level < c->nlevels ? c->k[level] : 0;
}

uint32_t nerkit_clusters_id(const nerkit_clusters *c, size_t level, size_t i)
{
    return c->id[i * c->nlevels + level];
}

const char *nerkit_clusters_path(const nerkit_clusters *c, size_t i)
{
    return c->nlevels ? NULL : c->paths.p + c->path[i];
}

uint64_t nerkit_clusters_frequency(const nerkit_clusters *c, size_t i)
{
    return c->nlevels ? 0 : c->freq[i];
}

/* Room for word index w's ids, or its Brown path and count. */
static int grow_clusters(nerkit_clusters *c, size_t w, nerkit_error *err)
{
    if (w < c->cap)
        return NERKIT_OK;
    size_t cap = c->cap ? 2 * c->cap : 1024;
    bool ok = c->nlevels ? nk_resize(&c->id, cap * c->nlevels, sizeof *c->id)
                         : nk_resize(&c->path, cap, sizeof *c->path) &&
                               nk_resize(&c->freq, cap, sizeof *c->freq);
    if (!ok)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory for %zu clustered words", cap);
    c->cap = cap;
    return NERKIT_OK;
}

/* Adds the word of a line; a word seen before is an error, since it could
 * only mean the file is not one clustering. */
static int add_cluster_word(nerkit_clusters *c, const char *w, size_t n, const nk_lines *lr,
                            size_t *idx, nerkit_error *err)
{
    if (n == 0)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: empty word", lr->name, lr->lineno);
    size_t before = c->words.n;
    int rc = nk_wordtab_add(&c->words, w, n, idx, err);
    if (!rc && c->words.n == before)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: '%.*s' is listed twice", lr->name, lr->lineno,
                     (int)n, w);
    return rc ? rc : grow_clusters(c, *idx, err);
}

/* Parses a decimal number of fields[..len); false if it is not one. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (!len || len > 19)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = 10 * x + (uint64_t)(s[i] - '0');
    }
    *out = x;
    return true;
}

/* Splits line at tabs into at most max fields; returns how many. */
static size_t split_tabs(const char *line, size_t len, const char **f, size_t *flen, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; n < max;) {
        const char *t = memchr(line + i, '\t', len - i);
        size_t e = t ? (size_t)(t - line) : len;
        f[n] = line + i;
        flen[n++] = e - i;
        if (!t)
            return n;
        i = e + 1;
    }
    return n + 1; /* more than max */
}

static int parse_kmeans_header(nerkit_clusters *c, const char *line, size_t len, const nk_lines *lr,
                               nerkit_error *err)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += line[i] == '\t';
    const char **f = malloc(n * sizeof *f);
    size_t *fl = malloc(n * sizeof *fl);
    c->k = malloc(n * sizeof *c->k);
    int rc = f && fl && c->k ? NERKIT_OK : nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
    if (!rc)
        split_tabs(line, len, f, fl, n);
    if (!rc && (n < 2 || fl[0] != strlen(KMEANS_MAGIC)))
        rc = nk_fail(err, NERKIT_ERR_FORMAT,
                     "%s:1: expected \"" KMEANS_MAGIC "<TAB>k...\" with at least one k", lr->name);
    for (size_t i = 1; i < n && !rc; i++) {
        uint64_t k;
        if (!parse_u64(f[i], fl[i], &k) || k < 1 || k > UINT32_MAX)
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:1: field %zu, '%.*s', is not a cluster count",
                         lr->name, i + 1, (int)fl[i], f[i]);
        else
            c->k[i - 1] = (uint32_t)k;
    }
    c->nlevels = n - 1;
    free(f);
    free(fl);
    return rc;
}

static int parse_kmeans_line(nerkit_clusters *c, const char *line, size_t len, const nk_lines *lr,
                             const char **f, size_t *fl, nerkit_error *err)
{
    size_t n = split_tabs(line, len, f, fl, c->nlevels + 1), idx;
    if (n != c->nlevels + 1)
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: expected a word and %zu cluster ids, "
                                               "separated by tabs",
                       lr->name, lr->lineno, c->nlevels);
    int rc = add_cluster_word(c, f[0], fl[0], lr, &idx, err);
    for (size_t l = 0; l < c->nlevels && !rc; l++) {
        uint64_t id;
        if (!parse_u64(f[l + 1], fl[l + 1], &id) || id >= c->k[l])
            return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: cluster id '%.*s' is not a number "
                                                   "below %u",
                           lr->name, lr->lineno, (int)fl[l + 1], f[l + 1], c->k[l]);
        c->id[idx * c->nlevels + l] = (uint32_t)id;
    }
    return rc;
}

static int parse_brown_line(nerkit_clusters *c, const char *line, size_t len, const nk_lines *lr,
                            nerkit_error *err)
{
    const char *f[3];
    size_t fl[3], idx;
    size_t n = split_tabs(line, len, f, fl, 3);
    if (n < 2 || n > 3)
        return nk_fail(err, NERKIT_ERR_FORMAT,
                       "%s:%u: expected BITS<TAB>WORD[<TAB>COUNT] (Brown clusters) or a "
                       "\"" KMEANS_MAGIC "\" first line",
                       lr->name, lr->lineno);
    if (fl[0] == 0 || strspn(f[0], "01") < fl[0])
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: the path '%.*s' is not a string of 0 and 1",
                       lr->name, lr->lineno, (int)fl[0], f[0]);
    uint64_t count = 0;
    if (n == 3 && !parse_u64(f[2], fl[2], &count))
        return nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: the count '%.*s' is not a number", lr->name,
                       lr->lineno, (int)fl[2], f[2]);
    int rc = add_cluster_word(c, f[1], fl[1], lr, &idx, err);
    if (rc)
        return rc;
    c->path[idx] = c->paths.len;
    c->freq[idx] = count;
    nk_buf_put(&c->paths, f[0], fl[0]);
    nk_buf_putc(&c->paths, '\0');
    return c->paths.failed ? nk_fail(err, NERKIT_ERR_NOMEM, "out of memory") : NERKIT_OK;
}

nerkit_clusters *nerkit_clusters_load(const char *path, nerkit_error *err)
{
    nk_lines lr;
    if (nk_lines_open_regular(&lr, path, MAX_LINE, err))
        return NULL;
    nerkit_clusters *c = nk_alloc(1, sizeof *c, err);
    const char **f = NULL;
    size_t *fl = NULL;
    const char *line;
    size_t len;
    uint64_t off;
    int rc = c ? NERKIT_OK : NERKIT_ERR_NOMEM, got = 0;
    bool kmeans = false;
    while (!rc && (got = nk_lines_next(&lr, &line, &len, &off, err)) == 1) {
        if (len && line[len - 1] == '\r')
            len--;
        if (lr.lineno == 1 && len >= strlen(KMEANS_MAGIC) &&
            memcmp(line, KMEANS_MAGIC, strlen(KMEANS_MAGIC)) == 0) {
            kmeans = true;
            rc = parse_kmeans_header(c, line, len, &lr, err);
            f = malloc((c->nlevels + 2) * sizeof *f);
            fl = malloc((c->nlevels + 2) * sizeof *fl);
            if (!rc && (!f || !fl))
                rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
        } else if (len == 0) {
            continue;
        } else {
            rc = kmeans ? parse_kmeans_line(c, line, len, &lr, f, fl, err)
                        : parse_brown_line(c, line, len, &lr, err);
        }
    }
    if (!rc && got < 0)
        rc = -got;
    if (!rc && !c->words.n)
        rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s: no clustered words", lr.name);
    nk_lines_close(&lr);
    free(f);
    free(fl);
    if (rc) {
        nerkit_clusters_free(c);
        return NULL;
    }
    return c;
}

int nerkit_clusters_save(const nerkit_clusters *c, const char *path, nerkit_error *err)
{
    nk_atomic a;
    int rc = check_storable(&c->words, "\t\n\r", "a tab or line break", path, err);
    if (!rc)
        rc = nk_atomic_open(&a, path, err);
    if (rc)
        return rc;
    if (c->nlevels) {
        fputs(KMEANS_MAGIC, a.f);
        for (size_t l = 0; l < c->nlevels; l++)
            fprintf(a.f, "\t%u", c->k[l]);
        putc('\n', a.f);
    }
    for (size_t i = 0; i < c->words.n && !ferror(a.f); i++) {
        const char *w = nk_wordtab_word(&c->words, i);
        if (!c->nlevels) {
            fprintf(a.f, "%s\t%s", c->paths.p + c->path[i], w);
            if (c->freq[i])
                fprintf(a.f, "\t%llu", (unsigned long long)c->freq[i]);
        } else {
            fputs(w, a.f);
            for (size_t l = 0; l < c->nlevels; l++)
                fprintf(a.f, "\t%u", c->id[i * c->nlevels + l]);
        }
        putc('\n', a.f);
    }
    if (ferror(a.f))
        return nk_atomic_write_failed(&a, err);
    return nk_atomic_commit(&a, err);
}
