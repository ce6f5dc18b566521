/* require "aws.shape_json": answers of the AWS json protocol, decoded in one
 * pass. The body is parsed by cJSON and the tree walked by the operation's
 * output shape (the model's tables, see stdlib/aws/model.lua), building the
 * final Lua values directly: no generic Lua tables in between. The value
 * conventions are aws.lua's: lists carry json.array_mt, structures and maps
 * json.object_mt, timestamps are ISO-8601 UTC text, blobs are decoded.
 *
 * The parsed tree lives in a userdata (freed by its __gc), so an error
 * raised mid-walk (out of memory, a model that cannot be loaded) cannot leak
 * it. Values read as json.decode reads them (see "preparing the tree"). */
#include <cJSON.h>
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "aws/answer_budget.h"
#include "base/base64.h"
#include "base/json.h"
#include "base/time.h"
#include "base/json_number.h"
#include "base/siphash.h"

static const char TREE_MT[] = "fg.aws.shape_json.tree";

/* Upvalues of the module's functions. */
#define NULL_SENTINEL lua_upvalueindex(1) /* json.null */

struct tree {
    cJSON *root; /* NULL for an empty body (an empty object) */
};

struct walk {
    lua_State *L;
    int model; /* stack index of the model */
};

/* ---- preparing the tree -------------------------------------------------
 * Before any walk, the tree is made to hold exactly what json.decode would
 * give: a number node read from an integer literal that fits int64 gets
 * valueint = INTEGER_LITERAL and the integer in place of valuedouble (cJSON
 * keeps only doubles, valueint is otherwise unused here); of members with
 * the same key only the last stays (json.decode's last-wins), so a walk in
 * any order sees only what a decoded table would hold. */

#define INTEGER_LITERAL 1

static void mark_number(cJSON *item, struct fg_json_number_cursor *c)
{
    long long v;
    item->valueint = 0;
    if (fg_json_next_integer(c, &v)) {
        item->valueint = INTEGER_LITERAL;
        memcpy(&item->valuedouble, &v, sizeof v);
    }
}

static void mark_numbers(cJSON *item, struct fg_json_number_cursor *c)
{
    if (cJSON_IsNumber(item))
        mark_number(item, c);
    for (cJSON *e = item->child; e; e = e->next)
        mark_numbers(e, c);
}

/* Keyed (SipHash): keys a server chose to collide cannot make this quadratic. */
static size_t key_hash(const char *s)
{
    return (size_t)fg_siphash_process(s, strlen(s));
}

/* Removes the members of an object whose key comes again later. A table of
 * slots (a power of two, at least twice the member count) finds repeats in
 * one pass from the end. Returns 0 when out of memory. */
static int drop_repeated_keys(cJSON *object)
{
    size_t n = 0;
    for (cJSON *e = object->child; e; e = e->next)
        n++;
    if (n < 2)
        return 1;
    const cJSON *small[64];
    size_t slots = 64;
    while (slots < 2 * n)
        slots *= 2;
    const cJSON **seen = slots == 64 ? small : malloc(slots * sizeof *seen);
    if (!seen)
        return 0;
    memset(seen, 0, slots * sizeof *seen);
    cJSON *e = object->child->prev; /* cJSON keeps the last member there */
    while (e) {
        cJSON *before = e == object->child ? NULL : e->prev;
        size_t i = key_hash(e->string) & (slots - 1);
        while (seen[i] && strcmp(seen[i]->string, e->string) != 0)
            i = (i + 1) & (slots - 1);
        if (seen[i])
            cJSON_Delete(cJSON_DetachItemViaPointer(object, e));
        else
            seen[i] = e;
        e = before;
    }
    if (seen != small)
        free(seen);
    return 1;
}

static int drop_repeated(cJSON *item)
{
    if (cJSON_IsObject(item) && !drop_repeated_keys(item))
        return 0;
    for (cJSON *e = item->child; e; e = e->next)
        if (!drop_repeated(e))
            return 0;
    return 1;
}

static void push_number(lua_State *L, const cJSON *item)
{
    if (item->valueint == INTEGER_LITERAL) {
        long long v;
        memcpy(&v, &item->valuedouble, sizeof v);
        lua_pushinteger(L, (lua_Integer)v);
    } else {
        lua_pushnumber(L, item->valuedouble);
    }
}

/* ---- generic values (documents, untyped members) ------------------------ */

static void push_generic(struct walk *w, const cJSON *item)
{
    lua_State *L = w->L;
    luaL_checkstack(L, 4, "aws: answer nested too deep");
    if (cJSON_IsNull(item)) {
        lua_pushvalue(L, NULL_SENTINEL);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        push_number(L, item);
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsArray(item)) {
        lua_createtable(L, cJSON_GetArraySize(item), 0);
        lua_Integer i = 1;
        for (const cJSON *e = item->child; e; e = e->next) {
            push_generic(w, e);
            lua_rawseti(L, -2, i++);
        }
        luaL_setmetatable(L, FG_JSON_ARRAY_MT);
    } else {
        lua_createtable(L, 0, cJSON_GetArraySize(item));
        for (const cJSON *e = item->child; e; e = e->next) {
            push_generic(w, e);
            lua_setfield(L, -2, e->string);
        }
        luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    }
}

/* ---- scalars by shape ---------------------------------------------------- */

/* Replaces the value at the top with its integer when it has one
 * (math.tointeger's rule). */
static void to_integer(lua_State *L)
{
    int is_integer;
    lua_Integer n = lua_tointegerx(L, -1, &is_integer);
    if (is_integer) {
        lua_pop(L, 1);
        lua_pushinteger(L, n);
    }
}

/* Replaces the value at the top with its float (parse_json.lua's rules:
 * text is NaN, Infinity, -Infinity or a number, which may be an integer). */
static void to_float(lua_State *L)
{
    int type = lua_type(L, -1);
    if (type == LUA_TNUMBER) {
        lua_Number n = lua_tonumber(L, -1);
        lua_pop(L, 1);
        lua_pushnumber(L, n);
    } else if (type == LUA_TSTRING) {
        const char *s = lua_tostring(L, -1);
        if (strcmp(s, "NaN") == 0)
            lua_pushnumber(L, NAN);
        else if (strcmp(s, "Infinity") == 0)
            lua_pushnumber(L, HUGE_VAL);
        else if (strcmp(s, "-Infinity") == 0)
            lua_pushnumber(L, -HUGE_VAL);
        else if (!lua_stringtonumber(L, s))
            lua_pushnil(L);
        lua_remove(L, -2);
    } else {
        luaL_error(L, "aws: a float member holds a %s value", luaL_typename(L, -1));
    }
}

/* ---- the walk ------------------------------------------------------------ */

static void push_shaped(struct walk *w, int shape, const cJSON *item);

/* Pushes the shape a member reference (at index ref) points to, cached on
 * the reference as _target (model.lua's Model:target). */
static void push_target(struct walk *w, int ref)
{
    lua_State *L = w->L;
    if (lua_getfield(L, ref, "_target") != LUA_TNIL)
        return;
    lua_pop(L, 1);
    lua_getfield(L, w->model, "target");
    lua_pushvalue(L, w->model);
    lua_pushvalue(L, ref);
    lua_call(L, 2, 1);
}

/* Pushes the value of item read by the member reference at index ref. */
static void push_member(struct walk *w, int ref, const cJSON *item)
{
    push_target(w, ref);
    push_shaped(w, lua_gettop(w->L), item);
    lua_remove(w->L, -2);
}

/* Pushes the table wire name -> {name, ref} of the structure at index
 * shape, cached on it as _json_members. */
static void push_wire_members(lua_State *L, int shape)
{
    if (lua_getfield(L, shape, "_json_members") == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    int by_wire = lua_gettop(L);
    if (lua_getfield(L, shape, "members") == LUA_TTABLE) {
        int members = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, members)) {
            /* name, ref -> name, ref, wire name */
            if (lua_getfield(L, -1, "locationName") == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushvalue(L, -2);
            }
            lua_createtable(L, 2, 0);
            lua_pushvalue(L, -4);
            lua_rawseti(L, -2, 1);
            lua_pushvalue(L, -3);
            lua_rawseti(L, -2, 2);
            lua_settable(L, by_wire);
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    lua_pushvalue(L, by_wire);
    lua_setfield(L, shape, "_json_members");
}

static void push_structure(struct walk *w, int shape, const cJSON *item)
{
    lua_State *L = w->L;
    lua_getfield(L, shape, "document");
    int document = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (document) {
        push_generic(w, item);
        return;
    }
    if (!cJSON_IsObject(item) && !cJSON_IsArray(item)) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, cJSON_GetArraySize(item));
    push_wire_members(L, shape);
    int by_wire = lua_gettop(L);
    for (const cJSON *e = item->child; e; e = e->next) {
        if (!e->string || lua_getfield(L, by_wire, e->string) != LUA_TTABLE) {
            lua_pop(L, e->string ? 1 : 0);
            continue;
        }
        if (cJSON_IsNull(e)) {
            lua_pop(L, 1);
            continue;
        }
        int member = lua_gettop(L);
        lua_rawgeti(L, member, 1);
        lua_rawgeti(L, member, 2);
        push_member(w, lua_gettop(L), e);
        lua_remove(L, -2);
        lua_rawset(L, by_wire - 1);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
}

static void push_list(struct walk *w, int shape, const cJSON *item)
{
    lua_State *L = w->L;
    if (!cJSON_IsArray(item)) {
        if (cJSON_IsObject(item)) { /* a table without a sequence part */
            lua_newtable(L);
            luaL_setmetatable(L, FG_JSON_ARRAY_MT);
        } else {
            lua_pushnil(L);
        }
        return;
    }
    lua_createtable(L, cJSON_GetArraySize(item), 0);
    lua_getfield(L, shape, "member");
    int ref = lua_gettop(L);
    push_target(w, ref);
    int target = lua_gettop(L);
    lua_Integer i = 1;
    for (const cJSON *e = item->child; e; e = e->next) {
        if (cJSON_IsNull(e))
            lua_pushvalue(L, NULL_SENTINEL);
        else
            push_shaped(w, target, e);
        lua_rawseti(L, ref - 1, i++);
    }
    lua_pop(L, 2);
    luaL_setmetatable(L, FG_JSON_ARRAY_MT);
}

static void push_map(struct walk *w, int shape, const cJSON *item)
{
    lua_State *L = w->L;
    if (!cJSON_IsObject(item) && !cJSON_IsArray(item)) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, cJSON_GetArraySize(item));
    lua_getfield(L, shape, "value");
    int ref = lua_gettop(L);
    push_target(w, ref);
    int target = lua_gettop(L);
    lua_Integer i = 1;
    for (const cJSON *e = item->child; e; e = e->next, i++) {
        if (cJSON_IsNull(e))
            continue;
        /* keys of an array are its indices, as pairs() gives them */
        if (e->string)
            lua_pushstring(L, e->string);
        else
            lua_pushinteger(L, i);
        push_shaped(w, target, e);
        lua_rawset(L, ref - 1);
    }
    lua_pop(L, 2);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
}

/* Pushes the value of item read as the shape at index shape. */
static void push_shaped(struct walk *w, int shape, const cJSON *item)
{
    lua_State *L = w->L;
    luaL_checkstack(L, 8, "aws: answer nested too deep");
    lua_getfield(L, shape, "type");
    const char *type = lua_tostring(L, -1);
    if (!type)
        type = "";
    lua_pop(L, 1);     /* type stays alive: the shape holds it */
    switch (type[0]) { /* one strcmp per value: a shape's type is known by its letters */
    case 's':
        if (strcmp(type, "structure") == 0) {
            push_structure(w, shape, item);
            return;
        }
        break;
    case 'l':
        if (strcmp(type, "list") == 0) {
            push_list(w, shape, item);
            return;
        }
        if (strcmp(type, "long") == 0) {
            push_generic(w, item);
            to_integer(L);
            return;
        }
        break;
    case 'm':
        if (strcmp(type, "map") == 0) {
            push_map(w, shape, item);
            return;
        }
        break;
    case 'i':
        if (strcmp(type, "integer") == 0) {
            push_generic(w, item);
            to_integer(L);
            return;
        }
        break;
    case 't':
        if (strcmp(type, "timestamp") == 0) {
            push_generic(w, item);
            fg_time_normalize_top(L);
            return;
        }
        break;
    case 'b':
        if (strcmp(type, "blob") == 0) {
            push_generic(w, item);
            if (lua_type(L, -1) == LUA_TSTRING)
                fg_base64_decode_top(L); /* text that is not base64 stays as it is */
            return;
        }
        break;
    case 'f':
    case 'd':
        if (strcmp(type, "float") == 0 || strcmp(type, "double") == 0) {
            push_generic(w, item);
            to_float(L);
            return;
        }
        break;
    }
    push_generic(w, item); /* strings, booleans, anything else: as decoded */
}

/* ---- module functions ---------------------------------------------------- */

static int tree_gc(lua_State *L)
{
    struct tree *t = luaL_checkudata(L, 1, TREE_MT);
    cJSON_Delete(t->root);
    t->root = NULL;
    return 0;
}

/* shapejson.parse(body) -> tree, or nil and why (json.decode's message,
 * "not a JSON object", or over the memory budget: answer_budget.c). A
 * blank body is an empty object.
 * Stack in: body (string); out: tree userdata. */
static int shapejson_parse(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    struct tree *t = lua_newuserdatauv(L, sizeof *t, 0);
    t->root = NULL;
    luaL_setmetatable(L, TREE_MT);
    size_t start = strspn(s, " \t\r\n\f\v");
    if (start == len)
        return 1;
    size_t cost = fg_answer_json_cost(s, len);
    if (cost > FG_ANSWER_BUDGET) {
        lua_pushnil(L);
        lua_pushfstring(L,
                        "answer too large to decode: its %d MiB of JSON would take about %d MiB "
                        "of memory, over the budget of %d MiB per answer",
                        (int)(len >> 20), (int)(cost >> 20), (int)(FG_ANSWER_BUDGET >> 20));
        return 2;
    }
    const char *end = NULL;
    t->root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!t->root) {
        size_t offset = end ? (size_t)(end - s) : len;
        if (offset > len)
            offset = len;
        lua_pushnil(L);
        lua_pushfstring(L, "json: malformed JSON at byte %d%s", (int)offset + 1,
                        offset >= len ? " (unexpected end of input)" : "");
        return 2;
    }
    while (end < s + len && strchr(" \t\r\n", *end))
        end++;
    if (end != s + len) {
        lua_pushnil(L);
        lua_pushfstring(L, "json: malformed JSON at byte %d (trailing data)", (int)(end - s) + 1);
        return 2;
    }
    if (!cJSON_IsObject(t->root) && !cJSON_IsArray(t->root)) {
        lua_pushnil(L);
        lua_pushliteral(L, "not a JSON object");
        return 2;
    }
    struct fg_json_number_cursor c = {s, s + len};
    mark_numbers(t->root, &c);
    if (!drop_repeated(t->root))
        return luaL_error(L, "aws: out of memory");
    return 1;
}

/* Checks the tree argument at index arg and sets up a walk of it. */
static const cJSON *start_walk(lua_State *L, int arg, struct walk *w)
{
    struct tree *t = luaL_checkudata(L, arg, TREE_MT);
    w->L = L;
    return t->root;
}

/* shapejson.output(model, shape, tree) -> the structure's Lua value.
 * Stack in: model, structure shape (table), tree; out: an object table. */
static int shapejson_output(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    struct walk w;
    const cJSON *root = start_walk(L, 3, &w);
    w.model = 1;
    lua_settop(L, 3);
    if (root) {
        push_structure(&w, 2, root);
        return 1;
    }
    lua_getfield(L, 2, "document");
    int document = lua_toboolean(L, -1);
    lua_newtable(L); /* a blank body: the value of {} */
    if (!document)
        luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    return 1;
}

/* shapejson.value(tree) -> the body as json.decode gives it ({} when blank).
 * Stack in: tree; out: a table. */
static int shapejson_value(lua_State *L)
{
    struct walk w;
    const cJSON *root = start_walk(L, 1, &w);
    w.model = 0;
    if (root)
        push_generic(&w, root);
    else
        lua_newtable(L);
    return 1;
}

int luaopen_fg_aws_shape_json(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"parse", shapejson_parse},
        {"output", shapejson_output},
        {"value", shapejson_value},
        {NULL, NULL},
    };
    luaL_newmetatable(L, TREE_MT);
    lua_pushcfunction(L, tree_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    fg_json_new_lib(L, funcs, "null");
    return 1;
}
