/*
 * How closely the tokenizer reproduces a CoNLL file's tokenization: each
 * document's tokens are joined with single spaces into one paragraph (so
 * nothing but the tokenizer decides where tokens and sentences end), then
 * tokenized again. Prints token precision/recall (exact span matches) and
 * sentence-boundary precision/recall/F1.
 *
 *   tokenizer_agreement FILE [MIN_TOKEN_RECALL]
 *
 * Exits 1 if token recall is below MIN_TOKEN_RECALL (percent).
 */
#include "nerkit.h"

#include <stdlib.h>
#include <string.h>

/* Matches between two increasing lists of (start, end) pairs. */
static size_t same_pairs(const size_t *a, size_t na, const size_t *b, size_t nb)
{
    size_t i = 0, j = 0, m = 0;
    while (i < na && j < nb) {
        if (a[2 * i] == b[2 * j] && a[2 * i + 1] == b[2 * j + 1])
            m++, i++, j++;
        else if (a[2 * i] < b[2 * j] || (a[2 * i] == b[2 * j] && a[2 * i + 1] < b[2 * j + 1]))
            i++;
        else
            j++;
    }
    return m;
}

static double pct(size_t a, size_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tokenizer_agreement FILE [MIN_TOKEN_RECALL]\n");
        return 2;
    }
    nerkit_error err;
    nerkit_corpus *c = nerkit_corpus_read(argv[1], NULL, &err);
    nerkit_tokens *tk = nerkit_tokens_new();
    if (!c || !tk) {
        fprintf(stderr, "%s\n", c ? "out of memory" : err.message);
        return 1;
    }
    size_t gold_tok = 0, our_tok = 0, same_tok = 0, gold_sb = 0, our_sb = 0, same_sb = 0;
    size_t *gold = NULL, *ours = NULL;
    char *text = NULL;
    for (size_t d = 0; d < nerkit_corpus_ndocuments(c); d++) {
        nerkit_document doc;
        nerkit_corpus_document(c, d, &doc);
        size_t len = 0;
        for (size_t i = 0; i < doc.ntokens; i++)
            len += doc.token_len[i] + 1;
        /* gold spans as pairs; sentence ends as (end, end) pairs */
        text = realloc(text, len + 1);
        gold = realloc(gold, 2 * (doc.ntokens + doc.nsentences + 1) * sizeof *gold);
        len = 0;
        for (size_t i = 0; i < doc.ntokens; i++) {
            if (i)
                text[len++] = ' ';
            gold[2 * i] = len;
            memcpy(text + len, doc.tokens[i], doc.token_len[i]);
            len += doc.token_len[i];
            gold[2 * i + 1] = len;
        }
        size_t *gsb = gold + 2 * doc.ntokens, ngsb = 0;
        for (size_t s = 0, i = 0; s + 1 < doc.nsentences; s++) {
            i += doc.sentence_len[s];
            gsb[2 * ngsb] = gsb[2 * ngsb + 1] = gold[2 * i - 1];
            ngsb++;
        }
        if (nerkit_tokenize(tk, text, len, &err)) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        nerkit_document mine;
        nerkit_tokens_document(tk, &mine);
        ours = realloc(ours, 2 * (mine.ntokens + mine.nsentences + 1) * sizeof *ours);
        for (size_t i = 0; i < mine.ntokens; i++) {
            nerkit_span sp = nerkit_tokens_span(tk, i);
            ours[2 * i] = sp.byte_start;
            ours[2 * i + 1] = sp.byte_end;
        }
        size_t *osb = ours + 2 * mine.ntokens, nosb = 0;
        for (size_t s = 0, i = 0; s + 1 < mine.nsentences; s++) {
            i += mine.sentence_len[s];
            osb[2 * nosb] = osb[2 * nosb + 1] = ours[2 * i - 1];
            nosb++;
        }
        gold_tok += doc.ntokens;
        our_tok += mine.ntokens;
        same_tok += same_pairs(gold, doc.ntokens, ours, mine.ntokens);
        gold_sb += ngsb;
        our_sb += nosb;
        same_sb += same_pairs(gsb, ngsb, osb, nosb);
    }
    double sp = pct(same_sb, our_sb), sr = pct(same_sb, gold_sb);
    printf("tokens: gold %zu, ours %zu, same span %zu: precision %.2f%%, recall %.2f%%\n",
           gold_tok, our_tok, same_tok, pct(same_tok, our_tok), pct(same_tok, gold_tok));
    printf("sentence boundaries: gold %zu, ours %zu, same %zu: precision %.2f%%, recall %.2f%%, "
           "F1 %.2f\n",
           gold_sb, our_sb, same_sb, sp, sr, sp + sr > 0 ? 2 * sp * sr / (sp + sr) : 0.0);
    int below = argc > 2 && pct(same_tok, gold_tok) < atof(argv[2]);
    free(text);
    free(gold);
    free(ours);
    nerkit_tokens_free(tk);
    nerkit_corpus_free(c);
    return below;
}
