/*
 * Several perceptrons averaged into one model (nerkit_train_opts.seeds).
 *
 * Runs that differ only in their shuffling seed make different mistakes,
 * and the mean of their weights scores each token with the mean of their
 * scores: the model is an ensemble that costs no more to tag with than one
 * of its members (the union of their rows, barely more than one's). On
 * CoNLL-2003 the mean of three seeds' weights scored 0.4 F1 above their
 * average. Each run keeps the rows with a non-zero weight, so the runs'
 * slot sets differ a little; a slot a run has no row for counts as zeros.
 */
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

/* The slots m has rows for, in row order (increasing). */
static uint32_t *model_slots(const nerkit_model *m, nerkit_error *err)
{
    uint32_t *slots = nk_alloc((size_t)m->nrows + 1, sizeof *slots, err);
    if (!slots)
        return NULL;
    size_t words = ((size_t)1 << m->feat.hash_bits) / 64, n = 0;
    for (size_t w = 0; w < words; w++)
        for (uint64_t bits = m->present[w]; bits; bits &= bits - 1)
            slots[n++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
    return slots;
}

static void add_floats(float *sum, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum[i] += x[i];
}

int nk_average_add(nk_average *a, const nerkit_model *m, nerkit_error *err)
{
    const size_t L = m->nlabels, D = m->dense ? m->nlabels * NK_WINDOW * m->lex.dim : 0;
    uint32_t *ms = model_slots(m, err);
    uint32_t *slots = nk_alloc((size_t)a->n + m->nrows + 1, sizeof *slots, err);
    float *rows = nk_alloc(((size_t)a->n + m->nrows) * L + 1, sizeof *rows, err);
    if (!a->trans)
        a->trans = nk_alloc(L * L, sizeof *a->trans, err);
    if (D && !a->dense)
        a->dense = nk_alloc(D, sizeof *a->dense, err);
    if (!ms || !slots || !rows || !a->trans || (D && !a->dense)) {
        free(ms);
        free(slots);
        free(rows);
        return NERKIT_ERR_NOMEM;
    }
    /* merge of two increasing slot lists, summing the rows of a slot both have */
    size_t i = 0, j = 0, n = 0;
    while (i < a->n || j < m->nrows) {
        bool from_a = i < a->n && (j == m->nrows || a->slots[i] <= ms[j]);
        bool from_m = j < m->nrows && (i == a->n || ms[j] <= a->slots[i]);
        slots[n] = from_a ? a->slots[i] : ms[j];
        memset(rows + n * L, 0, L * sizeof *rows);
        if (from_a)
            add_floats(rows + n * L, a->rows + i++ * L, L);
        if (from_m)
            add_floats(rows + n * L, m->rows + j++ * L, L);
        n++;
    }
    free(ms);
    free(a->slots);
    free(a->rows);
    a->slots = slots;
    a->rows = rows;
    a->n = (uint32_t)n;
    add_floats(a->trans, m->trans, L * L);
    if (D)
        add_floats(a->dense, m->dense, D);
    a->runs++;
    return NERKIT_OK;
}

int nk_average_finish(nk_average *a, nerkit_model *m, nerkit_error *err)
{
    const size_t L = m->nlabels, D = m->dense ? m->nlabels * NK_WINDOW * m->lex.dim : 0;
    int rc = nk_model_set_rows(m, a->slots, a->n, err);
    if (rc)
        return rc;
    const float inv = 1.0f / (float)a->runs;
    for (size_t k = 0; k < (size_t)a->n * L; k++)
        m->rows[k] = a->rows[k] * inv;
    for (size_t k = 0; k < L * L; k++)
        m->trans[k] = a->trans[k] * inv;
    for (size_t k = 0; k < D; k++)
        m->dense[k] = a->dense[k] * inv;
    return NERKIT_OK;
}

void nk_average_free(nk_average *a)
{
    free(a->slots);
    free(a->rows);
    free(a->trans);
    free(a->dense);
    memset(a, 0, sizeof *a);
}
