/*
 * The model file: one format for every trainer, specified in
 * docs/model-format.md.
 *
 * Layout: a 32-byte header (magic, format version, payload length, CRC32 of
 * the payload, CRC32 of the header itself), then the payload: a run of
 * tagged sections. Numbers are little-endian whatever the host. Readers
 * skip sections they do not know, so later versions can add sections
 * (gazetteers, embeddings) without breaking older models; a change that old
 * readers cannot skip bumps the version, and they refuse the file.
 *
 * Loading trusts nothing: every length is checked against what is left
 * before it is used, every count against a limit before it sizes an
 * allocation.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "NERKITM\x1a"
#define FORMAT_VERSION 1u
#define HEADER_SIZE 32
#define MAX_META 65536

static void put_u32(nk_buf *b, uint32_t v)
{
    unsigned char s[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    nk_buf_put(b, s, 4);
}

static void put_u64(nk_buf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(nk_buf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_str(nk_buf *b, const char *s)
{
    put_u32(b, (uint32_t)strlen(s));
    nk_buf_put(b, s, strlen(s));
}

/* Sections are written as tag, u64 length, body; the length is patched in
 * once the body is written. */
static size_t begin_section(nk_buf *b, const char tag[4])
{
    nk_buf_put(b, tag, 4);
    put_u64(b, 0);
    return b->len;
}

static void end_section(nk_buf *b, size_t body)
{
    if (b->failed)
        return;
    uint64_t n = b->len - body;
    for (int i = 0; i < 8; i++)
        b->p[body - 8 + i] = (char)(n >> (8 * i));
}

static uint32_t crc(const unsigned char *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        /* zlib takes uInt lengths */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

static int serialize(const nerkit_model *m, nk_buf *b, nerkit_error *err)
{
    const size_t L = m->nlabels;
    unsigned char header[HEADER_SIZE] = {0};
    nk_buf_put(b, header, HEADER_SIZE);

    size_t s = begin_section(b, "META");
    put_str(b, m->algorithm);
    put_str(b, nerkit_scheme_name(m->scheme));
    put_str(b, NERKIT_VERSION);
    end_section(b, s);

    s = begin_section(b, "LABL");
    put_u32(b, (uint32_t)m->ntypes);
    for (size_t t = 0; t < m->ntypes; t++)
        put_str(b, m->types[t]);
    end_section(b, s);

    s = begin_section(b, "FEAT");
    put_u32(b, m->feat.groups);
    put_u32(b, m->feat.hash_bits);
    end_section(b, s);

    s = begin_section(b, "TRAN");
    for (size_t k = 0; k < L * L; k++)
        put_f32(b, m->trans[k]);
    end_section(b, s);

    s = begin_section(b, "WGHT");
    put_u32(b, m->nrows);
    /* rows are kept in slot order, so the index bits list the slots */
    size_t words = ((size_t)1 << m->feat.hash_bits) / 64;
    for (size_t w = 0; w < words; w++)
        for (uint64_t bits = m->present[w]; bits; bits &= bits - 1)
            put_u32(b, (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits)));
    for (size_t k = 0; k < (size_t)m->nrows * L; k++)
        put_f32(b, m->rows[k]);
    end_section(b, s);

    if (b->failed)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory writing model");
    size_t payload = b->len - HEADER_SIZE;
    unsigned char *h = (unsigned char *)b->p;
    memcpy(h, MAGIC, 8);
    for (int i = 0; i < 4; i++)
        h[8 + i] = (unsigned char)(FORMAT_VERSION >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[16 + i] = (unsigned char)((uint64_t)payload >> (8 * i));
    uint32_t pc = crc(h + HEADER_SIZE, payload);
    for (int i = 0; i < 4; i++)
        h[24 + i] = (unsigned char)(pc >> (8 * i));
    uint32_t hc = crc(h, 28);
    for (int i = 0; i < 4; i++)
        h[28 + i] = (unsigned char)(hc >> (8 * i));
    return NERKIT_OK;
}

int nerkit_model_save(const nerkit_model *m, const char *path, nerkit_error *err)
{
    nk_buf b = {0};
    int rc = serialize(m, &b, err);
    if (rc) {
        free(b.p);
        return rc;
    }
    /* the temporary file sits beside the target so rename() stays within
     * one file system and is atomic */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(b.p);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory saving %s", path);
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s", path,
                     strerror(errno));
        free(tmp);
        free(b.p);
        return rc;
    }
    size_t done = 0;
    while (done < b.len) {
        ssize_t k = write(fd, b.p + done, b.len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = nk_fail(err, NERKIT_ERR_IO, "%s: write failed after %zu of %zu bytes: %s", tmp,
                         done, b.len, k < 0 ? strerror(errno) : "no progress");
            break;
        }
        done += (size_t)k;
    }
    if (!rc && fchmod(fd, 0644) != 0)
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: chmod: %s", tmp, strerror(errno));
    if (!rc && fsync(fd) != 0)
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: close: %s", tmp, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = nk_fail(err, NERKIT_ERR_IO, "cannot rename %s to %s: %s", tmp, path,
                     strerror(errno));
    if (rc) {
        unlink(tmp);
    } else {
        /* make the rename itself durable */
        char *dir = strdup(path);
        int dfd = dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY) : -1;
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(tmp);
    free(b.p);
    return rc;
}

/* ---- reading */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
} rbuf;

static bool get(rbuf *r, void *out, size_t n)
{
    if (r->len - r->pos < n)
        return false;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return true;
}

static uint32_t le32(const unsigned char *s)
{
    return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

static uint64_t le64(const unsigned char *s)
{
    return (uint64_t)le32(s) | (uint64_t)le32(s + 4) << 32;
}

static bool get_u32(rbuf *r, uint32_t *v)
{
    unsigned char s[4];
    if (!get(r, s, 4))
        return false;
    *v = le32(s);
    return true;
}

static bool get_f32(rbuf *r, float *f)
{
    uint32_t v;
    if (!get_u32(r, &v))
        return false;
    memcpy(f, &v, 4);
    return isfinite(*f);
}

/* A length-prefixed UTF-8 string of at most max bytes, copied to out. */
static bool get_str(rbuf *r, char *out, size_t max)
{
    uint32_t n;
    if (!get_u32(r, &n) || n >= max || r->len - r->pos < n)
        return false;
    memcpy(out, r->p + r->pos, n);
    out[n] = '\0';
    r->pos += n;
    return memchr(out, '\0', n) == NULL && nk_utf8_check((const unsigned char *)out, n) == n;
}

typedef struct {
    rbuf meta, labl, feat, tran, wght;
    bool has_meta, has_labl, has_feat, has_tran, has_wght;
} sections;

static nerkit_model *bad(nerkit_error *err, const char *name, const char *what)
{
    return nk_fail_null(err, NERKIT_ERR_MODEL, "%s: damaged model: %s", name, what);
}

static nerkit_model *build(const sections *sec, const char *name, nerkit_error *err)
{
    rbuf meta = sec->meta, labl = sec->labl, feat = sec->feat, tran = sec->tran,
         wght = sec->wght;
    char algorithm[32], scheme[16], version[32];
    if (!get_str(&meta, algorithm, sizeof algorithm) || !get_str(&meta, scheme, sizeof scheme) ||
        !get_str(&meta, version, sizeof version))
        return bad(err, name, "META section unreadable");
    int sch = nerkit_scheme_parse(scheme);
    if (sch <= 0)
        return bad(err, name, "unknown tag scheme in META");

    uint32_t ntypes;
    if (!get_u32(&labl, &ntypes) || ntypes > NK_MAX_TYPES)
        return bad(err, name, "LABL section: bad type count");
    char **types = calloc(ntypes + 1, sizeof *types);
    size_t *lens = calloc(ntypes + 1, sizeof *lens);
    nerkit_model *m = NULL;
    if (!types || !lens) {
        nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
        goto out;
    }
    for (uint32_t t = 0; t < ntypes; t++) {
        char buf[256];
        if (!get_str(&labl, buf, sizeof buf) || !buf[0]) {
            bad(err, name, "LABL section: bad type name");
            goto out;
        }
        types[t] = strdup(buf);
        lens[t] = strlen(buf);
        if (!types[t]) {
            nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
            goto out;
        }
        /* sorted and unique, as written: type lookups rely on it */
        if (t > 0 && strcmp(types[t - 1], types[t]) >= 0) {
            bad(err, name, "LABL section: type names not sorted or repeated");
            goto out;
        }
    }
    /* sizes that follow from the label set are checked before the model's
     * tables are allocated for it */
    const size_t L = 1 + 4 * (size_t)ntypes;
    uint64_t wrows;
    if (tran.len != L * L * 4) {
        bad(err, name, "TRAN section has the wrong size for the label set");
        goto out;
    }
    if (wght.len < 4 || (wrows = le32(wght.p)) > (wght.len - 4) / (4 + 4 * L) ||
        wght.len - 4 != wrows * (4 + 4 * L)) {
        bad(err, name, "WGHT section: row count does not match its size");
        goto out;
    }
    nk_featcfg cfg;
    if (!get_u32(&feat, &cfg.groups) || !get_u32(&feat, &cfg.hash_bits) ||
        (cfg.groups & ~(uint32_t)NERKIT_FEAT_ALL) || cfg.hash_bits < 10 || cfg.hash_bits > 28) {
        bad(err, name, "FEAT section: unknown feature groups or hash size");
        goto out;
    }
    m = nk_model_new(algorithm, (nerkit_scheme)sch, (const char *const *)types, lens, ntypes,
                     &cfg, err);
    if (!m)
        goto out;
    for (size_t k = 0; k < L * L; k++)
        if (!get_f32(&tran, &m->trans[k])) {
            bad(err, name, "TRAN section: a weight is not a finite number");
            goto fail;
        }
    uint32_t nrows;
    size_t H = (size_t)1 << cfg.hash_bits;
    get_u32(&wght, &nrows);
    if (nrows > H) {
        bad(err, name, "WGHT section: more rows than feature slots");
        goto fail;
    }
    uint32_t *slots = malloc(((size_t)nrows + 1) * sizeof *slots);
    if (!slots) {
        nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s (%u weight rows)", name, nrows);
        goto fail;
    }
    for (uint32_t r = 0; r < nrows; r++) {
        get_u32(&wght, &slots[r]);
        if (slots[r] >= H || (r > 0 && slots[r] <= slots[r - 1])) {
            free(slots);
            bad(err, name, "WGHT section: feature slots out of order or out of range");
            goto fail;
        }
    }
    int rc = nk_model_set_rows(m, slots, nrows, err);
    free(slots);
    if (rc)
        goto fail;
    for (size_t k = 0; k < (size_t)nrows * L; k++)
        if (!get_f32(&wght, &m->rows[k])) {
            bad(err, name, "WGHT section: a weight is not a finite number");
            goto fail;
        }
    goto out;
fail:
    nerkit_model_free(m);
    m = NULL;
out:
    if (types)
        for (uint32_t t = 0; t < ntypes; t++)
            free(types[t]);
    free(types);
    free(lens);
    return m;
}

nerkit_model *nerkit_model_load_buffer(const void *data, size_t len, const char *name,
                                       nerkit_error *err)
{
    const unsigned char *p = data;
    if (!name)
        name = "<buffer>";
    if (len == 0)
        return nk_fail_null(err, NERKIT_ERR_MODEL, "%s: empty file, not a nerkit model", name);
    if (memcmp(p, MAGIC, len < 8 ? len : 8) != 0)
        return nk_fail_null(err, NERKIT_ERR_MODEL, "%s: not a nerkit model (bad magic bytes)",
                            name);
    if (len < HEADER_SIZE)
        return nk_fail_null(err, NERKIT_ERR_MODEL,
                            "%s: truncated model: %zu bytes, shorter than the %d-byte header",
                            name, len, HEADER_SIZE);
    if (crc(p, 28) != le32(p + 28))
        return bad(err, name, "header checksum mismatch");
    uint32_t version = le32(p + 8);
    if (version > FORMAT_VERSION)
        return nk_fail_null(err, NERKIT_ERR_VERSION,
                            "%s: model format version %u is newer than this nerkit reads (%u); "
                            "upgrade nerkit",
                            name, version, FORMAT_VERSION);
    if (version == 0 || le32(p + 12) != 0)
        return bad(err, name, "format version 0 or reserved header bytes set");
    uint64_t payload = le64(p + 16);
    if (payload > len - HEADER_SIZE)
        return nk_fail_null(err, NERKIT_ERR_MODEL,
                            "%s: truncated model: header promises %llu payload bytes, file has "
                            "%zu",
                            name, (unsigned long long)payload, len - HEADER_SIZE);
    if (payload < len - HEADER_SIZE)
        return bad(err, name, "trailing bytes after the payload");
    if (crc(p + HEADER_SIZE, payload) != le32(p + 24))
        return nk_fail_null(err, NERKIT_ERR_MODEL,
                            "%s: corrupted model: payload checksum mismatch", name);

    sections sec = {0};
    rbuf r = {p + HEADER_SIZE, payload, 0};
    while (r.pos < r.len) {
        unsigned char head[12];
        if (!get(&r, head, 12))
            return bad(err, name, "section header cut short");
        uint64_t n = le64(head + 4);
        if (n > r.len - r.pos)
            return bad(err, name, "section longer than the payload");
        rbuf body = {r.p + r.pos, (size_t)n, 0};
        r.pos += (size_t)n;
        struct {
            const char *tag;
            rbuf *dst;
            bool *seen;
        } known[] = {{"META", &sec.meta, &sec.has_meta}, {"LABL", &sec.labl, &sec.has_labl},
                     {"FEAT", &sec.feat, &sec.has_feat}, {"TRAN", &sec.tran, &sec.has_tran},
                     {"WGHT", &sec.wght, &sec.has_wght}};
        for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
            if (memcmp(head, known[k].tag, 4) != 0)
                continue;
            if (*known[k].seen)
                return bad(err, name, "a section appears twice");
            *known[k].dst = body;
            *known[k].seen = true;
        }
    }
    if (!sec.has_meta || !sec.has_labl || !sec.has_feat || !sec.has_tran || !sec.has_wght)
        return bad(err, name, "a required section is missing");
    return build(&sec, name, err);
}

nerkit_model *nerkit_model_load(const char *path, nerkit_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nk_fail_null(err, NERKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return nk_fail_null(err, NERKIT_ERR_IO, "%s: not a regular file", path);
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = malloc(len + 1);
    if (!buf) {
        fclose(f);
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, len);
    }
    size_t got = fread(buf, 1, len, f);
    int failed = ferror(f);
    fclose(f);
    nerkit_model *m = failed || got != len
                          ? nk_fail_null(err, NERKIT_ERR_IO, "%s: read error", path)
                          : nerkit_model_load_buffer(buf, len, path, err);
    free(buf);
    return m;
}
