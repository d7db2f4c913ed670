/*
 * Output files written whole or not at all: a temporary file beside the
 * target, fsync, rename. The one exception is an existing special file (a
 * device such as /dev/null, a FIFO): renaming over it would replace the
 * device node itself with a regular file, so it is written directly.
 */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A special file is written in place: it has no content to lose and
 * rename() would replace the node itself. */
static int open_direct(nk_atomic *a, const char *path, nerkit_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
        int rc = nk_fail(err, NERKIT_ERR_IO, "%s: cannot open for writing: %s", path,
                         strerror(errno));
        if (fd >= 0)
            close(fd);
        return rc;
    }
    return NERKIT_OK;
}

int nk_atomic_open(nk_atomic *a, const char *path, nerkit_error *err)
{
    memset(a, 0, sizeof *a);
    a->path = path;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nk_fail(err, NERKIT_ERR_IO, "%s: is a folder, not a file to write", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return open_direct(a, path, err);
    size_t n = strlen(path) + 16;
    if (!(a->tmp = malloc(n)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory saving %s", path);
    /* beside the target, so that rename() stays within one file system */
    snprintf(a->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(a->tmp);
    if (fd < 0 || fchmod(fd, 0644) != 0 || !(a->f = fdopen(fd, "wb"))) {
        int rc = nk_fail(err, NERKIT_ERR_IO, "%s: cannot create a temporary file beside it: %s",
                         path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(a->tmp);
        }
        free(a->tmp);
        a->tmp = NULL;
        return rc;
    }
    return NERKIT_OK;
}

int nk_atomic_commit(nk_atomic *a, nerkit_error *err)
{
    const char *name = a->tmp ? a->tmp : a->path;
    int rc = NERKIT_OK;
    if (fflush(a->f) != 0 || ferror(a->f))
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: write failed: %s", name, strerror(errno));
    /* devices and FIFOs cannot be fsynced (EINVAL) and need not be */
    else if (a->tmp && fsync(fileno(a->f)) != 0)
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: fsync: %s", name, strerror(errno));
    if (fclose(a->f) != 0 && !rc)
        rc = nk_fail(err, NERKIT_ERR_IO, "%s: close: %s", name, strerror(errno));
    a->f = NULL;
    if (!a->tmp)
        return rc;
    if (!rc && rename(a->tmp, a->path) != 0)
        rc = nk_fail(err, NERKIT_ERR_IO, "cannot rename %s to %s: %s", a->tmp, a->path,
                     strerror(errno));
    if (rc) {
        unlink(a->tmp);
    } else {
        /* make the rename itself durable */
        char *dir = strdup(a->path);
        int dfd = dir ? open(dirname(dir), O_RDONLY | O_DIRECTORY) : -1;
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    free(a->tmp);
    a->tmp = NULL;
    return rc;
}

void nk_atomic_abort(nk_atomic *a)
{
    if (a->f)
        fclose(a->f);
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    memset(a, 0, sizeof *a);
}

int nk_atomic_write_failed(nk_atomic *a, nerkit_error *err)
{
    int rc = nk_fail(err, NERKIT_ERR_IO, "%s: write failed: %s", a->tmp ? a->tmp : a->path,
                     strerror(errno));
    nk_atomic_abort(a);
    return rc;
}

int nk_atomic_write(const char *path, const void *data, size_t len, nerkit_error *err)
{
    nk_atomic a;
    int rc = nk_atomic_open(&a, path, err);
    if (rc)
        return rc;
    /* straight to the descriptor (the stream holds nothing yet), so that a
     * failure can say how far it got */
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fileno(a.f), (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = nk_fail(err, NERKIT_ERR_IO, "%s: write failed after %zu of %zu bytes: %s",
                         a.tmp ? a.tmp : path, done, len, k < 0 ? strerror(errno) : "no progress");
            nk_atomic_abort(&a);
            return rc;
        }
        done += (size_t)k;
    }
    return nk_atomic_commit(&a, err);
}
