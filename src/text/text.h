/*
 * Text in and out: JSON lines, the tokenizer, CoNLL corpora, the threaded
 * document pipeline (reader, workers, ordered writer), the output formats
 * and bulk tagging.
 *
 * May use: decode/, core/, base/.
 */
#ifndef NERKIT_TEXT_H
#define NERKIT_TEXT_H

#include "../decode/decode.h"

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

/* ---- gazetteer files (gazetteer.c) */

/* What a list reader does with one line (without its line break): 0, or
 * an error that ends the reading. */
typedef int (*nk_list_line)(void *user, const char *path, unsigned lineno, const char *line,
                            size_t len, nerkit_error *err);

/* Reads a list file of phrases (gazetteers, dictionaries), plain or gzip,
 * handing take every line that is not blank or a comment (# its first
 * character after blanks); a file with no such line is an error, "PATH:
 * empty". */
int nk_list_read(const char *path, size_t max_line, nk_list_line take, void *user,
                 const char *empty, nerkit_error *err);

/* Reads files of phrase<TAB>LIST lines (plain or gzip; blank lines and
 * lines starting with # skipped) into a matcher, each phrase cut by the
 * tokenizer. Errors name the file and line. */
int nk_gazetteer_read(const char *const *paths, size_t n, nk_phrases *out, nerkit_error *err);

/* ---- dictionaries (dict.c) */

/* Label l's six prefixed forms, "B-L", "I-L", "E-L", "S-L", "L-L", "U-L". */
const char *const *nk_dict_prefixed(const nerkit_dict *d, size_t label);

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
    unsigned part;     /* JSONL: which piece of a "text" longer than max_document */
    bool cut;          /* JSONL: the "text" was cut into such pieces */
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

/* Where an entity came from, when dictionaries are applied. */
typedef struct {
    const char *label;
    const char *const *prefixed; /* its "B-", "I-", "E-", "S-", "L-", "U-" forms: */
    size_t stride;               /* prefixed[k * stride] for k in that order */
    const char *id;              /* a match's id (id_len bytes), or NULL */
    size_t id_len;
    bool dict;
} nk_entinfo;

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
    /* with dictionaries (nerkit_bulk_opts.dicts): ents are the model's and
     * the matches as the policy combines them, info says where each came
     * from */
    nk_entinfo *info;
    nerkit_dict_entity *combined; /* 2 x N: nerkit_dict_combine's */
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

#endif
