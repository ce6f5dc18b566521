/* libFuzzer harness for the Docker Engine progress stream parser
 * (runtime/docker/stream.h): the input arrives in pieces whose sizes come
 * from its first byte; each completed line is decoded with cJSON and pushed
 * as Lua values, as the Docker client does. */
#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "docker/stream.h"

static lua_State *L;

/* lua_pcall'd: the cJSON item (light userdata) -> its Lua value, dropped */
static int push_item(lua_State *l)
{
    fg_stream_push_json(l, lua_touserdata(l, 1));
    return 0;
}

static int on_line(void *data, const char *line, size_t len)
{
    (void)data;
    cJSON *item = cJSON_ParseWithLength(line, len);
    if (!item)
        return 0;
    lua_pushcfunction(L, push_item);
    lua_pushlightuserdata(L, item);
    (void)lua_pcall(L, 1, 0, 0);
    lua_settop(L, 0);
    cJSON_Delete(item);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!L && !(L = luaL_newstate()))
        return 0;
    if (size == 0)
        return 0;
    size_t piece = (size_t)data[0] % 64 + 1;
    data++, size--;
    struct fg_stream_lines s;
    fg_stream_lines_init(&s);
    int rc = 0;
    for (size_t at = 0; at < size && rc == 0; at += piece) {
        size_t n = size - at < piece ? size - at : piece;
        rc = fg_stream_lines_feed(&s, (const char *)data + at, n, on_line, NULL);
    }
    if (rc == 0)
        (void)fg_stream_lines_finish(&s, on_line, NULL);
    fg_stream_lines_clean_up(&s);
    lua_gc(L, LUA_GCSTEP, 0);
    return 0;
}
