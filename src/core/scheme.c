/*
 * Tag schemes. Every scheme is read by one chunk rule (conlleval's, which
 * also gives invalid sequences their usual reading) into BILOU, the scheme
 * nerkit learns in: separate labels for the first, inner, last and unit
 * token of an entity let a linear model learn boundaries that BIO blurs.
 */
#include "core.h"

#include <string.h>

static const char *const scheme_names[] = {"auto", "IOB1", "IOB2", "BIOES", "BILOU"};

const char *nerkit_scheme_name(nerkit_scheme s)
{
    return (unsigned)s < 5 ? scheme_names[s] : "?";
}

int nerkit_scheme_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcasecmp(name, scheme_names[i]) == 0)
            return i;
    if (strcasecmp(name, "BIO") == 0)
        return NERKIT_SCHEME_IOB2;
    if (strcasecmp(name, "IOBES") == 0)
        return NERKIT_SCHEME_BIOES;
    return -1;
}

bool nk_label_parse(const char *s, size_t len, nk_raw_label *out)
{
    if (len == 1 && s[0] == 'O') {
        out->prefix = 0;
        out->type = NULL;
        out->type_len = 0;
        return true;
    }
    if (len < 3 || s[1] != '-' || !strchr("BIESLU", s[0]))
        return false;
    out->prefix = s[0];
    out->type = s + 2;
    out->type_len = len - 2;
    return true;
}

/* BILOU letters read as their BIOES twins, so one rule serves all. */
static char canon(char p)
{
    return p == 'L' ? 'E' : p == 'U' ? 'S' : p;
}

void nk_to_bilou(const char *prefix, const int *type, size_t n, uint16_t *out)
{
    for (size_t i = 0; i < n; i++) {
        if (type[i] < 0) {
            out[i] = 0;
            continue;
        }
        bool starts = true;
        if (i > 0) {
            char p = canon(prefix[i]), pp = canon(prefix[i - 1]);
            starts = !((p == 'I' || p == 'E') && type[i - 1] == type[i] && pp != 'E' && pp != 'S');
        }
        bool ends = true;
        if (i + 1 < n) {
            char p = canon(prefix[i]), np = canon(prefix[i + 1]);
            ends = !((np == 'I' || np == 'E') && type[i + 1] == type[i] && p != 'E' && p != 'S');
        }
        int part = starts ? (ends ? NK_U : NK_B) : (ends ? NK_L : NK_I);
        out[i] = NK_LABEL(type[i], part);
    }
}

void nerkit_model_label_strings(const nerkit_model *m, const uint16_t *labels, size_t n,
                                nerkit_scheme scheme, const char **out)
{
    /* names[] holds "O" and then one row of types per prefix in this order */
    static const char order[] = "BIESLU";
    if (scheme == NERKIT_SCHEME_AUTO)
        scheme = m->scheme;
    for (size_t i = 0; i < n; i++) {
        uint16_t l = labels[i];
        if (l == 0 || l >= m->nlabels) {
            out[i] = m->names[0];
            continue;
        }
        int part = NK_LABEL_PART(l);
        char p;
        switch (scheme) {
        case NERKIT_SCHEME_BILOU:
            p = "BILU"[part];
            break;
        case NERKIT_SCHEME_BIOES:
            p = "BIES"[part];
            break;
        case NERKIT_SCHEME_IOB1:
            /* B- only where an entity of the same type ends just before */
            p = 'I';
            if ((part == NK_B || part == NK_U) && i > 0 && labels[i - 1] != 0 &&
                NK_LABEL_TYPE(labels[i - 1]) == NK_LABEL_TYPE(l) &&
                (NK_LABEL_PART(labels[i - 1]) == NK_L || NK_LABEL_PART(labels[i - 1]) == NK_U))
                p = 'B';
            break;
        default:
            p = (part == NK_B || part == NK_U) ? 'B' : 'I';
            break;
        }
        size_t row = (size_t)(strchr(order, p) - order);
        out[i] = m->names[1 + row * m->ntypes + NK_LABEL_TYPE(l)];
    }
}
