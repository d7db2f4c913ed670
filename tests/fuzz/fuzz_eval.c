/*
 * conlleval scoring (nerkit_eval_token) on arbitrary label pairs: each
 * line of the input is a token whose last two fields are the gold and the
 * guessed label; a blank line or a -X- line is a sentence boundary.
 *
 * Invariants: precision, recall and F1 lie in [0, 100] (F1 between the
 * two when both are set); the report writes and counts every token; and
 * scoring the gold labels against themselves finds each phrase: precision
 * equals recall; with well-formed labels (O, or B, I, E or S, a dash and
 * a type of letters and digits) they are 100 when there are phrases and 0
 * when there are none. (conlleval itself finds less than 100 on odd labels
 * such as an empty type, and nerkit matches conlleval.)
 */
#include "common.h"

#include <string.h>

static bool well_formed(const char *s, size_t n)
{
    if (n == 1)
        return s[0] == 'O';
    if (n < 3 || !s[0] || !strchr("BIES", s[0]) || s[1] != '-')
        return false;
    for (size_t i = 2; i < n; i++)
        if (!(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= 'a' && s[i] <= 'z') &&
            !(s[i] >= '0' && s[i] <= '9'))
            return false;
    return true;
}

static void check_scores(const nerkit_eval *e, size_t tokens, double *p, double *r)
{
    double f1;
    nerkit_eval_scores(e, p, r, &f1);
    FZ_CHECK(*p >= 0 && *p <= 100 && *r >= 0 && *r <= 100 && f1 >= 0 && f1 <= 100,
             "scores out of range: %g %g %g", *p, *r, f1);
    if (*p > 0 && *r > 0)
        FZ_CHECK(f1 >= (*p < *r ? *p : *r) - 1e-9 && f1 <= (*p > *r ? *p : *r) + 1e-9,
                 "F1 %g not between P %g and R %g", f1, *p, *r);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    FZ_CHECK(f && nerkit_eval_report(e, f) == 0 && fclose(f) == 0, "report failed");
    char head[64];
    int n = snprintf(head, sizeof head, "processed %zu tokens with ", tokens);
    FZ_CHECK(len >= (size_t)n && memcmp(out, head, (size_t)n) == 0, "report starts '%.*s'",
             (int)(len < 60 ? len : 60), out);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nerkit_eval *e = nerkit_eval_new(), *self = nerkit_eval_new();
    FZ_CHECK(e && self, "out of memory");
    const char *s = (const char *)data;
    size_t tokens = 0;
    bool tidy = true;
    for (size_t i = 0; i < size;) {
        const char *nl = memchr(s + i, '\n', size - i);
        size_t end = nl ? (size_t)(nl - s) : size;
        const char *f[2] = {"", ""}, *first = NULL;
        size_t fl[2] = {0, 0}, first_len = 0;
        for (size_t k = i; k < end;) {
            while (k < end && (s[k] == ' ' || s[k] == '\t'))
                k++;
            size_t a = k;
            while (k < end && s[k] != ' ' && s[k] != '\t')
                k++;
            if (k == a)
                continue;
            if (!first)
                first = s + a, first_len = k - a;
            f[0] = f[1], fl[0] = fl[1];
            f[1] = s + a, fl[1] = k - a;
        }
        bool boundary = !first || (first_len == 3 && memcmp(first, "-X-", 3) == 0);
        if (boundary) {
            nerkit_eval_boundary(e);
            nerkit_eval_boundary(self);
        } else {
            FZ_CHECK(nerkit_eval_token(e, f[0], fl[0], f[1], fl[1]) == 0, "out of memory");
            FZ_CHECK(nerkit_eval_token(self, f[0], fl[0], f[0], fl[0]) == 0, "out of memory");
            tokens++;
            tidy &= well_formed(f[0], fl[0]);
        }
        i = end + 1;
    }
    double p, r;
    check_scores(e, tokens, &p, &r);
    check_scores(self, tokens, &p, &r);
    FZ_CHECK(p == r && (!tidy || p == 100 || p == 0), "gold against itself: P %g R %g", p, r);
    nerkit_eval_free(e);
    nerkit_eval_free(self);
    return 0;
}
