/* IAM policy documents in answers. See iam_policy.h. */
#include "aws/iam_policy.h"
#include "base/percent.h"

#include <lauxlib.h>
#include <string.h>

void fg_iam_policy_decode_top(lua_State *L, int json_decode)
{
    json_decode = lua_absindex(L, json_decode);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, len);
    memcpy(out, s, len);
    luaL_pushresultsize(&b, fg_percent_decode(out, len));
    lua_remove(L, -2);
    lua_pushvalue(L, json_decode);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TTABLE)
        lua_remove(L, -2);
    else
        lua_pop(L, 1);
}
