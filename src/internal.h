/*
 * Declarations shared by the library's components; not part of the API.
 */
#ifndef NERKIT_INTERNAL_H
#define NERKIT_INTERNAL_H

#include "nerkit.h"

#include <stdarg.h>
#include <stdbool.h>

/* ---- errors (error.c) */

/* Fills err (if any) and returns code, so that failures read `return nk_fail(...)`. */
int nk_fail(nerkit_error *err, nerkit_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *nk_fail_null(nerkit_error *err, nerkit_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Allocation that reports NOMEM through err. */
void *nk_alloc(size_t n, size_t size, nerkit_error *err);

/* realloc of *pp to n elements; on failure *pp is kept and false returned. */
bool nk_resize(void *pp, size_t n, size_t elsize);

/* ---- growable byte buffer (buf.c) */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed; /* an allocation failed: check once at the end */
} nk_buf;

void nk_buf_put(nk_buf *b, const void *data, size_t n);
void nk_buf_putc(nk_buf *b, char c);
void nk_buf_printf(nk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nk_buf_free(nk_buf *b);

/* ---- JSON lines (json.c) */

typedef struct {
    const char *key; /* as written, without quotes */
    size_t key_len;
    const char *member; /* "key": value, exactly as written */
    size_t member_len;
    const char *value;
    size_t value_len;
} nk_json_member;

/* Checks that line is one JSON object and lists its top-level members (up
 * to max; *count gets them all). On a syntax error returns
 * NERKIT_ERR_FORMAT with *error_at at the offending byte. */
int nk_json_members(const char *line, size_t len, nk_json_member *out, size_t max, size_t *count,
                    size_t *error_at);

/* Decodes a checked JSON string value (with its quotes) into out, which has
 * room for n bytes; returns the decoded length. */
size_t nk_json_decode_string(const char *s, size_t n, char *out);

/* Appends s as a JSON string; an invalid UTF-8 byte becomes U+FFFD. */
int nk_buf_json_string(nk_buf *b, const char *s, size_t n);

/* ---- UTF-8 and character classes (utf8.c) */

/* Decodes the code point at s (n bytes available) into *cp and returns its
 * length; returns 0 for an invalid or truncated sequence. */
size_t nk_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes cp as UTF-8 into out (room for 4) and returns its length. */
size_t nk_utf8_encode(uint32_t cp, char *out);

/* Offset of the first invalid UTF-8 byte in s, or n when all is valid. */
size_t nk_utf8_check(const unsigned char *s, size_t n);

uint32_t nk_cp_lower(uint32_t cp);
bool nk_cp_is_upper(uint32_t cp);
bool nk_cp_is_letter(uint32_t cp);
bool nk_cp_is_digit(uint32_t cp);

/* ---- hashing (inline: it sits in the hottest loop) */

static inline uint64_t nk_mix64(uint64_t x)
{
    /* splitmix64 finaliser: every input bit affects every output bit, so
     * masking the low bits for the table index is safe. */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t nk_hash_step(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
}

#define NK_HASH_INIT 0xcbf29ce484222325ULL

/* ---- labels and schemes (scheme.c) */

/* Internal labels: 0 is O, then 4 per entity type in the order B, I, L, U. */
enum { NK_B = 0, NK_I = 1, NK_L = 2, NK_U = 3 };
#define NK_LABEL(type, part) ((uint16_t)(1 + 4 * (type) + (part)))
#define NK_LABEL_TYPE(l) (((l) - 1) / 4)
#define NK_LABEL_PART(l) (((l) - 1) % 4)

/* One label as read from a file: prefix letter ('B','I','E','S','L','U') or
 * 0 for O, and the type. */
typedef struct {
    char prefix;
    const char *type;
    size_t type_len;
} nk_raw_label;

/* Parses "O" or "P-TYPE"; returns false when the label is neither. */
bool nk_label_parse(const char *s, size_t len, nk_raw_label *out);

/* Converts a sentence of raw labels (prefix + type id, -1 for O) into BILOU
 * label ids, reading chunks with conlleval's rules so that any scheme, and
 * even an invalid sequence, gets its most faithful reading. */
void nk_to_bilou(const char *prefix, const int *type, size_t n, uint16_t *out);

/* ---- documents and features (features.c) */

/* The most features one token can have; slot space is reserved up front so
 * the emitting loop never checks. */
#define NK_MAX_FEATURES 64

/* Feature extraction configuration, stored in the model. */
typedef struct {
    uint32_t groups;    /* NERKIT_FEAT_* */
    unsigned hash_bits; /* table of 2^hash_bits rows */
} nk_featcfg;

/* Growable buffer of feature slots for a document: token i's features are
 * slots[start[i] .. start[i+1]). */
typedef struct {
    uint32_t *slots;
    size_t nslots, cap_slots;
    size_t *start;
    size_t cap_tokens;
    /* per-token scratch, struct of arrays */
    uint64_t *h_word, *h_lower, *h_shape, *h_short;
    uint64_t (*h_affix)[8]; /* prefixes then suffixes of 1-4 characters */
    uint32_t *flags;
    /* document-level table */
    uint64_t *doc_keys;
    uint8_t *doc_bits;
    size_t doc_cap, doc_mask;
} nk_featbuf;

void nk_featbuf_free(nk_featbuf *fb);

/* Extracts the features of every token of doc into fb (reusing its memory). */
int nk_features_extract(const nk_featcfg *cfg, const nerkit_document *doc, nk_featbuf *fb,
                        nerkit_error *err);

/* ---- decoding (viterbi.c) */

/* The BILOU transition structure: for each label, the labels allowed before
 * it, and which may start or end a sentence. */
typedef struct {
    size_t nlabels;
    uint16_t *pred;       /* all predecessor lists, concatenated */
    size_t *pred_start;   /* label y's list is pred[pred_start[y] .. pred_start[y+1]) */
    bool *can_start, *can_end;
} nk_lattice;

int nk_lattice_init(nk_lattice *lat, size_t ntypes, nerkit_error *err);
void nk_lattice_free(nk_lattice *lat);

/* Best path through n positions: emission scores em[n*L], transitions
 * trans[prev*L + cur]. Scratch: score[2*L] floats and back[n*L]. */
void nk_viterbi(const nk_lattice *lat, const float *em, size_t n, const float *trans,
                float *score, uint16_t *back, uint16_t *path);

/* ---- the model (model.c, model_io.c) */

/* Entity types a model may have: 1000 types make 4001 labels and a 64 MB
 * transition table, past any real label set and still loadable. */
#define NK_MAX_TYPES 1000

struct nerkit_model {
    char algorithm[32];
    nerkit_scheme scheme;
    size_t ntypes;
    char **types;
    size_t nlabels;
    char **names; /* "O" then 6 prefixes x ntypes: B I E S L U */
    nk_featcfg feat;
    /* Which slots have a row: a bitmap of 2^hash_bits bits plus the count of
     * set bits before each 64-bit word, so a row is found with one popcount.
     * For 2^22 slots that is 768 KiB, small enough to stay in L2 cache,
     * where a plain slot -> row array would take 16 MiB. */
    uint64_t *present;
    uint32_t *rank;
    float *rows; /* nrows x L, in slot order */
    uint32_t nrows;
    float *trans; /* L*L, [prev*L + cur] */
    nk_lattice lat;
};

/* Builds an empty model for these types (copied); weights are added by the
 * trainer. */
nerkit_model *nk_model_new(const char *algorithm, nerkit_scheme scheme, const char *const *types,
                           const size_t *type_len, size_t ntypes, const nk_featcfg *feat,
                           nerkit_error *err);

/* Gives the model rows for these slots (strictly increasing): builds the
 * index and allocates zeroed rows for the caller to fill in slot order. */
int nk_model_set_rows(nerkit_model *m, const uint32_t *slots, uint32_t nrows, nerkit_error *err);

/* The weight row of a feature slot, or NULL when all its weights are zero. */
static inline const float *nk_model_row(const nerkit_model *m, uint32_t slot)
{
    uint64_t word = m->present[slot >> 6];
    uint64_t bit = (uint64_t)1 << (slot & 63);
    if (!(word & bit))
        return NULL;
    size_t r = m->rank[slot >> 6] + (size_t)__builtin_popcountll(word & (bit - 1));
    return m->rows + r * m->nlabels;
}

/* Looks a type name up; -1 when the model has no such type. */
int nk_model_type_index(const nerkit_model *m, const char *name, size_t len);

/* ---- tagging (tagger.c) */

/* Scores every token of doc against every label: *em receives doc->ntokens
 * x L emission scores from the tagger's model, valid until the tagger's next
 * call. Every decoder (Viterbi, marginals, n-best) starts from these. */
int nk_tagger_score(nerkit_tagger *t, const nerkit_document *doc, const float **em,
                    nerkit_error *err);

/* ---- inputs (input.c) */

#include <zlib.h>

typedef struct {
    char **path;
    uint64_t *size; /* bytes on disk, 0 when unknown (stdin) */
    size_t n, cap;
} nk_pathlist;

/* Lists the files to read: files as given, folders expanded recursively
 * (entries in byte order), "-" for standard input. */
int nk_paths_expand(const char *const *in, size_t n, nk_pathlist *out, nerkit_error *err);
void nk_pathlist_free(nk_pathlist *l);

/* A file read line by line, gzip or plain. */
typedef struct {
    gzFile gz;
    const char *name;
    char *buf;
    size_t cap, start, end, max_line;
    uint64_t pos; /* text offset of buf[start] */
    unsigned lineno;
    bool eof;
} nk_lines;

int nk_lines_open(nk_lines *r, const char *path, size_t max_line, nerkit_error *err);

/* Returns 1 with the next line (without its \n) valid until the next call,
 * 0 at the end, or minus an error code: unreadable or truncated input, a
 * line over the limit, a NUL byte (binary data). */
int nk_lines_next(nk_lines *r, const char **line, size_t *len, uint64_t *offset,
                  nerkit_error *err);

/* Bytes of the file consumed so far (compressed bytes for gzip). */
uint64_t nk_lines_consumed(nk_lines *r);
void nk_lines_close(nk_lines *r);

/* ---- output formats (output.c) */

/* A tagged document ready to be written. */
typedef struct {
    const char *text; /* what the offsets index */
    size_t text_len;
    const nerkit_span *span; /* per token */
    nerkit_document doc;     /* the tokens as tagged, and sentences */
    const uint16_t *labels;
    const nk_json_member *members; /* JSONL input: members to pass through */
    size_t nmembers;
    const char *id; /* raw JSON value of "id", or NULL */
    size_t id_len;
    uint64_t seq; /* number of the document in the whole input, from 0 */
} nk_tagged;

/* Appends d in format f; names is scratch for the longest sentence. */
int nk_format(nk_buf *out, const nerkit_model *m, const nk_tagged *d, nerkit_output_format f,
              int byte_offsets, nerkit_scheme scheme, const char **names);

/* ---- corpus internals (corpus.c) */

/* Token i's label as BILOU over the corpus's own types (nerkit_corpus_type). */
uint16_t nk_corpus_bilou(const nerkit_corpus *c, size_t i);

/* Seconds on a monotonic clock. */
double nk_now(void);

#endif
