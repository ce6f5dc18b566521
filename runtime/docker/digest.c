/* require "docker.digest": the content digest of a Docker build context, so that an
 * image step can skip a build whose source has not changed.
 *
 * It covers what a build would send (the same walk as the context's tar:
 * .dockerignore honoured, links stored, never followed) and, for each
 * member, its path, type, permission bits and content (a link's target).
 * Time stamps and the walk's order are left out: a context that was only
 * touched, or checked out again elsewhere, has the same digest. Memory
 * stays small whatever the size of the files: each file is read in chunks
 * and only one 32-byte digest per member is kept. Used by the image step
 * (stdlib/fg/image.lua). */
#include "base/buffer.h"
#include "base/hex.h"
#include "docker/context.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lauxlib.h>
#include <lua.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct member {
    char *path;
    unsigned char digest[SHA256_DIGEST_LENGTH];
};

struct walk {
    struct member *members;
    size_t n, cap;
    unsigned char *chunk; /* CHUNK bytes of file data, then the chunks' digests */
    char err[PATH_MAX + 200];
};

/* A member's digest: "<type> <mode octal>\0" then the link target, or the
 * SHA-256 of each CHUNK of the file's content (a file's digest is the
 * digest of those digests). */
static int member_digest(struct walk *w, const char *dir, const char *path, const struct stat *st,
                         unsigned char out[SHA256_DIGEST_LENGTH])
{
    char full[PATH_MAX * 2 + 2];
    char head[64];
    int head_len = snprintf(head, sizeof head, "%c %o",
                            S_ISDIR(st->st_mode)   ? 'd'
                            : S_ISLNK(st->st_mode) ? 'l'
                                                   : 'f',
                            (unsigned)(st->st_mode & 07777));
    struct fg_buf data;
    fg_buf_init(&data, SIZE_MAX);
    if (fg_buf_append(&data, head, (size_t)head_len + 1))
        goto oom;
    snprintf(full, sizeof full, "%s/%s", dir, path);
    if (S_ISLNK(st->st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(full, target, sizeof target);
        if (n < 0 || (size_t)n == sizeof target) {
            snprintf(w->err, sizeof w->err, "%s: %s", path,
                     n < 0 ? strerror(errno) : "link target too long");
            fg_buf_clean_up(&data);
            return -1;
        }
        if (fg_buf_append(&data, target, (size_t)n))
            goto oom;
    } else if (S_ISREG(st->st_mode)) {
        int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            snprintf(w->err, sizeof w->err, "%s: %s", path, strerror(errno));
            fg_buf_clean_up(&data);
            return -1;
        }
        for (;;) {
            size_t got = 0;
            ssize_t n = 0;
            while (got < CHUNK && (n = read(fd, w->chunk + got, CHUNK - got)) > 0)
                got += (size_t)n;
            if (n < 0) {
                snprintf(w->err, sizeof w->err, "%s: %s", path, strerror(errno));
                close(fd);
                fg_buf_clean_up(&data);
                return -1;
            }
            if (got == 0 && data.len > (size_t)head_len + 1)
                break;
            unsigned char md[SHA256_DIGEST_LENGTH];
            SHA256(w->chunk, got, md);
            if (fg_buf_append(&data, md, sizeof md)) {
                close(fd);
                goto oom;
            }
            if (got < CHUNK)
                break;
        }
        close(fd);
    }
    SHA256((const unsigned char *)data.data, data.len, out);
    fg_buf_clean_up(&data);
    return 0;
oom:
    fg_buf_clean_up(&data);
    snprintf(w->err, sizeof w->err, "out of memory");
    return -1;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct member *)a)->path, ((const struct member *)b)->path);
}

static void walk_free(struct walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->members[i].path);
    free(w->members);
    free(w->chunk);
}

/* Fills w with every member's digest, sorted by path; -1 with w->err. */
static int walk_context(struct walk *w, const char *dir, const char *dockerfile)
{
    struct fg_context *c = fg_context_new(dir, dockerfile, w->err, sizeof w->err);
    const char *path;
    struct stat st;
    int rc;
    if (!c)
        return -1;
    while ((rc = fg_context_next(c, &path, &st)) > 0) {
        if (w->n == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 64;
            struct member *bigger = realloc(w->members, cap * sizeof *bigger);
            if (!bigger) {
                snprintf(w->err, sizeof w->err, "out of memory");
                rc = -1;
                break;
            }
            w->members = bigger, w->cap = cap;
        }
        struct member *m = &w->members[w->n];
        if (!(m->path = strdup(path))) {
            snprintf(w->err, sizeof w->err, "out of memory");
            rc = -1;
            break;
        }
        w->n++;
        if (member_digest(w, dir, path, &st, m->digest) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc < 0 && !w->err[0])
        snprintf(w->err, sizeof w->err, "%s", fg_context_error(c));
    fg_context_free(c);
    if (rc < 0)
        return -1;
    qsort(w->members, w->n, sizeof *w->members, by_path);
    return 0;
}

/* digest.context(dir[, dockerfile]) -> "sha256:<hex>", member count */
static int digest_context(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    const char *dockerfile = luaL_optstring(L, 2, NULL);
    struct walk w = {0};
    if (!(w.chunk = malloc(CHUNK)))
        return luaL_error(L, "docker.digest: out of memory");
    if (walk_context(&w, dir, dockerfile) != 0) {
        lua_pushfstring(L, "docker: %s", w.err);
        walk_free(&w);
        return lua_error(L);
    }
    /* The whole: each member's path, a NUL, its digest, in path order. */
    size_t len = 0;
    for (size_t i = 0; i < w.n; i++)
        len += strlen(w.members[i].path) + 1 + SHA256_DIGEST_LENGTH;
    unsigned char *all = malloc(len ? len : 1);
    if (!all) {
        walk_free(&w);
        return luaL_error(L, "docker.digest: out of memory");
    }
    size_t at = 0;
    for (size_t i = 0; i < w.n; i++) {
        size_t pl = strlen(w.members[i].path) + 1;
        memcpy(all + at, w.members[i].path, pl);
        memcpy(all + at + pl, w.members[i].digest, SHA256_DIGEST_LENGTH);
        at += pl + SHA256_DIGEST_LENGTH;
    }
    unsigned char sum[SHA256_DIGEST_LENGTH];
    SHA256(all, len, sum);
    free(all);
    char hex[7 + 2 * SHA256_DIGEST_LENGTH + 1] = "sha256:";
    fg_hex_encode(sum, sizeof sum, hex + 7);
    lua_pushstring(L, hex);
    lua_pushinteger(L, (lua_Integer)w.n);
    walk_free(&w);
    return 2;
}

int luaopen_fg_docker_digest(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"context", digest_context},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
