/*
 * Decimal numbers to float, exactly as strtof reads them, but fast for the
 * short numbers vector files are made of.
 *
 * A text vector file of 200,000 words holds 20 million numbers, and glibc's
 * strtof (arbitrary-precision, correct for any input) took most of the time
 * of loading one. Most numbers in such files have at most 8 significant
 * digits and a small exponent ("0.1695945", "-2.917455e-03"). For those the
 * digits m and the power 10^e are both exact floats (m < 2^24, |e| <= 10,
 * since 5^10 < 2^24), so one IEEE multiplication or division, which rounds
 * correctly, gives the same float strtof would (Clinger's fast path, done in
 * single precision). Anything else (more digits, larger exponents, hex,
 * inf/nan, a malformed number) goes to strtof itself, so the result never
 * differs from it.
 */
#include "base.h"

#include <stdlib.h>

static const float pow10f[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                               1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

float nk_strtof(const char *s, char **end)
{
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    uint32_t m = 0;
    int digits = 0, seen = 0, exp10 = 0;
    for (; *p >= '0' && *p <= '9'; p++, seen++)
        if ((m = m * 10 + (uint32_t)(*p - '0')) && ++digits > 8)
            goto slow;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, seen++, exp10--)
            if ((m = m * 10 + (uint32_t)(*p - '0')) && ++digits > 8)
                goto slow;
    if (!seen)
        goto slow;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        bool eneg = *q == '-';
        if (*q == '-' || *q == '+')
            q++;
        int e = 0, edigits = 0;
        for (; *q >= '0' && *q <= '9' && edigits < 4; q++, edigits++)
            e = e * 10 + (*q - '0');
        if (!edigits || (*q >= '0' && *q <= '9'))
            goto slow;
        exp10 += eneg ? -e : e;
        p = q;
    }
    /* what follows must end the number, or strtof decides what it is */
    if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        goto slow;
    if (m >= (1u << 24) || exp10 < -10 || exp10 > 10)
        goto slow;
    float x = exp10 < 0 ? (float)m / pow10f[-exp10] : (float)m * pow10f[exp10];
    *end = (char *)p;
    return neg ? -x : x;
slow:
    return strtof(s, end);
}
