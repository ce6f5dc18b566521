/* Handles: userdata with a named metatable ("fg.<part>.<Name>") whose
 * methods are reached through __index and which close on __gc and on
 * __close, closing twice being harmless (HACKING.md, Conventions). Used by
 * every C module that hands out a handle: net/http.c, docker/, aws/, core/fs.c. */
#ifndef FG_HANDLE_H
#define FG_HANDLE_H
#include <lua.h>
#include <lauxlib.h>

/* Registers the metatable `name` once: methods as __index, close as __gc
 * and __close, tostring (may be NULL) as __tostring. Leaves the stack as
 * it was. */
void fg_handle_type(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close,
                    lua_CFunction tostring);

#endif
