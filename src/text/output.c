/*
 * Tagging a document as the options ask (plain, with entity confidences,
 * with n-best lists) and writing it in each output format.
 *
 * Entity offsets are in characters (code points) of the document text, end
 * exclusive: the convention of spaCy, doccano and Prodigy, so that
 * text[start:end] in Python is the entity. Byte offsets are there on
 * request for readers in C, Go or Rust.
 */
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put_str(nk_buf *b, const char *s)
{
    nk_buf_put(b, s, strlen(s));
}

/* The document's name in TSV: its id when the input gave one, else its
 * number in the input. */
static void put_doc_name(nk_buf *b, const nk_tagged *d)
{
    if (d->id && d->id_len >= 2 && d->id[0] == '"')
        nk_buf_put(b, d->id + 1, d->id_len - 2);
    else if (d->id)
        nk_buf_put(b, d->id, d->id_len);
    else
        nk_buf_printf(b, "%llu", (unsigned long long)d->seq);
}

/* Text with tabs and line breaks as spaces, for one-line-per-record formats. */
static void put_flat(nk_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        nk_buf_putc(b, (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i]);
}

/* Entity k's label: the model's type, or a dictionary's label. */
static const char *label_of(const nerkit_model *m, const nerkit_entity *e, const nk_entinfo *info,
                            size_t k)
{
    return info ? info[k].label : m->types[e[k].type];
}

/* A JSON array of entities; offset shifts their token positions (the
 * entities of an n-best alternative count from their sentence); info, when
 * dictionaries were applied, adds where each came from. */
static void put_entities(nk_buf *b, const nerkit_model *m, const nk_tagged *d,
                         const nerkit_entity *e, const nk_entinfo *info, size_t n, size_t offset,
                         int byte_offsets)
{
    nk_buf_putc(b, '[');
    for (size_t k = 0; k < n; k++) {
        const nerkit_span *a = &d->span[offset + e[k].start], *z = &d->span[offset + e[k].end - 1];
        nk_buf_printf(b, "%s{\"start\":%zu,\"end\":%zu,\"label\":", k ? "," : "", a->char_start,
                      z->char_end);
        const char *label = label_of(m, e, info, k);
        nk_buf_json_string(b, label, strlen(label));
        put_str(b, ",\"text\":");
        nk_buf_json_string(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        if (info) {
            put_str(b, info[k].dict ? ",\"source\":\"dict\"" : ",\"source\":\"model\"");
            if (info[k].id_len) {
                put_str(b, ",\"id\":");
                nk_buf_json_string(b, info[k].id, info[k].id_len);
            }
        }
        if (byte_offsets)
            nk_buf_printf(b, ",\"byte_start\":%zu,\"byte_end\":%zu", a->byte_start, z->byte_end);
        if (e[k].prob >= 0)
            nk_buf_printf(b, ",\"prob\":%.4f", e[k].prob);
        nk_buf_putc(b, '}');
    }
    nk_buf_putc(b, ']');
}

/* "nbest": per sentence, its span and its alternatives, best first. */
static void put_nbest(nk_buf *b, const nerkit_model *m, const nk_tagged *d, nk_tagwork *w,
                      int byte_offsets)
{
    const size_t N = d->doc.ntokens, S = d->doc.nsentences;
    put_str(b, ",\"nbest\":[");
    for (size_t s = 0, first = 0; s < S; first += d->doc.sentence_len[s++]) {
        size_t n = d->doc.sentence_len[s];
        nk_buf_printf(b, "%s{\"start\":%zu,\"end\":%zu,\"alternatives\":[", s ? "," : "",
                      d->span[first].char_start, d->span[first + n - 1].char_end);
        for (size_t r = 0; r < w->found[s]; r++) {
            nk_buf_printf(b, "%s{\"score\":%.4f", r ? "," : "", w->scores[r * S + s]);
            if (w->probs[r * S + s] >= 0)
                nk_buf_printf(b, ",\"prob\":%.6f", w->probs[r * S + s]);
            put_str(b, ",\"entities\":");
            size_t ne = nerkit_entities(w->nbest + r * N + first, n, w->alt);
            put_entities(b, m, d, w->alt, NULL, ne, first, byte_offsets);
            nk_buf_putc(b, '}');
        }
        put_str(b, "]}");
    }
    nk_buf_putc(b, ']');
}

static void format_jsonl(nk_buf *b, const nerkit_model *m, const nk_tagged *d, nk_tagwork *w,
                         const nerkit_bulk_opts *o)
{
    nk_buf_putc(b, '{');
    bool any = false;
    if (d->members) {
        /* every member of the input object but its old entities, as written;
         * a text cut into pieces is replaced by the piece, numbered */
        for (size_t k = 0; k < d->nmembers; k++) {
            const nk_json_member *mb = &d->members[k];
            if (nk_json_key_is(mb, "entities") || nk_json_key_is(mb, "nbest") ||
                (d->cut && (nk_json_key_is(mb, "text") || nk_json_key_is(mb, "part"))))
                continue;
            if (any)
                nk_buf_putc(b, ',');
            nk_buf_json_raw(b, mb->member, mb->member_len);
            any = true;
        }
        if (d->cut) {
            nk_buf_printf(b, "%s\"part\":%u,\"text\":", any ? "," : "", d->part);
            nk_buf_json_string(b, d->text, d->text_len);
            any = true;
        }
    } else {
        put_str(b, "\"text\":");
        nk_buf_json_string(b, d->text, d->text_len);
        any = true;
    }
    put_str(b, any ? ",\"entities\":" : "\"entities\":");
    put_entities(b, m, d, w->ents, o->ndicts ? w->info : NULL, w->nents, 0, o->byte_offsets);
    if (o->nbest)
        put_nbest(b, m, d, w, o->byte_offsets);
    put_str(b, "}\n");
}

/* With dictionaries, two more columns: the source and the id (empty
 * when none), and with confidences the probability column on every line,
 * empty for a match, so that the columns stay in place. */
static void format_tsv(nk_buf *b, const nerkit_model *m, const nk_tagged *d, const nk_tagwork *w,
                       const nerkit_bulk_opts *o)
{
    const nk_entinfo *info = o->ndicts ? w->info : NULL;
    for (size_t k = 0; k < w->nents; k++) {
        const nerkit_entity *e = &w->ents[k];
        const nerkit_span *a = &d->span[e->start], *z = &d->span[e->end - 1];
        put_doc_name(b, d);
        nk_buf_printf(b, "\t%zu\t%zu\t%s\t", a->char_start, z->char_end,
                      label_of(m, w->ents, info, k));
        put_flat(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        if (info) {
            put_str(b, info[k].dict ? "\tdict\t" : "\tmodel\t");
            put_flat(b, info[k].id ? info[k].id : "", info[k].id_len);
            if (o->confidence)
                nk_buf_putc(b, '\t');
        }
        if (e->prob >= 0)
            nk_buf_printf(b, "%s%.4f", info ? "" : "\t", e->prob);
        nk_buf_putc(b, '\n');
    }
}

static void format_inline(nk_buf *b, const nerkit_model *m, const nk_tagged *d,
                          const nk_tagwork *w, const nerkit_bulk_opts *o)
{
    const nk_entinfo *info = o->ndicts ? w->info : NULL;
    size_t pos = 0;
    for (size_t k = 0; k < w->nents; k++) {
        const nerkit_entity *e = &w->ents[k];
        const nerkit_span *a = &d->span[e->start], *z = &d->span[e->end - 1];
        nk_buf_put(b, d->text + pos, a->byte_start - pos);
        const char *label = label_of(m, w->ents, info, k);
        if (e->prob >= 0)
            nk_buf_printf(b, "[%s %.2f ", label, e->prob);
        else
            nk_buf_printf(b, "[%s ", label);
        nk_buf_put(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        nk_buf_putc(b, ']');
        pos = z->byte_end;
    }
    nk_buf_put(b, d->text + pos, d->text_len - pos);
    put_str(b, d->text_len && d->text[d->text_len - 1] == '\n' ? "\n" : "\n\n");
}

/* The label strings of every token from the entities as combined with
 * dictionaries (one column: n-best lists are not combined), in scheme as
 * nerkit_model_label_strings writes a model's; two entities of one label
 * are of one type, whichever gave them. */
static void entity_columns(const nerkit_model *m, const nerkit_document *doc, const nk_tagwork *w,
                           nerkit_scheme scheme, const char **names)
{
    if (scheme == NERKIT_SCHEME_AUTO)
        scheme = m->scheme;
    for (size_t i = 0; i < doc->ntokens; i++)
        names[i] = m->names[0];
    size_t k = 0;
    for (size_t s = 0, first = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
        size_t end = first + doc->sentence_len[s];
        for (bool sentence_start = true; k < w->nents && w->ents[k].start < end;
             k++, sentence_start = false) {
            const nerkit_entity *e = &w->ents[k];
            const nk_entinfo *in = &w->info[k];
            /* IOB1 starts with B- only an entity right after one of its type */
            bool follows = !sentence_start && w->ents[k - 1].end == e->start &&
                           strcmp(w->info[k - 1].label, in->label) == 0;
            for (size_t t = e->start; t < e->end; t++) {
                int part = e->end - e->start == 1 ? NK_U : t == e->start ? NK_B
                           : t + 1 == e->end ? NK_L : NK_I;
                char p;
                switch (scheme) {
                case NERKIT_SCHEME_BILOU: p = "BILU"[part]; break;
                case NERKIT_SCHEME_BIOES: p = "BIES"[part]; break;
                case NERKIT_SCHEME_IOB1: p = t == e->start && follows ? 'B' : 'I'; break;
                default: p = part == NK_B || part == NK_U ? 'B' : 'I'; break;
                }
                names[t] = in->prefixed[(size_t)(strchr("BIESLU", p) - "BIESLU") * in->stride];
            }
        }
    }
}

/* Label strings of every token in K columns (K = 1, or the n-best ranks):
 * names[i * K + r], written sentence by sentence for IOB1's sake. */
static void label_columns(const nerkit_model *m, const nerkit_document *doc, const nk_tagwork *w,
                          size_t K, nerkit_scheme scheme, const char **names, bool combined)
{
    if (combined) {
        entity_columns(m, doc, w, scheme, names);
        return;
    }
    const size_t N = doc->ntokens;
    for (size_t r = 0; r < K; r++) {
        const uint16_t *labels = K > 1 ? w->nbest + r * N : w->labels;
        for (size_t s = 0, first = 0; s < doc->nsentences; first += doc->sentence_len[s++]) {
            size_t n = doc->sentence_len[s];
            nerkit_model_label_strings(m, labels + first, n, scheme, w->names);
            for (size_t i = 0; i < n; i++)
                names[(first + i) * K + r] = w->names[i];
        }
    }
}

static void format_conll(nk_buf *b, const nerkit_model *m, const nk_tagged *d, nk_tagwork *w,
                         const nerkit_bulk_opts *o)
{
    size_t K = o->nbest ? o->nbest : 1;
    label_columns(m, &d->doc, w, K, o->scheme, w->columns, o->ndicts > 0);
    put_str(b, "-DOCSTART-");
    for (size_t r = 0; r < K; r++)
        put_str(b, " O");
    put_str(b, "\n\n");
    for (size_t s = 0, i = 0; s < d->doc.nsentences; s++) {
        for (size_t j = 0; j < d->doc.sentence_len[s]; j++, i++) {
            nk_buf_put(b, d->doc.tokens[i], d->doc.token_len[i]);
            for (size_t r = 0; r < K; r++) {
                nk_buf_putc(b, ' ');
                put_str(b, w->columns[i * K + r]);
            }
            nk_buf_putc(b, '\n');
        }
        nk_buf_putc(b, '\n');
    }
}

void nk_tagwork_free(nk_tagwork *w)
{
    free(w->labels);
    free(w->ents);
    free(w->alt);
    free(w->nbest);
    free(w->scores);
    free(w->probs);
    free(w->found);
    free(w->names);
    free(w->columns);
    free(w->info);
    free(w->combined);
    memset(w, 0, sizeof *w);
}

static int reserve_work(nk_tagwork *w, size_t N, size_t S, size_t K, nerkit_error *err)
{
    if (N + 1 > w->cap_tok || K > w->cap_k) {
        size_t n = N + 1, k = K > w->cap_k ? K : w->cap_k;
        if (!nk_resize(&w->labels, n, sizeof *w->labels) ||
            !nk_resize(&w->ents, n, sizeof *w->ents) || !nk_resize(&w->alt, n, sizeof *w->alt) ||
            !nk_resize(&w->names, n, sizeof *w->names) ||
            !nk_resize(&w->nbest, n * k, sizeof *w->nbest) ||
            !nk_resize(&w->columns, n * k, sizeof *w->columns) ||
            !nk_resize(&w->info, n, sizeof *w->info) ||
            !nk_resize(&w->combined, 2 * n, sizeof *w->combined))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
        w->cap_tok = n;
        w->cap_k = k;
        w->cap_sent = 0; /* sentence arrays are sized with k: redo them */
    }
    if (S + 1 > w->cap_sent) {
        size_t n = S + 1;
        if (!nk_resize(&w->scores, n * w->cap_k, sizeof *w->scores) ||
            !nk_resize(&w->probs, n * w->cap_k, sizeof *w->probs) ||
            !nk_resize(&w->found, n, sizeof *w->found))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory tagging");
        w->cap_sent = n;
    }
    return NERKIT_OK;
}

/* The model's entities of w->ents and the dictionaries' matches, combined
 * as o->dict_policy says, into w->ents and w->info. */
static void apply_dicts(const nerkit_model *m, nk_tagwork *w, const nerkit_document *doc,
                        const nerkit_bulk_opts *o)
{
    size_t n = nerkit_dict_combine(m, o->dicts, o->ndicts, o->dict_policy, doc, w->ents, w->nents,
                                   w->combined);
    for (size_t k = 0; k < n; k++) {
        const nerkit_dict_entity *c = &w->combined[k];
        w->ents[k] = (nerkit_entity){c->start, c->end, c->type, c->prob};
        w->info[k] = c->from_dict
                         ? (nk_entinfo){c->label, nk_dict_prefixed(o->dicts[c->dict], c->type), 1,
                                        c->id, c->id_len, true}
                         : (nk_entinfo){c->label, (const char *const *)m->names + 1 + c->type,
                                        m->ntypes, NULL, 0, false};
    }
    w->nents = n;
}

int nk_tag_document(nerkit_tagger *t, nk_tagwork *w, const nerkit_document *doc,
                    const nerkit_bulk_opts *o, nerkit_error *err)
{
    int rc = reserve_work(w, doc->ntokens, doc->nsentences, o->nbest ? o->nbest : 1, err);
    if (rc)
        return rc;
    if (o->ndicts && o->dict_policy == NERKIT_DICT_ONLY) {
        /* the model does not run: the matches are all there is */
        memset(w->labels, 0, doc->ntokens * sizeof *w->labels);
        w->nents = 0;
    } else if (o->confidence) {
        rc = nerkit_tag_confidence(t, doc, w->labels, w->ents, &w->nents, err);
    } else {
        rc = nerkit_tag_document(t, doc, w->labels, err);
        w->nents = nerkit_entities(w->labels, doc->ntokens, w->ents);
    }
    if (!rc && o->nbest)
        rc = nerkit_tag_nbest(t, doc, o->nbest, w->nbest, w->scores, w->probs, w->found, err);
    if (!rc && o->ndicts)
        apply_dicts(nk_tagger_model(t), w, doc, o);
    return rc;
}

int nk_format(nk_buf *out, const nerkit_model *m, const nk_tagged *d, nk_tagwork *w,
              const nerkit_bulk_opts *o)
{
    switch (o->output) {
    case NERKIT_OUTPUT_JSONL: format_jsonl(out, m, d, w, o); break;
    case NERKIT_OUTPUT_TSV: format_tsv(out, m, d, w, o); break;
    case NERKIT_OUTPUT_INLINE: format_inline(out, m, d, w, o); break;
    case NERKIT_OUTPUT_CONLL: format_conll(out, m, d, w, o); break;
    }
    return out->failed ? NERKIT_ERR_NOMEM : NERKIT_OK;
}

int nerkit_bulk_check(const nerkit_model *m, const nerkit_bulk_opts *given, nerkit_error *err)
{
    nerkit_bulk_opts opts;
    const nerkit_bulk_opts *o = &opts;
    int rc = NK_OPTS_TAKE(&opts, given, nerkit_bulk_opts_init, err);
    if (rc)
        return rc;
    if (o->confidence && (rc = nk_need_probabilities(m, err)))
        return rc;
    if (o->confidence && o->output == NERKIT_OUTPUT_CONLL)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "confidences are given per entity: use -f jsonl, tsv or inline");
    if (o->threads < 0 || o->threads > NERKIT_THREADS_MAX)
        return nk_fail(err, NERKIT_ERR_ARG, "%d threads: want 1 to %d (or 0, one per core)",
                       o->threads, NERKIT_THREADS_MAX);
    if (o->nbest > NERKIT_NBEST_MAX)
        return nk_fail(err, NERKIT_ERR_ARG, "n-best lists hold at most %d sequences",
                       NERKIT_NBEST_MAX);
    if (o->nbest && (o->output == NERKIT_OUTPUT_TSV || o->output == NERKIT_OUTPUT_INLINE))
        return nk_fail(err, NERKIT_ERR_ARG, "n-best lists need -f jsonl or conll");
    if (o->ndicts && !o->dicts)
        return nk_fail(err, NERKIT_ERR_ARG, "ndicts dictionaries but no dicts");
    if (o->ndicts > NERKIT_DICTS_MAX)
        return nk_fail(err, NERKIT_ERR_ARG, "%zu dictionaries: at most %d", o->ndicts,
                       NERKIT_DICTS_MAX);
    for (size_t k = 0; k < o->ndicts; k++)
        if (!o->dicts[k])
            return nk_fail(err, NERKIT_ERR_ARG, "dictionary %zu of %zu is NULL", k + 1, o->ndicts);
    if (o->dict_policy > NERKIT_DICT_ONLY)
        return nk_fail(err, NERKIT_ERR_ARG, "unknown dictionary policy %d", (int)o->dict_policy);
    if (o->ndicts && o->nbest)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "n-best lists are the model's alone: not with dictionaries");
    if (o->ndicts && o->dict_policy == NERKIT_DICT_ONLY && o->confidence)
        return nk_fail(err, NERKIT_ERR_ARG,
                       "confidences come from the model, which a dictionary-only run does not use");
    return NERKIT_OK;
}

/* The CoNLL input back with its label column(s) appended. */
static int write_conll(nerkit_tagger *t, const nerkit_corpus *c, const nerkit_model *m,
                       const nerkit_bulk_opts *o, FILE *out, nerkit_error *err)
{
    size_t N = nerkit_corpus_ntokens(c), K = o->nbest ? o->nbest : 1;
    nerkit_scheme scheme = o->scheme;
    if (scheme == NERKIT_SCHEME_AUTO && nerkit_corpus_has_labels(c))
        scheme = nerkit_corpus_scheme(c);
    const char **names = nk_alloc(N * K + 1, sizeof *names, err);
    nk_tagwork w = {0};
    int rc = names ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (size_t d = 0; !rc && d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(c, d, &doc);
        if (!(rc = nk_tag_document(t, &w, &doc, o, err)))
            label_columns(m, &doc, &w, K, scheme, names + first * K, o->ndicts > 0);
    }
    if (!rc)
        rc = nerkit_corpus_write_columns(c, names, K, out, err);
    nk_tagwork_free(&w);
    free(names);
    return rc;
}

int nerkit_corpus_tag_write(nerkit_tagger *t, const nerkit_corpus *c,
                            const nerkit_bulk_opts *given, FILE *out, nerkit_error *err)
{
    const nerkit_model *m = nk_tagger_model(t);
    nerkit_bulk_opts opts;
    const nerkit_bulk_opts *o = &opts;
    int rc = NK_OPTS_TAKE(&opts, given, nerkit_bulk_opts_init, err);
    if (rc || (rc = nerkit_bulk_check(m, o, err)))
        return rc;
    if (o->output == NERKIT_OUTPUT_CONLL)
        return write_conll(t, c, m, o, out, err);
    /* other formats need a text: the tokens joined by spaces, sentences by
     * line breaks, with the spans known exactly */
    size_t n = nerkit_corpus_ntokens(c);
    nk_buf text = {0}, rec = {0};
    nk_tagwork w = {0};
    nerkit_span *span = nk_alloc(n + 1, sizeof *span, err);
    rc = span ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (size_t d = 0; !rc && d < nerkit_corpus_ndocuments(c); d++) {
        nk_tagged td = {.seq = d, .span = span};
        nerkit_corpus_document(c, d, &td.doc);
        text.len = rec.len = 0;
        size_t chars = 0;
        for (size_t s = 0, i = 0; s < td.doc.nsentences; s++) {
            for (size_t j = 0; j < td.doc.sentence_len[s]; j++, i++) {
                if (j > 0 || s > 0) {
                    nk_buf_putc(&text, j > 0 ? ' ' : '\n');
                    chars++;
                }
                size_t len = td.doc.token_len[i];
                span[i].byte_start = text.len;
                span[i].char_start = chars;
                nk_buf_put(&text, td.doc.tokens[i], len);
                for (size_t k = 0; k < len; k++)
                    chars += ((unsigned char)td.doc.tokens[i][k] & 0xC0) != 0x80;
                span[i].byte_end = text.len;
                span[i].char_end = chars;
            }
        }
        td.text = text.p ? text.p : "";
        td.text_len = text.len;
        if (text.failed)
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory writing");
        if (!rc)
            rc = nk_tag_document(t, &w, &td.doc, o, err);
        if (!rc && nk_format(&rec, m, &td, &w, o))
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory writing");
        if (!rc && fwrite(rec.p, 1, rec.len, out) != rec.len)
            rc = nk_fail(err, NERKIT_ERR_IO, "write error: %s", strerror(errno));
    }
    nk_tagwork_free(&w);
    free(span);
    nk_buf_free(&text);
    nk_buf_free(&rec);
    return rc;
}

int nerkit_tag_corpus(nerkit_tagger *t, const nerkit_corpus *c, uint16_t *labels,
                      nerkit_error *err)
{
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        size_t first = nerkit_corpus_document(c, d, &doc);
        int rc = nerkit_tag_document(t, &doc, labels + first, err);
        if (rc)
            return rc;
    }
    return NERKIT_OK;
}
