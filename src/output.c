/*
 * Writing a tagged document in each output format.
 *
 * Entity offsets are in characters (code points) of the document text, end
 * exclusive: the convention of spaCy, doccano and Prodigy, so that
 * text[start:end] in Python is the entity. Byte offsets are there on
 * request for readers in C, Go or Rust.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn for each entity: tokens first..last of the document. */
typedef struct {
    size_t first, last;
    size_t type;
} entity;

static size_t next_entity(const nk_tagged *d, size_t from, entity *e)
{
    for (size_t i = from; i < d->doc.ntokens; i++) {
        uint16_t l = d->labels[i];
        if (l == 0 || (NK_LABEL_PART(l) != NK_B && NK_LABEL_PART(l) != NK_U))
            continue;
        size_t j = i;
        /* the decoder only emits valid BILOU, so B runs to the next L */
        while (NK_LABEL_PART(d->labels[j]) != NK_U && NK_LABEL_PART(d->labels[j]) != NK_L &&
               j + 1 < d->doc.ntokens)
            j++;
        e->first = i;
        e->last = j;
        e->type = NK_LABEL_TYPE(l);
        return j + 1;
    }
    return SIZE_MAX;
}

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

static void format_jsonl(nk_buf *b, const nerkit_model *m, const nk_tagged *d, int byte_offsets)
{
    nk_buf_putc(b, '{');
    bool any = false;
    if (d->members) {
        /* every member of the input object but its old entities, as written */
        for (size_t k = 0; k < d->nmembers; k++) {
            const nk_json_member *mb = &d->members[k];
            if (mb->key_len == 8 && memcmp(mb->key, "entities", 8) == 0)
                continue;
            if (any)
                nk_buf_putc(b, ',');
            nk_buf_put(b, mb->member, mb->member_len);
            any = true;
        }
    } else {
        put_str(b, "\"text\":");
        nk_buf_json_string(b, d->text, d->text_len);
        any = true;
    }
    put_str(b, any ? ",\"entities\":[" : "\"entities\":[");
    entity e;
    for (size_t i = 0, n = 0; (i = next_entity(d, i, &e)) != SIZE_MAX; n++) {
        const nerkit_span *a = &d->span[e.first], *z = &d->span[e.last];
        nk_buf_printf(b, "%s{\"start\":%zu,\"end\":%zu,\"label\":", n ? "," : "", a->char_start,
                      z->char_end);
        nk_buf_json_string(b, m->types[e.type], strlen(m->types[e.type]));
        put_str(b, ",\"text\":");
        nk_buf_json_string(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        if (byte_offsets)
            nk_buf_printf(b, ",\"byte_start\":%zu,\"byte_end\":%zu", a->byte_start, z->byte_end);
        nk_buf_putc(b, '}');
    }
    put_str(b, "]}\n");
}

static void format_tsv(nk_buf *b, const nerkit_model *m, const nk_tagged *d)
{
    entity e;
    for (size_t i = 0; (i = next_entity(d, i, &e)) != SIZE_MAX;) {
        const nerkit_span *a = &d->span[e.first], *z = &d->span[e.last];
        put_doc_name(b, d);
        nk_buf_printf(b, "\t%zu\t%zu\t%s\t", a->char_start, z->char_end, m->types[e.type]);
        put_flat(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        nk_buf_putc(b, '\n');
    }
}

static void format_inline(nk_buf *b, const nerkit_model *m, const nk_tagged *d)
{
    size_t pos = 0;
    entity e;
    for (size_t i = 0; (i = next_entity(d, i, &e)) != SIZE_MAX;) {
        const nerkit_span *a = &d->span[e.first], *z = &d->span[e.last];
        nk_buf_put(b, d->text + pos, a->byte_start - pos);
        nk_buf_printf(b, "[%s ", m->types[e.type]);
        nk_buf_put(b, d->text + a->byte_start, z->byte_end - a->byte_start);
        nk_buf_putc(b, ']');
        pos = z->byte_end;
    }
    nk_buf_put(b, d->text + pos, d->text_len - pos);
    put_str(b, d->text_len && d->text[d->text_len - 1] == '\n' ? "\n" : "\n\n");
}

static void format_conll(nk_buf *b, const nerkit_model *m, const nk_tagged *d, nerkit_scheme s,
                         const char **names)
{
    put_str(b, "-DOCSTART- O\n\n");
    for (size_t k = 0, i = 0; k < d->doc.nsentences; k++) {
        size_t n = d->doc.sentence_len[k];
        nerkit_model_label_strings(m, d->labels + i, n, s, names);
        for (size_t j = 0; j < n; j++, i++) {
            nk_buf_put(b, d->doc.tokens[i], d->doc.token_len[i]);
            nk_buf_putc(b, ' ');
            put_str(b, names[j]);
            nk_buf_putc(b, '\n');
        }
        nk_buf_putc(b, '\n');
    }
}

int nk_format(nk_buf *out, const nerkit_model *m, const nk_tagged *d, nerkit_output_format f,
              int byte_offsets, nerkit_scheme scheme, const char **names)
{
    switch (f) {
    case NERKIT_OUTPUT_JSONL: format_jsonl(out, m, d, byte_offsets); break;
    case NERKIT_OUTPUT_TSV: format_tsv(out, m, d); break;
    case NERKIT_OUTPUT_INLINE: format_inline(out, m, d); break;
    case NERKIT_OUTPUT_CONLL: format_conll(out, m, d, scheme, names); break;
    }
    return out->failed ? NERKIT_ERR_NOMEM : NERKIT_OK;
}

int nerkit_corpus_write(const nerkit_corpus *c, const nerkit_model *m, const uint16_t *labels,
                        nerkit_output_format f, const nerkit_bulk_opts *o, FILE *out,
                        nerkit_error *err)
{
    size_t n = nerkit_corpus_ntokens(c);
    const char **names = nk_alloc(n + 1, sizeof *names, err);
    if (!names)
        return NERKIT_ERR_NOMEM;
    int rc = NERKIT_OK;
    if (f == NERKIT_OUTPUT_CONLL) {
        nerkit_corpus_label_strings(c, m, labels, o->scheme, names);
        rc = nerkit_corpus_write_column(c, names, out, err);
        free(names);
        return rc;
    }
    /* other formats need a text: the tokens joined by spaces, sentences by
     * line breaks, with the spans known exactly */
    nk_buf text = {0}, rec = {0};
    nerkit_span *span = nk_alloc(n + 1, sizeof *span, err);
    for (size_t d = 0; span && !rc && d < nerkit_corpus_ndocuments(c); d++) {
        nk_tagged t = {.seq = d};
        size_t first = nerkit_corpus_document(c, d, &t.doc);
        text.len = rec.len = 0;
        size_t chars = 0;
        for (size_t s = 0, i = 0; s < t.doc.nsentences; s++) {
            for (size_t j = 0; j < t.doc.sentence_len[s]; j++, i++) {
                if (j > 0 || s > 0) {
                    nk_buf_putc(&text, j > 0 ? ' ' : '\n');
                    chars++;
                }
                size_t len = t.doc.token_len[i];
                span[i].byte_start = text.len;
                span[i].char_start = chars;
                nk_buf_put(&text, t.doc.tokens[i], len);
                for (size_t k = 0; k < len; k++)
                    chars += ((unsigned char)t.doc.tokens[i][k] & 0xC0) != 0x80;
                span[i].byte_end = text.len;
                span[i].char_end = chars;
            }
        }
        t.text = text.p ? text.p : "";
        t.text_len = text.len;
        t.span = span;
        t.labels = labels + first;
        rc = nk_format(&rec, m, &t, f, o->byte_offsets, o->scheme, names);
        if (!rc && text.failed)
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory writing");
        else if (rc)
            nk_fail(err, (nerkit_status)rc, "out of memory writing");
        if (!rc && fwrite(rec.p, 1, rec.len, out) != rec.len)
            rc = nk_fail(err, NERKIT_ERR_IO, "write error: %s", strerror(errno));
    }
    if (!span)
        rc = NERKIT_ERR_NOMEM;
    free(span);
    free(names);
    nk_buf_free(&text);
    nk_buf_free(&rec);
    return rc;
}
