/* Secrets that stand for themselves in C. See secret.h. */
#include "base/secret.h"

#include <lauxlib.h>

void fg_secret_mark(lua_State *L, const struct fg_secret_reader *reader)
{
    lua_pushlightuserdata(L, (void *)reader);
    lua_setfield(L, -2, "__secret");
}

const char *fg_secret_read(lua_State *L, int idx, int *is_secret, size_t *len)
{
    *is_secret = 0;
    if (len)
        *len = 0;
    if (lua_type(L, idx) != LUA_TUSERDATA || luaL_getmetafield(L, idx, "__secret") == LUA_TNIL)
        return NULL;
    const struct fg_secret_reader *reader = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!reader)
        return NULL;
    *is_secret = 1;
    size_t n = 0;
    const char *s = reader->read(lua_touserdata(L, idx), &n);
    if (len)
        *len = s ? n : 0;
    return s;
}

int fg_secret_append_value(lua_State *L, int idx, struct fg_buf *b)
{
    idx = lua_absindex(L, idx);
    int is_secret;
    size_t n;
    const char *p = fg_secret_read(L, idx, &is_secret, &n);
    if (is_secret)
        return p ? fg_buf_append(b, p, n) : 0;
    if (lua_type(L, idx) == LUA_TSTRING) {
        p = lua_tolstring(L, idx, &n);
        return fg_buf_append(b, p, n);
    }
    if (!lua_istable(L, idx))
        return -1;
    lua_Integer count = luaL_len(L, idx);
    for (lua_Integer i = 1; i <= count; i++) {
        lua_rawgeti(L, idx, i);
        int bad = lua_istable(L, -1) || fg_secret_append_value(L, -1, b);
        lua_pop(L, 1);
        if (bad)
            return -1;
    }
    return 0;
}
