/* The build context walk and its tar stream. The walk keeps one open
 * folder per level; the tar is written by libarchive into a bounded buffer
 * one step (a header, or one chunk of a file) at a time, as the reader
 * (curl's read callback) asks for bytes. */
#include "docker/context.h"
#include "docker/ignore.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 128
#define CHUNK_BYTES (64 * 1024)
/* A step writes at most one chunk, one tar block of libarchive's buffer,
 * and a header (with pax records for long names and link targets). */
#define OUT_CAP (CHUNK_BYTES + 10240 + 4 * PATH_MAX + 8192)
#define MAX_IGNORE_BYTES (1024 * 1024)

struct level {
    DIR *dir;
    size_t path_len; /* length of path when this folder was entered */
};

struct fg_context {
    struct fg_dockerignore *ignore;
    struct level stack[MAX_DEPTH];
    int depth;           /* levels open; 0 when the walk is over */
    char path[PATH_MAX]; /* current member, relative */
    size_t path_len;

    struct archive *ar;
    struct archive_entry *entry;
    bool started, finished;
    int fd;            /* the regular file being copied, or -1 */
    int64_t remaining; /* its bytes still owed to the header's size */

    unsigned char *out; /* tar bytes ready for the reader */
    size_t out_start, out_end;
    unsigned char *chunk;
    char err[PATH_MAX + 512];
};

const char *fg_context_error(const struct fg_context *c)
{
    return c->err;
}

static int read_ignore_file(struct fg_context *c, int root_fd, const char *dockerfile)
{
    char *text = NULL, err[300];
    ssize_t got;
    size_t len = 0;
    int rc = -1, fd = openat(root_fd, ".dockerignore", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(c->err, sizeof c->err, "cannot read .dockerignore: %s", strerror(errno));
        return -1;
    }
    text = malloc(MAX_IGNORE_BYTES);
    if (!text) {
        snprintf(c->err, sizeof c->err, "out of memory");
        goto cleanup;
    }
    while ((got = read(fd, text + len, MAX_IGNORE_BYTES - len)) > 0)
        len += (size_t)got;
    if (got < 0 || len == MAX_IGNORE_BYTES) {
        snprintf(c->err, sizeof c->err, ".dockerignore: %s",
                 got < 0 ? strerror(errno) : "larger than 1 MiB");
        goto cleanup;
    }
    if (fg_dockerignore_add_file_text(c->ignore, text, len, err, sizeof err) != 0) {
        snprintf(c->err, sizeof c->err, "%s", err);
        goto cleanup;
    }
    /* As the CLI does: the Dockerfile and .dockerignore are always sent. */
    if (fg_dockerignore_excludes(c->ignore, ".dockerignore") &&
        fg_dockerignore_add(c->ignore, "!.dockerignore", err, sizeof err) != 0) {
        snprintf(c->err, sizeof c->err, "%s", err);
        goto cleanup;
    }
    char keep[PATH_MAX + 1];
    snprintf(keep, sizeof keep, "!%s", dockerfile);
    if (fg_dockerignore_excludes(c->ignore, dockerfile) &&
        fg_dockerignore_add(c->ignore, keep, err, sizeof err) != 0) {
        snprintf(c->err, sizeof c->err, "%s", err);
        goto cleanup;
    }
    rc = 0;
cleanup:
    free(text);
    close(fd);
    return rc;
}

static la_ssize_t collect(struct archive *a, void *data, const void *buf, size_t n)
{
    struct fg_context *c = data;
    (void)a;
    if (OUT_CAP - c->out_end < n) {
        snprintf(c->err, sizeof c->err, "tar step larger than its buffer");
        return -1;
    }
    memcpy(c->out + c->out_end, buf, n);
    c->out_end += n;
    return (la_ssize_t)n;
}

struct fg_context *fg_context_new(const char *dir, const char *dockerfile, char *err,
                                  size_t err_len)
{
    struct fg_context *c = calloc(1, sizeof *c);
    char df[PATH_MAX];
    int root_fd = -1;
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    c->fd = -1;
    if (fg_path_clean(dockerfile ? dockerfile : "Dockerfile", df, sizeof df) < 0 || df[0] == '/' ||
        strncmp(df, "../", 3) == 0 || strcmp(df, "..") == 0) {
        snprintf(err, err_len, "the Dockerfile must be inside the context: %s",
                 dockerfile ? dockerfile : "Dockerfile");
        goto fail;
    }
    c->ignore = fg_dockerignore_new();
    c->out = malloc(OUT_CAP);
    c->chunk = malloc(CHUNK_BYTES);
    if (!c->ignore || !c->out || !c->chunk) {
        snprintf(err, err_len, "out of memory");
        goto fail;
    }
    root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        snprintf(err, err_len, "cannot open the build context %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (read_ignore_file(c, root_fd, df) != 0) {
        snprintf(err, err_len, "%s", c->err);
        goto fail;
    }
    c->stack[0].dir = fdopendir(root_fd);
    if (!c->stack[0].dir) {
        snprintf(err, err_len, "cannot read the build context %s: %s", dir, strerror(errno));
        goto fail;
    }
    root_fd = -1;
    c->depth = 1;
    return c;
fail:
    if (root_fd >= 0)
        close(root_fd);
    fg_context_free(c);
    return NULL;
}

void fg_context_free(struct fg_context *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->depth; i++)
        closedir(c->stack[i].dir);
    if (c->fd >= 0)
        close(c->fd);
    if (c->ar)
        archive_write_free(c->ar);
    archive_entry_free(c->entry);
    fg_dockerignore_free(c->ignore);
    free(c->out);
    free(c->chunk);
    free(c);
}

/* Enters the folder name (in the current level) as a new level. */
static int push_level(struct fg_context *c, const char *name)
{
    struct level *top = &c->stack[c->depth - 1];
    int fd;
    DIR *d;
    if (c->depth == MAX_DEPTH) {
        snprintf(c->err, sizeof c->err, "%s: folders nested deeper than %d", c->path, MAX_DEPTH);
        return -1;
    }
    fd = openat(dirfd(top->dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        snprintf(c->err, sizeof c->err, "%s: %s", c->path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    c->stack[c->depth].dir = d;
    c->stack[c->depth].path_len = c->path_len;
    c->depth++;
    return 0;
}

int fg_context_next(struct fg_context *c, const char **path, struct stat *st)
{
    while (c->depth > 0) {
        struct level *top = &c->stack[c->depth - 1];
        size_t base = c->depth == 1 ? 0 : top->path_len;
        struct dirent *de;
        errno = 0;
        de = readdir(top->dir);
        if (!de) {
            if (errno) {
                snprintf(c->err, sizeof c->err, "reading %s: %s", base ? c->path : ".",
                         strerror(errno));
                return -1;
            }
            closedir(top->dir);
            c->depth--;
            continue;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        size_t name_len = strlen(de->d_name);
        if (base + 1 + name_len >= sizeof c->path) {
            snprintf(c->err, sizeof c->err, "path too long under %.*s", (int)base, c->path);
            return -1;
        }
        if (base)
            c->path[base] = '/';
        memcpy(c->path + base + (base ? 1 : 0), de->d_name, name_len + 1);
        c->path_len = base + (base ? 1 : 0) + name_len;
        if (fstatat(dirfd(top->dir), de->d_name, st, AT_SYMLINK_NOFOLLOW) != 0) {
            snprintf(c->err, sizeof c->err, "%s: %s", c->path, strerror(errno));
            return -1;
        }
        bool is_dir = S_ISDIR(st->st_mode);
        if (!is_dir && !S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
            continue;
        if (fg_dockerignore_excludes(c->ignore, c->path)) {
            /* The folder is not sent, but an exception may name
             * something inside it. */
            if (is_dir && fg_dockerignore_may_include_below(c->ignore, c->path) &&
                push_level(c, de->d_name) != 0)
                return -1;
            continue;
        }
        if (is_dir && push_level(c, de->d_name) != 0)
            return -1;
        *path = c->path;
        return 1;
    }
    return 0;
}

static int start_archive(struct fg_context *c)
{
    c->ar = archive_write_new();
    c->entry = archive_entry_new();
    if (!c->ar || !c->entry || archive_write_set_format_pax_restricted(c->ar) != ARCHIVE_OK ||
        archive_write_add_filter_none(c->ar) != ARCHIVE_OK ||
        archive_write_open(c->ar, c, NULL, collect, NULL) != ARCHIVE_OK) {
        snprintf(c->err, sizeof c->err, "tar: %s",
                 c->ar ? archive_error_string(c->ar) : "out of memory");
        return -1;
    }
    c->started = true;
    return 0;
}

/* Writes the next member's header (and opens its file). 0 at the end. */
static int step_header(struct fg_context *c)
{
    const char *path;
    struct stat st;
    char target[PATH_MAX];
    int rc = fg_context_next(c, &path, &st);
    if (rc <= 0)
        return rc;
    archive_entry_clear(c->entry);
    archive_entry_copy_pathname(c->entry, path);
    archive_entry_set_perm(c->entry, st.st_mode & 07777);
    archive_entry_set_mtime(c->entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    /* Owned by root, as the CLI sends it. */
    archive_entry_set_uid(c->entry, 0);
    archive_entry_set_gid(c->entry, 0);
    if (S_ISDIR(st.st_mode)) {
        archive_entry_set_filetype(c->entry, AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
        size_t dir_len = c->depth > 1 ? c->stack[c->depth - 1].path_len : 0;
        ssize_t n = readlinkat(dirfd(c->stack[c->depth - 1].dir),
                               path + dir_len + (dir_len ? 1 : 0), target, sizeof target - 1);
        if (n < 0) {
            snprintf(c->err, sizeof c->err, "%s: %s", path, strerror(errno));
            return -1;
        }
        target[n] = '\0';
        archive_entry_set_filetype(c->entry, AE_IFLNK);
        archive_entry_copy_symlink(c->entry, target);
    } else {
        const char *name = strrchr(path, '/');
        c->fd = openat(dirfd(c->stack[c->depth - 1].dir), name ? name + 1 : path,
                       O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (c->fd < 0) {
            snprintf(c->err, sizeof c->err, "%s: %s", path, strerror(errno));
            return -1;
        }
        archive_entry_set_filetype(c->entry, AE_IFREG);
        archive_entry_set_size(c->entry, st.st_size);
        c->remaining = st.st_size;
    }
    if (archive_write_header(c->ar, c->entry) != ARCHIVE_OK) {
        snprintf(c->err, sizeof c->err, "tar: %s: %s", path, archive_error_string(c->ar));
        return -1;
    }
    return 1;
}

/* Copies one chunk of the open file; closes it when its size is reached.
 * A file that shrank while being read is padded with zeros to the size
 * its header announced; one that grew is cut there. */
static int step_data(struct fg_context *c)
{
    size_t want = c->remaining < CHUNK_BYTES ? (size_t)c->remaining : CHUNK_BYTES;
    ssize_t got = want ? read(c->fd, c->chunk, want) : 0;
    if (got < 0) {
        snprintf(c->err, sizeof c->err, "%s: %s", c->path, strerror(errno));
        return -1;
    }
    if (got == 0 && want > 0) {
        memset(c->chunk, 0, want);
        got = (ssize_t)want;
    }
    if (got > 0 && archive_write_data(c->ar, c->chunk, (size_t)got) != got) {
        snprintf(c->err, sizeof c->err, "tar: %s: %s", c->path, archive_error_string(c->ar));
        return -1;
    }
    c->remaining -= got;
    if (c->remaining == 0) {
        close(c->fd);
        c->fd = -1;
    }
    return 0;
}

ssize_t fg_context_read(struct fg_context *c, void *dst, size_t n)
{
    if (!c->started && start_archive(c) != 0)
        return -1;
    while (c->out_start == c->out_end && !c->finished) {
        c->out_start = c->out_end = 0;
        if (c->fd >= 0) {
            if (step_data(c) != 0)
                return -1;
            continue;
        }
        int rc = step_header(c);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (archive_write_close(c->ar) != ARCHIVE_OK) {
                snprintf(c->err, sizeof c->err, "tar: %s", archive_error_string(c->ar));
                return -1;
            }
            c->finished = true;
        }
    }
    size_t avail = c->out_end - c->out_start;
    if (avail > n)
        avail = n;
    memcpy(dst, c->out + c->out_start, avail);
    c->out_start += avail;
    return (ssize_t)avail;
}
