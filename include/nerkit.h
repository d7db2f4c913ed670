/*
 * nerkit: feature-based named-entity recognition.
 *
 * The whole public API. Types are opaque; every call that can fail returns a
 * status code (or NULL) and, when given a nerkit_error, fills in a message
 * that names the file, line or byte offset and what was wrong. The library
 * never prints and never calls exit().
 *
 * Threads. The library keeps no global state: every call works on the
 * objects it is given, so calls on different objects may run at the same
 * time on any threads, and every function is re-entrant. It changes no
 * process-wide setting (signals, locale, umask, OpenBLAS's thread count:
 * a program may set that one, see nerkit_model_load). Objects are of two
 * kinds:
 *   - read-only once made, shared by any number of threads at once:
 *     nerkit_model, nerkit_corpus, nerkit_vectors, nerkit_clusters,
 *     nerkit_dict (saving one only reads it). Only their _free must not run while another
 *     thread still uses them.
 *   - working state, used by one call at a time (it may pass from one
 *     thread to another between calls): nerkit_tagger, nerkit_tokens,
 *     nerkit_eval, and each nerkit_error, option and output buffer a
 *     call is given.
 * Standard input ("-") and a FILE * given for output are the process's;
 * two calls at once must not read the one or write the other.
 *
 * Lifetimes. Whatever a _new, _load, _read, _parse, nerkit_train,
 * nerkit_embed or nerkit_kmeans returns belongs to the caller, who frees
 * it with the _free of its type (each accepts NULL), once; nerkit_read_file's
 * buffer is freed with free(). A const char * or other pointer a getter
 * returns points into its object and lives as long as the object (or,
 * for nerkit_tokens, until it is next changed); nerkit_version,
 * nerkit_strerror and nerkit_scheme_name return static strings. A tagger
 * keeps a pointer to its model, so the model must outlive its taggers:
 * tagging with a tagger whose model was freed reads freed memory (the
 * library cannot detect it). nerkit_tagger_free does not touch the model,
 * so the two may be freed in either order once tagging is over. The
 * library keeps no pointer to anything else it is given past the call
 * (paths, option structs, documents, corpora given to nerkit_train).
 *
 * Callbacks (message, progress) are called during the call that was given
 * them, never after it returns, one at a time from the thread each one's
 * comment names; what they are passed lives until they return. They may
 * call nerkit functions on other objects, and must not free or change the
 * objects the running call uses.
 */
#ifndef NERKIT_H
#define NERKIT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility: what this header declares
 * is its whole exported interface. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* The version of this header. A program may run against a newer shared
 * library of the same major version (libnerkit.so.MAJOR): within a major
 * version, functions, status codes and members at the end of the option
 * structs are only ever added. nerkit_version() tells the library's. */
#define NERKIT_VERSION_MAJOR 1
#define NERKIT_VERSION_MINOR 0
#define NERKIT_VERSION_PATCH 0
#define NERKIT_VERSION "1.0.0"

/* Threads any nerkit function starts at a caller's request (tagging,
 * training, embedding). Each tagging thread holds its queue slots and work
 * buffers: at 20000 threads one sentence took 1.5 GB and 16 s to start
 * them. 256 is more cores than the machines nerkit runs on have, and keeps
 * the queue (two documents of up to --max-doc per thread) in bounds. */
#define NERKIT_THREADS_MAX 256

typedef enum {
    NERKIT_OK = 0,
    NERKIT_ERR_IO,      /* a file could not be opened, read or written */
    NERKIT_ERR_FORMAT,  /* malformed input: a corpus line, a label, UTF-8 */
    NERKIT_ERR_MODEL,   /* a model file that is truncated, corrupted or foreign */
    NERKIT_ERR_VERSION, /* a model file written by a newer format version, or options
                           from a newer header than the library's */
    NERKIT_ERR_NOMEM,   /* out of memory */
    NERKIT_ERR_ARG,     /* an invalid argument or option */
    NERKIT_ERR_UNSUPPORTED, /* the model cannot do this (probabilities from a perceptron) */
    NERKIT_ERR_INTERRUPTED  /* stopped on request (nerkit_train_opts.stop) */
} nerkit_status;

typedef struct {
    nerkit_status code;
    char message[512];
} nerkit_error;

/* The library's version, "MAJOR.MINOR.PATCH": a static string. */
const char *nerkit_version(void);

/* A fixed sentence for a status code (a static string), "unknown error
 * code" for any other number; nerkit_error.message says more. */
const char *nerkit_strerror(nerkit_status code);

/* Option structs (nerkit_reader_opts, nerkit_bulk_opts, nerkit_train_opts,
 * nerkit_embed_opts, nerkit_kmeans_opts) grow: a later version adds members
 * at their end, so that a program built against this header keeps working
 * with a newer library. Their first member, size, is the struct's size as
 * the program's header saw it; the init macro (nerkit_bulk_opts_init(&o)
 * and so on) passes sizeof into the library's _init_sized function, which
 * fills in the defaults and size, so an options struct must be set up by
 * its init before its members are changed. A function that takes one
 *   - gives the defaults to the members a smaller (older) struct lacks,
 *     and never reads past its size;
 *   - refuses a larger one, from a header newer than the library, with
 *     NERKIT_ERR_VERSION: it cannot know what the extra members ask for;
 *   - refuses one its init never set up (size 0, or no size any header
 *     could have made) with NERKIT_ERR_ARG.
 * NULL stands for all defaults. The function reads the struct during the
 * call only; it keeps neither it nor a pointer into it.
 * A new member is only ever added at the end, and it must make sizeof
 * larger (the library checks that the structs have no padding at the end,
 * which a new member could slip into unseen).
 * Every other struct of this header is fixed within a major version:
 * nerkit_error, nerkit_document, nerkit_span, nerkit_entity,
 * nerkit_calibration_bin and nerkit_bulk_stats, which the caller
 * allocates; and the progress structs the library passes to callbacks,
 * which may gain members at their end, never read by an older program. */

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

/* A labelled or unlabelled corpus: read-only once made. */
typedef struct nerkit_corpus nerkit_corpus;

typedef struct {
    size_t size;          /* sizeof as the caller's header saw it: set by the init */
    int token_col;        /* 1-based; negative counts from the end. Default 1. */
    int label_col;        /* 1-based; negative counts from the end; 0 = no labels.
                             Default -1 (last column). */
    int tab_only;         /* split on tabs only, so tokens may contain spaces */
    nerkit_scheme scheme; /* AUTO detects IOB1 / IOB2 / BIOES / BILOU */
} nerkit_reader_opts;

/* Fills in the defaults: token column 1, label column -1, spaces or tabs, AUTO. */
void nerkit_reader_opts_init_sized(nerkit_reader_opts *opts, size_t size);
#define nerkit_reader_opts_init(opts) nerkit_reader_opts_init_sized((opts), sizeof *(opts))

/* Reads a whole file, gzip or plain (told apart by content; "-" is stdin),
 * into *data (malloc'd, the caller frees it) of *len bytes. */
int nerkit_read_file(const char *path, char **data, size_t *len, nerkit_error *err);

/* Makes the message s (NUL-terminated, in a buffer of cap bytes) one line
 * of valid UTF-8, as every message of the library is whatever file name or
 * text it quotes: a control byte (a line break in a file name) and a byte
 * that is not UTF-8 become \xNN; the rest is kept. Cut to fit cap (and to
 * 1023 bytes). */
void nerkit_one_line(char *s, size_t cap);

/* Before a program reads or writes anything: refuses (NERKIT_ERR_ARG, with
 * a message naming both) to write output when it is the same file as one of
 * the inputs (after links; files of input folders too; "-" is standard
 * input), so that an input is never overwritten or, for output NULL
 * (standard output, when it is a regular file), appended to while it is
 * read; also an output that is a folder, or whose folder is missing or not
 * writable. NULL inputs are ignored. folders: the program reads input
 * folders recursively (nerkit_bulk_tag, nerkit_embed), so their files are
 * checked too, and message (may be NULL) gets one line per entry the walk
 * leaves out (links back to a folder already read, a second link to a file,
 * FIFOs, devices, broken links), from the calling thread; else a folder is
 * not walked. */
int nerkit_check_io(const char *output, const char *const *inputs, size_t ninputs, int folders,
                    void (*message)(const char *line, void *user), void *user,
                    nerkit_error *err);

/* Reads a CoNLL column file, gzip or plain ("-" is stdin). Blank lines end
 * sentences, -DOCSTART- lines start documents. Any error names file:line. */
nerkit_corpus *nerkit_corpus_read(const char *path, const nerkit_reader_opts *opts,
                                  nerkit_error *err);

/* As nerkit_corpus_read, for tagging, where everything before a failure is
 * still to be written: a line the reader refuses ends the corpus at the
 * sentence before it. err->code is NERKIT_OK when the whole file was read;
 * otherwise err holds the error, and the result is the corpus of the
 * sentences before the bad one (NULL when there are none, or when the file
 * could not be read at all). */
nerkit_corpus *nerkit_corpus_read_prefix(const char *path, const nerkit_reader_opts *opts,
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

/* The same with ncols new columns: labels[i * ncols + k] in column k of
 * token i's line (for n-best lists, best first). */
int nerkit_corpus_write_columns(const nerkit_corpus *c, const char *const *labels, size_t ncols,
                                FILE *out, nerkit_error *err);

/* ------------------------------------------------------------------- model */

/* Read-only once loaded or trained: one model serves any number of
 * threads, each tagging with its own nerkit_tagger, and nerkit_bulk_tag
 * calls running at once. */
typedef struct nerkit_model nerkit_model;

/* Loads a model file. A truncated, corrupted, foreign or newer-version file
 * is refused with a message; nothing is ever read out of bounds. OpenBLAS's
 * thread count is left as the program set it (the library never sets it:
 * it is the whole process's, and the library keeps no global state); a
 * program that tags in
 * parallel with one tagger per thread should set it to one
 * (openblas_set_num_threads(1)), as nerkit-tag does: the products are too
 * small to split, and idle BLAS threads spin beside the taggers. */
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
/* The feature groups it extracts: a NERKIT_FEAT_* mask, as trained. */
uint32_t nerkit_model_features(const nerkit_model *m);

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

/* Scratch space for tagging with a model: one call at a time, so one per
 * thread that tags; its memory only grows. It points to m, which must
 * outlive it (see the top of this file). */
nerkit_tagger *nerkit_tagger_new(const nerkit_model *m, nerkit_error *err);
void nerkit_tagger_free(nerkit_tagger *t);

/* A tagger keeps what each distinct token brings to its window in a cache
 * of its own, 6 MB when full. With this call, the taggers of m share one,
 * which every process tagging with the same model (and the same build of
 * nerkit and BLAS, as the same user) shares too: POSIX shared memory named
 * after them, removed when the last of them is done. Tags are the same
 * either way; the processes then hold one copy of the cache between them,
 * as they do the model. Call it before making taggers of m. Fails, leaving
 * m as it was, for a model built in memory (not read from a file or a
 * buffer) or when shared memory cannot be had (nerkit-tag then tags with
 * caches of their own). */
int nerkit_model_share_tokens(nerkit_model *m, nerkit_error *err);

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
 * memory only grows. It is working state: one call at a time. */
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

/* An entity of a tokenized text, with its offsets in that text. */
typedef struct {
    size_t start, end;             /* code points, end exclusive: nerkit-tag's JSONL offsets */
    size_t byte_start, byte_end;   /* the same in bytes */
    size_t token_start, token_end; /* tokens [token_start, token_end) of the text */
    size_t type;                   /* nerkit_model_type */
    double prob;                   /* as nerkit_entity's: -1 unless confidence was asked */
} nerkit_text_entity;

/* Tags the text that nerkit_tokenize put in tokens as one document, exactly
 * as nerkit_bulk_tag tags a document of that text (the same labels and
 * entities, the offsets its JSONL gives), in one call: for bindings, which
 * would otherwise cross into C once per entity. labels and ents need room
 * for nerkit_tokens_count(tokens) entries; *nents receives the count.
 * confidence: each entity with its probability (nerkit_tag_confidence;
 * NERKIT_ERR_UNSUPPORTED for models without probabilities). The tokens
 * are only read: a tagger and a tokens object per thread. */
int nerkit_tag_text(nerkit_tagger *t, const nerkit_tokens *tokens, int confidence,
                    uint16_t *labels, nerkit_text_entity *ents, size_t *nents, nerkit_error *err);

/* An entity: tokens [start, end) and a type index (nerkit_model_type). */
typedef struct {
    size_t start, end;
    size_t type;
    double prob; /* P(exactly these tokens form one entity of exactly this type | the
                    sentence) under the model; -1 when not computed */
} nerkit_entity;

/* ------------------------------------------------------------ dictionaries */


/* An entity dictionary: phrases with a label and an optional id each,
 * found in text by exact lookup rather than by the model. Lists of
 * phrase<TAB>LABEL[<TAB>ID] lines are compiled once (each phrase cut by
 * nerkit's tokenizer, so list and text agree on token boundaries) into a
 * trie over tokens, the same matcher as the gazetteers of training; the
 * compiled file (docs/dict-format.md: checksummed, versioned, its arrays
 * 8-byte aligned) is mapped into memory and used in place. Read-only once
 * made: any number of threads may match with one dictionary. */
typedef struct nerkit_dict nerkit_dict;

typedef enum {
    NERKIT_DICT_EXACT = 0,    /* a phrase matches only as written (the default) */
    NERKIT_DICT_IGNORE_CASE,  /* in any casing */
    NERKIT_DICT_ACRONYMS      /* in any casing, but a phrase written all in capitals
                                 ("WHO", "IT") only as written */
} nerkit_dict_case;

enum {
    NERKIT_DICT_NORM_PUNCT = 1u << 0,   /* every quote reads as ' or ", every dash as - */
    NERKIT_DICT_NORM_ACCENTS = 1u << 1  /* Latin letters without their accents: e = é = è */
};

typedef enum {
    NERKIT_DICT_DUP_ERROR = 0, /* a phrase listed twice with another label or id: an error
                                  naming both lines (the default) */
    NERKIT_DICT_DUP_FIRST,     /* the first of them is kept */
    NERKIT_DICT_DUP_LAST       /* the last of them is kept */
} nerkit_dict_dups;

typedef struct {
    size_t size;             /* sizeof as the caller's header saw it: set by the init */
    nerkit_dict_case casing; /* EXACT */
    unsigned normalize;      /* NERKIT_DICT_NORM_* (0) */
    nerkit_dict_dups duplicates; /* DUP_ERROR */
    /* May be NULL. With DUP_FIRST or DUP_LAST, one line for each entry that
     * gave way ("FILE:LINE: ..." naming the line kept too), in list order,
     * from the calling thread. */
    void (*message)(const char *line, void *user);
    void *user;
} nerkit_dict_opts;

void nerkit_dict_opts_init_sized(nerkit_dict_opts *o, size_t size);
#define nerkit_dict_opts_init(o) nerkit_dict_opts_init_sized((o), sizeof *(o))

/* Sets one option by the names the programs use: "case" (exact, ignore,
 * acronyms), "normalize" (none, or punct and accents joined by commas),
 * "duplicates" (error, first, last). NERKIT_ERR_ARG naming what is
 * allowed otherwise. */
int nerkit_dict_opts_set(nerkit_dict_opts *o, const char *name, const char *value,
                         nerkit_error *err);

/* Compiles lists (plain or gzip; blank lines and lines starting with #
 * skipped) into a dictionary in memory. Errors name the file and line: an
 * empty phrase or label, a missing label, invalid UTF-8, a phrase of more
 * than 64 tokens, and (DUP_ERROR) a phrase listed twice differently, with
 * both lines. *conflicts (may be NULL) receives how many phrases DUP_FIRST
 * or DUP_LAST resolved (opts->message names each entry given way). */
nerkit_dict *nerkit_dict_compile(const char *const *paths, size_t npaths,
                                 const nerkit_dict_opts *opts, size_t *conflicts,
                                 nerkit_error *err);

/* Writes a dictionary to a file, atomically (as nerkit_model_save). */
int nerkit_dict_save(const nerkit_dict *d, const char *path, nerkit_error *err);

/* Loads a compiled dictionary file by mapping it into memory: its checksum
 * and structure are checked, then the arrays are used where they lie. A
 * truncated, corrupted, foreign or newer-version file is refused with a
 * message naming it (NERKIT_ERR_MODEL, NERKIT_ERR_VERSION). */
nerkit_dict *nerkit_dict_load(const char *path, nerkit_error *err);

/* The same from a buffer, which is copied; name is used in messages. */
nerkit_dict *nerkit_dict_load_buffer(const void *data, size_t len, const char *name,
                                     nerkit_error *err);

/* A compiled dictionary file is loaded (opts are not used: it has its
 * own); any other file is compiled as a list with opts. */
nerkit_dict *nerkit_dict_open(const char *path, const nerkit_dict_opts *opts, nerkit_error *err);

void nerkit_dict_free(nerkit_dict *d);

size_t nerkit_dict_nentries(const nerkit_dict *d); /* phrases kept */
size_t nerkit_dict_nlabels(const nerkit_dict *d);
const char *nerkit_dict_label(const nerkit_dict *d, size_t l);
/* The options it was compiled with. */
void nerkit_dict_options(const nerkit_dict *d, nerkit_dict_opts *opts);

/* A phrase found: tokens [start, end), its label (nerkit_dict_label) and
 * its id (id_len bytes, not NUL-terminated; id_len 0 when it has none). */
typedef struct {
    size_t start, end;
    size_t label;
    const char *id;
    size_t id_len;
} nerkit_dict_match;

/* The phrases of d in one sentence of n tokens (as nerkit_tokens_document
 * gives them), leftmost-longest: from the first token on, the longest
 * phrase starting there is taken and the search goes on after it; where
 * two entries of one phrase match, the one whose casing matches as
 * written wins. out needs room for n; returns how many were written.
 * Allocates nothing. */
size_t nerkit_dict_match_tokens(const nerkit_dict *d, const char *const *tokens,
                                const size_t *token_len, size_t n, nerkit_dict_match *out);

/* How dictionary matches and the model's entities combine when tagging
 * (nerkit_dict_combine, nerkit_bulk_opts.dicts). */
typedef enum {
    NERKIT_DICT_OVERRIDE = 0, /* a match replaces the model entities it overlaps (default) */
    NERKIT_DICT_FILL,         /* a match is kept only where it overlaps no model entity */
    NERKIT_DICT_ONLY          /* the matches alone: the model does not run */
} nerkit_dict_policy;

/* Dictionaries one tagging applies at most: their matching state lives on
 * the stack (2 KiB each), so that it allocates nothing. */
#define NERKIT_DICTS_MAX 16

/* An entity of a document as dictionaries and the model together give it. */
typedef struct {
    size_t start, end; /* document tokens, end exclusive */
    const char *label; /* the model's type name or the dictionary's label (NUL-terminated) */
    size_t type;       /* the model's type index, or the label's index in its dictionary */
    int from_dict;     /* 1: a dictionary match; 0: the model's entity */
    size_t dict;       /* a match's dictionary: its index in dicts */
    const char *id;    /* a match's id, id_len bytes, not NUL-terminated; NULL when none */
    size_t id_len;
    double prob;       /* the model entity's probability, -1 when none (and for matches) */
} nerkit_dict_entity;

/* The matches of dicts[0..ndicts) (at most NERKIT_DICTS_MAX) in doc,
 * sentence by sentence and leftmost-longest over all of them (the longest
 * match of any at each token, the earlier dictionary's on a tie), combined
 * with the model's entities ents[0..nents) of the same document, in order
 * and apart, as nerkit_entities and nerkit_tag_confidence give them (m
 * names their types; with policy ONLY they are not read and m may be
 * NULL), as policy says. out
 * needs room for 2 * doc->ntokens entries (the matches are gathered in its
 * second half); returns how many were written, in order, none
 * overlapping. Allocates nothing; 0 when ndicts is 0 or too large. */
size_t nerkit_dict_combine(const nerkit_model *m, const nerkit_dict *const *dicts, size_t ndicts,
                           nerkit_dict_policy policy, const nerkit_document *doc,
                           const nerkit_entity *ents, size_t nents, nerkit_dict_entity *out);

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
    size_t warnings;                  /* documents with invalid UTF-8 (read as U+FFFD) */
} nerkit_bulk_stats;

typedef struct {
    size_t size;             /* sizeof as the caller's header saw it: set by the init */
    nerkit_input_format input;
    nerkit_output_format output;
    int threads;             /* tagging threads, 0 = one per core; at most NERKIT_THREADS_MAX */
    int byte_offsets;        /* JSONL: add "byte_start", "byte_end" */
    int keep_going;          /* go on with the next input after a failure */
    size_t max_document;     /* bytes; longer text is cut at a sentence end */
    size_t max_line;         /* bytes; a longer line is an error, not a memory blow-up */
    nerkit_scheme scheme;    /* scheme of CoNLL output labels (AUTO = the model's) */
    int confidence;          /* each entity with its probability (models with them) */
    size_t nbest;            /* 0, or this many best labellings per sentence */
    /* Either may be NULL. message: one line per error or warning, in input
     * order, from the thread that writes out (one the library starts, not
     * the calling thread), one line at a time. progress: the running
     * totals now and then, from the calling thread, which reads the
     * inputs: so the two may run at the same time, and must lock what
     * they share. */
    void (*message)(const char *line, void *user);
    void (*progress)(const nerkit_bulk_stats *stats, void *user);
    void *user;
    /* Polled between lines of input: once *stop is non-zero (a signal
     * handler sets it), reading ends, every document read is written out
     * whole, and the call fails with NERKIT_ERR_INTERRUPTED. May be NULL. */
    volatile sig_atomic_t *stop;
    /* Dictionaries to apply (ndicts of them, 0 to NERKIT_DICTS_MAX), under
     * dict_policy, as nerkit_dict_combine does. Entities then carry where
     * they came from:
     * JSONL "source" ("dict" or "model") and a match's "id"; TSV two more
     * columns; CoNLL and inline the label only. n-best lists are the
     * model's alone, so not with dictionaries. */
    nerkit_dict_policy dict_policy;
    const nerkit_dict *const *dicts;
    size_t ndicts;
} nerkit_bulk_opts;

/* Fills in the defaults: text in, JSONL out, one thread per core, 1 MiB
 * documents, 64 MiB lines. */
void nerkit_bulk_opts_init_sized(nerkit_bulk_opts *o, size_t size);
#define nerkit_bulk_opts_init(o) nerkit_bulk_opts_init_sized((o), sizeof *(o))

/* How many bytes of text (len of them) bulk tagging takes as one document
 * when its cap is max (at least 64): len when len <= max, else the cut
 * point nerkit_bulk_tag uses (a sentence end, else a line break or a space,
 * else a character boundary), never 0. */
size_t nerkit_document_cut(const char *text, size_t len, size_t max);

/* Tags every input (files; folders, recursively in sorted order; "-" for
 * standard input; gzip recognised by its magic bytes) and writes one record
 * per document to out, in input order whatever the number of threads.
 * Memory stays bounded by the queue, whatever the input size. Returns
 * NERKIT_OK, or an error when any input failed; all that was read before a
 * failure is written out complete. Invalid UTF-8 is no failure: it is read
 * as U+FFFD, with a message, and counted in stats->warnings (stats may be
 * NULL). out is written by a thread the call starts; every thread it
 * starts has ended by the time it returns. */
int nerkit_bulk_tag(const nerkit_model *m, const char *const *paths, size_t npaths, FILE *out,
                    const nerkit_bulk_opts *opts, nerkit_bulk_stats *stats, nerkit_error *err);

/* Checks that opts suit the model and each other: confidences need a model
 * with probabilities and an entity format; n-best lists need JSONL or
 * CoNLL and at most NERKIT_NBEST_MAX; threads at most NERKIT_THREADS_MAX. nerkit_bulk_tag and nerkit_corpus_tag_write check it too. */
int nerkit_bulk_check(const nerkit_model *m, const nerkit_bulk_opts *opts, nerkit_error *err);

/* Tags every document of a corpus and writes it in opts->output's format.
 * CONLL appends the label column(s) to the input, kept byte for byte; the
 * others take each document's tokens joined by spaces (sentences by line
 * breaks) as its text. */
int nerkit_corpus_tag_write(nerkit_tagger *t, const nerkit_corpus *c,
                            const nerkit_bulk_opts *opts, FILE *out, nerkit_error *err);

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
    NERKIT_FEAT_ALL = (1u << 9) - 1,
    /* on when the training has word clusters or vectors (not part of ALL) */
    NERKIT_FEAT_CLUSTERS = 1u << 9,  /* cluster ids of the word and its neighbours */
    NERKIT_FEAT_VECTORS = 1u << 10,  /* word vectors of the +-2 window, scored densely */
    NERKIT_FEAT_GAZETTEER = 1u << 11, /* gazetteer phrases covering the word and its neighbours */
    /* on when the training has case copies (nerkit_train_opts.case_lower,
     * case_upper): in a document without case, the features that read case
     * are its own, apart from those of cased text, and so is a second
     * feature of the lower-cased word */
    NERKIT_FEAT_CASELESS = 1u << 12,
    /* "nonlocal" (not part of ALL): what a first pass tagged the other
     * mentions of each word in the document; tagging runs two passes */
    NERKIT_FEAT_NONLOCAL = 1u << 13
};

/* Names of feature groups, "word,lower,...", and the parser for such a list
 * (returns 0 and sets *mask, or -1 naming the bad group in err). */
int nerkit_features_parse(const char *list, uint32_t *mask, nerkit_error *err);

typedef struct {
    size_t size;           /* sizeof as the caller's header saw it: set by the init */
    const char *algorithm; /* "perceptron" */
    uint32_t features;     /* NERKIT_FEAT_* mask (NERKIT_FEAT_ALL | NERKIT_FEAT_NONLOCAL) */
    unsigned hash_bits;    /* feature table of 2^hash_bits rows */
    unsigned min_count;    /* ignore features seen fewer times in training */
    unsigned epochs;       /* at most this many passes */
    unsigned patience;     /* stop after this many epochs without dev gain */
    uint64_t seed;         /* shuffling; same seed, same model */
    int threads;           /* worker threads where the trainer uses them (CRF L-BFGS);
                              at most NERKIT_THREADS_MAX */
    /* Algorithm "crf": a linear-chain CRF trained by maximum likelihood on
     * the same features. Batch training is L-BFGS, or OWL-QN when l1 > 0;
     * optimizer "sgd" makes stochastic gradient passes instead, counted by
     * epochs and patience. */
    const char *optimizer; /* "lbfgs" (default) or "sgd" */
    double l1, l2;         /* penalty l1 * |w|_1 + l2 / 2 * |w|^2 (defaults 0 and 0.5) */
    unsigned iterations;   /* L-BFGS: at most this many iterations (300) */
    unsigned iteration_patience; /* L-BFGS: stop after this many iterations without dev gain (20) */
    double delta;          /* L-BFGS: stop when the objective fell by less than this fraction
                              over the last 10 iterations (1e-5) */
    double eta;            /* SGD: initial learning rate (0.05) */
    /* Word representations (nerkit-embed's vectors and clusters, Brown
     * clusters): they add features, and what the model needs of them is
     * stored inside it. */
    const char *const *cluster_files; /* Brown paths or nerkit-embed k-means files */
    size_t ncluster_files;
    const char *vectors_file;         /* word2vec text or binary, or GloVe text */
    size_t lexicon_words;             /* each resource's most frequent words kept besides
                                         the words of the training corpus (50,000) */
    /* Perceptron: after each epoch, the whole training state is saved to
     * checkpoint (atomically); resume goes on from such a file, given the
     * same corpora and options, to the very model an uninterrupted run
     * makes. Both NULL by default. */
    const char *checkpoint;
    const char *resume;
    /* Polled between sentences (L-BFGS: between iterations): once *stop is
     * non-zero (a SIGINT handler may set it), training ends with
     * NERKIT_ERR_INTERRUPTED and no model. May be NULL. */
    volatile sig_atomic_t *stop;
    /* Perceptron: its scores times prob_scale are taken as log-potentials,
     * which gives its label sequences and entities probabilities. 0 (the
     * default) fits the scale on the dev set, when there is one, by
     * maximum likelihood of the dev labels; without a dev set and without
     * a scale, the model has no probabilities. */
    double prob_scale;
    /* Gazetteers: files of phrase<TAB>LIST lines (plain or gzip; # starts a
     * comment), phrases cut by the tokenizer. The phrases covering a word
     * and its neighbours become features, and the lists are stored in the
     * model. */
    const char *const *gazetteer_files;
    size_t ngazetteer_files;
    /* Case copies: the fraction of training documents (0 to 1, default 0)
     * that are also trained on lower-cased, and upper-cased, whole, so that
     * the model learns to tag text that lost its capitals (headlines, chat,
     * speech transcripts). Which documents is fixed by seed. The dev set is
     * scored as given. */
    double case_lower;
    double case_upper;
    /* With NERKIT_FEAT_NONLOCAL: the first-pass labels the training
     * sentences' non-local features come from are those of perceptrons
     * trained on the other folds of the documents (default 2), whichever
     * the algorithm. */
    size_t folds;
    /* The path of a trained model whose word representations (its vectors,
     * clusterings and gazetteer lists) the new model takes, whatever its
     * label set: all its lexicon's words, the vectors and cluster ids as
     * they are, copied into the new model; the weights are trained afresh.
     * Not with cluster_files or vectors_file, which make the same parts
     * (NERKIT_ERR_ARG); gazetteer_files only when that model has no
     * gazetteer, as its lists keep hashes, not phrases, and cannot take
     * more. A model with neither lexicon nor gazetteer is refused too.
     * NULL (the default): none. */
    const char *lexicon_from;
    /* When none of cluster_files, vectors_file and lexicon_from is given,
     * the model learns its own: 100-dimensional vectors (window 5) of the
     * words that occur at least twice in the training corpus, from its
     * tokens, and their k-means clusters at 64, 256 and 1024, used as
     * those files would be. Only when at least this many words, and at
     * least 100 (the dimension), occur twice (default 1000: fewer make
     * vectors of noise); 0: never. */
    size_t self_lexicon_words;
    /* Perceptron: train this many models, with seeds seed, seed + 1, ...,
     * each as a run of its own would be (its epochs, its early stopping on
     * dev), and keep the mean of their weights: an ensemble the size of
     * one model, which tags as fast (default 1; at most 64). Not with
     * checkpoint or resume. */
    size_t seeds;
    /* How the model stores its weight rows: "int8" (a byte a weight and a
     * scale a row: a quarter of the size, and faster to tag with) or
     * "float". NULL (the default): int8 for the perceptron, float for the
     * CRF, whose probabilities rounding would move. */
    const char *weights;
    /* Drops the weight rows whose largest weight is below prune times the
     * median of the rows' largest weights: rows that rarely decide a tag,
     * for a smaller, faster model (0, the default: none; models/README.md
     * measures what it costs). */
    double prune;
} nerkit_train_opts;

/* Fills in the defaults. */
void nerkit_train_opts_init_sized(nerkit_train_opts *opts, size_t size);
#define nerkit_train_opts_init(opts) nerkit_train_opts_init_sized((opts), sizeof *(opts))

/* Called after each epoch, from the calling thread; return non-zero to
 * end the epochs of the trainer reporting, which keeps the best so far:
 * with NERKIT_FEAT_NONLOCAL, a first-pass perceptron of one fold (fold >
 * 0), after which the next one starts, or the model itself. */
typedef struct {
    unsigned epoch;
    double seconds;         /* for this epoch */
    double tokens_per_sec;
    double train_error;     /* fraction of training tokens mislabelled */
    double dev_p, dev_r, dev_f1; /* percent; negative when there is no dev set */
    int best;               /* this epoch is the best so far */
    /* CRF training (0 for the perceptron); an L-BFGS iteration counts as
     * an epoch, and train_error is -1 (not measured) */
    double objective;       /* regularised negative log-likelihood of train */
    double grad_norm;       /* |gradient| (L-BFGS) */
    /* NERKIT_FEAT_NONLOCAL: an epoch of the first-pass perceptron of fold
     * `fold` (1 .. folds); 0 for the model itself */
    unsigned fold, folds;
    /* With seeds > 1: the run (1 .. runs) this epoch is of. Once they are
     * all done, one more call with run 0 and epoch 0 gives the dev scores
     * of their average, the model trained. 0 and 0 with one seed. */
    unsigned run, runs;
} nerkit_progress;
typedef int (*nerkit_progress_fn)(const nerkit_progress *p, void *user);

/* Trains a model on train, choosing the best epoch on dev (may be NULL). */
nerkit_model *nerkit_train(const nerkit_corpus *train, const nerkit_corpus *dev,
                           const nerkit_train_opts *opts, nerkit_progress_fn progress,
                           void *user, nerkit_error *err);

/* ------------------------------------ probabilities: confidence and n-best */

/* A model trained with algorithm "crf" gives every label sequence of a
 * sentence a probability, and so does a perceptron model whose scores were
 * given a scale on held-out data (nerkit_train_opts.prob_scale); other
 * models only score sequences, and the calls below that need probabilities
 * refuse them with NERKIT_ERR_UNSUPPORTED and a message saying so. */
int nerkit_model_has_probabilities(const nerkit_model *m);
/* The factor that turns the model's scores into log-potentials: 1 for a
 * CRF, fitted for a perceptron, 0 when the model has no probabilities. */
double nerkit_model_prob_scale(const nerkit_model *m);

/* The entities in labels[0..n) as the tagging calls write them (chunks
 * never cross sentences, so a whole document's labels may be passed).
 * out needs room for n; returns how many were written, in order, with
 * prob = -1. */
size_t nerkit_entities(const uint16_t *labels, size_t n, nerkit_entity *out);

/* Tags doc exactly as nerkit_tag_document does (same labels) and lists its
 * entities with their probabilities: ents needs room for doc->ntokens,
 * *nents receives the count; spans are document token offsets. The
 * probability is that of the span as one entity of that type, summed over
 * every labelling of the rest of the sentence (constrained forward-
 * backward). NERKIT_ERR_UNSUPPORTED for models without probabilities. */
int nerkit_tag_confidence(nerkit_tagger *t, const nerkit_document *doc, uint16_t *labels,
                          nerkit_entity *ents, size_t *nents, nerkit_error *err);

/* n-best decoding keeps k partial sequences per label and token, so its
 * memory grows with k: at 1000 nerkit-tag reached 1.8 GB. 100 is past any
 * use of an n-best list (rescoring takes 10 or 20). */
#define NERKIT_NBEST_MAX 100

/* The k best label sequences of every sentence of doc (1 <= k <=
 * NERKIT_NBEST_MAX), for any model. With N = doc->ntokens and
 * S = doc->nsentences:
 *   labels[r * N + i]  label of token i in its sentence's r-th best sequence
 *   scores[r * S + s]  that sequence's score (sum of its weights); rank 0 is
 *                      nerkit_tag_document's labelling, barring ties within
 *                      float rounding
 *   probs[r * S + s]   its probability, -1 for models without
 *                      probabilities; probs may be NULL
 *   found[s]           how many sequences sentence s has, at most k; a short
 *                      sentence may have fewer than k valid ones, and ranks
 *                      r >= found[s] get labels O, score -INFINITY, prob 0
 * so labels needs k * N entries, scores (and probs) k * S, found S. */
int nerkit_tag_nbest(nerkit_tagger *t, const nerkit_document *doc, size_t k, uint16_t *labels,
                     double *scores, double *probs, size_t *found, nerkit_error *err);

/* Reliability of entity confidences on a labelled corpus: every predicted
 * entity goes into one of nbins equal-width bins by its probability, and
 * is correct when a gold entity has its exact span and type. *ece receives
 * the expected calibration error, sum over bins of count/total *
 * |precision - confidence|. NERKIT_ERR_UNSUPPORTED for models without
 * probabilities. */
typedef struct {
    size_t count;      /* predicted entities in the bin */
    size_t correct;    /* of which match a gold entity */
    double confidence; /* their mean probability */
} nerkit_calibration_bin;

int nerkit_calibration(nerkit_tagger *t, const nerkit_corpus *c, nerkit_calibration_bin *bins,
                       size_t nbins, double *ece, nerkit_error *err);

/* -------------------------------------------------------------- evaluation */

/* Chunk-level scoring with exactly the rules and report of conlleval.pl.
 * It is working state, fed by one call at a time. */
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

/* ---------------------------------------------------- word representations */

/* Word vectors: n words, each with a row of dim floats. The rows are one
 * contiguous n x dim array (row i belongs to word i), and words are looked
 * up by a hash of their bytes. Read-only once made: any number of threads
 * may query one set. */
typedef struct nerkit_vectors nerkit_vectors;

typedef enum {
    NERKIT_VEC_AUTO = 0,     /* loading: told apart by content (not on stdin) */
    NERKIT_VEC_WORD2VEC,     /* text: a "WORDS DIM" line, then "word v1 .. vD" lines */
    NERKIT_VEC_WORD2VEC_BIN, /* "WORDS DIM\n", then per word: the word, a space,
                                D little-endian float32, a newline (optional) */
    NERKIT_VEC_GLOVE         /* text: "word v1 .. vD" lines, no header line */
} nerkit_vec_format;

/* A set from words[0..n) (distinct, NUL-terminated) and their rows
 * data[0 .. n*dim), both copied. */
nerkit_vectors *nerkit_vectors_new(const char *const *words, const float *data, size_t n,
                                   size_t dim, nerkit_error *err);

/* Reads a vector file, gzip or plain ("-" is stdin, with a format named).
 * A word listed again keeps its first vector. Errors name file:line, or in
 * binary files the vector and its byte offset. */
nerkit_vectors *nerkit_vectors_load(const char *path, nerkit_vec_format f, nerkit_error *err);

/* Writes the set in format f (AUTO: word2vec text), atomically. Text
 * formats give 7 significant digits; binary is exact. */
int nerkit_vectors_save(const nerkit_vectors *v, const char *path, nerkit_vec_format f,
                        nerkit_error *err);

void nerkit_vectors_free(nerkit_vectors *v);

size_t nerkit_vectors_count(const nerkit_vectors *v);
size_t nerkit_vectors_dim(const nerkit_vectors *v);
/* Word i (NUL-terminated), in file order. */
const char *nerkit_vectors_word(const nerkit_vectors *v, size_t i);
/* All rows: count x dim floats. */
const float *nerkit_vectors_data(const nerkit_vectors *v);
/* The row index of a word (len bytes, exact match), or -1. */
int64_t nerkit_vectors_find(const nerkit_vectors *v, const char *word, size_t len);
/* The row of a word, or NULL. */
const float *nerkit_vectors_get(const nerkit_vectors *v, const char *word, size_t len);

/* The k rows most similar to query (dim floats) by cosine, best first:
 * rows[] and cosine[] receive up to k entries; returns how many. Zero rows
 * are skipped. A word's own row is among the results when query is it. */
size_t nerkit_vectors_nearest(const nerkit_vectors *v, const float *query, size_t k, size_t *rows,
                              float *cosine);

/* Learning vectors from raw text (nerkit-embed): the input is tokenized as
 * nerkit-tag tokenizes it, words within `window` tokens of each other are
 * counted with weight 1/distance, the counts are weighted by positive PMI
 * with context distribution smoothing, and the vectors are U * S^eig of
 * the truncated SVD of that matrix, found by randomized range finding. */
typedef enum {
    NERKIT_EMBED_VOCAB = 0, /* first pass: counting words */
    NERKIT_EMBED_COOCCUR,   /* second pass: counting co-occurrences */
    NERKIT_EMBED_PPMI,
    NERKIT_EMBED_SVD,
    NERKIT_EMBED_DONE,
    NERKIT_EMBED_CLUSTER    /* nerkit_exchange: the exchange sweeps */
} nerkit_embed_stage;

typedef struct {
    nerkit_embed_stage stage;
    uint64_t bytes_read, bytes_total; /* of this pass (compressed bytes for gzip) */
    size_t files_done, files_total;
    uint64_t tokens;      /* tokens read in this pass */
    size_t vocab;         /* words kept, once chosen */
    size_t pairs;         /* distinct co-occurring pairs held; from PPMI on, the
                             matrix's stored entries */
    unsigned prunes;      /* times pairs were pruned to stay under max_pairs */
    unsigned step, steps; /* SVD: sparse matrix products done and in all */
    double seconds;       /* since the start */
} nerkit_embed_progress;

typedef struct {
    size_t size;           /* sizeof as the caller's header saw it: set by the init */
    unsigned dim;          /* vector size (100) */
    unsigned window;       /* tokens on each side (5) */
    uint64_t min_count;    /* a word must occur this often to get a vector (5) */
    size_t max_vocab;      /* and be among this many most frequent; 0: no limit */
    int lower;             /* lower-case tokens first */
    int threads;           /* 0: one per core */
    double cds;            /* context distribution smoothing exponent (0.75) */
    double eig;            /* singular value exponent: vectors U * S^eig (0.5) */
    unsigned oversample;   /* extra random directions of the range finder (20) */
    unsigned power_iters;  /* power iterations (3) */
    uint64_t seed;         /* same seed and input: the same vectors for any number of
                              threads here (OpenBLAS's own thread count changes the
                              last digits) */
    size_t max_words;      /* distinct words a thread counts before pruning the rarest (4 M) */
    size_t max_pairs;      /* distinct pairs held before pruning the rarest (128 M, 16 B each) */
    /* Either may be NULL. message: one warning line (invalid UTF-8 with its
     * file, line and offset), from a thread the library starts, one line
     * at a time; progress: now and then, from the calling thread. The two
     * may run at the same time, and must lock what they share. */
    void (*message)(const char *line, void *user);
    void (*progress)(const nerkit_embed_progress *p, void *user);
    void *user;
} nerkit_embed_opts;

void nerkit_embed_opts_init_sized(nerkit_embed_opts *o, size_t size);
#define nerkit_embed_opts_init(o) nerkit_embed_opts_init_sized((o), sizeof *(o))

/* Learns vectors from inputs (files; folders, recursively; "-" for stdin;
 * gzip or plain), read as text documents separated by blank lines. The
 * words come most frequent first. NULL with a message (file:line and byte
 * offset for unreadable input) on failure. */
nerkit_vectors *nerkit_embed(const char *const *paths, size_t npaths, const nerkit_embed_opts *o,
                             nerkit_error *err);

typedef struct nerkit_clusters nerkit_clusters;

/* Word classes of a class bigram model learned from raw text by the
 * exchange algorithm (Martin, Liermann and Ney 1998): the inputs are read
 * and tokenized as nerkit_embed reads them (o's window, dim and SVD
 * members are not used), the k - 1 most frequent words start in classes
 * of their own and the rest in the last, and words move, most frequent first,
 * to the class that most raises the likelihood of the text's class
 * bigrams, for at most `iterations` sweeps or until none moves. The
 * largest of ks[0..nks) classes the words; each smaller k classes the
 * classes of the next larger one the same way, so the levels nest. The
 * result is a k-means-like file of nks levels, the same for any number of
 * threads. */
nerkit_clusters *nerkit_exchange(const char *const *paths, size_t npaths,
                                 const nerkit_embed_opts *o, const size_t *ks, size_t nks,
                                 unsigned iterations, nerkit_error *err);

/* Word clusters: either k-means clusterings of vectors at one or more
 * granularities ("levels"), each word with a cluster id per level, or Brown
 * clusters, each word with its bit-string path. Read-only once made. */

typedef struct {
    size_t level, nlevels; /* the clustering being made, of how many */
    size_t k;
    unsigned iteration, iterations; /* Lloyd iterations done, at most */
    size_t changed;        /* words that changed cluster in this iteration */
    double inertia;        /* sum of squared distances to the centres */
    double seconds;        /* since the start */
} nerkit_kmeans_progress;

typedef struct {
    size_t size;         /* sizeof as the caller's header saw it: set by the init */
    unsigned iterations; /* at most (100); stops earlier when no word moves */
    uint64_t seed;       /* k-means++ seeding (1) */
    int normalize;       /* cluster the unit-length vectors, i.e. by cosine (1) */
    /* per iteration, from the calling thread; may be NULL */
    void (*progress)(const nerkit_kmeans_progress *p, void *user);
    void *user;
} nerkit_kmeans_opts;

void nerkit_kmeans_opts_init_sized(nerkit_kmeans_opts *o, size_t size);
#define nerkit_kmeans_opts_init(o) nerkit_kmeans_opts_init_sized((o), sizeof *(o))

/* k-means of every word of v, once for each of ks[0..nks): level l has
 * ks[l] clusters, ids 0 .. ks[l]-1. */
nerkit_clusters *nerkit_kmeans(const nerkit_vectors *v, const size_t *ks, size_t nks,
                               const nerkit_kmeans_opts *o, nerkit_error *err);

/* Reads nerkit-embed's k-means file ("#nerkit-clusters<TAB>k1<TAB>k2..." then
 * "word<TAB>id1<TAB>id2..." lines) or Brown paths ("bits<TAB>word[<TAB>count]"
 * lines), told apart by the first line; gzip or plain. A word listed twice
 * is an error (file:line). */
nerkit_clusters *nerkit_clusters_load(const char *path, nerkit_error *err);

/* Writes the clusters back in the format they came in, atomically. */
int nerkit_clusters_save(const nerkit_clusters *c, const char *path, nerkit_error *err);

void nerkit_clusters_free(nerkit_clusters *c);

size_t nerkit_clusters_count(const nerkit_clusters *c);
const char *nerkit_clusters_word(const nerkit_clusters *c, size_t i);
/* The index of a word (exact bytes), or -1. */
int64_t nerkit_clusters_find(const nerkit_clusters *c, const char *word, size_t len);
/* k-means levels (0 for Brown clusters) and the k of each. */
size_t nerkit_clusters_levels(const nerkit_clusters *c);
size_t nerkit_clusters_k(const nerkit_clusters *c, size_t level);
/* Word i's cluster at a k-means level. */
uint32_t nerkit_clusters_id(const nerkit_clusters *c, size_t level, size_t i);
/* Word i's Brown path ("0110..."; its prefixes are the coarser clusters)
 * and count (0 when the file gives none); NULL and 0 for k-means. */
const char *nerkit_clusters_path(const nerkit_clusters *c, size_t i);
uint64_t nerkit_clusters_frequency(const nerkit_clusters *c, size_t i);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif
