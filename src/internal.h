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

/* The same, zeroed, for a table the tagger reads at random (weight rows,
 * projected vectors): in 2 MiB huge pages where the kernel gives them, so
 * that its reads miss the TLB far less often. Freed with free(). */
void *nk_alloc_huge(size_t n, size_t size, nerkit_error *err);

/* realloc of *pp to n elements; on failure *pp is kept and false returned. */
bool nk_resize(void *pp, size_t n, size_t elsize);

/* ---- growable byte buffer (buf.c) */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed; /* an allocation failed: check once at the end */
} nk_buf;

/* Room for more bytes after len; false (and the buffer marked) when no memory. */
bool nk_buf_reserve(nk_buf *b, size_t more);
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

/* Whether a member's key is key, once decoded (a key may be written with
 * escapes, "t\u0065xt"). */
bool nk_json_key_is(const nk_json_member *m, const char *key);

/* Checks that line is one JSON object and finds its top-level member named
 * key, however many members come before it (the last, if repeated): *count
 * tells how many there are. Errors as nk_json_members. */
int nk_json_find(const char *line, size_t len, const char *key, nk_json_member *found,
                 size_t *count, size_t *error_at);

/* Appends the checked object line without its members named key. */
int nk_json_without(const char *line, size_t len, const char *key, nk_buf *out);

/* Decodes a checked JSON string value (with its quotes) into out, which has
 * room for n bytes; returns the decoded length. */
size_t nk_json_decode_string(const char *s, size_t n, char *out);

/* Appends s as a JSON string; an invalid UTF-8 byte becomes U+FFFD. */
int nk_buf_json_string(nk_buf *b, const char *s, size_t n);
/* Appends n bytes of JSON as they were written, each byte that is not part
 * of a valid UTF-8 character replaced by U+FFFD (as nk_buf_json_string
 * does): JSON text is UTF-8, and a member passed through must stay so. */
int nk_buf_json_raw(nk_buf *b, const char *s, size_t n);

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

/* The most features one token can have (about 45 built in, and up to 12
 * per clustering); slot space is reserved up front so the emitting loop
 * never checks. */
#define NK_MAX_FEATURES 96

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
    int32_t *word; /* index in the model's lexicon, -1 if absent */
    /* document-level table */
    uint64_t *doc_keys;
    uint8_t *doc_bits;
    size_t doc_cap, doc_mask;
} nk_featbuf;

void nk_featbuf_free(nk_featbuf *fb);

/* Extracts the features of every token of doc into fb (reusing its memory);
 * lex (may be NULL) adds the cluster features of the words it knows. */
struct nk_lexicon;
int nk_features_extract(const nk_featcfg *cfg, const struct nk_lexicon *lex,
                        const nerkit_document *doc, nk_featbuf *fb, nerkit_error *err);

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

/* ---- word representations inside a model (lexicon.c) */

#define NK_MAX_LEXICON 2000000
#define NK_MAX_CLUSTERINGS 4
#define NK_MAX_DIM 1024

/* Word -> cluster ids and vector. Cluster ids are 0 for "none", else the
 * id + 1 of a flat clustering, or a Brown path from nk_brown_path. */
typedef struct nk_lexicon {
    uint32_t nwords, nclusterings, dim;
    uint64_t *key;       /* nk_lower_hash of each word */
    uint32_t *cluster;   /* nwords x nclusterings: a word's ids share a cache line */
    uint8_t brown[NK_MAX_CLUSTERINGS]; /* the clustering holds Brown paths */
    int8_t *vec;         /* nwords x dim, times scale[w] */
    float *scale;
    uint32_t *table;     /* open addressing over key, UINT32_MAX = empty */
    size_t table_mask;
} nk_lexicon;

/* The hash the features use for a word's lower-cased form. */
uint64_t nk_lower_hash(const char *s, size_t len);

/* Sets up a lexicon for these (distinct) keys with room for its clusterings
 * and vectors, all zero. */
int nk_lexicon_init(nk_lexicon *lx, const uint64_t *keys, size_t nwords, uint32_t nclusterings,
                    uint32_t dim, nerkit_error *err);
void nk_lexicon_free(nk_lexicon *lx);
int32_t nk_lexicon_find(const nk_lexicon *lx, uint64_t key);
void nk_lexicon_set_vector(nk_lexicon *lx, uint32_t w, const float *v);
/* A Brown bit string as a path value: a leading 1, then the bits. */
uint32_t nk_brown_path(const char *bits, size_t len);

/* ---- dense features (dense.c) */

/* Word vectors of this many tokens around each token feed the dense scores. */
#define NK_WINDOW 5

/* The dense inputs of every token of doc: x gets ntokens rows of
 * NK_WINDOW * dim floats (zeros for words the lexicon lacks). word holds the
 * lexicon index of each token (nk_featbuf.word). */
void nk_dense_inputs(const nk_lexicon *lx, const int32_t *word, const nerkit_document *doc,
                     float *x);

/* em (T x L) += x (T x K) * w^T (w is L x K), by BLAS... */
void nk_dense_scores(const float *x, size_t T, size_t K, const float *w, size_t L, float *em);
/* ... and always in plain C, which the BLAS path is tested against. */
void nk_dense_scores_plain(const float *x, size_t T, size_t K, const float *w, size_t L,
                           float *em);

/* A model's projected vectors take at most this much memory; past it the
 * tagger multiplies each document's inputs instead. */
#define NK_PROJ_MAX ((size_t)64 << 20)

/* Fills m->proj, each lexicon word's dense scores at each window position,
 * when the model has vectors and the table fits in NK_PROJ_MAX. */
int nk_dense_project(nerkit_model *m, nerkit_error *err);

/* ---- the model (model.c, model_io.c) */

/* Entity types a model may have: 1000 types make 4001 labels and a 64 MB
 * transition table, past any real label set and still loadable. */
#define NK_MAX_TYPES 1000
/* Bytes of an entity type's name: the loader reads it into a fixed buffer.
 * The corpus reader and the trainer refuse longer ones, so a model that
 * trains also loads. */
#define NK_MAX_TYPE_LEN 255

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
    nk_lexicon lex; /* word representations, when trained with them */
    float *dense;   /* L x (NK_WINDOW * lex.dim) weights of the word vectors */
    float *proj;    /* lex.nwords x NK_WINDOW x L: dense * each word's vector */
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

/* ---- probabilities (marginals.c): scaled forward-backward for the CRF */

/* Scratch and results for one sentence of up to cap positions. The caller
 * writes label scores into E (n x L) and transition scores into T (L x L,
 * then nk_fb_transitions); the passes turn both into potentials in place. */
typedef struct {
    size_t L, cap;
    double *E;            /* n x L: scores in, exp(score - max of the position) out */
    double *T;            /* L x L: exp(score - tshift); 0 where BILOU forbids */
    double tshift;
    double *alpha, *beta; /* n x L, scaled: P(y_t = y) = alpha * beta */
    double *scale;        /* n + 1 normalisers: one per position, then the end */
    double logz;          /* log partition function */
    double *v;            /* L scratch */
} nk_fb;

int nk_fb_reserve(nk_fb *f, size_t L, size_t n, nerkit_error *err);
void nk_fb_free(nk_fb *f);
void nk_fb_transitions(nk_fb *f, const nk_lattice *lat);
/* false when the scores are too far apart for double precision */
bool nk_fb_forward(nk_fb *f, const nk_lattice *lat, size_t n);
void nk_fb_backward(nk_fb *f, const nk_lattice *lat, size_t n);

static inline double nk_fb_marginal(const nk_fb *f, size_t t, size_t y)
{
    return f->alpha[t * f->L + y] * f->beta[t * f->L + y];
}

/* Adds coef * P(y_{t-1} = p, y_t = y), summed over t, to acc[p * L + y]. */
void nk_fb_edge_marginals(const nk_fb *f, const nk_lattice *lat, size_t n, double coef,
                          double *acc);

/* P(y_a .. y_{a+len-1} = labels[0 .. len)): for an entity's labels, its
 * probability; for a whole sentence, the sequence's. */
double nk_fb_path(const nk_fb *f, size_t a, const uint16_t *labels, size_t len);

/* ---- n-best (nbest.c) */

typedef struct {
    size_t L, K;
    double *score;      /* n x L x K partial path scores, best first */
    uint32_t *back;     /* their back-pointers: previous label << 16 | its rank */
    uint16_t *count;    /* n x L: entries used */
    double *best;       /* K: scores of the best full paths */
    uint32_t *best_back;
    size_t *cursor;     /* L: merge positions */
    uint16_t *ends;     /* L: labels that may end a sentence */
    size_t cap_entries, cap_cells, cap_k, cap_labels;
} nk_nbest;

int nk_nbest_reserve(nk_nbest *w, size_t L, size_t n, size_t k, nerkit_error *err);
void nk_nbest_free(nk_nbest *w);

/* The K best paths (K as reserved) through em (n x L floats): path r goes
 * to paths + r * stride and its score to w->best[r]. Returns how many
 * paths the sentence has, at most K. */
size_t nk_nbest_decode(nk_nbest *w, const nk_lattice *lat, const float *em, size_t n,
                       const float *trans, uint16_t *paths, size_t stride);

/* ---- a tagger's scratch for the decoders beyond Viterbi (confidence.c) */

typedef struct {
    nk_fb fb;
    nk_nbest nb;
} nk_decoders;

void nk_decoders_free(nk_decoders *d);
/* Reserves fb for sentences of up to longest tokens and loads m's transitions. */
int nk_decoders_prepare_fb(nk_decoders *d, const nerkit_model *m, size_t longest,
                           nerkit_error *err);
/* Forward pass over one sentence's emission scores; *logz gets log Z. */
int nk_decoders_forward(nk_decoders *d, const nerkit_model *m, const float *em, size_t n,
                        double *logz, nerkit_error *err);

const nerkit_model *nk_tagger_model(const nerkit_tagger *t);
nk_decoders *nk_tagger_decoders(nerkit_tagger *t);
/* Viterbi with the tagger's scratch, for a sentence of the document last
 * given to nk_tagger_score. */
void nk_tagger_viterbi(nerkit_tagger *t, const float *em, size_t n, uint16_t *labels);

/* ---- inputs (input.c) */

#include <zlib.h>

typedef struct {
    char **path;
    uint64_t *size; /* bytes on disk, 0 when unknown (stdin) */
    size_t n, cap;
    char **skipped; /* one line per folder entry left out, and why */
    size_t nskipped;
} nk_pathlist;

/* Lists the files to read: files as given, folders expanded recursively
 * (entries in byte order), "-" for standard input. Each folder and file is
 * listed once however many links lead to it; what a folder holds besides
 * (links back to a folder already read, a second link to a file, FIFOs,
 * devices, broken links) is left out and named in skipped. */
int nk_paths_expand(const char *const *in, size_t n, nk_pathlist *out, nerkit_error *err);
void nk_pathlist_free(nk_pathlist *l);

/* Opens path for reading into *fd when it is a regular file, without
 * waiting on a FIFO; else an error naming the file. For inputs that only a
 * regular file can sensibly be (models, vectors, clusters). */
int nk_open_regular(const char *path, int *fd, nerkit_error *err);

/* What the first n bytes p of a file are when they are the magic of a
 * compression nerkit does not read (bzip2, xz, zstd, zip), else NULL. */
const char *nk_unsupported_compression(const unsigned char *p, size_t n);

/* A file read line by line, gzip or plain. */
typedef struct {
    struct nk_unzip *src; /* the file's bytes, inflated when gzip (input.c) */
    const char *name;
    char *buf;
    size_t cap, start, end, max_line;
    uint64_t pos; /* text offset of buf[start] */
    unsigned lineno;
    bool eof;
} nk_lines;

int nk_lines_open(nk_lines *r, const char *path, size_t max_line, nerkit_error *err);
/* The same, refusing anything but a regular file (or "-") without waiting
 * on a FIFO: for files that only a regular file can sensibly be. */
int nk_lines_open_regular(nk_lines *r, const char *path, size_t max_line, nerkit_error *err);

/* Returns 1 with the next line (without its \n) valid until the next call,
 * 0 at the end, or minus an error code: unreadable or truncated input, a
 * line over the limit, a NUL byte (binary data). */
int nk_lines_next(nk_lines *r, const char **line, size_t *len, uint64_t *offset,
                  nerkit_error *err);

/* Bytes of the file consumed so far (compressed bytes for gzip). */
uint64_t nk_lines_consumed(nk_lines *r);
void nk_lines_close(nk_lines *r);

/* ---- the threaded document pipeline (pipeline.c) */

/* A document as the reader cut it from its input. */
typedef struct {
    const char *text;  /* the text to work on (decoded, for JSONL) */
    size_t len;
    const char *json;  /* JSONL: the whole input object; else NULL */
    size_t json_len;
    const char *file;  /* the input's name */
    uint64_t offset;   /* of the text in the file (JSONL: of its line) */
    unsigned line;     /* where it begins */
    uint64_t seq;      /* its number in the whole run, from 0 */
    unsigned part;     /* which piece, when cut from a longer text */
    bool cut;          /* the text was longer than max_document */
} nk_doc;

/* What the workers make of a batch of documents: written out in input
 * order by the writer. */
typedef struct {
    nk_buf out;       /* handed to emit */
    nk_buf msgs;      /* one message a line, handed to message */
    uint64_t tokens;  /* added up into the run's statistics */
    size_t warnings;  /* documents with invalid UTF-8 */
    size_t failures;  /* inputs that could not be read */
} nk_batch;

typedef struct {
    nerkit_input_format input; /* TEXT, LINES or JSONL */
    size_t max_document;       /* longer text is cut, at a sentence end where it can be */
    size_t max_line;
    size_t threads;            /* workers, at least 1 */
    bool keep_going;           /* read the next input after one that fails */
    bool warn_utf8;            /* a message for each document with invalid UTF-8 */
    FILE *copy_stdin;          /* if not NULL, standard input's lines are copied here */
    /* A worker's state, made before the threads start (index from 0) and
     * freed after they end; NULL from worker_new is a failure, in err. */
    void *(*worker_new)(void *user, size_t index, nerkit_error *err);
    void (*worker_free)(void *state, void *user);
    /* One document, on a worker thread: its results go into b. */
    int (*work)(void *state, nk_batch *b, const nk_doc *d, nerkit_error *err);
    /* Once per worker after its last batch, unless the run failed; may be NULL. */
    int (*finish)(void *state, nerkit_error *err);
    /* A batch's output, in input order on one thread; may be NULL. */
    int (*emit)(void *user, const nk_buf *out, nerkit_error *err);
    void *user;
    /* As nerkit_bulk_opts's, with their own user pointer. */
    void (*message)(const char *line, void *user);
    void (*progress)(const nerkit_bulk_stats *stats, void *user);
    void *report_user;
    volatile sig_atomic_t *stop; /* as nerkit_bulk_opts's */
} nk_pipe_opts;

/* Runs files through the pipeline. Returns the first failure of a worker,
 * of emit, or of reading an input (after its message, in order, and all
 * that was read before it), or NERKIT_OK. */
int nk_pipe_run(const nk_pathlist *files, const nk_pipe_opts *o, nerkit_bulk_stats *stats,
                nerkit_error *err);

/* Where to cut text longer than max bytes (s has max + 1 or more): between
 * 1 and max, at a sentence end, line break or space where there is one. */
size_t nk_cut_point(const char *s, size_t max);

/* ---- output formats (output.c) */

/* A document ready to be written. */
typedef struct {
    const char *text; /* what the offsets index */
    size_t text_len;
    const nerkit_span *span; /* per token */
    nerkit_document doc;     /* the tokens as tagged, and sentences */
    const nk_json_member *members; /* JSONL input: members to pass through */
    size_t nmembers;
    const char *id; /* raw JSON value of "id", or NULL */
    size_t id_len;
    uint64_t seq; /* number of the document in the whole input, from 0 */
    unsigned part; /* JSONL: the piece of a cut "text" */
    bool cut;
} nk_tagged;

/* What tagging a document produces, and scratch to format it; one per
 * thread, reused (its arrays only grow). */
typedef struct {
    uint16_t *labels;       /* the best labelling */
    nerkit_entity *ents;    /* its entities, with probabilities when asked */
    size_t nents;
    nerkit_entity *alt;     /* entities of one n-best alternative */
    uint16_t *nbest;        /* K x N labels, as nerkit_tag_nbest gives them */
    double *scores, *probs; /* K x S */
    size_t *found;          /* S */
    const char **names;     /* one sentence's label strings */
    const char **columns;   /* N x K label strings for CoNLL */
    size_t cap_tok, cap_sent, cap_k;
} nk_tagwork;

void nk_tagwork_free(nk_tagwork *w);

/* Tags doc as o asks: the labels and entities, with confidences or n-best
 * lists when o->confidence or o->nbest. */
int nk_tag_document(nerkit_tagger *t, nk_tagwork *w, const nerkit_document *doc,
                    const nerkit_bulk_opts *o, nerkit_error *err);

/* Appends a tagged document in o->output's format. */
int nk_format(nk_buf *out, const nerkit_model *m, const nk_tagged *d, nk_tagwork *w,
              const nerkit_bulk_opts *o);

/* ---- corpus internals (corpus.c) */

/* Token i's label as BILOU over the corpus's own types (nerkit_corpus_type). */
uint16_t nk_corpus_bilou(const nerkit_corpus *c, size_t i);
/* The file it was read from, as messages name it ("<stdin>" for -). */
const char *nk_corpus_name(const nerkit_corpus *c);

/* Seconds on a monotonic clock. */
double nk_now(void);


/* ---- word representations (wordtab.c, cooc.c, svd.c, embed.c, kmeans.c, wordvec.c) */

/* 64-bit hash of a byte string. */
uint64_t nk_hash_bytes(const char *s, size_t n);

/* Distinct words, numbered in the order they were added; lookup by hash. */
typedef struct {
    char *text;         /* the words, NUL-terminated, back to back */
    size_t text_len, text_cap;
    size_t *off;        /* word i is text + off[i] */
    uint32_t *len;      /* of word i in bytes */
    uint32_t *tag;      /* high hash bits of word i: most mismatches skip memcmp */
    uint32_t *slot;     /* open addressing: word index + 1, 0 when empty */
    size_t n, cap, mask;
} nk_wordtab;

/* Finds or adds a word; *index receives its number (new ones get t->n - 1). */
int nk_wordtab_add(nk_wordtab *t, const char *s, size_t n, size_t *index, nerkit_error *err);
/* A word's number, or -1. */
int64_t nk_wordtab_find(const nk_wordtab *t, const char *s, size_t n);
/* Keeps the words with keep[i] set, renumbered in their old order. */
int nk_wordtab_keep(nk_wordtab *t, const bool *keep, nerkit_error *err);
void nk_wordtab_free(nk_wordtab *t);

static inline const char *nk_wordtab_word(const nk_wordtab *t, size_t i)
{
    return t->text + t->off[i];
}

struct nerkit_vectors {
    nk_wordtab words; /* word i owns row i */
    float *data;      /* rows of dim floats */
    size_t dim, cap_rows;
};

struct nerkit_clusters {
    nk_wordtab words;
    size_t nlevels;   /* k-means levels; 0 for Brown clusters */
    uint32_t *k;      /* per level */
    uint32_t *id;     /* k-means: words x nlevels cluster ids */
    size_t *path;     /* Brown: word i's path is paths.p + path[i] */
    uint64_t *freq;   /* Brown: word counts, 0 when not given */
    nk_buf paths;
    size_t cap;       /* words the arrays have room for */
};

/* Co-occurrence counting (cooc.c). A weight is NK_COOC_UNIT / distance,
 * rounded; the unit is divisible by every distance up to 10. */
#define NK_COOC_UNIT 2520
#define NK_EMBED_MAX_WINDOW 64
#define NK_EMBED_MAX_VOCAB (1 << 24) /* word ids are packed in 24 bits */
#define NK_OOV UINT32_MAX            /* a token outside the vocabulary */

/* One thread's pairs not yet merged, packed as word << (16 + bits) |
 * context << 16 | weight with word <= context. */
typedef struct {
    uint64_t *raw, *aux; /* pairs, and radix-sort scratch */
    size_t n, cap;
    unsigned bits;       /* of a word id */
    unsigned window;
    uint16_t weight[NK_EMBED_MAX_WINDOW + 1]; /* by distance */
} nk_pairbuf;

/* All pairs so far: distinct, sorted by key = word << 32 | context, with
 * word <= context (the counts are symmetric). */
typedef struct {
    uint64_t *key;
    uint64_t *val;        /* summed weights */
    size_t n, cap;
    uint64_t prune_level; /* pairs that weighed this or less were dropped */
    unsigned prunes;
} nk_cooc;

int nk_pairbuf_init(nk_pairbuf *b, size_t cap, size_t vocab, unsigned window, nerkit_error *err);
void nk_pairbuf_free(nk_pairbuf *b);
/* Adds the pairs of ids[i..n) (NK_OOV tokens hold their place but pair with
 * nothing) until the buffer is full; returns the position to go on from. */
size_t nk_pairs_add(nk_pairbuf *b, const uint32_t *ids, size_t n, size_t i);
/* Sorts and sums the buffer: raw[0..n) become keys (word << 32 | context),
 * aux[0..n) their weights. */
void nk_pairs_reduce(nk_pairbuf *b);
/* Merges a reduced buffer into c and empties it; prunes c when it holds
 * more than max_pairs. */
int nk_cooc_merge(nk_cooc *c, nk_pairbuf *b, size_t max_pairs, nerkit_error *err);
void nk_cooc_free(nk_cooc *c);

/* A square sparse matrix A in compressed rows, with A's transpose stored
 * on the same pattern: A[i][col[e]] = a[e] and A[col[e]][i] = at[e] for
 * the entries e of row i, row[i] <= e < row[i+1]. */
typedef struct {
    size_t n;
    size_t *row;
    uint32_t *col;
    float *a, *at;
} nk_csr;

/* The PPMI matrix of n words from their counts, with context distribution
 * smoothing exponent cds; entries zero both ways are left out. */
int nk_ppmi(const nk_cooc *c, size_t n, double cds, nk_csr *out, nerkit_error *err);
void nk_csr_free(nk_csr *m);

/* Truncated SVD by randomized range finding (svd.c). */
typedef struct {
    size_t rank;
    unsigned oversample, power_iters;
    uint64_t seed;
    int threads; /* for the sparse products */
    void (*step)(unsigned done, unsigned total, void *user); /* after each product */
    void *user;
} nk_rsvd_opts;

/* Y = M X for M with A's pattern and the values vals (A->a for A, A->at
 * for its transpose); X and Y are n x k, row-major. */
void nk_spmm(const nk_csr *A, const float *vals, const float *X, float *Y, size_t k, int threads);
/* The rank largest singular values of A into sigma (descending) and their
 * left singular vectors into U (n x rank, row-major). */
int nk_rsvd(const nk_csr *A, const nk_rsvd_opts *o, float *U, float *sigma, nerkit_error *err);

/* out[i*k + j] = |x_i - c_j|^2 for rows X (n x d) and C (k x d), given
 * their squared norms: |x|^2 - 2 x.c + |c|^2 with one cblas_sgemm (kmeans.c). */
void nk_sqdist(const float *X, size_t n, size_t d, const float *xnorm, const float *C, size_t k,
               const float *cnorm, float *out);

/* A file written whole or not at all: write to f, then commit (fsync and
 * rename over path) or abort (atomic_file.c). An existing device or FIFO
 * is written directly (tmp is NULL): renaming would replace the node. */
typedef struct {
    FILE *f;
    char *tmp;
    const char *path;
} nk_atomic;

int nk_atomic_open(nk_atomic *a, const char *path, nerkit_error *err);
int nk_atomic_commit(nk_atomic *a, nerkit_error *err);
void nk_atomic_abort(nk_atomic *a);
/* After a failed write to a->f: "FILE: write failed: why" (FILE the
 * temporary file, or the device written directly), and the abort. */
int nk_atomic_write_failed(nk_atomic *a, nerkit_error *err);
/* All of data to path through the above. */
int nk_atomic_write(const char *path, const void *data, size_t len, nerkit_error *err);

/* ---- training checkpoints (model_io.c) */

/* The perceptron between two epochs: all it needs to go on exactly as if
 * it had never stopped. */
typedef struct {
    uint64_t fingerprint; /* of the corpora and options: a resume must match */
    uint32_t epoch;       /* epochs done */
    uint32_t since_best;  /* epochs since the best one */
    uint32_t stopped;     /* training ended after this epoch (early stopping) */
    double best_score;    /* dev F1 of the best epoch, -1 without a dev set */
    int64_t step;         /* the averaging clock */
    size_t L, rows, n;    /* labels, weight rows, training sentences */
    int32_t *w, *wt;      /* rows x L weights, L x L transition weights */
    int64_t *u, *ut;      /* their sums for averaging */
    size_t K;             /* dense inputs per token, 0 without word vectors */
    float *wd;            /* L x K dense weights */
    double *ud;           /* their sums */
    size_t *order;        /* the sentences in their order after the last shuffle */
} nk_checkpoint;

/* Saves the state and the model of the best epoch, atomically as
 * nerkit_model_save does, in the model container under its own magic. */
int nk_checkpoint_save(const char *path, const nerkit_model *best, const nk_checkpoint *ck,
                       nerkit_error *err);

/* Reads a checkpoint into ck: the caller sets fingerprint, L, rows, K and
 * n, which must match, and gives zeroed arrays of those sizes. *best gets
 * the model of the best epoch. */
int nk_checkpoint_load(const char *path, nk_checkpoint *ck, nerkit_model **best,
                       nerkit_error *err);
int nk_checkpoint_load_buffer(const void *data, size_t len, const char *name, nk_checkpoint *ck,
                              nerkit_model **best, nerkit_error *err);

#endif
