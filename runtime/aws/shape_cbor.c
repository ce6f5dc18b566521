/* require "aws.shape_cbor": bodies of the smithy-rpc-v2-cbor protocol.
 * Answers are read in one pass from the CBOR bytes (aws/cbor_read.c),
 * walked by the operation's output shape into the final Lua values, with
 * no tree in between; requests are written by the input shape
 * (aws/cbor_write.c). The value conventions are aws.lua's, as the json
 * and XML decoders give them: lists carry json.array_mt, structures and
 * maps json.object_mt, integers stay integers, timestamps (tag 1, epoch
 * seconds) are ISO-8601 UTC text, blobs are their bytes. Null members and
 * map entries are left out; null list items are json.null. */
#include "aws/cbor_read.h"
#include "aws/cbor_write.h"
#include "aws/shape_target.h"
#include "base/json.h"
#include "base/time.h"

#include <lauxlib.h>
#include <math.h>

#define NULL_SENTINEL lua_upvalueindex(1) /* json.null */

struct walk {
    struct fg_cbor_reader r;
    int model; /* stack index of the model */
};

static void push_shaped(struct walk *w, int shape, const struct fg_cbor_item *it);

/* Pushes the value of the item read by the member reference at index ref. */
static void push_member(struct walk *w, int ref, const struct fg_cbor_item *it)
{
    lua_State *L = w->r.L;
    fg_shape_push_target(L, w->model, ref);
    push_shaped(w, lua_gettop(L), it);
    lua_remove(L, -2);
}

/* Skips an item of the wrong kind for its shape; pushes nil (as the json
 * decoder does for a member that is not what its shape says). */
static void push_mismatch(struct walk *w, const struct fg_cbor_item *it)
{
    fg_cbor_skip(&w->r, it);
    lua_pushnil(w->r.L);
}

static void push_structure(struct walk *w, int shape, const struct fg_cbor_item *it)
{
    lua_State *L = w->r.L;
    if (it->kind != FG_CBOR_MAP) {
        push_mismatch(w, it);
        return;
    }
    lua_createtable(L, 0, fg_cbor_size_hint(&w->r, it));
    int out = lua_gettop(L);
    lua_getfield(L, shape, "members");
    int members = lua_gettop(L);
    struct fg_cbor_each each;
    struct fg_cbor_item key, value;
    fg_cbor_enter(&w->r, it, &each);
    while (fg_cbor_more(&w->r, &each)) {
        fg_cbor_head(&w->r, &key);
        if (key.kind != FG_CBOR_TEXT) {
            fg_cbor_skip(&w->r, &key);
            fg_cbor_head(&w->r, &value);
            fg_cbor_skip(&w->r, &value);
            continue;
        }
        fg_cbor_push_string(&w->r, &key);
        fg_cbor_head(&w->r, &value);
        if (value.kind == FG_CBOR_NULL || !lua_istable(L, members)) {
            lua_pop(L, 1);
            fg_cbor_skip(&w->r, &value);
            continue;
        }
        lua_pushvalue(L, -1);
        if (lua_rawget(L, members) != LUA_TTABLE) { /* not a member: skipped */
            lua_pop(L, 2);
            fg_cbor_skip(&w->r, &value);
            continue;
        }
        push_member(w, lua_gettop(L), &value);
        lua_remove(L, -2);
        lua_rawset(L, out);
    }
    lua_pop(L, 1);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
}

static void push_list(struct walk *w, int shape, const struct fg_cbor_item *it)
{
    lua_State *L = w->r.L;
    if (it->kind != FG_CBOR_ARRAY) {
        push_mismatch(w, it);
        return;
    }
    lua_createtable(L, fg_cbor_size_hint(&w->r, it), 0);
    lua_getfield(L, shape, "member");
    int ref = lua_gettop(L);
    fg_shape_push_target(L, w->model, ref);
    int target = lua_gettop(L);
    struct fg_cbor_each each;
    struct fg_cbor_item item;
    lua_Integer i = 1;
    fg_cbor_enter(&w->r, it, &each);
    while (fg_cbor_more(&w->r, &each)) {
        fg_cbor_head(&w->r, &item);
        if (item.kind == FG_CBOR_NULL)
            lua_pushvalue(L, NULL_SENTINEL);
        else
            push_shaped(w, target, &item);
        lua_rawseti(L, ref - 1, i++);
    }
    lua_pop(L, 2);
    luaL_setmetatable(L, FG_JSON_ARRAY_MT);
}

static void push_map(struct walk *w, int shape, const struct fg_cbor_item *it)
{
    lua_State *L = w->r.L;
    if (it->kind != FG_CBOR_MAP) {
        push_mismatch(w, it);
        return;
    }
    lua_createtable(L, 0, fg_cbor_size_hint(&w->r, it));
    lua_getfield(L, shape, "value");
    int ref = lua_gettop(L);
    fg_shape_push_target(L, w->model, ref);
    int target = lua_gettop(L);
    struct fg_cbor_each each;
    struct fg_cbor_item key, value;
    fg_cbor_enter(&w->r, it, &each);
    while (fg_cbor_more(&w->r, &each)) {
        fg_cbor_head(&w->r, &key);
        if (key.kind != FG_CBOR_TEXT)
            luaL_error(L, "cbor: a map key is not text");
        fg_cbor_push_string(&w->r, &key);
        fg_cbor_head(&w->r, &value);
        if (value.kind == FG_CBOR_NULL) {
            lua_pop(L, 1);
            continue;
        }
        push_shaped(w, target, &value);
        lua_rawset(L, ref - 1);
    }
    lua_pop(L, 2);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
}

static int is_number(const struct fg_cbor_item *it)
{
    return it->kind == FG_CBOR_UINT || it->kind == FG_CBOR_NEGINT || it->kind == FG_CBOR_FLOAT;
}

/* Pushes the value of the item (its head read) as the shape at index shape. */
static void push_shaped(struct walk *w, int shape, const struct fg_cbor_item *it)
{
    lua_State *L = w->r.L;
    luaL_checkstack(L, 8, "aws: answer nested too deep");
    switch (fg_shape_type(L, shape)) {
    case FG_SHAPE_STRUCTURE:
        push_structure(w, shape, it);
        return;
    case FG_SHAPE_LIST:
        push_list(w, shape, it);
        return;
    case FG_SHAPE_MAP:
        push_map(w, shape, it);
        return;
    case FG_SHAPE_INTEGER:
        if (it->kind == FG_CBOR_FLOAT && it->d == floor(it->d) && fabs(it->d) < 0x1p63) {
            lua_pushinteger(L, (lua_Integer)it->d); /* math.tointeger's rule */
            return;
        }
        break;
    case FG_SHAPE_FLOAT:
    case FG_SHAPE_DOUBLE:
        if (is_number(it)) {
            fg_cbor_push_number(L, it);
            lua_pushnumber(L, lua_tonumber(L, -1));
            lua_remove(L, -2);
            return;
        }
        break;
    case FG_SHAPE_TIMESTAMP:
        if (is_number(it) || it->kind == FG_CBOR_TEXT) {
            fg_cbor_push_value(&w->r, it);
            fg_time_normalize_top(L);
            return;
        }
        break;
    default:
        break;
    }
    fg_cbor_push_value(&w->r, it); /* strings, blobs, booleans, documents: as read */
}

/* Sets up a walk of the body at argument arg and reads its first item's
 * head into it; returns 0 for an empty body, having pushed an empty object
 * (the value of an empty body). */
static int first_item(lua_State *L, int arg, struct walk *w, struct fg_cbor_item *it)
{
    size_t len;
    const char *body = luaL_checklstring(L, arg, &len);
    lua_pushvalue(L, NULL_SENTINEL);
    fg_cbor_reader_init(&w->r, L, body, len, lua_gettop(L));
    if (len == 0) {
        lua_newtable(L);
        luaL_setmetatable(L, FG_JSON_OBJECT_MT);
        return 0;
    }
    fg_cbor_check_cost(L, body, len);
    fg_cbor_head(&w->r, it);
    return 1;
}

/* shapecbor.output(model, shape, body) -> the structure's Lua value.
 * An empty body is an empty structure; a body that is not one CBOR map
 * raises. Stack in: model, structure shape, body; out: an object table. */
static int shapecbor_output(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 3);
    struct walk w = {.model = 1};
    struct fg_cbor_item it;
    if (!first_item(L, 3, &w, &it))
        return 1;
    if (it.kind != FG_CBOR_MAP)
        return luaL_error(L, "cbor: the body is not a map");
    push_shaped(&w, 2, &it);
    fg_cbor_finish(&w.r);
    return 1;
}

/* shapecbor.value(body) -> the body as a generic Lua value (an empty body:
 * an empty object). Stack in: body; out: a value. */
static int shapecbor_value(lua_State *L)
{
    lua_settop(L, 1);
    struct walk w = {.model = 0};
    struct fg_cbor_item it;
    if (!first_item(L, 1, &w, &it))
        return 1;
    fg_cbor_push_value(&w.r, &it);
    fg_cbor_finish(&w.r);
    return 1;
}

/* shapecbor.encode(model, shape, value) -> the CBOR bytes of value read as
 * the structure shape. Stack in: model, shape, value; out: a string. */
static int shapecbor_encode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 3);
    fg_cbor_push_encoded(L, 1, 2, 3, NULL_SENTINEL);
    return 1;
}

int luaopen_fg_aws_shape_cbor(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"output", shapecbor_output},
        {"value", shapecbor_value},
        {"encode", shapecbor_encode},
        {NULL, NULL},
    };
    fg_json_new_lib(L, funcs, "null");
    return 1;
}
