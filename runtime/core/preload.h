/* The host's C modules and the embedded Lua library, registered in
 * package.preload so that `require` finds them without touching the disk. */
#ifndef FG_PRELOAD_H
#define FG_PRELOAD_H
#include <lua.h>

struct fg_preload {
    const char *name;
    lua_CFunction open;
};

/* Generated (tools/gen_preload.sh): one entry per runtime/<part>/<file>.c
 * defining luaopen_fg_<part>_<file>, required as "<part>.<file>". */
extern const struct fg_preload fg_preloads[];

/* Fills package.preload with the C modules and the stdlib/ modules. */
void fg_preload_all(lua_State *L);

#endif
