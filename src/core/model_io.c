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
 *
 * Version 2 lays the big arrays (the rows and their bitmap, the lexicon)
 * out as the tagger uses them, each at a multiple of 8 bytes into the file:
 * nerkit_model_load maps the file and uses them where they are, so loading
 * costs the checksum and a few checks, and processes that map the same
 * file share one copy. That makes the host's byte order the file's: the
 * build refuses a big-endian host. Version 1 files are still read (copied,
 * their vectors rounded to what version 2 stores).
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zlib.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the model file maps little-endian arrays in place: a little-endian host is needed"
#endif

#define MAGIC "NERKITM\x1a"
#define FORMAT_VERSION 2u
/* Training checkpoints share the container under their own magic, so that
 * neither is ever taken for the other. */
#define CKPT_MAGIC "NERKITC\x1a"
/* Version 2 numbers weight rows by the slots the training set has, where
 * version 1 numbered them by slot: a resume needs the same numbering.
 * Version 3 holds its best model in the model format's version 2. */
#define CKPT_VERSION 3u
#define HEADER_SIZE 32
#define MAX_META 65536

void nk_put_u32(nk_buf *b, uint32_t v)
{
    unsigned char s[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    nk_buf_put(b, s, 4);
}

void nk_put_u64(nk_buf *b, uint64_t v)
{
    nk_put_u32(b, (uint32_t)v);
    nk_put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(nk_buf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    nk_put_u32(b, v);
}

void nk_put_str(nk_buf *b, const char *s)
{
    nk_put_u32(b, (uint32_t)strlen(s));
    nk_buf_put(b, s, strlen(s));
}

/* Sections are written as tag, u64 length, body; the length is patched in
 * once the body is written. */
size_t nk_section_begin(nk_buf *b, const char tag[4])
{
    nk_buf_put(b, tag, 4);
    nk_put_u64(b, 0);
    return b->len;
}

void nk_section_end(nk_buf *b, size_t body)
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

/* The LEXV section: counts, then the lexicon's arrays as they are in
 * memory (keys, the has-vector bitmap, the clusterings' ids, the words'
 * clusters, vector scales and vectors), the 8-byte ones at a multiple of 8
 * into the file. Only the words that have a vector keep one. */
static void write_lexicon(nk_buf *b, const nk_lexicon *lx)
{
    size_t n = lx->nwords, words = (n + 63) / 64, vb = NK_VEC_BYTES(lx->dim);
    uint64_t *has = calloc(words + 1, sizeof *has);
    if (!has) {
        b->failed = true;
        return;
    }
    uint32_t nvec = 0;
    for (uint32_t w = 0; w < n; w++)
        if (nk_lexicon_vector_at(lx, w) >= 0) {
            has[w / 64] |= (uint64_t)1 << (w % 64);
            nvec++;
        }
    size_t s = nk_section_begin(b, "LEXV");
    nk_put_u32(b, lx->nwords);
    nk_put_u32(b, lx->nclusterings);
    nk_put_u32(b, lx->dim);
    nk_put_u32(b, nvec);
    nk_buf_put(b, lx->brown, NK_MAX_CLUSTERINGS);
    for (size_t c = 0; c < NK_MAX_CLUSTERINGS; c++)
        nk_put_u32(b, c < lx->nclusterings ? lx->cstart[c + 1] - lx->cstart[c] : 0);
    nk_put_pad(b);
    nk_buf_put(b, lx->key, n * sizeof *lx->key);
    nk_buf_put(b, has, words * sizeof *has);
    nk_buf_put(b, lx->cvalue, lx->cstart[lx->nclusterings] * sizeof *lx->cvalue);
    nk_buf_put(b, lx->cluster, n * lx->nclusterings * sizeof *lx->cluster);
    for (uint32_t w = 0; w < n; w++)
        if (nk_lexicon_vector_at(lx, w) >= 0)
            nk_buf_put(b, &lx->vec_scale[nk_lexicon_vector_at(lx, w)], 1);
    for (uint32_t w = 0; w < n; w++)
        if (nk_lexicon_vector_at(lx, w) >= 0)
            nk_buf_put(b, lx->vec + (size_t)nk_lexicon_vector_at(lx, w) * vb, vb);
    nk_section_end(b, s);
    free(has);
}

void nk_put_phrase_arrays(nk_buf *b, const nk_phrases *p)
{
    for (uint32_t k = 0; k < p->nstates; k++)
        nk_put_u64(b, p->key[k]);
    for (uint32_t k = 0; k <= p->nstates; k++)
        nk_put_u32(b, p->child[k]);
    for (uint32_t k = 0; k <= p->nstates; k++)
        nk_put_u32(b, p->out_start[k]);
    for (uint32_t k = 0; k < p->nout; k++)
        nk_put_u32(b, p->out_list[k]);
    for (uint32_t k = 0; k < p->nout; k++)
        nk_put_u32(b, p->out_case[k]);
    for (size_t k = 0; k <= (size_t)1 << p->root_bits; k++)
        nk_put_u32(b, p->root[k]);
}

void nk_put_pad(nk_buf *b)
{
    uint32_t pad = (uint32_t)(8 - (b->len + 4) % 8) % 8;
    nk_put_u32(b, pad);
    nk_buf_put(b, "\0\0\0\0\0\0\0", pad);
}

/* The GAZT section: list names, then the matcher's arrays as they are in
 * memory, starting at a multiple of 8 bytes into the file so that a reader
 * could map them in place. */
static void write_phrases(nk_buf *b, const nk_phrases *p)
{
    size_t s = nk_section_begin(b, "GAZT");
    nk_put_u32(b, p->nlists);
    for (uint32_t l = 0; l < p->nlists; l++)
        nk_put_str(b, p->lists[l]);
    nk_put_u32(b, p->nstates);
    nk_put_u32(b, p->nout);
    nk_put_u32(b, p->root_bits);
    nk_put_pad(b);
    nk_put_phrase_arrays(b, p);
    nk_section_end(b, s);
}

/* Room for the header, which nk_file_seal fills in once the sections are there. */
void nk_file_begin(nk_buf *b)
{
    unsigned char header[HEADER_SIZE] = {0};
    nk_buf_put(b, header, HEADER_SIZE);
}

/* Appends the sections of a model. */
static void put_model(const nerkit_model *m, nk_buf *b)
{
    const size_t L = m->nlabels;
    size_t s = nk_section_begin(b, "META");
    nk_put_str(b, m->algorithm);
    nk_put_str(b, nerkit_scheme_name(m->scheme));
    nk_put_str(b, NERKIT_VERSION);
    nk_section_end(b, s);

    s = nk_section_begin(b, "LABL");
    nk_put_u32(b, (uint32_t)m->ntypes);
    for (size_t t = 0; t < m->ntypes; t++)
        nk_put_str(b, m->types[t]);
    nk_section_end(b, s);

    s = nk_section_begin(b, "FEAT");
    nk_put_u32(b, m->feat.groups);
    nk_put_u32(b, m->feat.hash_bits);
    nk_section_end(b, s);

    s = nk_section_begin(b, "TRAN");
    for (size_t k = 0; k < L * L; k++)
        put_f32(b, m->trans[k]);
    nk_section_end(b, s);

    s = nk_section_begin(b, "ROWS");
    nk_put_u32(b, m->rowfmt);
    nk_put_u32(b, m->nrows);
    nk_put_pad(b);
    size_t words = ((size_t)1 << m->feat.hash_bits) / 64;
    nk_buf_put(b, m->present, words * sizeof *m->present);
    if (m->rowfmt == NK_ROWS_I8)
        nk_buf_put(b, m->qrows, (size_t)m->nrows * (L + 1));
    else
        nk_buf_put(b, m->rows, (size_t)m->nrows * L * sizeof *m->rows);
    nk_section_end(b, s);

    /* a CRF's scale of 1 goes without saying: its files stay as they were */
    if (m->prob_scale > 0 && !(m->prob_scale == 1 && strcmp(m->algorithm, "crf") == 0)) {
        s = nk_section_begin(b, "PROB");
        put_f32(b, m->prob_scale);
        nk_section_end(b, s);
    }

    if (m->feat.groups & (NERKIT_FEAT_CLUSTERS | NERKIT_FEAT_VECTORS))
        write_lexicon(b, &m->lex);
    if (m->feat.groups & NERKIT_FEAT_VECTORS) {
        s = nk_section_begin(b, "DENS");
        for (size_t k = 0; k < L * NK_WINDOW * m->lex.dim; k++)
            put_f32(b, m->dense[k]);
        nk_section_end(b, s);
    }
    if (m->feat.groups & NERKIT_FEAT_GAZETTEER)
        write_phrases(b, &m->gaz);
}

/* Fills in the header of the file in b: magic, version, payload length and
 * both checksums. */
int nk_file_seal(nk_buf *b, const char *magic, uint32_t version, const char *kind,
                nerkit_error *err)
{
    if (b->failed)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory writing %s", kind);
    size_t payload = b->len - HEADER_SIZE;
    unsigned char *h = (unsigned char *)b->p;
    memcpy(h, magic, 8);
    for (int i = 0; i < 4; i++)
        h[8 + i] = (unsigned char)(version >> (8 * i));
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
    nk_file_begin(&b);
    put_model(m, &b);
    int rc = nk_file_seal(&b, MAGIC, FORMAT_VERSION, "model", err);
    if (!rc)
        rc = nk_atomic_write(path, b.p, b.len, err);
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

uint32_t nk_le32(const unsigned char *s)
{
    return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

uint64_t nk_le64(const unsigned char *s)
{
    return (uint64_t)nk_le32(s) | (uint64_t)nk_le32(s + 4) << 32;
}

static bool get_u32(rbuf *r, uint32_t *v)
{
    unsigned char s[4];
    if (!get(r, s, 4))
        return false;
    *v = nk_le32(s);
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
    rbuf meta, labl, feat, tran, wght, rows, prob, lexn, lexv, dens, gazt;
    bool has_meta, has_labl, has_feat, has_tran, has_wght, has_rows, has_prob, has_lexn, has_lexv,
        has_dens, has_gazt;
    rbuf psta, ordr, wsum, tsum, dsum; /* a checkpoint's training state */
    bool has_psta, has_ordr, has_wsum, has_tsum, has_dsum;
    uint32_t version; /* of the model format the sections are in */
    const char *kind; /* of the file, for messages: "model" or "checkpoint" */
} sections;

static int damaged(nerkit_error *err, const char *kind, const char *name, const char *what)
{
    return nk_fail(err, NERKIT_ERR_MODEL, "%s: damaged %s: %s", name, kind, what);
}

static nerkit_model *bad(nerkit_error *err, const char *kind, const char *name, const char *what)
{
    damaged(err, kind, name, what);
    return NULL;
}

static bool get_u64(rbuf *r, uint64_t *v)
{
    unsigned char s[8];
    if (!get(r, s, 8))
        return false;
    *v = nk_le64(s);
    return true;
}

static bool get_u32s(rbuf *r, uint32_t *v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!get_u32(r, &v[k]))
            return false;
    return true;
}

/* A version 1 LEXN section: word keys, cluster ids, vectors of signed
 * bytes; counts checked against the limits and the section's size before
 * anything is allocated. */
static int read_lexicon_v1(rbuf *r, nk_lexicon *lx, const char *kind, const char *name, nerkit_error *err)
{
    uint32_t n, nc, dim;
    if (!get_u32(r, &n) || !get_u32(r, &nc) || !get_u32(r, &dim) || n > NK_MAX_LEXICON ||
        nc > NK_MAX_CLUSTERINGS || dim > NK_MAX_DIM ||
        r->len - r->pos != (uint64_t)nc + 8ull * n + 4ull * nc * n + (dim ? 4ull * n + (uint64_t)n * dim : 0)) {
        bad(err, kind, name, "LEXN section: counts do not match its size");
        return NERKIT_ERR_MODEL;
    }
    uint8_t brown[NK_MAX_CLUSTERINGS] = {0};
    get(r, brown, nc);
    uint64_t *keys = malloc(((size_t)n + 1) * sizeof *keys);
    float *v = malloc(((size_t)dim + 1) * sizeof *v);
    int rc = keys && v ? NERKIT_OK : nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    for (uint32_t w = 0; !rc && w < n; w++)
        get_u64(r, &keys[w]);
    if (!rc && nk_lexicon_init(lx, keys, n, nc, dim, NULL))
        rc = damaged(err, kind, name, "LEXN section: words not sorted or repeated");
    free(keys);
    for (uint32_t c = 0; !rc && c < nc; c++)
        if (brown[c] > 1)
            rc = damaged(err, kind, name, "LEXN section: bad clustering kind");
    uint32_t *ids = rc ? NULL : malloc(((size_t)n + 1) * sizeof *ids);
    if (!rc && !ids)
        rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    for (uint32_t c = 0; !rc && c < nc; c++) {
        get_u32s(r, ids, n);
        if (nk_lexicon_set_clustering(lx, c, ids, brown[c], err))
            rc = damaged(err, kind, name, "LEXN section: more than 65535 clusters");
    }
    free(ids);
    const unsigned char *q = r->p + r->pos + 4ull * n;
    for (uint32_t w = 0; !rc && dim && w < n; w++) {
        float scale;
        if (!get_f32(r, &scale) || scale < 0) {
            rc = damaged(err, kind, name,
                         "LEXN section: a vector scale is not a finite positive number");
            break;
        }
        for (uint32_t d = 0; d < dim; d++)
            v[d] = (float)(int8_t)q[(size_t)w * dim + d] * scale;
        nk_lexicon_set_vector(lx, w, v);
    }
    free(v);
    return rc;
}

/* Skips the zeros nk_put_pad wrote: what follows is 8-byte aligned in
 * memory, as the file was mapped or copied to an aligned buffer. */
static bool get_pad(rbuf *r)
{
    uint32_t pad;
    if (!get_u32(r, &pad) || pad > 7 || r->len - r->pos < pad)
        return false;
    r->pos += pad;
    return true;
}

/* The arrays that follow a pad are used in place, so they must start at a
 * multiple of 8 bytes into the file, where the writer's pad put them; they
 * are elsewhere only when bytes before them were added or removed since. */
static bool aligned(const rbuf *r)
{
    return ((uintptr_t)(r->p + r->pos) & 7) == 0;
}

static const char misaligned[] =
    "section: its arrays do not start at a multiple of 8 bytes into the file, "
    "where its pad puts them (bytes before it were added or removed)";

/* The LEXV section (write_lexicon), used in place: the sizes, the key
 * order and the bitmap are checked, so that no lookup reads out of
 * bounds; cluster ids and vector bytes are any values. */
static int read_lexicon(rbuf *r, nk_lexicon *lx, const char *kind, const char *name, nerkit_error *err)
{
    uint32_t n, nc, dim, nvec, nvalues[NK_MAX_CLUSTERINGS];
    uint8_t brown[NK_MAX_CLUSTERINGS];
    if (!get_u32(r, &n) || !get_u32(r, &nc) || !get_u32(r, &dim) || !get_u32(r, &nvec) ||
        !get(r, brown, NK_MAX_CLUSTERINGS) || !get_u32s(r, nvalues, NK_MAX_CLUSTERINGS) ||
        !get_pad(r) || n > NK_MAX_LEXICON || nc > NK_MAX_CLUSTERINGS || dim > NK_MAX_DIM ||
        nvec > n || (!dim && nvec))
        return damaged(err, kind, name, "LEXV section: bad counts");
    if (!aligned(r))
        return nk_fail(err, NERKIT_ERR_MODEL, "%s: damaged %s: LEXV %s", name, kind, misaligned);
    memset(lx, 0, sizeof *lx);
    for (uint32_t c = 0; c < NK_MAX_CLUSTERINGS; c++) {
        if ((lx->brown[c] = brown[c]) > 1 || (c >= nc && (brown[c] || nvalues[c])) ||
            nvalues[c] > UINT16_MAX)
            return damaged(err, kind, name, "LEXV section: bad clustering");
        lx->cstart[c + 1] = lx->cstart[c] + nvalues[c];
    }
    size_t words = ((size_t)n + 63) / 64;
    if (r->len - r->pos != 8ull * n + 8ull * words + 4ull * lx->cstart[nc] + 2ull * nc * n +
                               (uint64_t)nvec * (1 + NK_VEC_BYTES(dim)))
        return damaged(err, kind, name, "LEXV section: counts do not match its size");
    lx->borrowed = true;
    lx->nwords = n;
    lx->nclusterings = nc;
    lx->dim = dim;
    lx->nvec = nvec;
    const unsigned char *p = r->p + r->pos;
    lx->key = (uint64_t *)p;
    lx->has_vec = (uint64_t *)(p += 8ull * n);
    lx->cvalue = (uint32_t *)(p += 8ull * words);
    lx->cluster = (uint16_t *)(p += 4ull * lx->cstart[nc]);
    lx->vec_scale = (uint8_t *)(p += 2ull * nc * n);
    lx->vec = (uint8_t *)(p + nvec);
    for (size_t k = 0; k < (size_t)n * nc; k++)
        if (lx->cluster[k] > nvalues[k % nc])
            return damaged(err, kind, name, "LEXV section: a cluster out of range");
    for (uint32_t w = 1; w < n; w++)
        if (lx->key[w] <= lx->key[w - 1])
            return damaged(err, kind, name, "LEXV section: words not sorted or repeated");
    if (n % 64 && lx->has_vec[words - 1] >> (n % 64))
        return damaged(err, kind, name, "LEXV section: vectors of words past the last");
    int rc = nk_lexicon_index(lx, err);
    if (rc == NERKIT_ERR_MODEL)
        return damaged(err, kind, name, "LEXV section: the vector count does not match");
    return rc;
}

/* The ROWS section (put_model), used in place: the bitmap's count must be
 * the row count, and float rows finite. */
static int read_rows(rbuf *r, nerkit_model *m, const char *kind, const char *name, nerkit_error *err)
{
    const size_t L = m->nlabels, words = ((size_t)1 << m->feat.hash_bits) / 64;
    uint32_t fmt, nrows;
    if (!get_u32(r, &fmt) || !get_u32(r, &nrows) || !get_pad(r) || fmt > NK_ROWS_I8)
        return damaged(err, kind, name, "ROWS section: bad header");
    if (!aligned(r))
        return nk_fail(err, NERKIT_ERR_MODEL, "%s: damaged %s: ROWS %s", name, kind, misaligned);
    size_t row = fmt == NK_ROWS_I8 ? L + 1 : 4 * L;
    if (r->len - r->pos != 8ull * words + (uint64_t)nrows * row)
        return damaged(err, kind, name, "ROWS section: counts do not match its size");
    uint64_t *present = (uint64_t *)(r->p + r->pos);
    if (nk_bitrank_build(present, m->rank, words) != nrows)
        return damaged(err, kind, name, "ROWS section: the bitmap does not count the rows");
    free(m->present);
    m->present = present;
    m->rows_borrowed = true;
    m->nrows = nrows;
    m->rowfmt = (nk_rowfmt)fmt;
    const unsigned char *p = r->p + r->pos + 8ull * words;
    if (fmt == NK_ROWS_I8) {
        m->qrows = (int8_t *)p;
        return NERKIT_OK;
    }
    m->rows = (float *)p;
    for (size_t k = 0; k < (size_t)nrows * L; k++)
        if (!isfinite(m->rows[k]))
            return damaged(err, kind, name, "ROWS section: a weight is not a finite number");
    return NERKIT_OK;
}


/* The GAZT section (write_phrases): sizes checked against the section
 * before anything is allocated, then the structure the lookups rely on. */
static int read_phrases(rbuf *r, nk_phrases *p, const char *kind, const char *name, nerkit_error *err)
{
    uint32_t nlists, ns, nout, bits, pad;
    if (!get_u32(r, &nlists) || nlists > NK_MAX_PHRASE_LISTS)
        return damaged(err, kind, name, "GAZT section: bad list count");
    if (!(p->lists = calloc(nlists + 1, sizeof *p->lists)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    for (; p->nlists < nlists; p->nlists++) {
        char buf[NK_MAX_TYPE_LEN + 1];
        if (!get_str(r, buf, sizeof buf) || !buf[0])
            return damaged(err, kind, name, "GAZT section: bad list name");
        if (!(p->lists[p->nlists] = strdup(buf)))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    }
    if (!get_u32(r, &ns) || !get_u32(r, &nout) || !get_u32(r, &bits) || !get_u32(r, &pad) ||
        ns == 0 || ns == UINT32_MAX || bits > 24 || pad > 7 ||
        r->len - r->pos != pad + 8ull * ns + 8ull * (ns + 1ull) + 8ull * nout +
                               4ull * ((1ull << bits) + 1))
        return damaged(err, kind, name, "GAZT section: counts do not match its size");
    r->pos += pad;
    p->nstates = ns;
    p->nout = nout;
    p->root_bits = bits;
    size_t nb = ((size_t)1 << bits) + 1;
    if (!(p->key = malloc((size_t)ns * sizeof *p->key)) ||
        !(p->child = malloc(((size_t)ns + 1) * sizeof *p->child)) ||
        !(p->out_start = malloc(((size_t)ns + 1) * sizeof *p->out_start)) ||
        !(p->out_list = malloc(((size_t)nout + 1) * sizeof *p->out_list)) ||
        !(p->out_case = malloc(((size_t)nout + 1) * sizeof *p->out_case)) ||
        !(p->root = malloc(nb * sizeof *p->root)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    for (uint32_t k = 0; k < ns; k++)
        get_u64(r, &p->key[k]);
    get_u32s(r, p->child, (size_t)ns + 1);
    get_u32s(r, p->out_start, (size_t)ns + 1);
    get_u32s(r, p->out_list, nout);
    get_u32s(r, p->out_case, nout);
    get_u32s(r, p->root, nb);
    if (nk_phrases_check(p))
        return damaged(err, kind, name, "GAZT section: the phrase matcher is inconsistent");
    return NERKIT_OK;
}

/* A version 1 WGHT section: the slots, then the rows as floats, copied. */
static int read_rows_v1(rbuf *r, nerkit_model *m, const char *kind, const char *name, nerkit_error *err)
{
    const size_t L = m->nlabels, H = (size_t)1 << m->feat.hash_bits;
    uint32_t nrows;
    if (r->len < 4 || (nrows = nk_le32(r->p)) > (r->len - 4) / (4 + 4 * L) ||
        r->len - 4 != (uint64_t)nrows * (4 + 4 * L) || nrows > H)
        return damaged(err, kind, name, "WGHT section: row count does not match its size");
    r->pos = 4;
    uint32_t *slots = malloc(((size_t)nrows + 1) * sizeof *slots);
    if (!slots)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s (%u weight rows)", name,
                       nrows);
    for (uint32_t k = 0; k < nrows; k++) {
        get_u32(r, &slots[k]);
        if (slots[k] >= H || (k > 0 && slots[k] <= slots[k - 1])) {
            free(slots);
            return damaged(err, kind, name,
                           "WGHT section: feature slots out of order or out of range");
        }
    }
    int rc = nk_model_set_rows(m, slots, nrows, err);
    free(slots);
    for (size_t k = 0; !rc && k < (size_t)nrows * L; k++)
        if (!get_f32(r, &m->rows[k]))
            rc = damaged(err, kind, name, "WGHT section: a weight is not a finite number");
    return rc;
}

/* Builds the model of a checked payload. The arrays of version 2 sections
 * stay where they are: the caller gives the model its buffer to keep (map)
 * when borrows() says so. */
static nerkit_model *build(const sections *sec, const char *name, nerkit_error *err)
{
    const char *kind = sec->kind;
    if (!sec->has_meta || !sec->has_labl || !sec->has_feat || !sec->has_tran ||
        sec->has_wght == sec->has_rows || (sec->has_lexn && sec->has_lexv))
        return bad(err, kind, name, "a required section is missing, or two of a kind");
    /* each version has rows and a lexicon of its own layout: a file that
     * mixes them was not written by nerkit, and its header's version would
     * not say how to read them */
    if (sec->version < 2 ? sec->has_rows || sec->has_lexv : sec->has_wght || sec->has_lexn)
        return bad(err, kind, name, sec->version < 2
                                  ? "a version 1 file with a section of version 2 (ROWS or LEXV)"
                                  : "a version 2 file with a section of version 1 (WGHT or LEXN)");
    rbuf meta = sec->meta, labl = sec->labl, feat = sec->feat, tran = sec->tran;
    char algorithm[32], scheme[16], version[32];
    if (!get_str(&meta, algorithm, sizeof algorithm) || !get_str(&meta, scheme, sizeof scheme) ||
        !get_str(&meta, version, sizeof version))
        return bad(err, kind, name, "META section unreadable");
    int sch = nerkit_scheme_parse(scheme);
    if (sch <= 0)
        return bad(err, kind, name, "unknown tag scheme in META");

    uint32_t ntypes;
    if (!get_u32(&labl, &ntypes) || ntypes > NK_MAX_TYPES)
        return bad(err, kind, name, "LABL section: bad type count");
    char **types = calloc(ntypes + 1, sizeof *types);
    size_t *lens = calloc(ntypes + 1, sizeof *lens);
    nerkit_model *m = NULL;
    if (!types || !lens) {
        nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
        goto out;
    }
    for (uint32_t t = 0; t < ntypes; t++) {
        char buf[NK_MAX_TYPE_LEN + 1];
        if (!get_str(&labl, buf, sizeof buf) || !buf[0]) {
            bad(err, kind, name, "LABL section: bad type name");
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
            bad(err, kind, name, "LABL section: type names not sorted or repeated");
            goto out;
        }
    }
    /* sizes that follow from the label set are checked before the model's
     * tables are allocated for it */
    const size_t L = 1 + 4 * (size_t)ntypes;
    if (tran.len != L * L * 4) {
        bad(err, kind, name, "TRAN section has the wrong size for the label set");
        goto out;
    }
    nk_featcfg cfg;
    if (!get_u32(&feat, &cfg.groups) || !get_u32(&feat, &cfg.hash_bits) ||
        (cfg.groups & ~(uint32_t)(NERKIT_FEAT_ALL | NERKIT_FEAT_CLUSTERS | NERKIT_FEAT_VECTORS |
                                  NERKIT_FEAT_GAZETTEER | NERKIT_FEAT_CASELESS |
                                  NERKIT_FEAT_NONLOCAL)) ||
        cfg.hash_bits < 10 || cfg.hash_bits > 28) {
        bad(err, kind, name, "FEAT section: unknown feature groups or hash size");
        goto out;
    }
    m = nk_model_new(algorithm, (nerkit_scheme)sch, (const char *const *)types, lens, ntypes,
                     &cfg, err);
    if (!m)
        goto out;
    for (size_t k = 0; k < L * L; k++)
        if (!get_f32(&tran, &m->trans[k])) {
            bad(err, kind, name, "TRAN section: a weight is not a finite number");
            goto fail;
        }
    if (sec->has_prob) {
        rbuf prob = sec->prob;
        /* past 1e6 the forward pass's exponentials overflow for any real score */
        if (prob.len != 4 || !get_f32(&prob, &m->prob_scale) || !(m->prob_scale > 0) ||
            m->prob_scale > 1e6f) {
            bad(err, kind, name, "PROB section: the scale is not a number in (0, 1e6]");
            goto fail;
        }
    }
    rbuf rows = sec->has_rows ? sec->rows : sec->wght;
    if ((sec->has_rows ? read_rows : read_rows_v1)(&rows, m, kind, name, err))
        goto fail;
    if (cfg.groups & (NERKIT_FEAT_CLUSTERS | NERKIT_FEAT_VECTORS)) {
        rbuf lex = sec->has_lexv ? sec->lexv : sec->lexn;
        if (!sec->has_lexv && !sec->has_lexn) {
            bad(err, kind, name, "the features need a LEXV section, and there is none");
            goto fail;
        }
        if ((sec->has_lexv ? read_lexicon : read_lexicon_v1)(&lex, &m->lex, kind, name, err))
            goto fail;
    }
    if (cfg.groups & NERKIT_FEAT_VECTORS) {
        rbuf dens = sec->dens;
        size_t k = L * NK_WINDOW * m->lex.dim;
        if (!sec->has_dens || !m->lex.dim || dens.len != 4 * k) {
            bad(err, kind, name, "DENS section missing or of the wrong size for the vectors");
            goto fail;
        }
        if (!(m->dense = malloc(4 * k))) {
            nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
            goto fail;
        }
        for (size_t i = 0; i < k; i++)
            if (!get_f32(&dens, &m->dense[i])) {
                bad(err, kind, name, "DENS section: a weight is not a finite number");
                goto fail;
            }
    }
    if (cfg.groups & NERKIT_FEAT_GAZETTEER) {
        rbuf gazt = sec->gazt;
        if (!sec->has_gazt) {
            bad(err, kind, name, "the features need a GAZT section, and there is none");
            goto fail;
        }
        if (read_phrases(&gazt, &m->gaz, kind, name, err))
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

/* Checks the header of a file of this kind (magic, version, length and
 * checksums) and gives the payload. */
int nk_file_open(const unsigned char *p, size_t len, const char *magic, uint32_t version,
                 const char *kind, const char *name, const unsigned char **payload,
                 size_t *payload_len, nerkit_error *err)
{
    /* the other kinds of the container, named when given for this one */
    static const struct {
        const char *magic, *what;
    } kinds[] = {{MAGIC, "model"},
                 {CKPT_MAGIC, "training checkpoint (finish it with nerkit-train --resume)"},
                 {"NERKITD\x1a", "dictionary (for nerkit-tag --dict)"}};
    if (len == 0)
        return nk_fail(err, NERKIT_ERR_MODEL, "%s: empty file, not a nerkit %s", name, kind);
    if (memcmp(p, magic, len < 8 ? len : 8) != 0) {
        for (size_t k = 0; len >= 8 && k < sizeof kinds / sizeof *kinds; k++)
            if (memcmp(p, kinds[k].magic, 8) == 0)
                return nk_fail(err, NERKIT_ERR_MODEL, "%s: a nerkit %s, not a %s", name,
                               kinds[k].what, kind);
        return nk_fail(err, NERKIT_ERR_MODEL, "%s: not a nerkit %s (bad magic bytes)", name,
                       kind);
    }
    if (len < HEADER_SIZE)
        return nk_fail(err, NERKIT_ERR_MODEL,
                       "%s: truncated %s: %zu bytes, shorter than the %d-byte header", name, kind,
                       len, HEADER_SIZE);
    if (crc(p, 28) != nk_le32(p + 28))
        return damaged(err, kind, name, "header checksum mismatch");
    uint32_t v = nk_le32(p + 8);
    if (v > version)
        return nk_fail(err, NERKIT_ERR_VERSION,
                       "%s: %s format version %u is newer than this nerkit reads (%u); "
                       "upgrade nerkit",
                       name, kind, v, version);
    if (v == 0 || nk_le32(p + 12) != 0)
        return damaged(err, kind, name, "format version 0 or reserved header bytes set");
    uint64_t n = nk_le64(p + 16);
    if (n > len - HEADER_SIZE)
        return nk_fail(err, NERKIT_ERR_MODEL,
                       "%s: truncated %s: header promises %llu payload bytes, file has %zu", name,
                       kind, (unsigned long long)n, len - HEADER_SIZE);
    if (n < len - HEADER_SIZE)
        return damaged(err, kind, name, "trailing bytes after the payload");
    /* the run of sections first, header by header: a payload that is not
     * one (zeros of a sparse file, another format under a copied header)
     * is refused before the checksum reads, and maps, every byte of it */
    int rc = nk_file_sections(p + HEADER_SIZE, (size_t)n, NULL, 0, kind, name, err);
    if (rc)
        return rc;
    if (crc(p + HEADER_SIZE, n) != nk_le32(p + 24))
        return nk_fail(err, NERKIT_ERR_MODEL, "%s: corrupted %s: payload checksum mismatch", name,
                       kind);
    *payload = p + HEADER_SIZE;
    *payload_len = (size_t)n;
    return NERKIT_OK;
}

static int open_file(const unsigned char *p, size_t len, const char *magic, uint32_t version,
                     const char *kind, const char *name, rbuf *payload, nerkit_error *err)
{
    *payload = (rbuf){0};
    return nk_file_open(p, len, magic, version, kind, name, &payload->p, &payload->len, err);
}

int nk_file_sections(const unsigned char *payload, size_t len, nk_section *known, size_t nknown,
                     const char *kind, const char *name, nerkit_error *err)
{
    rbuf r = {payload, len, 0};
    for (size_t k = 0; k < nknown; k++) {
        known[k].p = NULL;
        known[k].len = 0;
        known[k].seen = false;
    }
    while (r.pos < r.len) {
        unsigned char head[12];
        if (!get(&r, head, 12))
            return damaged(err, kind, name, "section header cut short");
        for (int k = 0; k < 4; k++)
            if (!((head[k] >= 'A' && head[k] <= 'Z') || (head[k] >= 'a' && head[k] <= 'z')))
                return nk_fail(err, NERKIT_ERR_MODEL,
                               "%s: damaged %s: no section at byte offset %zu (a tag is four "
                               "ASCII letters)",
                               name, kind, HEADER_SIZE + r.pos - 12);
        uint64_t n = nk_le64(head + 4);
        if (n > r.len - r.pos)
            return damaged(err, kind, name, "section longer than the payload");
        for (size_t k = 0; k < nknown; k++) {
            if (memcmp(head, known[k].tag, 4) != 0)
                continue;
            if (known[k].seen)
                return damaged(err, kind, name, "a section appears twice");
            known[k].p = r.p + r.pos;
            known[k].len = (size_t)n;
            known[k].seen = true;
        }
        r.pos += (size_t)n;
    }
    return NERKIT_OK;
}

/* Finds the sections of a model or checkpoint payload. Unknown ones are
 * skipped: later versions may add sections. */
static int find_sections(rbuf r, sections *sec, const char *kind, const char *name,
                         nerkit_error *err)
{
    struct {
        const char *tag;
        rbuf *dst;
        bool *seen;
    } known[] = {{"META", &sec->meta, &sec->has_meta}, {"LABL", &sec->labl, &sec->has_labl},
                 {"FEAT", &sec->feat, &sec->has_feat}, {"TRAN", &sec->tran, &sec->has_tran},
                 {"WGHT", &sec->wght, &sec->has_wght}, {"PROB", &sec->prob, &sec->has_prob},
                 {"LEXN", &sec->lexn, &sec->has_lexn}, {"GAZT", &sec->gazt, &sec->has_gazt},
                 {"ROWS", &sec->rows, &sec->has_rows}, {"LEXV", &sec->lexv, &sec->has_lexv},
                 {"DENS", &sec->dens, &sec->has_dens}, {"PSTA", &sec->psta, &sec->has_psta},
                 {"ORDR", &sec->ordr, &sec->has_ordr}, {"WSUM", &sec->wsum, &sec->has_wsum},
                 {"TSUM", &sec->tsum, &sec->has_tsum}, {"DSUM", &sec->dsum, &sec->has_dsum}};
    enum { N = sizeof known / sizeof *known };
    nk_section found[N];
    for (size_t k = 0; k < N; k++)
        found[k].tag = known[k].tag;
    memset(sec, 0, sizeof *sec);
    int rc = nk_file_sections(r.p, r.len, found, N, kind, name, err);
    for (size_t k = 0; !rc && k < N; k++) {
        *known[k].dst = (rbuf){found[k].p, found[k].len, 0};
        *known[k].seen = found[k].seen;
    }
    return rc;
}

/* Gives the model the buffer its arrays are in, when it reads any in
 * place; else the buffer is released. */
static void keep_or_release(nerkit_model *m, void *buf, size_t len, bool heap)
{
    if (m && (m->rows_borrowed || m->lex.borrowed)) {
        m->map = buf;
        m->map_len = len;
        m->map_heap = heap;
    } else if (heap) {
        free(buf);
    } else {
        munmap(buf, len);
    }
}

/* A model from a whole file in buf: mapped, or a heap copy (heap). */
static nerkit_model *load(void *buf, size_t len, bool heap, const char *name, nerkit_error *err)
{
    rbuf payload = {0};
    sections sec;
    nerkit_model *m = NULL;
    if (!open_file(buf, len, MAGIC, FORMAT_VERSION, "model", name, &payload, err) &&
        !find_sections(payload, &sec, "model", name, err)) {
        sec.version = nk_le32((const unsigned char *)buf + 8);
        sec.kind = "model";
        if ((m = build(&sec, name, err))) {
            m->file_crc = nk_le32((const unsigned char *)buf + 24);
            m->file_len = len;
        }
    }
    keep_or_release(m, buf, len, heap);
    return m;
}

/* A copy of data in memory aligned for any array. */
static void *copy_of(const void *data, size_t len, const char *name, nerkit_error *err)
{
    void *copy = malloc(len ? len : 1);
    if (!copy)
        return nk_fail_null(err, NERKIT_ERR_NOMEM, "%s: out of memory (%zu bytes)", name, len);
    if (len)
        memcpy(copy, data, len);
    return copy;
}

nerkit_model *nerkit_model_load_buffer(const void *data, size_t len, const char *name,
                                       nerkit_error *err)
{
    if (!name)
        name = "<buffer>";
    void *copy = copy_of(data, len, name, err);
    return copy ? load(copy, len, true, name, err) : NULL;
}

nerkit_model *nerkit_model_load(const char *path, nerkit_error *err)
{
    /* the file is saved by rename, never rewritten in place, so a mapping
     * stays whole while a newer model replaces it */
    void *mem;
    size_t len, mapped;
    if (nk_file_contents(path, MAGIC, NK_READ_MAP, &mem, &len, &mapped, err))
        return NULL;
    return load(mem, len, !mapped, path, err);
}

/* ---- training checkpoints: the model of the best epoch so far, then the
 * perceptron's state: PSTA (counters and sizes), ORDR (sentence order),
 * WSUM (weight rows that are not all zero: row, L int32 weights, L int64
 * sums), TSUM (transition weights and sums) and, with word vectors, DSUM
 * (dense weights as float bits, sums as double bits). */

static void put_pairs(nk_buf *b, const int32_t *w, const int64_t *u, size_t n)
{
    for (size_t k = 0; k < n; k++)
        nk_put_u32(b, (uint32_t)w[k]);
    for (size_t k = 0; k < n; k++)
        nk_put_u64(b, (uint64_t)u[k]);
}

int nk_checkpoint_save(const char *path, const nerkit_model *best, const nk_checkpoint *ck,
                       nerkit_error *err)
{
    const size_t L = ck->L;
    nk_buf b = {0};
    nk_file_begin(&b);
    put_model(best, &b);
    size_t s = nk_section_begin(&b, "PSTA");
    uint64_t score;
    memcpy(&score, &ck->best_score, 8);
    nk_put_u64(&b, ck->fingerprint);
    nk_put_u32(&b, ck->epoch);
    nk_put_u32(&b, ck->since_best);
    nk_put_u32(&b, ck->stopped);
    nk_put_u64(&b, score);
    nk_put_u64(&b, (uint64_t)ck->step);
    nk_put_u64(&b, L);
    nk_put_u64(&b, ck->rows);
    nk_put_u64(&b, ck->K);
    nk_put_u64(&b, ck->n);
    nk_section_end(&b, s);
    s = nk_section_begin(&b, "ORDR");
    for (size_t i = 0; i < ck->n; i++)
        nk_put_u64(&b, ck->order[i]);
    nk_section_end(&b, s);
    s = nk_section_begin(&b, "WSUM");
    for (size_t r = 0; r < ck->rows; r++) {
        bool any = false;
        for (size_t y = 0; y < L && !any; y++)
            any = ck->w[r * L + y] != 0 || ck->u[r * L + y] != 0;
        if (any) {
            nk_put_u64(&b, r);
            put_pairs(&b, ck->w + r * L, ck->u + r * L, L);
        }
    }
    nk_section_end(&b, s);
    s = nk_section_begin(&b, "TSUM");
    put_pairs(&b, ck->wt, ck->ut, L * L);
    nk_section_end(&b, s);
    if (ck->K) {
        s = nk_section_begin(&b, "DSUM");
        for (size_t k = 0; k < L * ck->K; k++)
            put_f32(&b, ck->wd[k]);
        for (size_t k = 0; k < L * ck->K; k++) {
            uint64_t bits;
            memcpy(&bits, &ck->ud[k], 8);
            nk_put_u64(&b, bits);
        }
        nk_section_end(&b, s);
    }
    int rc = nk_file_seal(&b, CKPT_MAGIC, CKPT_VERSION, "checkpoint", err);
    if (!rc)
        rc = nk_atomic_write(path, b.p, b.len, err);
    free(b.p);
    return rc;
}

static void get_pairs(rbuf *r, int32_t *w, int64_t *u, size_t n)
{
    uint32_t v;
    uint64_t x;
    for (size_t k = 0; k < n && get_u32(r, &v); k++)
        w[k] = (int32_t)v;
    for (size_t k = 0; k < n && get_u64(r, &x); k++)
        u[k] = (int64_t)x;
}

/* The training state of a checked checkpoint payload into ck. */
static int read_state(const sections *sec, nk_checkpoint *ck, const char *name,
                      nerkit_error *err)
{
    const size_t L = ck->L;
    if (!sec->has_psta || !sec->has_ordr || !sec->has_wsum || !sec->has_tsum)
        return damaged(err, "checkpoint", name, "a training state section is missing");
    rbuf r = sec->psta;
    uint64_t fingerprint, score, step, l, rows, K, n;
    uint32_t epoch, since, stopped;
    if (r.len != 68 || !get_u64(&r, &fingerprint) || !get_u32(&r, &epoch) ||
        !get_u32(&r, &since) || !get_u32(&r, &stopped) || !get_u64(&r, &score) ||
        !get_u64(&r, &step) || !get_u64(&r, &l) || !get_u64(&r, &rows) || !get_u64(&r, &K) ||
        !get_u64(&r, &n))
        return damaged(err, "checkpoint", name, "PSTA section has the wrong size");
    memcpy(&ck->best_score, &score, 8);
    if (epoch == 0 || since >= epoch || stopped > 1 || (int64_t)step < 1 ||
        !(ck->best_score == -1 || (ck->best_score >= 0 && ck->best_score <= 100)))
        return damaged(err, "checkpoint", name, "PSTA section: counters out of range");
    if (fingerprint != ck->fingerprint || l != L || rows != ck->rows || K != ck->K || n != ck->n)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "%s: the checkpoint is of another training: the corpora, the feature "
                       "options, --hash-bits, --min-count or --seed differ",
                       name);
    ck->epoch = epoch;
    ck->since_best = since;
    ck->stopped = stopped;
    ck->step = (int64_t)step;

    r = sec->ordr;
    if (r.len != 8 * n)
        return damaged(err, "checkpoint", name, "ORDR section has the wrong size");
    bool *seen = calloc(n + 1, 1);
    if (!seen)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory loading %s", name);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        get_u64(&r, &l);
        ok = l < n && !seen[l];
        if (ok)
            seen[l] = true, ck->order[i] = (size_t)l;
    }
    free(seen);
    if (!ok)
        return damaged(err, "checkpoint", name, "ORDR section: not an order of the sentences");

    r = sec->wsum;
    size_t entry = 8 + 12 * L;
    if (r.len % entry != 0 || r.len / entry > rows)
        return damaged(err, "checkpoint", name, "WSUM section has the wrong size");
    uint64_t prev = 0;
    for (bool first = true; r.pos < r.len; first = false) {
        uint64_t row;
        get_u64(&r, &row);
        if (row >= rows || (!first && row <= prev))
            return damaged(err, "checkpoint", name, "WSUM section: rows out of order or range");
        prev = row;
        get_pairs(&r, ck->w + row * L, ck->u + row * L, L);
    }
    r = sec->tsum;
    if (r.len != 12 * L * L)
        return damaged(err, "checkpoint", name, "TSUM section has the wrong size");
    get_pairs(&r, ck->wt, ck->ut, L * L);
    r = sec->dsum;
    if (K && r.len != 12 * L * K)
        return damaged(err, "checkpoint", name, "DSUM section missing or of the wrong size");
    for (size_t k = 0; k < L * K; k++)
        if (!get_f32(&r, &ck->wd[k]))
            return damaged(err, "checkpoint", name, "DSUM section: a weight is not a number");
    for (size_t k = 0; k < L * K; k++) {
        get_u64(&r, &l);
        memcpy(&ck->ud[k], &l, 8);
        if (!isfinite(ck->ud[k]))
            return damaged(err, "checkpoint", name, "DSUM section: a sum is not a number");
    }
    return NERKIT_OK;
}

/* A checkpoint from a whole file in buf, a heap copy the model keeps when
 * it reads arrays in place. */
static int load_checkpoint(void *buf, size_t len, const char *name, nk_checkpoint *ck,
                           nerkit_model **best, nerkit_error *err)
{
    rbuf payload = {0};
    sections sec;
    *best = NULL;
    int rc = open_file(buf, len, CKPT_MAGIC, CKPT_VERSION, "checkpoint", name, &payload, err);
    if (!rc && nk_le32((const unsigned char *)buf + 8) < CKPT_VERSION)
        rc = nk_fail(err, NERKIT_ERR_VERSION,
                     "%s: checkpoint format version %u is older than this nerkit resumes (%u); "
                     "train again without --resume",
                     name, nk_le32((const unsigned char *)buf + 8), CKPT_VERSION);
    if (!rc)
        rc = find_sections(payload, &sec, "checkpoint", name, err);
    if (!rc)
        rc = read_state(&sec, ck, name, err);
    sec.version = FORMAT_VERSION; /* a checkpoint's model is of the current format */
    sec.kind = "checkpoint";
    nerkit_model *m = rc ? NULL : build(&sec, name, err);
    /* the trainer takes the best epoch's rows over */
    if (m && nk_model_own_rows(m, err)) {
        nerkit_model_free(m);
        m = NULL;
    }
    keep_or_release(m, buf, len, true);
    if (rc)
        return rc;
    if (!m)
        return err ? err->code : NERKIT_ERR_MODEL;
    /* the trainer goes on from the best epoch's float rows */
    if (m->nlabels != ck->L || m->rowfmt != NK_ROWS_F32 ||
        (ck->K ? !m->dense || NK_WINDOW * (size_t)m->lex.dim != ck->K : m->dense != NULL)) {
        nerkit_model_free(m);
        return damaged(err, "checkpoint", name, "its model does not fit its training state");
    }
    *best = m;
    return NERKIT_OK;
}

int nk_checkpoint_load_buffer(const void *data, size_t len, const char *name, nk_checkpoint *ck,
                              nerkit_model **best, nerkit_error *err)
{
    *best = NULL;
    void *copy = copy_of(data, len, name, err);
    return copy ? load_checkpoint(copy, len, name, ck, best, err) : NERKIT_ERR_NOMEM;
}

int nk_checkpoint_load(const char *path, nk_checkpoint *ck, nerkit_model **best,
                       nerkit_error *err)
{
    void *buf;
    size_t len, mapped;
    *best = NULL;
    int rc = nk_file_contents(path, CKPT_MAGIC, NK_READ_HEAP, &buf, &len, &mapped, err);
    return rc ? rc : load_checkpoint(buf, len, path, ck, best, err);
}
