/*
 * What every nerkit program does with its command line: option values
 * checked whole and against their range, options that do not apply or are
 * given twice refused, and standard output closed with its write errors
 * reported. A usage error prints "PROGRAM: OPTION: what is wrong" and exits
 * with status 2.
 */
#ifndef NERKIT_CLI_ARGS_H
#define NERKIT_CLI_ARGS_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

/* The model a program tags with when -m is not given (nerkit-tag,
 * nerkit-bench): $NERKIT_MODEL, else this file in ../models/ (the build
 * tree) or ../share/nerkit/ (an install) beside the program. */
#define CLI_DEFAULT_MODEL "en-conll03.nerkit"

typedef struct {
    const char *prog;
    const struct option *longopts;
    const char *shortopts;
    const int *repeatable; /* option codes that may be given more than once, 0-ended */
    bool seen[512];        /* by getopt code: short letters, then the long-only codes */
    char opt[48];          /* the option being parsed, as the user wrote it */
} cli_args;

/* Sets up a and the process: SIGPIPE is ignored so that a reader that goes
 * away (| head) is a write error with a message and status 1, never a
 * silent death that looks like a clean end. */
void cli_start(cli_args *a, const char *prog, const struct option *longopts,
               const char *shortopts, const int *repeatable);

/* The default model's path (see CLI_DEFAULT_MODEL), to free; NULL when
 * there is none. */
char *cli_default_model(void);

/* getopt_long, refusing an option given twice unless it is repeatable. */
int cli_next(cli_args *a, int argc, char **argv);

/* The current option's value as a whole decimal number from lo to hi. */
long long cli_int(const cli_args *a, const char *s, long long lo, long long hi);

/* The current option's value as a real number from lo to hi. */
double cli_real(const cli_args *a, const char *s, double lo, double hi);

/* Refuses every option of codes (0-ended) that was given: it does not apply
 * `why`, e.g. "to the perceptron (a CRF option)". */
void cli_not_with(const cli_args *a, const int *codes, const char *why);

/* The option of a getopt code by its long name ("--threads"), or "-n" for
 * one that has none. */
const char *cli_name(const cli_args *a, int code, char buf[48]);

/* Refuses "-" (standard input) among paths more than once: the second
 * would read nothing, silently. */
void cli_one_stdin(const cli_args *a, int npaths, char *const *paths);

/* A usage error of the program's own: prints "PROG: message" and exits 2. */
_Noreturn void cli_usage_error(const cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The programs' BLAS calls are small products beside their own threads:
 * OpenBLAS threads would only spin in sched_yield after each one and take
 * the cores from the taggers. Sets OpenBLAS to one thread, as a program's
 * choice; the library leaves its host's BLAS alone. */
void cli_blas_one_thread(void);

/* Seconds on a monotonic clock, for durations. */
double cli_now(void);

/* Holds SIGINT, SIGTERM and SIGHUP while an output file is saved: such a
 * signal, from any thread, is only noted, and cli_release_signals puts the
 * old handlers back and raises it again once the file is whole and in
 * place, rather than dying between the write and the rename with a
 * temporary file left beside it. */
typedef struct {
    struct sigaction old[3];
} cli_held;
void cli_hold_signals(cli_held *h);
void cli_release_signals(cli_held *h);

/* Makes SIGINT, SIGTERM and SIGHUP set the flag returned, once: a program
 * that polls it stops cleanly; a second signal ends it at once. */
volatile sig_atomic_t *cli_stop_on_signals(void);

/* Flushes standard output; returns rc, or 1 after a write error, reported
 * unless rc already said something failed. */
int cli_close_stdout(const cli_args *a, int rc);

#endif
