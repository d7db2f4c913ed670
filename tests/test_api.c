/*
 * Unit tests for the compatibility surface of the public API: the run-time
 * version against the header's, and the sentence of every status code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nerkit.h"

/* ------------------------------------------------------------- version */

static void test_version_matches_header(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", NERKIT_VERSION_MAJOR, NERKIT_VERSION_MINOR,
             NERKIT_VERSION_PATCH);
    assert_string_equal(NERKIT_VERSION, want);
    assert_string_equal(nerkit_version(), want);
}

static void test_strerror_every_code(void **state)
{
    (void)state;
    const char *seen[NERKIT_ERR_INTERRUPTED + 1];
    for (int c = NERKIT_OK; c <= NERKIT_ERR_INTERRUPTED; c++) {
        const char *s = nerkit_strerror((nerkit_status)c);
        assert_non_null(s);
        if (!s[0] || strcmp(s, "unknown error code") == 0)
            fail_msg("code %d has no sentence of its own: '%s'", c, s);
        for (int d = 0; d < c; d++)
            if (strcmp(seen[d], s) == 0)
                fail_msg("codes %d and %d share '%s'", d, c, s);
        seen[c] = s;
    }
    assert_string_equal(nerkit_strerror((nerkit_status)(NERKIT_ERR_INTERRUPTED + 1)),
                        "unknown error code");
    assert_string_equal(nerkit_strerror((nerkit_status)-1), "unknown error code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_matches_header),
        cmocka_unit_test(test_strerror_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
