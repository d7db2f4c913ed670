#include "args.h"

#include <cblas.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void cli_start(cli_args *a, const char *prog, const struct option *longopts,
               const char *shortopts, const int *repeatable)
{
    memset(a, 0, sizeof *a);
    a->prog = prog;
    a->longopts = longopts;
    a->shortopts = shortopts;
    a->repeatable = repeatable;
    signal(SIGPIPE, SIG_IGN);
}

const char *cli_name(const cli_args *a, int code, char buf[48])
{
    for (const struct option *o = a->longopts; o->name; o++)
        if (o->val == code && !o->flag) {
            snprintf(buf, 48, "--%s", o->name);
            return buf;
        }
    snprintf(buf, 48, "-%c", code);
    return buf;
}

_Noreturn void cli_usage_error(const cli_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", a->prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

int cli_next(cli_args *a, int argc, char **argv)
{
    int index = -1;
    int c = getopt_long(argc, argv, a->shortopts, a->longopts, &index);
    if (c < 0 || c == '?' || c == ':')
        return c;
    if (index >= 0)
        snprintf(a->opt, sizeof a->opt, "--%s", a->longopts[index].name);
    else
        snprintf(a->opt, sizeof a->opt, "-%c", c);
    if (c >= 0 && (size_t)c < sizeof a->seen) {
        bool again = a->seen[c];
        for (const int *r = a->repeatable; again && r && *r; r++)
            again = *r != c;
        /* the last of two values silently winning hides a typo in a script */
        if (again)
            cli_usage_error(a, "%s: given more than once", a->opt);
        a->seen[c] = true;
    }
    return c;
}

long long cli_int(const cli_args *a, const char *s, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    /* strtoll skips leading blanks and takes "+5": a value is digits only */
    bool digits = (*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9');
    if (!digits || *end || errno || v < lo || v > hi)
        cli_usage_error(a, "%s: '%s' is not a number from %lld to %lld", a->opt, s, lo, hi);
    return v;
}

double cli_real(const cli_args *a, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    bool start = (*s >= '0' && *s <= '9') || *s == '.' || *s == '-';
    /* decimal only: strtod would also read hexadecimal (0x10 is 16) */
    if (!start || strpbrk(s, "xXpP") || *end || errno || !isfinite(v) || v < lo || v > hi)
        cli_usage_error(a, "%s: '%s' is not a number from %g to %g", a->opt, s, lo, hi);
    return v;
}

void cli_not_with(const cli_args *a, const int *codes, const char *why)
{
    char buf[48];
    for (const int *c = codes; *c; c++)
        if ((size_t)*c < sizeof a->seen && a->seen[*c])
            cli_usage_error(a, "%s does not apply %s", cli_name(a, *c, buf), why);
}

void cli_one_stdin(const cli_args *a, int npaths, char *const *paths)
{
    int n = 0;
    for (int k = 0; k < npaths; k++)
        if (strcmp(paths[k], "-") == 0 && ++n > 1)
            cli_usage_error(a, "standard input (-) given more than once");
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_blas_one_thread(void)
{
    openblas_set_num_threads(1);
}

int cli_close_stdout(const cli_args *a, int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (!rc)
            fprintf(stderr, "%s: write error on standard output: %s\n", a->prog,
                    strerror(errno));
        rc = 1;
    }
    return rc;
}

static const int held_signals[3] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t held_signal;

static void note_signal(int sig) { held_signal = sig; }

void cli_hold_signals(cli_held *h)
{
    struct sigaction sa = {.sa_handler = note_signal};
    sigemptyset(&sa.sa_mask);
    held_signal = 0;
    for (int k = 0; k < 3; k++)
        sigaction(held_signals[k], &sa, &h->old[k]);
}

void cli_release_signals(cli_held *h)
{
    for (int k = 0; k < 3; k++)
        sigaction(held_signals[k], &h->old[k], NULL);
    if (held_signal)
        raise(held_signal);
}

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

volatile sig_atomic_t *cli_stop_on_signals(void)
{
    struct sigaction sa = {.sa_handler = request_stop, .sa_flags = SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < 3; k++)
        sigaction(held_signals[k], &sa, NULL);
    return &stop_requested;
}

char *cli_default_model(void)
{
    const char *env = getenv("NERKIT_MODEL");
    if (env && *env)
        return strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    const char *dir = dirname(exe);
    const char *places[] = {"%s/../models/" CLI_DEFAULT_MODEL,
                            "%s/../share/nerkit/" CLI_DEFAULT_MODEL};
    for (size_t k = 0; k < 2; k++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, places[k], dir);
        if (access(path, R_OK) == 0)
            return strdup(path);
    }
    return NULL;
}
