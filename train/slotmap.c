/*
 * The feature slots a training set uses, numbered in slot order: what
 * sizes both trainers' weights by the features seen rather than by the
 * hash table.
 */
#include "trainer.h"

#include <stdlib.h>

int nk_slotmap_build(nk_slotmap *sm, const nk_trainset *ts, unsigned hash_bits,
                     nerkit_error *err)
{
    const size_t words = ((size_t)1 << hash_bits) / 64;
    *sm = (nk_slotmap){0};
    sm->present = nk_alloc(words, sizeof *sm->present, err);
    sm->rank = nk_alloc(words, sizeof *sm->rank, err);
    if (!sm->present || !sm->rank)
        goto nomem;
    for (size_t k = 0; k < ts->start[ts->ntok]; k++)
        sm->present[ts->slots[k] >> 6] |= (uint64_t)1 << (ts->slots[k] & 63);
    for (size_t i = 0; ts->nl_n && i < ts->ntok; i++)
        for (size_t k = 0; k < ts->nl_n[i]; k++) {
            uint32_t s = ts->nl[i * NK_NL_MAX + k];
            sm->present[s >> 6] |= (uint64_t)1 << (s & 63);
        }
    sm->n = nk_bitrank_build(sm->present, sm->rank, words);
    if (!(sm->slot = nk_alloc(sm->n, sizeof *sm->slot, err)))
        goto nomem;
    for (size_t w = 0, r = 0; w < words; w++)
        for (uint64_t b = sm->present[w]; b; b &= b - 1)
            sm->slot[r++] = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(b));
    return NERKIT_OK;
nomem:
    nk_slotmap_free(sm);
    return NERKIT_ERR_NOMEM;
}

void nk_slotmap_remap(nk_trainset *ts, const nk_slotmap *sm)
{
    size_t out = 0, k = 0;
    for (size_t i = 0; i < ts->ntok; i++) {
        size_t end = ts->start[i + 1];
        ts->start[i] = out;
        for (; k < end; k++) {
            uint32_t id = nk_slotmap_id(sm, ts->slots[k]);
            if (id)
                ts->slots[out++] = id - 1;
        }
    }
    ts->start[ts->ntok] = out;
}

void nk_slotmap_free(nk_slotmap *sm)
{
    free(sm->present);
    free(sm->rank);
    free(sm->slot);
    *sm = (nk_slotmap){0};
}
