/* Line reassembly and message decoding for the Engine's JSON streams. */
#include "docker/stream.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

void fg_stream_lines_init(struct fg_stream_lines *s)
{
    memset(s, 0, sizeof *s);
}

void fg_stream_lines_clean_up(struct fg_stream_lines *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

static int append(struct fg_stream_lines *s, const char *data, size_t n)
{
    if (s->len + n > FG_STREAM_MAX_LINE)
        return -1;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n)
            cap *= 2;
        if (cap > FG_STREAM_MAX_LINE)
            cap = FG_STREAM_MAX_LINE;
        char *grown = realloc(s->buf, cap);
        if (!grown)
            return -1;
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    return 0;
}

/* Hands over one line, less a trailing '\r'; blank lines are skipped. */
static int emit(const char *line, size_t len, fg_stream_line_fn fn, void *fn_data)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    return len ? fn(fn_data, line, len) : 0;
}

int fg_stream_lines_feed(struct fg_stream_lines *s, const char *data, size_t n,
                         fg_stream_line_fn fn, void *fn_data)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t part = nl ? (size_t)(nl - data) : n;
        int rc;
        if (!nl)
            return append(s, data, n);
        if (s->len == 0) {
            rc = emit(data, part, fn, fn_data);
        } else {
            if (append(s, data, part) != 0)
                return -1;
            rc = emit(s->buf, s->len, fn, fn_data);
            s->len = 0;
        }
        if (rc != 0)
            return rc;
        data += part + 1;
        n -= part + 1;
    }
    return 0;
}

int fg_stream_lines_finish(struct fg_stream_lines *s, fg_stream_line_fn fn, void *fn_data)
{
    int rc = 0;
    if (s->len > 0)
        rc = emit(s->buf, s->len, fn, fn_data);
    s->len = 0;
    return rc;
}

static void push_value(lua_State *L, const cJSON *item, int depth)
{
    luaL_checkstack(L, 3, "docker stream message");
    if (depth > 32) {
        lua_pushnil(L);
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(lua_Integer)d)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else if (cJSON_IsArray(item)) {
        lua_Integer i = 0;
        const cJSON *el;
        lua_newtable(L);
        cJSON_ArrayForEach(el, item)
        {
            push_value(L, el, depth + 1);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsObject(item)) {
        const cJSON *el;
        lua_newtable(L);
        cJSON_ArrayForEach(el, item)
        {
            push_value(L, el, depth + 1);
            lua_setfield(L, -2, el->string);
        }
    } else {
        lua_pushnil(L);
    }
}

void fg_stream_push_json(lua_State *L, const cJSON *item)
{
    push_value(L, item, 0);
}
