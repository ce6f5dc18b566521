/* Writing Lua values as CBOR by an input shape (see cbor_write.h). */
#include "aws/cbor_write.h"
#include "aws/shape_target.h"
#include "base/buffer.h"
#include "base/json.h"
#include "base/time.h"

#include <cbor.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512 /* a cycle in a document, or input no service takes */

static const char OUT_MT[] = "fg.aws.cbor.out";

struct writer {
    lua_State *L;
    struct fg_buf *o; /* the bytes written so far, in a userdata: an error mid-walk frees them */
    int model, null_index, depth;
};

static int out_gc(lua_State *L)
{
    fg_buf_clean_up(luaL_checkudata(L, 1, OUT_MT));
    return 0;
}

static void put(struct writer *w, const void *p, size_t n)
{
    if (fg_buf_append(w->o, p, n))
        luaL_error(w->L, "cbor: out of memory");
}

/* A head is 9 bytes at most; each cbor_encode_* writes it at AT(w) and
 * returns its length. */
#define HEAD(w, call)               \
    do {                            \
        unsigned char head_[9];     \
        size_t head_len_ = call;    \
        put((w), head_, head_len_); \
    } while (0)
#define AT(w) head_, sizeof head_

static void write_integer(struct writer *w, lua_Integer i)
{
    if (i >= 0)
        HEAD(w, cbor_encode_uint((uint64_t)i, AT(w)));
    else
        HEAD(w, cbor_encode_negint((uint64_t)(-1 - i), AT(w)));
}

static void write_string(struct writer *w, int bytes, const char *s, size_t len)
{
    if (bytes)
        HEAD(w, cbor_encode_bytestring_start(len, AT(w)));
    else
        HEAD(w, cbor_encode_string_start(len, AT(w)));
    put(w, s, len);
}

static void write_null(struct writer *w)
{
    HEAD(w, cbor_encode_null(AT(w)));
}

static int is_null(struct writer *w, int v)
{
    return lua_isnil(w->L, v) || lua_rawequal(w->L, v, w->null_index);
}

static void enter(struct writer *w)
{
    if (++w->depth > MAX_DEPTH)
        luaL_error(w->L, "cbor: a value nested deeper than %d (a cycle?)", MAX_DEPTH);
}

/* A number of a float or double member: a number, or "NaN", "Infinity",
 * "-Infinity" (as the json protocol takes them). */
static double float_value(struct writer *w, int v)
{
    lua_State *L = w->L;
    if (lua_type(L, v) == LUA_TSTRING) {
        const char *s = lua_tostring(L, v);
        if (strcmp(s, "NaN") == 0)
            return NAN;
        if (strcmp(s, "Infinity") == 0)
            return HUGE_VAL;
        if (strcmp(s, "-Infinity") == 0)
            return -HUGE_VAL;
    }
    if (lua_type(L, v) != LUA_TNUMBER)
        luaL_error(L, "cbor: a float member holds a %s value", luaL_typename(L, v));
    return lua_tonumber(L, v);
}

/* A number, integer when it is one. */
static void write_number(struct writer *w, int v)
{
    lua_State *L = w->L;
    int is_integer;
    lua_Integer i = lua_tointegerx(L, v, &is_integer);
    if (is_integer)
        write_integer(w, i);
    else
        HEAD(w, cbor_encode_double(lua_tonumber(L, v), AT(w)));
}

/* Tag 1 over epoch seconds; text is read as base.time's parse reads it. */
static void write_timestamp(struct writer *w, int v)
{
    lua_State *L = w->L;
    int top = lua_gettop(L);
    if (lua_type(L, v) == LUA_TSTRING) {
        fg_time_push_epoch(L, v);
        if (lua_type(L, -1) != LUA_TNUMBER)
            luaL_error(L, "cbor: %s is not a timestamp", lua_tostring(L, v));
        v = lua_gettop(L);
    } else if (lua_type(L, v) != LUA_TNUMBER) {
        luaL_error(L, "cbor: a timestamp member holds a %s value", luaL_typename(L, v));
    }
    HEAD(w, cbor_encode_tag(1, AT(w)));
    write_number(w, v);
    lua_settop(L, top);
}

static void write_generic(struct writer *w, int v);

static int is_array(lua_State *L, int v)
{
    if (lua_getmetatable(L, v)) {
        luaL_getmetatable(L, FG_JSON_ARRAY_MT);
        int marked = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (marked)
            return 1;
    }
    /* unmarked: an array when it is a non-empty sequence 1..n (json's rule) */
    lua_Integer n = (lua_Integer)lua_rawlen(L, v), count = 0;
    if (n == 0)
        return 0;
    lua_pushnil(L);
    while (lua_next(L, v)) {
        lua_pop(L, 1);
        count++;
    }
    return count == n;
}

/* Any Lua value (a document, a member of no known type). */
static void write_generic(struct writer *w, int v)
{
    lua_State *L = w->L;
    luaL_checkstack(L, 6, "cbor: nested too deep");
    switch (lua_type(L, v)) {
    case LUA_TBOOLEAN:
        HEAD(w, cbor_encode_bool(lua_toboolean(L, v), AT(w)));
        return;
    case LUA_TNUMBER:
        write_number(w, v);
        return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, v, &len);
        write_string(w, 0, s, len);
        return;
    }
    case LUA_TTABLE:
        break;
    default:
        if (is_null(w, v)) {
            write_null(w);
            return;
        }
        luaL_error(L, "cbor: cannot write a %s value", luaL_typename(L, v));
        return;
    }
    enter(w);
    if (is_array(L, v)) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, v);
        HEAD(w, cbor_encode_array_start((size_t)n, AT(w)));
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, v, i);
            write_generic(w, lua_gettop(L));
            lua_pop(L, 1);
        }
    } else {
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, v)) {
            lua_pop(L, 1);
            n++;
        }
        HEAD(w, cbor_encode_map_start(n, AT(w)));
        lua_pushnil(L);
        while (lua_next(L, v)) {
            lua_pushvalue(L, -2); /* a key's text, without changing the key lua_next needs */
            size_t len;
            const char *k = luaL_tolstring(L, -1, &len);
            write_string(w, 0, k, len);
            lua_pop(L, 2);
            write_generic(w, lua_gettop(L));
            lua_pop(L, 1);
        }
    }
    w->depth--;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pushes the member names of the structure at index shape in sorted order
 * (a stable order on the wire), cached on it as _cbor_order. */
static void push_order(lua_State *L, int shape)
{
    if (lua_getfield(L, shape, "_cbor_order") == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_getfield(L, shape, "members");
    int members = lua_gettop(L);
    size_t n = 0;
    if (lua_istable(L, members)) {
        lua_pushnil(L);
        while (lua_next(L, members)) {
            lua_pop(L, 1);
            n++;
        }
    }
    /* the names stay alive as keys of members while they are sorted */
    const char **names = lua_newuserdatauv(L, (n ? n : 1) * sizeof *names, 0);
    size_t i = 0;
    if (n) {
        lua_pushnil(L);
        while (lua_next(L, members)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) == LUA_TSTRING && i < n)
                names[i++] = lua_tostring(L, -1);
        }
    }
    qsort(names, i, sizeof *names, by_name);
    lua_createtable(L, (int)i, 0);
    for (size_t k = 0; k < i; k++) {
        lua_pushstring(L, names[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, shape, "_cbor_order");
    lua_replace(L, members);
    lua_settop(L, members);
}

static void write_shaped(struct writer *w, int shape, int v);

static void write_structure(struct writer *w, int shape, int v)
{
    lua_State *L = w->L;
    luaL_checktype(L, v, LUA_TTABLE);
    enter(w);
    push_order(L, shape);
    int order = lua_gettop(L);
    lua_getfield(L, shape, "members");
    int members = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, order);
    size_t present = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, order, i);
        lua_gettable(L, v);
        present += !is_null(w, -1);
        lua_pop(L, 1);
    }
    HEAD(w, cbor_encode_map_start(present, AT(w)));
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, order, i);
        int name = lua_gettop(L);
        lua_pushvalue(L, name);
        lua_gettable(L, v);
        int value = lua_gettop(L);
        if (!is_null(w, value)) {
            lua_pushvalue(L, name);
            lua_rawget(L, members);
            int ref = lua_gettop(L);
            if (lua_getfield(L, ref, "locationName") != LUA_TSTRING)
                lua_pushvalue(L, name);
            size_t len;
            const char *wire = lua_tolstring(L, -1, &len);
            write_string(w, 0, wire, len);
            lua_pop(L, 1);
            fg_shape_push_target(L, w->model, ref);
            write_shaped(w, lua_gettop(L), value);
        }
        lua_settop(L, name - 1);
    }
    lua_settop(L, order - 1);
    w->depth--;
}

static void write_list(struct writer *w, int shape, int v)
{
    lua_State *L = w->L;
    luaL_checktype(L, v, LUA_TTABLE);
    enter(w);
    lua_Integer n = (lua_Integer)lua_rawlen(L, v);
    HEAD(w, cbor_encode_array_start((size_t)n, AT(w)));
    lua_getfield(L, shape, "member");
    fg_shape_push_target(L, w->model, lua_gettop(L));
    int target = lua_gettop(L);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, v, i);
        if (is_null(w, -1))
            write_null(w);
        else
            write_shaped(w, target, lua_gettop(L));
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    w->depth--;
}

static void write_map(struct writer *w, int shape, int v)
{
    lua_State *L = w->L;
    luaL_checktype(L, v, LUA_TTABLE);
    enter(w);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, v)) {
        n += !is_null(w, -1);
        lua_pop(L, 1);
    }
    HEAD(w, cbor_encode_map_start(n, AT(w)));
    lua_getfield(L, shape, "value");
    fg_shape_push_target(L, w->model, lua_gettop(L));
    int target = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, v)) {
        if (!is_null(w, -1)) {
            lua_pushvalue(L, -2);
            size_t len;
            const char *k = luaL_tolstring(L, -1, &len);
            write_string(w, 0, k, len);
            lua_pop(L, 2);
            write_shaped(w, target, lua_gettop(L));
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    w->depth--;
}

/* Writes the value at index v as the shape at index shape. */
static void write_shaped(struct writer *w, int shape, int v)
{
    lua_State *L = w->L;
    luaL_checkstack(L, 10, "cbor: nested too deep");
    size_t len;
    const char *s;
    switch (fg_shape_type(L, shape)) {
    case FG_SHAPE_STRUCTURE:
        write_structure(w, shape, v);
        return;
    case FG_SHAPE_LIST:
        write_list(w, shape, v);
        return;
    case FG_SHAPE_MAP:
        write_map(w, shape, v);
        return;
    case FG_SHAPE_FLOAT:
        HEAD(w, cbor_encode_single((float)float_value(w, v), AT(w)));
        return;
    case FG_SHAPE_DOUBLE:
        HEAD(w, cbor_encode_double(float_value(w, v), AT(w)));
        return;
    case FG_SHAPE_TIMESTAMP:
        write_timestamp(w, v);
        return;
    case FG_SHAPE_BLOB:
    case FG_SHAPE_STRING:
        if (lua_type(L, v) == LUA_TSTRING) {
            s = lua_tolstring(L, v, &len);
            write_string(w, fg_shape_type(L, shape) == FG_SHAPE_BLOB, s, len);
            return;
        }
        break;
    default:
        break;
    }
    write_generic(w, v); /* integers, booleans, documents */
}

void fg_cbor_push_encoded(lua_State *L, int model, int shape, int value, int null_index)
{
    model = lua_absindex(L, model);
    shape = lua_absindex(L, shape);
    value = lua_absindex(L, value);
    null_index = lua_absindex(L, null_index);
    struct fg_buf *o = lua_newuserdatauv(L, sizeof *o, 0);
    fg_buf_init(o, SIZE_MAX);
    if (luaL_newmetatable(L, OUT_MT)) {
        lua_pushcfunction(L, out_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    int box = lua_gettop(L);
    struct writer w = {L, o, model, null_index, 0};
    write_shaped(&w, shape, value);
    lua_pushlstring(L, o->data ? o->data : "", o->len);
    lua_remove(L, box); /* its __gc frees the bytes */
}
