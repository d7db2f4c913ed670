/*
 * Reading inputs for bulk tagging: folders expanded into sorted file lists,
 * and files (or standard input) read line by line, gzip or plain:
 * compression is recognised by content, not by name.
 */
#include "base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads of 64 KB are as fast as of 256 KB, and the buffers are memory each
 * process holds alone. */
#define CHUNK (64 * 1024)

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_path(nk_pathlist *l, const char *path, uint64_t size, nerkit_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        if (!nk_resize(&l->path, cap, sizeof *l->path) || !nk_resize(&l->size, cap, sizeof *l->size))
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing inputs");
        l->cap = cap;
    }
    if (!(l->path[l->n] = strdup(path)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing inputs");
    l->size[l->n++] = size;
    return NERKIT_OK;
}

/* Records why an entry of a folder was left out, for the caller to show. */
static int add_skip(nk_pathlist *l, nerkit_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int add_skip(nk_pathlist *l, nerkit_error *err, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    nerkit_one_line(line, sizeof line);
    char *copy = strdup(line);
    if (!copy || !nk_resize(&l->skipped, l->nskipped + 1, sizeof *l->skipped)) {
        free(copy);
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing inputs");
    }
    l->skipped[l->nskipped++] = copy;
    return NERKIT_OK;
}

/* Every folder and file met on one walk, by device and inode, with the
 * name it was first met under: links back up a tree (self -> ., a -> ..)
 * would otherwise make the walk endless, and a file reached by two links
 * would be read twice. */
typedef struct {
    dev_t dev;
    ino_t ino;
    char *name; /* NULL for an empty slot */
} seen_entry;

typedef struct {
    nk_pathlist *l;
    seen_entry *seen; /* open addressing */
    size_t nseen, mask;
} walk;

static size_t seen_slot(const walk *w, const struct stat *st)
{
    size_t i = (size_t)nk_mix64(nk_hash_step((uint64_t)st->st_dev, (uint64_t)st->st_ino)) & w->mask;
    while (w->seen[i].name && !(w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino))
        i = (i + 1) & w->mask;
    return i;
}

/* Marks st as seen under name; *first gets the earlier name when it was
 * seen before (else NULL). */
static int see(walk *w, const struct stat *st, const char *name, const char **first,
               nerkit_error *err)
{
    *first = NULL;
    if (2 * (w->nseen + 1) > w->mask + 1 || !w->seen) {
        size_t cap = w->seen ? 2 * (w->mask + 1) : 256;
        walk grown = {w->l, calloc(cap, sizeof *w->seen), w->nseen, cap - 1};
        if (!grown.seen)
            return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing inputs");
        for (size_t i = 0; w->seen && i <= w->mask; i++)
            if (w->seen[i].name) {
                struct stat key = {.st_dev = w->seen[i].dev, .st_ino = w->seen[i].ino};
                grown.seen[seen_slot(&grown, &key)] = w->seen[i];
            }
        free(w->seen);
        *w = grown;
    }
    size_t i = seen_slot(w, st);
    if (w->seen[i].name) {
        *first = w->seen[i].name;
        return NERKIT_OK;
    }
    if (!(w->seen[i].name = strdup(name)))
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing inputs");
    w->seen[i].dev = st->st_dev;
    w->seen[i].ino = st->st_ino;
    w->nseen++;
    return NERKIT_OK;
}

static void walk_free(walk *w)
{
    for (size_t i = 0; w->seen && i <= w->mask; i++)
        free(w->seen[i].name);
    free(w->seen);
}

static int add_dir(walk *w, const char *dir, int depth, nerkit_error *err);

/* Adds an entry of a folder at depth: a file, or a folder's files. */
static int add_entry(walk *w, const char *name, int depth, nerkit_error *err)
{
    struct stat st;
    const char *first;
    if (stat(name, &st) != 0)
        return add_skip(w->l, err, "%s: skipped: %s", name, strerror(errno));
    /* a FIFO would block the walk, a device might never end */
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
        return add_skip(w->l, err, "%s: skipped: not a regular file", name);
    int rc = see(w, &st, name, &first, err);
    if (rc || first)
        return rc ? rc
                  : add_skip(w->l, err, "%s: skipped: the same %s as %s, already read", name,
                             S_ISDIR(st.st_mode) ? "folder" : "file", first);
    return S_ISDIR(st.st_mode) ? add_dir(w, name, depth + 1, err)
                               : add_path(w->l, name, (uint64_t)st.st_size, err);
}

/* Adds dir's files, recursively, each folder's entries in byte order so the
 * output order does not depend on the file system or the locale. */
static int add_dir(walk *w, const char *dir, int depth, nerkit_error *err)
{
    if (depth > 64)
        return nk_fail(err, NERKIT_ERR_IO, "%s: folders nested more than 64 deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return nk_fail(err, NERKIT_ERR_IO, "%s: cannot open folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = NERKIT_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !rc) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n == cap && !nk_resize(&names, cap = cap ? 2 * cap : 64, sizeof *names)) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            rc = nk_fail(err, NERKIT_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (!rc && n) /* names is NULL for an empty folder, which qsort may not take */
        qsort(names, n, sizeof *names, cmp_path);
    for (size_t i = 0; i < n; i++) {
        if (!rc)
            rc = add_entry(w, names[i], depth, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

int nk_paths_expand(const char *const *in, size_t n, nk_pathlist *out, nerkit_error *err)
{
    memset(out, 0, sizeof *out);
    walk w = {.l = out};
    int rc = NERKIT_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct stat st;
        const char *first;
        bool found = strcmp(in[i], "-") != 0 && stat(in[i], &st) == 0;
        /* a file named on the command line is read even when named twice,
         * but not again inside a folder given too */
        if (found && (rc = see(&w, &st, in[i], &first, err)))
            break;
        if (found && S_ISDIR(st.st_mode))
            rc = first ? add_skip(out, err, "%s: skipped: the same folder as %s, already read",
                                  in[i], first)
                       : add_dir(&w, in[i], 0, err);
        else /* files, and names that do not exist: opening them reports it */
            rc = add_path(out, in[i], found ? (uint64_t)st.st_size : 0, err);
    }
    walk_free(&w);
    if (rc)
        nk_pathlist_free(out);
    return rc;
}

/* Whether the file out is, or would be written into, the file st of in. */
static bool same_file(const struct stat *out, const char *in)
{
    struct stat st;
    int r = strcmp(in, "-") == 0 ? fstat(0, &st) : stat(in, &st);
    return r == 0 && st.st_dev == out->st_dev && st.st_ino == out->st_ino;
}

/* A name that does not exist yet must be creatable: said now, not after
 * hours of training. */
static int check_new_output(const char *output, nerkit_error *err)
{
    char *copy = strdup(output);
    if (!copy)
        return nk_fail(err, NERKIT_ERR_NOMEM, "out of memory");
    const char *dir = dirname(copy);
    struct stat st;
    int rc = NERKIT_OK;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = nk_fail(err, NERKIT_ERR_ARG, "output %s: its folder %s does not exist", output, dir);
    else if (access(dir, W_OK) != 0)
        rc = nk_fail(err, NERKIT_ERR_ARG, "output %s: cannot write in its folder %s: %s", output,
                     dir, strerror(errno));
    free(copy);
    return rc;
}

int nerkit_check_io(const char *output, const char *const *inputs, size_t ninputs, int folders,
                    void (*message)(const char *line, void *user), void *user,
                    nerkit_error *err)
{
    const char **in = nk_alloc(ninputs + 1, sizeof *in, err);
    if (!in)
        return NERKIT_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < ninputs; i++)
        if (inputs[i])
            in[n++] = inputs[i];
    /* a folder where a file is wanted (-m /) is the reader's to refuse,
     * not to be walked */
    nk_pathlist files = {0};
    int rc = folders ? nk_paths_expand(in, n, &files, err) : NERKIT_OK;
    if (rc) {
        free(in);
        return rc;
    }
    const char *const *list = folders ? (const char *const *)files.path : in;
    size_t count = folders ? files.n : n;
    for (size_t i = 0; message && i < files.nskipped; i++)
        message(files.skipped[i], user);
    struct stat out;
    /* only a regular file can be an input that writing destroys: a new
     * name cannot, and /dev/null or a pipe is no input's content */
    bool check = output ? stat(output, &out) == 0 : fstat(1, &out) == 0;
    if (!check && output)
        rc = check_new_output(output, err);
    else if (output && S_ISDIR(out.st_mode))
        rc = nk_fail(err, NERKIT_ERR_ARG, "output %s is a folder, not a file to write", output);
    for (size_t i = 0; check && S_ISREG(out.st_mode) && i < count && !rc; i++)
        if (same_file(&out, list[i]))
            rc = output ? nk_fail(err, NERKIT_ERR_ARG,
                                  "output %s is the same file as input %s: refusing to "
                                  "overwrite an input",
                                  output, list[i])
                        : nk_fail(err, NERKIT_ERR_ARG,
                                  "standard output is the same file as input %s: refusing to "
                                  "write into an input while reading it",
                                  strcmp(list[i], "-") == 0 ? "<stdin>" : list[i]);
    nk_pathlist_free(&files);
    free(in);
    return rc;
}

int nk_open_regular(const char *path, int *fd, nerkit_error *err)
{
    /* O_NONBLOCK: opening a FIFO with no writer would wait for ever */
    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return nk_fail(err, NERKIT_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(*fd);
        *fd = -1;
        return nk_fail(err, NERKIT_ERR_IO, "%s: not a regular file", path);
    }
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
    return NERKIT_OK;
}

int nk_file_contents(const char *path, const char *magic, nk_read_how how, void **mem,
                     size_t *len, size_t *mapped, nerkit_error *err)
{
    int fd;
    struct stat st;
    *mem = NULL;
    *len = *mapped = 0;
    if (nk_open_regular(path, &fd, err))
        return err ? err->code : NERKIT_ERR_IO;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return nk_fail(err, NERKIT_ERR_IO, "%s: cannot open: %s", path, strerror(e));
    }
    size_t size = (size_t)st.st_size, limit = SIZE_MAX;
    unsigned char head[8];
    if (magic && size >= 8 && pread(fd, head, 8, 0) == 8 && memcmp(head, magic, 8) != 0) {
        how = NK_READ_HEAP;
        size = limit = 8;
    }
    /* some files whose size says 0 wait for data that may never come
     * (/proc/kmsg): those are read without waiting */
    if (size == 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (how != NK_READ_HEAP && size > 0) {
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        if (how == NK_READ_MAP_ALL)
            flags |= MAP_POPULATE;
#endif
        void *m = mmap(NULL, size, PROT_READ, flags, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            *mem = m;
            *len = *mapped = size;
            return NERKIT_OK;
        }
    }
    /* the size is a first guess: the file is read to its end */
    size_t cap = size + 1, n = 0;
    char *buf = malloc(cap);
    while (n < limit) {
        if (buf && n == cap) {
            char *more = cap < SIZE_MAX / 2 ? realloc(buf, 2 * cap) : NULL;
            if (!more)
                free(buf);
            buf = more;
            cap *= 2;
        }
        if (!buf) {
            close(fd);
            return nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, cap);
        }
        ssize_t got = read(fd, buf + n, (cap < limit ? cap : limit) - n);
        if (got == 0)
            break;
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return nk_fail(err, NERKIT_ERR_IO, "%s: read error: %s", path, strerror(e));
        }
        n += (size_t)got;
    }
    close(fd);
    *mem = buf;
    *len = n;
    return NERKIT_OK;
}

const char *nk_unsupported_compression(const unsigned char *p, size_t n)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } kinds[] = {{"BZh", 3, "bzip2-compressed input"},
                 {"\xfd\x37\x7a\x58\x5a\x00", 6, "xz-compressed input"},
                 {"\x28\xb5\x2f\xfd", 4, "zstd-compressed input"},
                 {"PK\x03\x04", 4, "a zip archive"}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (n >= kinds[k].len && memcmp(p, kinds[k].magic, kinds[k].len) == 0)
            return kinds[k].what;
    return NULL;
}

void nk_pathlist_free(nk_pathlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->path[i]);
    free(l->path);
    free(l->size);
    for (size_t i = 0; i < l->nskipped; i++)
        free(l->skipped[i]);
    free(l->skipped);
    memset(l, 0, sizeof *l);
}

/* The bytes under a line reader: passed through for plain text, inflated
 * member by member for gzip. zlib's gzread is not used because it drops
 * whatever follows the last gzip member without a word, even the first
 * byte of a member that was cut short. */
struct nk_unzip {
    int fd;
    z_stream z;
    bool decided, gzip, inflating, member_done, raw_eof;
    uint64_t raw; /* bytes read from the file */
    unsigned char in[CHUNK];
};

/* Sets r up to read fd, opened from path. */
static int lines_init(nk_lines *r, int fd, const char *path, size_t max_line, nerkit_error *err)
{
    memset(r, 0, sizeof *r);
    r->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    r->max_line = max_line;
    if (fd < 0)
        return nk_fail(err, NERKIT_ERR_IO, "%s: cannot open: %s", r->name, strerror(errno));
    r->src = calloc(1, sizeof *r->src);
    r->buf = malloc(CHUNK + 1);
    if (!r->src || !r->buf) {
        close(fd);
        free(r->src);
        free(r->buf);
        r->src = NULL;
        r->buf = NULL;
        return nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory", r->name);
    }
    r->src->fd = fd;
    r->src->z.next_in = r->src->in;
    r->cap = CHUNK;
    return NERKIT_OK;
}

int nk_lines_open(nk_lines *r, const char *path, size_t max_line, nerkit_error *err)
{
    return lines_init(r, strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC),
                      path, max_line, err);
}

int nk_lines_open_regular(nk_lines *r, const char *path, size_t max_line, nerkit_error *err)
{
    int fd = -1, rc = NERKIT_OK;
    if (strcmp(path, "-") == 0)
        fd = dup(0);
    else
        rc = nk_open_regular(path, &fd, err);
    if (rc) {
        memset(r, 0, sizeof *r);
        return rc;
    }
    return lines_init(r, fd, path, max_line, err);
}

/* Appends what the file has next to the raw input. */
static int read_raw(nk_lines *r, nerkit_error *err)
{
    struct nk_unzip *u = r->src;
    memmove(u->in, u->z.next_in, u->z.avail_in);
    u->z.next_in = u->in;
    ssize_t k;
    do
        k = read(u->fd, u->in + u->z.avail_in, CHUNK - u->z.avail_in);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return nk_fail(err, NERKIT_ERR_IO, "%s: read error after %llu bytes: %s", r->name,
                       (unsigned long long)u->raw, strerror(errno));
    u->raw_eof = k == 0;
    u->z.avail_in += (uInt)k;
    u->raw += (uint64_t)k;
    return NERKIT_OK;
}

static int gzip_error(nk_lines *r, const char *what, nerkit_error *err)
{
    return nk_fail(err, NERKIT_ERR_IO, "%s: %s after %llu bytes of text (compressed offset %llu)",
                   r->name, what, (unsigned long long)(r->pos + (r->end - r->start)),
                   (unsigned long long)nk_lines_consumed(r));
}

/* Puts up to want bytes of text at out; *got is 0 only at the end. */
static int decode(nk_lines *r, char *out, size_t want, size_t *got, nerkit_error *err)
{
    struct nk_unzip *u = r->src;
    *got = 0;
    for (;;) {
        /* two bytes tell gzip from text, and a new member from trailing
         * data; six at the start tell the compressions not read */
        if (u->z.avail_in < (u->decided ? 2u : 6u) && !u->raw_eof &&
            (!u->decided || !u->gzip || u->member_done)) {
            if (read_raw(r, err))
                return NERKIT_ERR_IO;
            continue;
        }
        bool magic = u->z.avail_in >= 2 && u->z.next_in[0] == 0x1f && u->z.next_in[1] == 0x8b;
        if (!u->decided) {
            const char *what = nk_unsupported_compression(u->z.next_in, u->z.avail_in);
            if (what)
                return nk_fail(err, NERKIT_ERR_FORMAT,
                               "%s: %s is not supported (decompress it, or recompress with gzip)",
                               r->name, what);
            u->decided = true;
            u->gzip = magic;
            if (magic && inflateInit2(&u->z, 16 + 15) != Z_OK)
                return nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory", r->name);
            u->inflating = magic;
        }
        if (!u->gzip) {
            size_t k = u->z.avail_in < want ? u->z.avail_in : want;
            memcpy(out, u->z.next_in, k);
            u->z.next_in += k;
            u->z.avail_in -= (uInt)k;
            *got = k;
            return NERKIT_OK;
        }
        if (u->member_done) {
            if (u->z.avail_in == 0)
                return NERKIT_OK;
            if (!magic)
                return gzip_error(r, u->z.avail_in == 1 && u->z.next_in[0] == 0x1f
                                         ? "truncated gzip data"
                                         : "bytes that are not gzip data after the last member",
                                  err);
            inflateReset(&u->z);
            u->member_done = false;
        }
        uInt before = u->z.avail_in;
        u->z.next_out = (Bytef *)out;
        u->z.avail_out = (uInt)want;
        int zr = inflate(&u->z, Z_NO_FLUSH);
        *got = want - u->z.avail_out;
        if (zr == Z_STREAM_END)
            u->member_done = true;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return gzip_error(r, u->z.msg ? u->z.msg : "corrupt gzip data", err);
        if (*got > 0)
            return NERKIT_OK;
        if (zr != Z_STREAM_END && u->z.avail_in == before) {
            if (u->raw_eof)
                return gzip_error(r, "truncated gzip data", err);
            if (read_raw(r, err))
                return NERKIT_ERR_IO;
        }
    }
}

/* Reads more into the buffer, growing it when a line fills it. */
static int fill(nk_lines *r, nerkit_error *err)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) {
        if (r->cap > r->max_line)
            return nk_fail(err, NERKIT_ERR_FORMAT,
                           "%s:%u: line longer than %zu bytes (at byte offset %llu); split it "
                           "or raise the limit",
                           r->name, r->lineno + 1, r->max_line, (unsigned long long)r->pos);
        size_t cap = 2 * r->cap;
        if (!nk_resize(&r->buf, cap + 1, 1))
            return nk_fail(err, NERKIT_ERR_NOMEM, "%s: out of memory", r->name);
        r->cap = cap;
    }
    size_t want = r->cap - r->end, got;
    int rc = decode(r, r->buf + r->end, want > CHUNK ? CHUNK : want, &got, err);
    if (rc)
        return rc;
    if (got == 0)
        r->eof = true;
    r->end += got;
    return NERKIT_OK;
}

int nk_lines_next(nk_lines *r, const char **line, size_t *len, uint64_t *offset, nerkit_error *err)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl || (r->eof && r->end > r->start)) {
            size_t e = nl ? (size_t)(nl - r->buf) : r->end;
            *line = r->buf + r->start;
            *len = e - r->start;
            *offset = r->pos;
            size_t used = (nl ? e + 1 : e) - r->start;
            r->pos += used;
            r->start += used;
            r->lineno++;
            if (*len > r->max_line)
                return -nk_fail(err, NERKIT_ERR_FORMAT,
                                "%s:%u: line longer than %zu bytes (at byte offset %llu)",
                                r->name, r->lineno, r->max_line, (unsigned long long)*offset);
            const char *nul = memchr(*line, '\0', *len);
            if (nul)
                return -nk_fail(err, NERKIT_ERR_FORMAT,
                                "%s:%u: NUL byte at byte offset %llu: binary data, not text",
                                r->name, r->lineno,
                                (unsigned long long)(*offset + (size_t)(nul - *line)));
            return 1;
        }
        if (r->eof)
            return 0;
        int rc = fill(r, err);
        if (rc)
            return -rc;
    }
}

uint64_t nk_lines_consumed(nk_lines *r)
{
    return r->src ? r->src->raw - r->src->z.avail_in : 0;
}

void nk_lines_close(nk_lines *r)
{
    if (r->src) {
        if (r->src->inflating)
            inflateEnd(&r->src->z);
        close(r->src->fd);
        free(r->src);
    }
    free(r->buf);
    memset(r, 0, sizeof *r);
}

int nerkit_read_file(const char *path, char **data, size_t *len, nerkit_error *err)
{
    nk_lines r;
    *data = NULL;
    *len = 0;
    /* the line reader's buffer grows to hold the whole file */
    int rc = nk_lines_open(&r, path, SIZE_MAX / 4, err);
    if (rc)
        return rc;
    /* a device or pipe may never end (/dev/zero), and gzip may inflate to
     * any size (a gigabyte of zeros is a few megabytes compressed): text
     * has no NUL byte, so the first one stops such input before it fills
     * the memory. A plain file is as big as it is; its NUL bytes are left
     * to the parser, which names their line. */
    struct stat st;
    bool endless = fstat(r.src->fd, &st) != 0 || !S_ISREG(st.st_mode);
    while (!r.eof && !rc) {
        size_t from = r.end;
        rc = fill(&r, err);
        const char *nul = (endless || r.src->gzip) && !rc
                              ? memchr(r.buf + from, '\0', r.end - from)
                              : NULL;
        if (nul) {
            unsigned line = 1;
            for (const char *q = r.buf; q < nul; q++)
                line += *q == '\n';
            rc = nk_fail(err, NERKIT_ERR_FORMAT, "%s:%u: NUL byte at byte offset %zu: binary "
                                                 "data, not text",
                         r.name, line, (size_t)(nul - r.buf));
        }
    }
    if (rc) {
        nk_lines_close(&r);
        return rc;
    }
    *data = r.buf;
    *len = r.end;
    r.buf = NULL;
    nk_lines_close(&r);
    return NERKIT_OK;
}
