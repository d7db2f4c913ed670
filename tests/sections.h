/*
 * Finding a section in a model or checkpoint file's bytes, for the tests
 * that damage or inspect one: a 32-byte header, then sections of a 4-letter
 * tag, a little-endian u64 length and the body (docs/model-format.md).
 * Include after cmocka.h.
 */
#ifndef NERKIT_TEST_SECTIONS_H
#define NERKIT_TEST_SECTIONS_H

/* The offset of the body of section tag, 0 when the file has none; its
 * length goes to *body_len. */
static inline size_t section_at(const unsigned char *b, size_t len, const char *tag,
                                size_t *body_len)
{
    *body_len = 0;
    for (size_t p = 32; p + 12 <= len;) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = n << 8 | b[p + 4 + i];
        if (memcmp(b + p, tag, 4) == 0) {
            *body_len = (size_t)n;
            return p + 12;
        }
        p += 12 + n;
    }
    return 0;
}

/* The same for a section the file must have. */
static inline size_t find_section(const unsigned char *b, size_t len, const char *tag,
                                  size_t *body_len)
{
    size_t at = section_at(b, len, tag, body_len);
    if (!at)
        fail_msg("no %s section", tag);
    return at;
}

#endif
