/*
 * LD_PRELOAD shim for the fault-injection tests (tests/e2e_faults.sh): it
 * makes file writes fail the way a full or failing disk does, so the tests
 * can prove that nothing is lost or half-written, without a special file
 * system and without a test hook in the library.
 *
 *   NERKIT_FAIL_WRITE=N  N bytes get through to descriptors above 2 (files,
 *                        not the terminal), then write() fails with ENOSPC
 *   NERKIT_FAIL_FSYNC=1  fsync() fails with EIO
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static long long budget = -1;
static int fsync_fails;

__attribute__((constructor)) static void setup(void)
{
    const char *w = getenv("NERKIT_FAIL_WRITE");
    budget = w ? atoll(w) : -1;
    fsync_fails = getenv("NERKIT_FAIL_FSYNC") != NULL;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    if (fd <= 2 || budget < 0)
        return real(fd, buf, n);
    if (budget == 0) {
        errno = ENOSPC;
        return -1;
    }
    /* a full disk takes what fits: a short write, then ENOSPC */
    ssize_t k = real(fd, buf, (long long)n > budget ? (size_t)budget : n);
    if (k > 0)
        budget -= k;
    return k;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (fsync_fails) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
