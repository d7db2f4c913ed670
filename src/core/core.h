/*
 * The tagging core: label schemes, documents and their features, word
 * representations inside a model, dense scoring, the model and its file
 * (and training checkpoints, which share the container), Viterbi, the
 * tagger.
 *
 * May use: base/.
 */
#ifndef NERKIT_CORE_H
#define NERKIT_CORE_H

#include "../base/base.h"

#include <string.h>

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

/* ---- phrase matcher (phrases.c) */

#define NK_PHRASE_MAX_TOKENS 64
#define NK_MAX_PHRASE_LISTS 65535

/* Phrases (token sequences) of named lists, matched over tokens given as
 * hashes: lower-cased forms (nk_lower_hash) find the phrase, exact forms
 * (nk_word_hash) tell whether it matched with the list's own casing. A trie
 * in flat arrays, states numbered breadth-first; what the model file holds
 * is these arrays. All zero is the empty matcher. */
typedef struct nk_phrases {
    uint32_t nstates; /* 0 when empty, else the root (state 0) and the rest */
    uint32_t nout;    /* (phrase, list) pairs */
    uint32_t nlists;
    char **lists;       /* list names */
    uint64_t *key;      /* lower-cased token leading into each state (key[0] unused) */
    uint32_t *child;    /* state s's children: states child[s] .. child[s+1]-1, by key */
    uint32_t *out_start; /* state s ends the pairs out_start[s] .. out_start[s+1]-1 */
    uint32_t *out_list;  /* a pair's list */
    uint32_t *out_case;  /* a pair's exact forms, hashed */
    /* What only dictionaries keep (NULL in a model's GAZT): a pair's
     * entry number in the order it was added (the builder's seq), and its
     * NK_PHRASE_* flags. */
    uint32_t *out_seq;
    uint8_t *out_flags;
    unsigned root_bits;  /* the root's children with key top bits b: root[b] .. root[b+1]-1 */
    uint32_t *root;
} nk_phrases;

typedef struct {
    uint32_t len;  /* tokens */
    uint32_t list;
    bool exact;    /* the exact forms match too, not only the lower-cased ones */
    uint32_t out;  /* the pair's index, for out_seq and out_flags */
} nk_phrase_match;

/* An entry that matches only with its own casing (exact forms). */
#define NK_PHRASE_EXACT 1u

/* The hash the features use for a token's exact form. */
uint64_t nk_word_hash(const char *s, size_t len);

/* The phrases that start at the first of n tokens: writes up to cap of
 * them, longest first, and returns how many there are. */
size_t nk_phrases_at(const nk_phrases *p, const uint64_t *lower, const uint64_t *word, size_t n,
                     nk_phrase_match *out, size_t cap);

/* Asks the cache for what the lookups at the next two tokens (lower[0],
 * lower[1], n of them given) will read first, for a caller that walks
 * every token of a text through a large matcher. */
void nk_phrases_prefetch(const nk_phrases *p, const uint64_t *lower, size_t n);

void nk_phrases_free(nk_phrases *p);

/* Checks what the lookups rely on (children after their parent and sorted,
 * ranges in bounds, lists known), for a matcher read from a file: -1 when
 * it does not hold. */
int nk_phrases_check(const nk_phrases *p);

/* Phrases collected for a matcher: add any number in any order (repeats are
 * merged), then finish, which sorts them once. */
typedef struct {
    size_t first;         /* the builder's tok[first .. first+len) */
    const uint64_t *tok;  /* the same, once no more are added */
    uint32_t len, list, exact_case, state;
    uint32_t seq;         /* the order it was added in */
    uint32_t flags;       /* NK_PHRASE_* */
    uint64_t value;       /* what else makes it an entry of its own (a dictionary id, hashed) */
} nk_phrase_entry;

/* What finish does with one phrase (the same exact forms) added more than
 * once. MERGE (gazetteers): one pair per distinct list. The others
 * (dictionaries) keep one entry per phrase: a repeat with the same list
 * and value merges, a conflicting one (another list or value) is an error
 * (ERROR, with the two entries' seq in conflict[]) or gives way to the
 * first or last one added. */
typedef enum { NK_DUPS_MERGE = 0, NK_DUPS_ERROR, NK_DUPS_FIRST, NK_DUPS_LAST } nk_dups;

typedef struct {
    uint64_t *tok;
    size_t ntok, cap_tok;
    nk_phrase_entry *entries;
    size_t nentries, cap_entries;
    char **lists;
    uint32_t nlists, last;
    nk_dups dups;
    uint32_t conflict[2]; /* ERROR: the entries in conflict */
    size_t nconflicts;    /* FIRST, LAST: phrases whose conflicts were resolved */
    uint32_t (*resolved)[2]; /* FIRST, LAST: (kept, dropped) seq of each entry given way */
    size_t nresolved;
} nk_phrase_builder;

/* The id of a list by name, added when new. */
int nk_phrase_builder_list(nk_phrase_builder *b, const char *name, size_t len, uint32_t *id,
                           nerkit_error *err);
int nk_phrase_builder_add(nk_phrase_builder *b, const uint64_t *lower, const uint64_t *word,
                          size_t n, uint32_t list, nerkit_error *err);
/* The same with flags and a value (see nk_dups). */
int nk_phrase_builder_add_entry(nk_phrase_builder *b, const uint64_t *lower, const uint64_t *word,
                                size_t n, uint32_t list, uint32_t flags, uint64_t value,
                                nerkit_error *err);
/* Builds the matcher, which takes over the list names; free the builder
 * after. */
int nk_phrase_builder_finish(nk_phrase_builder *b, nk_phrases *p, nerkit_error *err);
void nk_phrase_builder_free(nk_phrase_builder *b);

/* ---- the section file (model_io.c): one container for models, training
 * checkpoints and dictionaries. A 32-byte header (magic, version, payload
 * length, payload CRC-32, header CRC-32), then tagged sections of tag and
 * u64 length; little-endian whatever the host (docs/model-format.md). */

void nk_put_u32(nk_buf *b, uint32_t v);
void nk_put_u64(nk_buf *b, uint64_t v);
/* u32 length and the bytes */
void nk_put_str(nk_buf *b, const char *s);
uint32_t nk_le32(const unsigned char *s);
uint64_t nk_le64(const unsigned char *s);
/* Room for the header, which nk_file_seal fills in. */
void nk_file_begin(nk_buf *b);
/* A section's tag and length; returns where its body starts, for
 * nk_section_end to patch the length in. */
size_t nk_section_begin(nk_buf *b, const char tag[4]);
void nk_section_end(nk_buf *b, size_t body);
/* A u32 count of zero bytes, then the bytes, so that what follows starts
 * a multiple of 8 bytes into the file (b holds it from its start). */
void nk_put_pad(nk_buf *b);
/* A phrase matcher's arrays as they are in memory, one after the other:
 * key, child, out_start, out_list, out_case, root (GAZT, and a
 * dictionary's DTRI). */
void nk_put_phrase_arrays(nk_buf *b, const nk_phrases *p);
/* Fills in the header of the file in b (kind names it in messages). */
int nk_file_seal(nk_buf *b, const char *magic, uint32_t version, const char *kind,
                 nerkit_error *err);
/* Checks the header of a whole file p of len bytes (magic, version, length,
 * both checksums) and that its payload is a run of sections, and gives the
 * payload. */
int nk_file_open(const unsigned char *p, size_t len, const char *magic, uint32_t version,
                 const char *kind, const char *name, const unsigned char **payload,
                 size_t *payload_len, nerkit_error *err);
typedef struct {
    const char *tag; /* in: four letters */
    const unsigned char *p; /* out: the body, when seen */
    size_t len;
    bool seen;
} nk_section;
/* Finds the known sections of a payload (others are skipped; a known one
 * twice, a tag that is not four ASCII letters or a length past the end is
 * damage); with none known, checks that the payload is a run of sections. */
int nk_file_sections(const unsigned char *payload, size_t len, nk_section *known, size_t nknown,
                     const char *kind, const char *name, nerkit_error *err);

/* ---- documents and features (features.c) */

/* The most features one token can have (about 45 built in, up to 12 per
 * clustering, up to 3 * NK_GAZ_CODES from a gazetteer); slot space is
 * reserved up front so the emitting loop never checks. */
#define NK_MAX_FEATURES 128
/* A token's gazetteer codes (list, position in the match, exact or not),
 * at most; it and its neighbours' make its features. */
#define NK_GAZ_CODES 8

/* Feature extraction configuration, stored in the model. */
typedef struct {
    uint32_t groups;    /* NERKIT_FEAT_* */
    unsigned hash_bits; /* table of 2^hash_bits rows */
} nk_featcfg;

/* What a token brings to the features of the token d places from it, at
 * most (d = 0: its own features, about 30 and up to 16 per clustering;
 * else its window and cluster features), and the features of a token that
 * depend on more than one token (bigrams, position, the document, the
 * gazetteer), at most. */
#define NK_MAX_WORD_FEATURES 96
#define NK_MAX_CONTEXT_FEATURES (8 + 3 * NK_GAZ_CODES)

/* The slots of features whose value is one of a few fixed ones, hashed
 * once per document rather than once per token. */
typedef struct {
    uint32_t bias, flag[16], position[5], sent_caps;
    uint32_t edge[5][4]; /* the window beyond the sentence, by offset + 2 */
    uint8_t nedge[5];
} nk_fixed_slots;

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
    int32_t *word; /* index in the model's lexicon, -1 if absent (nk_featbuf_word) */
    /* document-level table */
    uint64_t *doc_keys;
    uint8_t *doc_bits;
    size_t doc_cap, doc_mask;
    /* gazetteer codes of each token */
    uint32_t (*gaz)[NK_GAZ_CODES];
    uint8_t *ngaz;
    size_t gaz_cap;
    /* of the document last given */
    uint64_t cs;         /* added to the templates that read case: the document's casing */
    nk_fixed_slots fixed;
} nk_featbuf;

void nk_featbuf_free(nk_featbuf *fb);

/* fb->word of a token not looked up yet (nk_features_context). */
#define NK_WORD_LATER (-2)

/* Extracts the features of every token of doc into fb (reusing its memory);
 * lex (may be NULL) adds the cluster features of the words it knows, gaz
 * (may be NULL or empty) the gazetteer features of the phrases it has. */
struct nk_lexicon;
int nk_features_extract(const nk_featcfg *cfg, const struct nk_lexicon *lex,
                        const nk_phrases *gaz, const nerkit_document *doc, nk_featbuf *fb,
                        nerkit_error *err);

/* The same, for a tagger that sums what each token brings to its
 * neighbours once per distinct token (nk_features_word): fb gets only each
 * token's features that depend on more than one token, at most
 * NK_MAX_CONTEXT_FEATURES. A token's features are those of nk_features_
 * extract: its context features and what each token of its window brings. */
int nk_features_context(const nk_featcfg *cfg, const struct nk_lexicon *lex,
                        const nk_phrases *gaz, const nerkit_document *doc, nk_featbuf *fb,
                        nerkit_error *err);

/* What token j of the document last given to fb brings to the token d
 * places from it (-2 to 2): its own features at d = 0, its window and
 * cluster features elsewhere; j < 0 stands for a place beyond the sentence.
 * These depend on the token's text, the lexicon and fb->cs alone. Writes at
 * most NK_MAX_WORD_FEATURES slots to out; returns how many. */
size_t nk_features_word(const nk_featcfg *cfg, const struct nk_lexicon *lex,
                        const nk_featbuf *fb, long j, int d, uint32_t *out);

/* The hashed slot of feature template tmpl with this value. */
static inline uint32_t nk_slot(uint64_t tmpl, uint64_t value, uint64_t mask)
{
    return (uint32_t)(nk_mix64(nk_hash_step(tmpl * 0x9e3779b97f4a7c15ULL, value)) & mask);
}

/* ---- non-local features (nonlocal.c) */

/* Non-local features of one token at most. */
#define NK_NL_MAX 2

struct nk_nlcell;
typedef struct {
    struct nk_nlcell *cell;
    size_t cap, mask, used; /* cells allocated, in use - 1, taken */
} nk_nltab;

/* The non-local features of each token of a document of ntok tokens from
 * the labels a first pass gave the whole document: token i gets count[i]
 * slots at slots[i * NK_NL_MAX]. lower holds nk_lower_hash of each token
 * (nk_featbuf.h_lower); tab is scratch that only grows. */
int nk_nonlocal_extract(nk_nltab *tab, const uint64_t *lower, const uint16_t *labels, size_t ntok,
                        unsigned hash_bits, uint32_t *slots, uint8_t *count, nerkit_error *err);
void nk_nltab_free(nk_nltab *tab);

/* ---- decoding (viterbi.c) */

/* The BILOU transition structure: for each label, the labels allowed before
 * it, and which may start or end a sentence. */
typedef struct {
    size_t nlabels, ntypes;
    uint16_t *pred;       /* all predecessor lists, concatenated */
    size_t *pred_start;   /* label y's list is pred[pred_start[y] .. pred_start[y+1]) */
    bool *can_start, *can_end;
    /* the forward pass's layout of a position's scores (viterbi.c): label
     * y's score is at place[y]; the nopen labels that may follow O come
     * first, padded to open_pad; a position takes stride floats */
    uint16_t *place;
    size_t nopen, open_pad, stride;
} nk_lattice;

int nk_lattice_init(nk_lattice *lat, size_t ntypes, nerkit_error *err);
void nk_lattice_free(nk_lattice *lat);

/* Transitions trans[prev*L + cur] rearranged for nk_viterbi into prep, of
 * nk_viterbi_prep_size floats: once per set of transitions, not per
 * sentence. */
size_t nk_viterbi_prep_size(const nk_lattice *lat);
void nk_viterbi_prepare(const nk_lattice *lat, const float *trans, float *prep);

/* Best path through n positions: emission scores em[n*L], transitions as
 * prepared. Scratch: work[n * lat->stride] floats. */
void nk_viterbi(const nk_lattice *lat, const float *prep, const float *em, size_t n, float *work,
                uint16_t *path);

/* ---- word representations inside a model (lexicon.c) */

#define NK_MAX_LEXICON 2000000
#define NK_MAX_CLUSTERINGS 4
#define NK_MAX_DIM 1024

/* A scale as one byte: (1 + (code & 7) / 8) * 2^((code >> 3) - 20), from
 * about 1e-6 to 3840 in steps of at most 12.5%; code 0 is 0. Weight rows and
 * word vectors of small integers carry one each. */
static inline float nk_scale_decode(uint8_t code)
{
    /* the float's own bits: exponent (code >> 3) - 20, mantissa (code & 7) / 8 */
    uint32_t bits = code ? ((uint32_t)(code >> 3) + 107) << 23 | (uint32_t)(code & 7) << 20 : 0;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}
/* The code of the smallest scale that takes max to at most levels. */
uint8_t nk_scale_encode(float max, int levels);

/* Bytes of a vector of dim 4-bit components. */
#define NK_VEC_BYTES(dim) (((size_t)(dim) + 1) / 2)

/* Word -> cluster ids and vector. Cluster ids are 0 for "none", else the
 * id + 1 of a flat clustering, or a Brown path from nk_brown_path. */
typedef struct nk_lexicon {
    uint32_t nwords, nclusterings, dim;
    uint64_t *key;       /* nk_lower_hash of each word, ascending */
    /* nwords x nclusterings: a word's cluster in each clustering (a word's
     * share a cache line), 0 for none, else 1 + the index of its id among
     * the clustering's ids: cvalue[cstart[c] + cluster - 1]. Two bytes a
     * word and clustering, where the ids (Brown paths) may need four. */
    uint16_t *cluster;
    uint32_t *cvalue;
    uint32_t cstart[NK_MAX_CLUSTERINGS + 1];
    uint8_t brown[NK_MAX_CLUSTERINGS]; /* the clustering holds Brown paths */
    /* Vectors: NK_VEC_BYTES(dim) bytes of 4-bit components (stored + 8) and
     * a scale code each (0: the word has none). Being built, every word has
     * room for one (has_vec NULL); read from a file, the nvec words whose
     * bit is set in has_vec, in word order. */
    uint8_t *vec;
    uint8_t *vec_scale;
    uint32_t nvec;
    uint64_t *has_vec;
    uint32_t *vec_rank;  /* nk_bitrank's counts over has_vec */
    uint32_t *bucket;    /* words whose key's top bucket_bits bits are b: bucket[b] .. bucket[b+1]-1 */
    unsigned bucket_bits;
    bool borrowed;       /* key, cluster, cvalue, vec, vec_scale and has_vec are in a mapped file */
} nk_lexicon;

/* The hash the features use for a word's lower-cased form. */
uint64_t nk_lower_hash(const char *s, size_t len);

/* Sets up a lexicon for these keys (ascending, distinct) with room for its
 * clusterings and vectors, all zero. */
int nk_lexicon_init(nk_lexicon *lx, const uint64_t *keys, size_t nwords, uint32_t nclusterings,
                    uint32_t dim, nerkit_error *err);
/* Builds what lookups need from the keys (and has_vec): for a lexicon read
 * from a file. */
int nk_lexicon_index(nk_lexicon *lx, nerkit_error *err);
void nk_lexicon_free(nk_lexicon *lx);
int32_t nk_lexicon_find(const nk_lexicon *lx, uint64_t key);

/* Token j's index in lex, -1 if absent, of a document given to fb. */
static inline int32_t nk_featbuf_word(const nk_featbuf *fb, const nk_lexicon *lex, size_t j)
{
    if (fb->word[j] != NK_WORD_LATER)
        return fb->word[j];
    return lex ? nk_lexicon_find(lex, fb->h_lower[j]) : -1;
}
/* Sets clustering c (in order: 0, 1, ...) from each word's cluster id
 * (ids[w], 0 for none): at most 65535 distinct ids. */
int nk_lexicon_set_clustering(nk_lexicon *lx, uint32_t c, const uint32_t *ids, bool brown,
                              nerkit_error *err);
/* Word w's cluster id in clustering c, 0 for none. */
static inline uint32_t nk_lexicon_cluster(const nk_lexicon *lx, uint32_t w, uint32_t c)
{
    uint16_t k = lx->cluster[(size_t)w * lx->nclusterings + c];
    return k ? lx->cvalue[lx->cstart[c] + k - 1] : 0;
}
/* Stores word w's vector (being built), rounded to 4 bits. */
void nk_lexicon_set_vector(nk_lexicon *lx, uint32_t w, const float *v);
/* Where word w's vector is in vec (in vectors), or -1 when it has none. */
long nk_lexicon_vector_at(const nk_lexicon *lx, uint32_t w);
/* Word w's vector in out (dim floats); false when it has none. */
bool nk_lexicon_vector(const nk_lexicon *lx, uint32_t w, float *out);
/* Copies what a borrowed lexicon points to, so that it outlives its file. */
int nk_lexicon_own(nk_lexicon *lx, nerkit_error *err);
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

/* The dense scores of lexicon word w at each window position, out[d * L +
 * y], with scratch x (dim floats) and tmp (NK_WINDOW * L); false when the
 * word has no vector. */
bool nk_dense_word(const nerkit_model *m, uint32_t w, float *x, float *tmp, float *out);
/* tmp[y * NK_WINDOW + d] = the dense weights of label y at window place d
 * times x (lex.dim floats): one cblas_sgemv, whose kernel the BLAS picks
 * for the CPU at run time, and whose last bits may differ with it. */
void nk_dense_project(const nerkit_model *m, const float *x, float *tmp);

/* ---- the model (model.c, model_io.c) */

/* Entity types a model may have: 1000 types make 4001 labels and a 64 MB
 * transition table, past any real label set and still loadable. */
#define NK_MAX_TYPES 1000
/* Bytes of an entity type's name: the loader reads it into a fixed buffer.
 * The corpus reader and the trainer refuse longer ones, so a model that
 * trains also loads. */
#define NK_MAX_TYPE_LEN 255

/* How a model's weight rows are stored: floats, or (I8) a scale code
 * (nk_scale_decode) then one signed byte a label, a quarter of the size,
 * which the perceptron's weights lose nothing to (a CRF's probabilities
 * would: its models keep floats). */
typedef enum { NK_ROWS_F32 = 0, NK_ROWS_I8 = 1 } nk_rowfmt;

struct nerkit_model {
    char algorithm[32];
    nerkit_scheme scheme;
    size_t ntypes;
    char **types;
    size_t nlabels;
    char **names; /* "O" then 6 prefixes x ntypes: B I E S L U */
    nk_featcfg feat;
    /* Which slots have a row (nk_bitrank): a bitmap of 2^hash_bits bits plus the count of
     * set bits before each 64-bit word, so a row is found with one popcount.
     * For 2^22 slots that is 768 KiB, small enough to stay in L2 cache,
     * where a plain slot -> row array would take 16 MiB. */
    uint64_t *present;
    uint32_t *rank;
    nk_rowfmt rowfmt;
    float *rows;    /* F32: nrows x L, in slot order */
    int8_t *qrows;  /* I8: nrows x (1 + L) */
    uint32_t nrows;
    float *trans; /* L*L, [prev*L + cur] */
    /* Scores times prob_scale are log-potentials: 1 for a CRF, which is
     * trained as one; for a perceptron, a temperature fitted on held-out
     * data (its scores' scale is arbitrary); 0 when the model has none. */
    float prob_scale;
    nk_lattice lat;
    nk_lexicon lex; /* word representations, when trained with them */
    float *dense;   /* L x (NK_WINDOW * lex.dim) weights of the word vectors */
    nk_phrases gaz; /* gazetteer lists, when trained with them */
    /* A model loaded from a file maps it: present, the rows and the
     * lexicon's arrays are read in place, and shared by every process that
     * maps the same file. */
    void *map;
    size_t map_len;
    bool map_heap;      /* map is a heap copy (a model loaded from a buffer) */
    bool rows_borrowed; /* present and the rows are in map */
    /* the file's payload checksum and length, 0 for a model not read from
     * one: what names the token cache its taggers may share */
    uint32_t file_crc;
    uint64_t file_len;
    struct nk_tokcache *tokens; /* that cache, once nerkit_model_share_tokens made it */
};

/* A set of feature slots as a bitmap (present) plus the count of set bits
 * before each 64-bit word (rank): a slot's position in the set costs one
 * popcount. The model's rows and the trainers' compact ids use it. */

/* Fills rank from present (words 64-bit words) and gives the slots in all. */
uint32_t nk_bitrank_build(const uint64_t *present, uint32_t *rank, size_t words);

/* The position + 1 of slot among the set's slots, 0 when it is not one. */
static inline uint32_t nk_bitrank(const uint64_t *present, const uint32_t *rank, uint32_t slot)
{
    uint64_t word = present[slot >> 6];
    uint64_t bit = (uint64_t)1 << (slot & 63);
    if (!(word & bit))
        return 0;
    return rank[slot >> 6] + (uint32_t)__builtin_popcountll(word & (bit - 1)) + 1;
}

/* Builds an empty model for these types (copied); weights are added by the
 * trainer. */
nerkit_model *nk_model_new(const char *algorithm, nerkit_scheme scheme, const char *const *types,
                           const size_t *type_len, size_t ntypes, const nk_featcfg *feat,
                           nerkit_error *err);

/* Gives the model rows for these slots (strictly increasing): builds the
 * index and allocates zeroed rows for the caller to fill in slot order. */
int nk_model_set_rows(nerkit_model *m, const uint32_t *slots, uint32_t nrows, nerkit_error *err);

/* The row (1 + its index) of a feature slot, 0 when all its weights are zero. */
static inline uint32_t nk_model_row(const nerkit_model *m, uint32_t slot)
{
    return nk_bitrank(m->present, m->rank, slot);
}

/* Bytes of one of the model's rows. */
static inline size_t nk_row_bytes(const nerkit_model *m)
{
    return m->rowfmt == NK_ROWS_I8 ? m->nlabels + 1 : m->nlabels * sizeof(float);
}

/* L weights as a row of bytes (NK_ROWS_I8): the smallest scale that takes
 * the largest to at most 127, then each rounded. */
void nk_row_encode_i8(const float *w, size_t L, int8_t *q);
/* The same in the model's row format. */
void nk_row_encode(const nerkit_model *m, const float *w, void *row);

/* Copies the bitmap and rows of a model read in place from its file, for
 * a caller that changes or takes them. */
int nk_model_own_rows(nerkit_model *m, nerkit_error *err);

/* Makes the rows of a model trained with float rows compact: drops those
 * whose largest weight is below prune times the median of the rows'
 * largest weights (0: none), then stores them as fmt. */
int nk_model_compact(nerkit_model *m, nk_rowfmt fmt, double prune, nerkit_error *err);

/* Looks a type name up; -1 when the model has no such type. */
int nk_model_type_index(const nerkit_model *m, const char *name, size_t len);

/* ---- tagging (tagger.c) */

/* The tagger keeps what each distinct token brings to its window in a
 * cache of sets of ways (at most NK_TOKEN_SETS sets, a power of two), by
 * the token's key: its text's hash and the document's casing
 * (nk_featbuf.cs). */
#define NK_TOKEN_SETS 16384
#define NK_TOKEN_WAYS 4
static inline uint64_t nk_token_key(uint64_t word_hash, uint64_t cs)
{
    return nk_hash_step(word_hash, cs) | 1; /* 0 marks an empty way */
}
static inline size_t nk_token_set(uint64_t key, size_t sets)
{
    return (size_t)(key >> 1) & (sets - 1);
}

/* The cache itself (tokcache.c): a tagger's own (nk_tokcache_new), or one
 * that the taggers of every process tagging with the same model file and
 * build share (nk_tokcache_shared: the model must have been read from a
 * file). An entry is NK_WINDOW rows of the model's format. */
typedef struct nk_tokcache nk_tokcache;
nk_tokcache *nk_tokcache_new(const nerkit_model *m, nerkit_error *err);
nk_tokcache *nk_tokcache_shared(const nerkit_model *m, nerkit_error *err);
void nk_tokcache_free(nk_tokcache *c);
/* Keeps src as key's entry, in place of another of its set, unless a
 * writer has that way at the moment. The lookups are in tokcache.h. */
void nk_tokcache_put(nk_tokcache *c, uint64_t key, const void *src);
/* The shared memory object's name ("/nerkit-tokens-..."), NULL for a
 * tagger's own cache. */
const char *nk_tokcache_name(const nk_tokcache *c);

/* Scores every token of doc against every label: *em receives doc->ntokens
 * x L emission scores from the tagger's model, valid until the tagger's next
 * call. Every decoder (Viterbi, marginals, n-best) starts from these. */
int nk_tagger_score(nerkit_tagger *t, const nerkit_document *doc, const float **em,
                    nerkit_error *err);

const nerkit_model *nk_tagger_model(const nerkit_tagger *t);
/* Viterbi with the tagger's scratch, for a sentence of the document last
 * given to nk_tagger_score. */
void nk_tagger_viterbi(nerkit_tagger *t, const float *em, size_t n, uint16_t *labels);
/* Scratch that a layer above keeps in the tagger (the decoders beyond
 * Viterbi: decode/) without the tagger knowing its type: made by make on
 * the first call, freed by drop with the tagger. NULL when make fails. */
void *nk_tagger_scratch(nerkit_tagger *t, void *(*make)(void), void (*drop)(void *));

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
    size_t L, rows, n;    /* labels, weight rows (the training set's distinct slots, in
                           * slot order), training sentences */
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
