/*
 * nerkit: feature-based named-entity recognition.
 *
 * The whole public API. Types are opaque; every call that can fail returns a
 * status code (or NULL) and, when given a nerkit_error, fills in a message
 * that names the file, line or byte offset and what was wrong. The library
 * never prints, never calls exit(), and keeps no global mutable state: a
 * loaded model is read-only and may be shared by any number of threads, each
 * with its own nerkit_tagger.
 */
#ifndef NERKIT_H
#define NERKIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NERKIT_VERSION "0.1.0"

typedef enum {
    NERKIT_OK = 0,
    NERKIT_ERR_IO,      /* a file could not be opened, read or written */
    NERKIT_ERR_FORMAT,  /* malformed input: a corpus line, a label, UTF-8 */
    NERKIT_ERR_MODEL,   /* a model file that is truncated, corrupted or foreign */
    NERKIT_ERR_VERSION, /* a model file written by a newer format version */
    NERKIT_ERR_NOMEM,   /* out of memory */
    NERKIT_ERR_ARG      /* an invalid argument or option */
} nerkit_status;

typedef struct {
    nerkit_status code;
    char message[512];
} nerkit_error;

/* Tag schemes. Inside, nerkit always works in BILOU; the others are read and
 * written at the edges. AUTO means "detect from the labels". */
typedef enum {
    NERKIT_SCHEME_AUTO = 0,
    NERKIT_SCHEME_IOB1,
    NERKIT_SCHEME_IOB2,
    NERKIT_SCHEME_BIOES,
    NERKIT_SCHEME_BILOU
} nerkit_scheme;

/* Name of a scheme ("IOB2", ...) and the inverse; parse returns -1 if unknown. */
const char *nerkit_scheme_name(nerkit_scheme s);
int nerkit_scheme_parse(const char *name);

/* ------------------------------------------------------------------ corpus */

typedef struct nerkit_corpus nerkit_corpus;

typedef struct {
    int token_col;        /* 1-based; negative counts from the end. Default 1. */
    int label_col;        /* 1-based; negative counts from the end; 0 = no labels.
                             Default -1 (last column). */
    int tab_only;         /* split on tabs only, so tokens may contain spaces */
    nerkit_scheme scheme; /* AUTO detects IOB1 / IOB2 / BIOES / BILOU */
} nerkit_reader_opts;

/* Fills in the defaults: token column 1, label column -1, spaces or tabs, AUTO. */
void nerkit_reader_opts_init(nerkit_reader_opts *opts);

/* Reads a whole file, gzip or plain (told apart by content; "-" is stdin),
 * into *data (malloc'd, the caller frees it) of *len bytes. */
int nerkit_read_file(const char *path, char **data, size_t *len, nerkit_error *err);

/* Reads a CoNLL column file, gzip or plain ("-" is stdin). Blank lines end
 * sentences, -DOCSTART- lines start documents. Any error names file:line. */
nerkit_corpus *nerkit_corpus_read(const char *path, const nerkit_reader_opts *opts,
                                  nerkit_error *err);

/* The same from a buffer in memory; name is used in messages. */
nerkit_corpus *nerkit_corpus_parse(const char *data, size_t len, const char *name,
                                   const nerkit_reader_opts *opts, nerkit_error *err);

void nerkit_corpus_free(nerkit_corpus *c);

size_t nerkit_corpus_ntokens(const nerkit_corpus *c);
size_t nerkit_corpus_nsentences(const nerkit_corpus *c);
size_t nerkit_corpus_ndocuments(const nerkit_corpus *c);
int nerkit_corpus_has_labels(const nerkit_corpus *c);

/* The scheme the labels were read in (detected or forced). */
nerkit_scheme nerkit_corpus_scheme(const nerkit_corpus *c);

/* Token i's text and its label exactly as written in the file. */
const char *nerkit_corpus_token(const nerkit_corpus *c, size_t i, size_t *len);
const char *nerkit_corpus_label(const nerkit_corpus *c, size_t i, size_t *len);

/* Entity types found in the labels, sorted by name. */
size_t nerkit_corpus_ntypes(const nerkit_corpus *c);
const char *nerkit_corpus_type(const nerkit_corpus *c, size_t t);

/* Writes the corpus back line by line with one more column appended to every
 * token line: labels[i] for token i. Blank and -DOCSTART- lines are copied. */
int nerkit_corpus_write_column(const nerkit_corpus *c, const char *const *labels,
                               FILE *out, nerkit_error *err);

/* ------------------------------------------------------------------- model */

typedef struct nerkit_model nerkit_model;

/* Loads a model file. A truncated, corrupted, foreign or newer-version file
 * is refused with a message; nothing is ever read out of bounds. */
nerkit_model *nerkit_model_load(const char *path, nerkit_error *err);

/* The same from a buffer in memory, which the model does not keep; name is
 * used in messages. */
nerkit_model *nerkit_model_load_buffer(const void *data, size_t len, const char *name,
                                       nerkit_error *err);

/* Saves atomically: a temporary file beside path, fsync, rename. On failure
 * the file previously at path is left as it was. */
int nerkit_model_save(const nerkit_model *m, const char *path, nerkit_error *err);

void nerkit_model_free(nerkit_model *m);

/* Labels are small integers: 0 is O; the others are BILOU labels of a type. */
size_t nerkit_model_nlabels(const nerkit_model *m);
size_t nerkit_model_ntypes(const nerkit_model *m);
const char *nerkit_model_type(const nerkit_model *m, size_t t);
const char *nerkit_model_algorithm(const nerkit_model *m); /* "perceptron", ... */
nerkit_scheme nerkit_model_scheme(const nerkit_model *m); /* scheme of its training data */

/* Writes the label strings of a tagged sentence in the given scheme
 * (AUTO = the model's). out[i] points into the model; valid while it lives. */
void nerkit_model_label_strings(const nerkit_model *m, const uint16_t *labels, size_t n,
                                nerkit_scheme scheme, const char **out);

/* The label strings of a tagged corpus (labels[i] for token i), written
 * sentence by sentence in scheme; AUTO means the corpus's own scheme when it
 * has labels, else the model's. */
void nerkit_corpus_label_strings(const nerkit_corpus *c, const nerkit_model *m,
                                 const uint16_t *labels, nerkit_scheme scheme, const char **out);

/* ------------------------------------------------------------------ tagger */

typedef struct nerkit_tagger nerkit_tagger;

/* Per-thread scratch space for tagging with a model. */
nerkit_tagger *nerkit_tagger_new(const nerkit_model *m, nerkit_error *err);
void nerkit_tagger_free(nerkit_tagger *t);

/* A document: ntokens tokens (UTF-8, not NUL-terminated) cut into sentences
 * of sentence_len[0..nsentences-1] tokens. A sentence is the unit of
 * decoding; the document is the context for document-level features. */
typedef struct {
    const char *const *tokens;
    const size_t *token_len;
    size_t ntokens;
    const size_t *sentence_len;
    size_t nsentences;
} nerkit_document;

/* Tags a document: labels[i] receives the label of token i. */
int nerkit_tag_document(nerkit_tagger *t, const nerkit_document *doc, uint16_t *labels,
                        nerkit_error *err);

/* Tags one sentence that stands alone as its own document. */
int nerkit_tag_sentence(nerkit_tagger *t, const char *const *tokens, const size_t *token_len,
                        size_t n, uint16_t *labels, nerkit_error *err);

/* A view of document d (0 .. nerkit_corpus_ndocuments - 1) of a corpus, valid
 * while the corpus lives; returns the index of its first token. */
size_t nerkit_corpus_document(const nerkit_corpus *c, size_t d, nerkit_document *doc);

/* Tags every document of a corpus; labels has nerkit_corpus_ntokens entries. */
int nerkit_tag_corpus(nerkit_tagger *t, const nerkit_corpus *c, uint16_t *labels,
                      nerkit_error *err);

/* --------------------------------------------------------------- tokenizer */

/* Raw UTF-8 text cut into sentences and tokens the way the CoNLL-2003 data
 * is tokenized: punctuation split off; abbreviations, numbers with
 * separators, hyphenated words, URLs, e-mail addresses and @handles kept
 * whole; 's and n't split. Each token has its offsets in the original text
 * and the text the model sees (curly quotes and dashes normalized, invalid
 * UTF-8 bytes read as U+FFFD). A nerkit_tokens is reused across calls: its
 * memory only grows. */
typedef struct nerkit_tokens nerkit_tokens;

typedef struct {
    size_t byte_start, byte_end; /* [start, end) in bytes of the original text */
    size_t char_start, char_end; /* the same in code points (an invalid byte counts as one) */
} nerkit_span;

nerkit_tokens *nerkit_tokens_new(void);
void nerkit_tokens_free(nerkit_tokens *t);

/* Tokenizes text (len bytes) into t, replacing what t held. Sentences end
 * at . ? ! (not after abbreviations or initials) and at blank lines. */
int nerkit_tokenize(nerkit_tokens *t, const char *text, size_t len, nerkit_error *err);

size_t nerkit_tokens_count(const nerkit_tokens *t);
size_t nerkit_tokens_sentences(const nerkit_tokens *t);
nerkit_span nerkit_tokens_span(const nerkit_tokens *t, size_t i);

/* The tokens as a document to tag: normalized token texts cut into
 * sentences. Valid while t is not changed. */
void nerkit_tokens_document(const nerkit_tokens *t, nerkit_document *doc);

/* ------------------------------------------------------------ bulk tagging */

typedef enum {
    NERKIT_INPUT_TEXT = 0, /* documents separated by blank lines */
    NERKIT_INPUT_LINES,    /* one document per line */
    NERKIT_INPUT_JSONL,    /* one JSON object per line with a "text" field */
    NERKIT_INPUT_CONLL     /* a CoNLL column file: tokens given */
} nerkit_input_format;

typedef enum {
    NERKIT_OUTPUT_JSONL = 0, /* {"text", "entities": [{"start","end","label","text"}]} */
    NERKIT_OUTPUT_CONLL,     /* token and label per line */
    NERKIT_OUTPUT_INLINE,    /* the text with [LABEL entity] marks */
    NERKIT_OUTPUT_TSV        /* doc, start, end, label, text per entity */
} nerkit_output_format;

typedef struct {
    uint64_t bytes_read, bytes_total; /* input bytes (compressed size for gzip); total 0 = unknown */
    size_t files_done, files_total;
    uint64_t documents, tokens;
    size_t failures;                  /* inputs that could not be read completely */
    double seconds;
} nerkit_bulk_stats;

typedef struct {
    nerkit_input_format input;
    nerkit_output_format output;
    int threads;             /* tagging threads; 0 = one per core */
    int byte_offsets;        /* JSONL: add "byte_start", "byte_end" */
    int keep_going;          /* go on with the next input after a failure */
    size_t max_document;     /* bytes; longer text is cut at a sentence end */
    size_t max_line;         /* bytes; a longer line is an error, not a memory blow-up */
    nerkit_scheme scheme;    /* scheme of CoNLL output labels (AUTO = the model's) */
    nerkit_reader_opts conll; /* columns of CoNLL input */
    /* One line per error or warning, in input order, from one thread at a
     * time; and the running totals now and then. Either may be NULL. */
    void (*message)(const char *line, void *user);
    void (*progress)(const nerkit_bulk_stats *stats, void *user);
    void *user;
} nerkit_bulk_opts;

/* Fills in the defaults: text in, JSONL out, one thread per core, 1 MiB
 * documents, 64 MiB lines. */
void nerkit_bulk_opts_init(nerkit_bulk_opts *o);

/* Tags every input (files; folders, recursively in sorted order; "-" for
 * standard input; gzip recognised by its magic bytes) and writes one record
 * per document to out, in input order whatever the number of threads.
 * Memory stays bounded by the queue, whatever the input size. Returns
 * NERKIT_OK, or an error when any input failed; all that was read before a
 * failure is written out complete. */
int nerkit_bulk_tag(const nerkit_model *m, const char *const *paths, size_t npaths, FILE *out,
                    const nerkit_bulk_opts *opts, nerkit_bulk_stats *stats, nerkit_error *err);

/* Writes a tagged corpus (labels from nerkit_tag_corpus) in an output
 * format. CONLL appends the label column to the input, kept byte for byte;
 * the others take each document's tokens joined by spaces (sentences by line
 * breaks) as its text. Uses o's scheme and byte_offsets. */
int nerkit_corpus_write(const nerkit_corpus *c, const nerkit_model *m, const uint16_t *labels,
                        nerkit_output_format f, const nerkit_bulk_opts *o, FILE *out,
                        nerkit_error *err);

/* ---------------------------------------------------------------- training */

/* Feature groups, stored in the model so the tagger extracts what the
 * trainer did. */
enum {
    NERKIT_FEAT_WORD = 1u << 0,     /* the word itself */
    NERKIT_FEAT_LOWER = 1u << 1,    /* lower-cased word */
    NERKIT_FEAT_AFFIX = 1u << 2,    /* prefixes and suffixes, 1-4 characters */
    NERKIT_FEAT_SHAPE = 1u << 3,    /* word shape and short shape */
    NERKIT_FEAT_FLAGS = 1u << 4,    /* capitalisation, digit, punctuation flags */
    NERKIT_FEAT_WINDOW = 1u << 5,   /* the above for the +-2 window */
    NERKIT_FEAT_BIGRAM = 1u << 6,   /* word bigrams in the window */
    NERKIT_FEAT_POSITION = 1u << 7, /* position in the sentence */
    NERKIT_FEAT_DOCUMENT = 1u << 8, /* how the word is written elsewhere in its document */
    NERKIT_FEAT_ALL = (1u << 9) - 1
};

/* Names of feature groups, "word,lower,...", and the parser for such a list
 * (returns 0 and sets *mask, or -1 naming the bad group in err). */
int nerkit_features_parse(const char *list, uint32_t *mask, nerkit_error *err);

typedef struct {
    const char *algorithm; /* "perceptron" */
    uint32_t features;     /* NERKIT_FEAT_* mask */
    unsigned hash_bits;    /* feature table of 2^hash_bits rows */
    unsigned min_count;    /* ignore features seen fewer times in training */
    unsigned epochs;       /* at most this many passes */
    unsigned patience;     /* stop after this many epochs without dev gain */
    uint64_t seed;         /* shuffling; same seed, same model */
    int threads;           /* worker threads where the trainer uses them */
} nerkit_train_opts;

/* Fills in the defaults. */
void nerkit_train_opts_init(nerkit_train_opts *opts);

/* Called after each epoch; return non-zero to stop training. */
typedef struct {
    unsigned epoch;
    double seconds;         /* for this epoch */
    double tokens_per_sec;
    double train_error;     /* fraction of training tokens mislabelled */
    double dev_p, dev_r, dev_f1; /* percent; negative when there is no dev set */
    int best;               /* this epoch is the best so far */
} nerkit_progress;
typedef int (*nerkit_progress_fn)(const nerkit_progress *p, void *user);

/* Trains a model on train, choosing the best epoch on dev (may be NULL). */
nerkit_model *nerkit_train(const nerkit_corpus *train, const nerkit_corpus *dev,
                           const nerkit_train_opts *opts, nerkit_progress_fn progress,
                           void *user, nerkit_error *err);

/* -------------------------------------------------------------- evaluation */

/* Chunk-level scoring with exactly the rules and report of conlleval.pl. */
typedef struct nerkit_eval nerkit_eval;

nerkit_eval *nerkit_eval_new(void);
void nerkit_eval_free(nerkit_eval *e);

/* Feeds one token's gold and guessed labels (IOB1/IOB2/BIOES strings, as
 * conlleval reads them). Returns NERKIT_ERR_NOMEM on allocation failure. */
int nerkit_eval_token(nerkit_eval *e, const char *gold, size_t gold_len, const char *guess,
                      size_t guess_len);

/* A sentence boundary: a blank line, or a line whose first column is -X-,
 * in conlleval's input. (conlleval counts a -DOCSTART- line as a token.) */
void nerkit_eval_boundary(nerkit_eval *e);

/* Overall precision, recall and F1 in percent. */
void nerkit_eval_scores(const nerkit_eval *e, double *precision, double *recall, double *f1);

/* Writes the report conlleval.pl prints for the same input, byte for byte. */
int nerkit_eval_report(const nerkit_eval *e, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
