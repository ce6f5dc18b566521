/* fs.check_private(path) -> true | nil, reason: whether a file or folder
 * may hold a deployment's state. A journal tells --destroy what to remove
 * and a lock says who runs: whoever can write them, or the folder they are
 * in, could make fgrun overwrite or call what they choose. So each must
 * belong to this user and be writable by nobody else. The path is followed
 * (a state folder may be a link the user made); the files inside are
 * opened without following links (runtime/core/fs.c). */
#include "core/fs_private.h"
#include <errno.h>
#include <lauxlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fg_fs_check_private(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "cannot read %s: %s", path, strerror(errno));
        return 2;
    }
    uid_t me = geteuid();
    if (st.st_uid != me) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s belongs to uid %d, not to you (uid %d)", path, (int)st.st_uid,
                        (int)me);
        return 2;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", (unsigned)(st.st_mode & 07777));
        lua_pushnil(L);
        lua_pushfstring(L, "%s is writable by group or others (mode %s)", path, mode);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}
