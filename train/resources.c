/*
 * Word representations for training: cluster and vector files loaded and
 * cut down to the lexicon a model carries, or the lexicon of a trained
 * model taken whole (--lexicon-from), or, given none of these, vectors and
 * clusters learned from the training corpus itself.
 *
 * A model keeps the words of its training corpus and each resource's most
 * frequent words (--lexicon-words), which cover nearly all running text of
 * any new document; a model holding a whole vector file would be large for
 * no gain. Words are keyed by their lower-cased form, as the features look
 * them up; where a resource has several cased forms of one word, the most
 * frequent (listed first) speaks for it.
 */
#include "trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nerkit_clusters **clusters;
    size_t nclusters;
    nerkit_vectors *vectors;
    uint64_t *keys; /* the lexicon being gathered */
    size_t nkeys, cap;
} resources;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int add_key(resources *r, uint64_t key, nerkit_error *err)
{
    if (r->nkeys == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 1 << 16;
        if (!nk_resize(&r->keys, cap, sizeof *r->keys))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory building the lexicon");
        r->cap = cap;
    }
    r->keys[r->nkeys++] = key;
    return NERKIT_OK;
}

static int cmp_u64_pair(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] > y[0]) - (x[0] < y[0]) : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Sorts keys and drops repeats; returns how many are left. */
static size_t unique(uint64_t *keys, size_t n)
{
    if (n == 0)
        return 0;
    qsort(keys, n, sizeof *keys, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (keys[i] != keys[k - 1])
            keys[k++] = keys[i];
    return k;
}

static bool is_training_word(const uint64_t *train, size_t n, uint64_t key)
{
    return bsearch(&key, train, n, sizeof key, cmp_u64) != NULL;
}

/* A clustering's words, most frequent first: nerkit-embed's files list
 * them so already, Brown files by path with a count beside each word. */
static size_t *frequency_order(const nerkit_clusters *c, nerkit_error *err)
{
    size_t n = nerkit_clusters_count(c);
    uint64_t *pair = nk_alloc(2 * n + 1, sizeof *pair, err);
    size_t *order = nk_alloc(n + 1, sizeof *order, err);
    if (!pair || !order) {
        free(pair);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        /* sorting (UINT64_MAX - count, index) pairs puts frequent words
         * first and keeps file order among equals */
        pair[2 * i] = UINT64_MAX - nerkit_clusters_frequency(c, i);
        pair[2 * i + 1] = i;
    }
    qsort(pair, n, 2 * sizeof *pair, cmp_u64_pair);
    for (size_t i = 0; i < n; i++)
        order[i] = (size_t)pair[2 * i + 1];
    free(pair);
    return order;
}

/* Adds the words a resource brings: its most frequent, and any it shares
 * with the training corpus. */
static int gather(resources *r, const char *(*word)(const void *, size_t), const void *res,
                  const size_t *order, size_t n, const uint64_t *train, size_t ntrain,
                  size_t keep, nerkit_error *err)
{
    for (size_t rank = 0; rank < n; rank++) {
        const char *w = word(res, order ? order[rank] : rank);
        uint64_t key = nk_lower_hash(w, strlen(w));
        if ((rank < keep || is_training_word(train, ntrain, key)) && add_key(r, key, err))
            return NERKIT_ERR_NOMEM;
    }
    return NERKIT_OK;
}

static const char *cluster_word(const void *c, size_t i)
{
    return nerkit_clusters_word(c, i);
}

static const char *vector_word(const void *v, size_t i)
{
    return nerkit_vectors_word(v, i);
}

/* The sorted, distinct lower-cased forms of the training words. */
static uint64_t *training_keys(const nerkit_corpus *train, size_t *n, nerkit_error *err)
{
    size_t ntok = nerkit_corpus_ntokens(train);
    uint64_t *keys = nk_alloc(ntok + 1, sizeof *keys, err);
    if (!keys)
        return NULL;
    for (size_t i = 0; i < ntok; i++) {
        size_t len;
        const char *t = nerkit_corpus_token(train, i, &len);
        keys[i] = nk_lower_hash(t, len);
    }
    *n = unique(keys, ntok);
    return keys;
}

/* Fills the lexicon's clusterings from file c, starting at column col. */
static int fill_clusters(nk_lexicon *lx, const nerkit_clusters *c, const size_t *order,
                         size_t col, nerkit_error *err)
{
    size_t levels = nerkit_clusters_levels(c), n = nerkit_clusters_count(c);
    uint32_t *ids = nk_alloc((size_t)lx->nwords + 1, sizeof *ids, err);
    int rc = ids ? NERKIT_OK : NERKIT_ERR_NOMEM;
    for (size_t l = 0; !rc && l < (levels ? levels : 1); l++) {
        memset(ids, 0, (size_t)lx->nwords * sizeof *ids);
        for (size_t rank = 0; rank < n; rank++) {
            size_t i = order[rank];
            const char *w = nerkit_clusters_word(c, i);
            int32_t x = nk_lexicon_find(lx, nk_lower_hash(w, strlen(w)));
            if (x < 0 || ids[x])
                continue; /* not kept, or a more frequent form came first */
            if (levels) {
                ids[x] = nerkit_clusters_id(c, l, i) + 1;
            } else {
                const char *path = nerkit_clusters_path(c, i);
                ids[x] = nk_brown_path(path, strlen(path));
            }
        }
        rc = nk_lexicon_set_clustering(lx, (uint32_t)(col + l), ids, levels == 0, err);
    }
    free(ids);
    return rc;
}

/* Unit-length vectors, so that the dense weights meet inputs of one scale
 * whatever the tool that made the file. */
static int fill_vectors(nk_lexicon *lx, const nerkit_vectors *v, nerkit_error *err)
{
    size_t n = nerkit_vectors_count(v), dim = lx->dim;
    float *unit = nk_alloc(dim, sizeof *unit, err);
    bool *done = nk_alloc(lx->nwords + 1, sizeof *done, err);
    if (!unit || !done) {
        free(unit);
        free(done);
        return NERKIT_ERR_NOMEM;
    }
    const float *data = nerkit_vectors_data(v);
    for (size_t i = 0; i < n; i++) {
        const char *w = nerkit_vectors_word(v, i);
        int32_t x = nk_lexicon_find(lx, nk_lower_hash(w, strlen(w)));
        if (x < 0 || done[x])
            continue;
        double norm = 0;
        for (size_t k = 0; k < dim; k++)
            norm += (double)data[i * dim + k] * data[i * dim + k];
        float inv = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0.0f;
        for (size_t k = 0; k < dim; k++)
            unit[k] = data[i * dim + k] * inv;
        nk_lexicon_set_vector(lx, (uint32_t)x, unit);
        done[x] = true;
    }
    free(unit);
    free(done);
    return NERKIT_OK;
}

/* Turns on the feature groups m's lexicon feeds, with zero dense weights
 * for its vectors. */
static int use_lexicon(nerkit_model *m, nerkit_error *err)
{
    if (m->lex.nclusterings)
        m->feat.groups |= NERKIT_FEAT_CLUSTERS;
    if (!m->lex.dim)
        return NERKIT_OK;
    m->feat.groups |= NERKIT_FEAT_VECTORS;
    m->dense = nk_alloc(m->nlabels * NK_WINDOW * m->lex.dim, sizeof *m->dense, err);
    return m->dense ? NERKIT_OK : NERKIT_ERR_NOMEM;
}

/* The lexicon and gazetteer of a trained model, taken over whole: they keep
 * hashes, not words, so there is nothing to choose among, and the source
 * model chose its words when it was trained. */
static int lexicon_from(nerkit_model *m, const char *path, nerkit_error *err)
{
    nerkit_model *src = nerkit_model_load(path, err);
    if (!src)
        return err ? err->code : NERKIT_ERR_MODEL;
    int rc = nk_lexicon_own(&src->lex, err);
    if (rc) {
    } else if (!src->lex.nclusterings && !src->lex.dim && !src->gaz.nstates) {
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "%s: the model has no lexicon to take (no word vectors, clusters or "
                     "gazetteer: it was trained without them)",
                     path);
    } else {
        /* moved, not copied (the lexicon once out of src's file): src is
         * freed next, and m owns them from now */
        m->lex = src->lex;
        m->gaz = src->gaz;
        memset(&src->lex, 0, sizeof src->lex);
        memset(&src->gaz, 0, sizeof src->gaz);
        if (m->gaz.nstates)
            m->feat.groups |= NERKIT_FEAT_GAZETTEER;
        rc = use_lexicon(m, err);
    }
    nerkit_model_free(src);
    return rc;
}

/* Vectors and their clusters learned from the training corpus, into r; none
 * when too few of its words occur twice. The settings are those that did
 * best for the CoNLL-2002 Spanish and Dutch training text in
 * models/README.md: from 200,000 tokens, vectors of the words seen twice
 * still add 0.5 to 2 F1 with the non-local features. */
static int self_lexicon(resources *r, const nerkit_corpus *train, size_t min_words,
                        nerkit_error *err)
{
    nerkit_embed_opts eo;
    nerkit_embed_opts_init(&eo);
    eo.min_count = 2;
    eo.threads = 1;
    /* a bound on the word pairs counted (16 bytes each, the rarest pruned
     * beyond it): 256 MB at most, whatever the corpus; a training corpus of
     * a few million tokens has fewer distinct pairs */
    eo.max_pairs = (size_t)1 << 24;
    nerkit_error quiet = {0};
    /* too few words is no error: the model is made without them */
    if (!(r->vectors = nk_embed_corpus(train, min_words, &eo, &quiet)))
        return quiet.code == NERKIT_ERR_ARG ? NERKIT_OK
                                            : nk_fail(err, quiet.code, "%s", quiet.message);
    static const size_t ks[] = {64, 256, 1024};
    size_t nks = 0;
    while (nks < 3 && ks[nks] < nerkit_vectors_count(r->vectors))
        nks++;
    nerkit_kmeans_opts ko;
    nerkit_kmeans_opts_init(&ko);
    if (nks && !(r->clusters[0] = nerkit_kmeans(r->vectors, ks, nks, &ko, err)))
        return err ? err->code : NERKIT_ERR_NOMEM;
    r->nclusters = nks ? 1 : 0;
    return NERKIT_OK;
}

int nk_train_resources(nerkit_model *m, const nerkit_corpus *train, const nerkit_train_opts *o,
                       nerkit_error *err)
{
    if (o->lexicon_from)
        return lexicon_from(m, o->lexicon_from, err);
    bool self = !o->ncluster_files && !o->vectors_file;
    if (self && !o->self_lexicon_words)
        return NERKIT_OK;
    resources r = {0};
    size_t **orders = NULL, ntrain = 0, nclusterings = 0;
    uint64_t *train_keys = NULL;
    int rc = NERKIT_OK;
    r.clusters = nk_alloc(o->ncluster_files + 1, sizeof *r.clusters, err);
    orders = nk_alloc(o->ncluster_files + 1, sizeof *orders, err);
    if (!r.clusters || !orders) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    if (self) {
        if ((rc = self_lexicon(&r, train, o->self_lexicon_words, err)))
            goto out;
        if (!r.vectors)
            goto out;
        if (r.nclusters && !(orders[0] = frequency_order(r.clusters[0], err))) {
            rc = NERKIT_ERR_NOMEM;
            goto out;
        }
        nclusterings = r.nclusters ? nerkit_clusters_levels(r.clusters[0]) : 0;
    }
    for (; r.nclusters < o->ncluster_files; r.nclusters++) {
        nerkit_clusters *c = nerkit_clusters_load(o->cluster_files[r.nclusters], err);
        if (!c) {
            rc = err ? err->code : NERKIT_ERR_IO;
            goto out;
        }
        r.clusters[r.nclusters] = c;
        size_t levels = nerkit_clusters_levels(c);
        nclusterings += levels ? levels : 1;
        if (!(orders[r.nclusters] = frequency_order(c, err))) {
            r.nclusters++;
            rc = NERKIT_ERR_NOMEM;
            goto out;
        }
    }
    if (nclusterings > NK_MAX_CLUSTERINGS) {
        rc = nk_fail(err, NERKIT_ERR_ARG,
                     "%zu clusterings (k-means levels and Brown files) given; at most %d",
                     nclusterings, NK_MAX_CLUSTERINGS);
        goto out;
    }
    if (o->vectors_file && !(r.vectors = nerkit_vectors_load(o->vectors_file, NERKIT_VEC_AUTO, err))) {
        rc = err ? err->code : NERKIT_ERR_IO;
        goto out;
    }
    if (!(train_keys = training_keys(train, &ntrain, err))) {
        rc = NERKIT_ERR_NOMEM;
        goto out;
    }
    for (size_t f = 0; f < r.nclusters && !rc; f++)
        rc = gather(&r, cluster_word, r.clusters[f], orders[f], nerkit_clusters_count(r.clusters[f]),
                    train_keys, ntrain, o->lexicon_words, err);
    if (!rc && r.vectors)
        rc = gather(&r, vector_word, r.vectors, NULL, nerkit_vectors_count(r.vectors), train_keys,
                    ntrain, o->lexicon_words, err);
    if (rc)
        goto out;
    size_t dim = r.vectors ? nerkit_vectors_dim(r.vectors) : 0;
    rc = nk_lexicon_init(&m->lex, r.keys, unique(r.keys, r.nkeys), (uint32_t)nclusterings,
                         (uint32_t)dim, err);
    if (rc)
        goto out;
    for (size_t f = 0, col = 0; f < r.nclusters && !rc; f++) {
        rc = fill_clusters(&m->lex, r.clusters[f], orders[f], col, err);
        size_t levels = nerkit_clusters_levels(r.clusters[f]);
        col += levels ? levels : 1;
    }
    if (!rc)
        rc = use_lexicon(m, err);
    if (!rc && r.vectors)
        rc = fill_vectors(&m->lex, r.vectors, err);
out:
    for (size_t f = 0; f < r.nclusters; f++) {
        nerkit_clusters_free(r.clusters[f]);
        free(orders[f]);
    }
    free(r.clusters);
    free(orders);
    nerkit_vectors_free(r.vectors);
    free(r.keys);
    free(train_keys);
    return rc;
}
