/* require "core.fs": the few file operations a deployment journal needs
 * and Lua's io library lacks: atomic replacement with fsync and a chosen
 * mode, advisory locks that die with the process, folders. */
#include "core/fs_private.h"
#include "base/handle.h"
#include "base/secret.h"
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static const char LOCK_MT[] = "fg.fs.Lock";
/* The joined parts of write_atomic's data: wiped when collected. */
static const char JOINED_MT[] = "fg.fs.Joined";
#define JOINED_MAX (16 * 1024 * 1024)

struct file_lock {
    int fd; /* -1 once released */
    char path[4096];
};

static int fail(lua_State *L, const char *what, const char *path)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s %s: %s", what, path, strerror(errno));
    return 2;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int joined_gc(lua_State *L)
{
    fg_buf_clean_up(luaL_checkudata(L, 1, JOINED_MT));
    return 0;
}

/* fs.write_atomic(path, data [, mode]) -> true | nil, message.
 * Writes a temporary file beside path, fsyncs it, renames it over path
 * and fsyncs the folder: a reader sees the old or the new file, whole.
 * data may be a list of strings and secrets (aws.secret), joined in a
 * buffer that is wiped afterwards. */
static int fs_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *data;
    mode_t mode = (mode_t)luaL_optinteger(L, 3, 0600);
    struct fg_buf *joined = NULL;
    if (lua_istable(L, 2)) {
        joined = lua_newuserdatauv(L, sizeof *joined, 0);
        fg_buf_init_secret(joined, JOINED_MAX);
        luaL_setmetatable(L, JOINED_MT);
        if (fg_secret_append_value(L, 2, joined) || fg_buf_append(joined, "", 0))
            return luaL_argerror(L, 2, "expected strings and secrets, at most 16 MiB");
        data = joined->data;
        len = joined->len;
    } else {
        data = luaL_checklstring(L, 2, &len);
    }
    char tmp[4096 + 48];
    /* a new file, never one already there (a planted link is left alone):
     * O_EXCL, and a random name so that a leftover does not block */
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 8; attempt++) {
        unsigned rnd = 0;
        if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
            rnd = (unsigned)attempt;
        if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%08x", path, (long)getpid(), rnd) >=
            (int)sizeof tmp)
            return luaL_argerror(L, 1, "path too long");
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int saved = errno;
        if (joined)
            fg_buf_clean_up(joined);
        errno = saved;
        return fail(L, "cannot create", tmp);
    }
    int written = fchmod(fd, mode) == 0 && write_all(fd, data, len) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (joined)
        fg_buf_clean_up(joined); /* now, not at the next collection */
    if (!written) {
        close(fd);
        unlink(tmp);
        errno = saved;
        return fail(L, "cannot write", tmp);
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return fail(L, "cannot replace", path);
    }
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash && (size_t)(slash - path) < sizeof dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    } else {
        strcpy(dir, ".");
    }
    int dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.mkdir(path [, mode]) -> true | nil, message. Creates missing parents. */
static int fs_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    mode_t mode = (mode_t)luaL_optinteger(L, 2, 0700);
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return luaL_argerror(L, 1, "path too long");
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return fail(L, "cannot create folder", buf);
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
        return fail(L, "cannot create folder", buf);
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.remove(path) -> true | nil, message; a missing file is not an error. */
static int fs_remove(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(L, "cannot remove", path);
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.exists(path) -> boolean */
static int fs_exists(lua_State *L)
{
    struct stat st;
    lua_pushboolean(L, stat(luaL_checkstring(L, 1), &st) == 0);
    return 1;
}

/* fs.lock(path, holder) -> lock | nil, holder_of_the_lock.
 * Takes an exclusive advisory lock on path (created 0600) without
 * waiting, and writes holder (a line naming this run) into it. When
 * another process holds it, returns nil and what that process wrote; a
 * lock file that cannot be used (a link, another user's) is an error. The
 * lock goes with the process, even on kill -9. */
static int fs_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t holder_len;
    const char *holder = luaL_checklstring(L, 2, &holder_len);
    if (strlen(path) >= sizeof((struct file_lock *)0)->path)
        return luaL_argerror(L, 1, "path too long");
    struct file_lock *lock = lua_newuserdatauv(L, sizeof *lock, 0);
    lock->fd = -1;
    luaL_setmetatable(L, LOCK_MT);
    /* never through a link, and only a file of this user's: the lock is
     * truncated and written */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ELOOP)
        return luaL_error(L, "cannot open lock %s: it is a symbolic link, not followed (remove it)",
                          path);
    if (fd < 0)
        return luaL_error(L, "cannot open lock %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
        close(fd);
        return luaL_error(
            L, "cannot use lock %s: not a regular file of yours with one link (remove it)", path);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char who[512];
        ssize_t n = pread(fd, who, sizeof who - 1, 0);
        close(fd);
        lua_pushnil(L);
        lua_pushlstring(L, who, n > 0 ? (size_t)n : 0);
        return 2;
    }
    if (ftruncate(fd, 0) != 0 || write_all(fd, holder, holder_len) != 0) {
        close(fd);
        return fail(L, "cannot write lock", path);
    }
    lock->fd = fd;
    strcpy(lock->path, path);
    return 1;
}

/* lock:release([remove_file]): drops the lock; closing twice is harmless. */
static int lock_release(lua_State *L)
{
    struct file_lock *lock = luaL_checkudata(L, 1, LOCK_MT);
    if (lock->fd >= 0) {
        if (lua_toboolean(L, 2))
            unlink(lock->path);
        close(lock->fd);
        lock->fd = -1;
    }
    return 0;
}

static int lock_gc(lua_State *L)
{
    lua_settop(L, 1);
    return lock_release(L);
}

int luaopen_fg_core_fs(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"write_atomic", fs_write_atomic},
        {"mkdir", fs_mkdir},
        {"remove", fs_remove},
        {"exists", fs_exists},
        {"lock", fs_lock},
        {"check_private", fg_fs_check_private},
        {NULL, NULL},
    };
    static const luaL_Reg lock_methods[] = {
        {"release", lock_release},
        {NULL, NULL},
    };
    fg_handle_type(L, LOCK_MT, lock_methods, lock_gc, NULL);
    if (luaL_newmetatable(L, JOINED_MT)) {
        lua_pushcfunction(L, joined_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, funcs);
    return 1;
}
