/* Registers the host's modules in package.preload. The stdlib is embedded
 * precompiled (tools/embed.c) and loaded only when first required, so
 * startup costs one closure per module. */
#include "core/preload.h"
#include "core/embedded.h"
#include <lauxlib.h>

/* Loader for an embedded stdlib module: upvalue 1 is its index in
 * fg_stdlib. Takes (name, extra) from require; leaves the module's result. */
static int preload_stdlib(lua_State *L)
{
    const struct fg_embedded *e = &fg_stdlib[lua_tointeger(L, lua_upvalueindex(1))];
    if (luaL_loadbufferx(L, e->data, e->size, e->chunkname, "b") != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, e->name);
    lua_call(L, 1, 1);
    return 1;
}

void fg_preload_all(lua_State *L)
{
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    for (const struct fg_preload *p = fg_preloads; p->name; p++) {
        lua_pushcfunction(L, p->open);
        lua_setfield(L, -2, p->name);
    }
    for (lua_Integer i = 0; fg_stdlib[i].name; i++) {
        lua_pushinteger(L, i);
        lua_pushcclosure(L, preload_stdlib, 1);
        lua_setfield(L, -2, fg_stdlib[i].name);
    }
    lua_pop(L, 1);
}
