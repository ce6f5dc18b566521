/* require "base.json" (public name "json"): JSON in and out.
 *
 * Decoding goes through cJSON; integer literals are read exactly (int64)
 * from the source text beside the tree (json_number.c).
 * Encoding is written here: cJSON can neither indent by a chosen width, nor
 * sort keys, nor print int64 exactly.
 *
 * Arrays and objects are told apart by metatables (json.array_mt,
 * json.object_mt) which decoding sets and encoding honours; see HACKING.md. */
#include "base/json_number.h"
#include "base/json.h"
#include "base/buffer.h"
#include <cJSON.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 1000

static const char JSON_NULL_SENTINEL;

/* ---- decoding ---------------------------------------------------------- */

static void push_number(lua_State *L, const cJSON *item, struct fg_json_number_cursor *c)
{
    long long v;
    if (fg_json_next_integer(c, &v))
        lua_pushinteger(L, (lua_Integer)v);
    else
        lua_pushnumber(L, item->valuedouble);
}

static void push_value(lua_State *L, const cJSON *item, struct fg_json_number_cursor *c)
{
    luaL_checkstack(L, 4, "json: nesting too deep");
    if (cJSON_IsNull(item)) {
        lua_pushlightuserdata(L, (void *)&JSON_NULL_SENTINEL);
    } else if (cJSON_IsBool(item)) {
        lua_pushboolean(L, cJSON_IsTrue(item));
    } else if (cJSON_IsNumber(item)) {
        push_number(L, item, c);
    } else if (cJSON_IsString(item)) {
        lua_pushstring(L, item->valuestring);
    } else if (cJSON_IsArray(item)) {
        lua_createtable(L, cJSON_GetArraySize(item), 0);
        lua_Integer i = 1;
        for (const cJSON *e = item->child; e; e = e->next) {
            push_value(L, e, c);
            lua_rawseti(L, -2, i++);
        }
        luaL_setmetatable(L, FG_JSON_ARRAY_MT);
    } else {
        lua_createtable(L, 0, cJSON_GetArraySize(item));
        for (const cJSON *e = item->child; e; e = e->next) {
            push_value(L, e, c);
            lua_setfield(L, -2, e->string);
        }
        luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    }
}

/* Builds the Lua value of a parsed tree; runs under lua_pcall so that an
 * out-of-memory error cannot leak the tree. Stack in: tree, source text. */
static int decode_tree(lua_State *L)
{
    const cJSON *root = lua_touserdata(L, 1);
    size_t len;
    const char *s = lua_tolstring(L, 2, &len);
    struct fg_json_number_cursor c = {s, s + len};
    push_value(L, root, &c);
    return 1;
}

/* json.decode(s) -> value. Malformed input raises an error naming the byte
 * offset (1-based) where parsing stopped. */
static int json_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, len, &end, 0);
    if (!root) {
        size_t offset = end ? (size_t)(end - s) : len;
        if (offset > len)
            offset = len;
        return luaL_error(L, "json: malformed JSON at byte %d%s", (int)offset + 1,
                          offset >= len ? " (unexpected end of input)" : "");
    }
    while (end < s + len && strchr(" \t\r\n", *end))
        end++;
    if (end != s + len) {
        cJSON_Delete(root);
        return luaL_error(L, "json: malformed JSON at byte %d (trailing data)", (int)(end - s) + 1);
    }
    lua_pushcfunction(L, decode_tree);
    lua_pushlightuserdata(L, root);
    lua_pushvalue(L, 1);
    int status = lua_pcall(L, 2, 1, 0);
    cJSON_Delete(root);
    if (status != LUA_OK)
        return lua_error(L);
    return 1;
}

/* ---- encoding ---------------------------------------------------------- */

#define JSON_MAX_OUTPUT ((size_t)256 << 20)

/* The output buffer is owned by a userdata, so an error raised mid-way (an
 * unencodable value, out of memory) cannot leak it: __gc frees it. Lua's
 * own luaL_Buffer cannot be used here because it needs the top of the
 * stack, which the recursive walk occupies. */
static int output_gc(lua_State *L)
{
    fg_buf_clean_up(lua_touserdata(L, 1));
    return 0;
}

struct encoder {
    lua_State *L;
    struct fg_buf *out;
    int indent; /* spaces per level; 0 for compact output */
    int sort_keys;
};

static void fail_output(struct encoder *e, size_t len)
{
    if (len > JSON_MAX_OUTPUT - e->out->len)
        luaL_error(e->L, "json: output larger than %d MiB", (int)(JSON_MAX_OUTPUT >> 20));
    luaL_error(e->L, "json: out of memory");
}

static void put(struct encoder *e, const char *s, size_t len)
{
    if (fg_buf_append(e->out, s, len))
        fail_output(e, len);
}

static void put_str(struct encoder *e, const char *s)
{
    put(e, s, strlen(s));
}

static void put_newline(struct encoder *e, int depth)
{
    static const char spaces[] = "                                ";
    if (!e->indent)
        return;
    put(e, "\n", 1);
    for (int left = depth * e->indent; left > 0; left -= 32)
        put(e, spaces, left < 32 ? (size_t)left : 32);
}

int fg_json_quote(struct fg_buf *b, const char *s, size_t len)
{
    if (fg_buf_putc(b, '"'))
        return -1;
    size_t run = 0; /* bytes copied as they are, written in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char uesc[8];
        switch (ch) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (ch < 0x20 || ch == 0x7f) {
                snprintf(uesc, sizeof uesc, "\\u%04x", ch);
                esc = uesc;
            }
        }
        if (esc) {
            if (fg_buf_append(b, s + i - run, run) || fg_buf_puts(b, esc))
                return -1;
            run = 0;
        } else {
            run++;
        }
    }
    return fg_buf_append(b, s + len - run, run) || fg_buf_putc(b, '"') ? -1 : 0;
}

static void put_quoted(struct encoder *e, const char *s, size_t len)
{
    if (fg_json_quote(e->out, s, len))
        fail_output(e, len);
}

/* Shortest form that reads back to the same double; keeps a ".0" so that a
 * float stays a float through a round trip. */
static void put_float(struct encoder *e, lua_Number n)
{
    if (isnan(n) || isinf(n))
        luaL_error(e->L, "json: cannot encode %f", (double)n);
    char buf[40];
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, (double)n);
        if (strtod(buf, NULL) == n)
            break;
    }
    put_str(e, buf);
    if (!strpbrk(buf, ".eEn"))
        put_str(e, ".0");
}

/* Is the table at index idx an array? Marks decide; otherwise a non-empty
 * sequence 1..n is one. Sets *n to its length. */
static int table_is_array(lua_State *L, int idx, lua_Integer *n)
{
    *n = (lua_Integer)lua_rawlen(L, idx);
    if (lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, FG_JSON_ARRAY_MT);
        int is_array = lua_rawequal(L, -1, -2);
        luaL_getmetatable(L, FG_JSON_OBJECT_MT);
        int is_object = lua_rawequal(L, -1, -3);
        lua_pop(L, 3);
        if (is_array || is_object)
            return is_array;
    }
    if (*n == 0)
        return 0;
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
    }
    return count == *n;
}

static void encode_value(struct encoder *e, int idx, int depth);

static void encode_array(struct encoder *e, int t, int depth, lua_Integer n)
{
    lua_State *L = e->L;
    put(e, "[", 1);
    for (lua_Integer i = 1; i <= n; i++) {
        if (i > 1)
            put(e, ",", 1);
        put_newline(e, depth + 1);
        lua_rawgeti(L, t, i);
        encode_value(e, lua_gettop(L), depth + 1);
        lua_pop(L, 1);
    }
    if (n > 0)
        put_newline(e, depth);
    put(e, "]", 1);
}

/* A key of the object being written: its text and, for sorting, where the
 * key itself is. String keys point into the table's own strings (alive
 * while the table is); number keys are written into num. */
struct key_ref {
    const char *s; /* NULL for a number key: its text is num */
    size_t len;
    char num[48];
};

static const char *key_chars(const struct key_ref *k)
{
    return k->s ? k->s : k->num;
}

static int compare_key_refs(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    int c = memcmp(key_chars(x), key_chars(y), x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sets ref to the text of the key at idx (which stays as it is). */
static void key_text(lua_State *L, int idx, struct key_ref *ref)
{
    int type = lua_type(L, idx);
    if (type == LUA_TSTRING) {
        ref->s = lua_tolstring(L, idx, &ref->len);
    } else if (type == LUA_TNUMBER) {
        if (lua_isinteger(L, idx))
            snprintf(ref->num, sizeof ref->num, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(ref->num, sizeof ref->num, "%.17g", (double)lua_tonumber(L, idx));
        ref->s = NULL;
        ref->len = strlen(ref->num);
    } else {
        luaL_error(L, "json: cannot encode a table key of type %s", lua_typename(L, type));
    }
}

static void put_member(struct encoder *e, const struct key_ref *key, int value, int depth,
                       int first)
{
    if (!first)
        put(e, ",", 1);
    put_newline(e, depth + 1);
    put_quoted(e, key_chars(key), key->len);
    put_str(e, e->indent ? ": " : ":");
    encode_value(e, value, depth + 1);
}

/* Objects: keys are strings, or numbers written as strings. With
 * sort_keys they come out in byte order, so output is reproducible. No Lua
 * value is made per object: this runs for every journal write. */
static void encode_object(struct encoder *e, int t, int depth)
{
    lua_State *L = e->L;
    put(e, "{", 1);
    size_t count = 0;
    if (!e->sort_keys) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            struct key_ref key;
            key_text(L, -2, &key);
            put_member(e, &key, lua_gettop(L), depth, count++ == 0);
            lua_pop(L, 1);
        }
    } else {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            lua_pop(L, 1);
            count++;
        }
        struct key_ref small[32];
        struct key_ref *refs = small;
        if (count > sizeof small / sizeof small[0])
            refs = lua_newuserdatauv(L, sizeof *refs * count, 0); /* freed by the GC */
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, t)) {
            lua_pop(L, 1);
            key_text(L, -1, &refs[n++]);
        }
        qsort(refs, n, sizeof *refs, compare_key_refs);
        for (size_t i = 0; i < n; i++) {
            /* the member's value: by the string key, or by the number read
             * back from its text (exact: %.17g round-trips a double) */
            if (!refs[i].s) {
                if (strpbrk(refs[i].num, ".eEn"))
                    lua_pushnumber(L, strtod(refs[i].num, NULL));
                else
                    lua_pushinteger(L, (lua_Integer)strtoll(refs[i].num, NULL, 10));
            } else {
                lua_pushlstring(L, refs[i].s, refs[i].len);
            }
            lua_rawget(L, t);
            put_member(e, &refs[i], lua_gettop(L), depth, i == 0);
            lua_pop(L, 1);
        }
        if (refs != small)
            lua_pop(L, 1);
    }
    if (count > 0)
        put_newline(e, depth);
    put(e, "}", 1);
}

static void encode_value(struct encoder *e, int idx, int depth)
{
    lua_State *L = e->L;
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "json: nesting deeper than %d (a cycle?)", JSON_MAX_DEPTH);
    luaL_checkstack(L, 8, "json: nesting too deep");
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        put_str(e, "null");
        return;
    case LUA_TBOOLEAN:
        put_str(e, lua_toboolean(L, idx) ? "true" : "false");
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)lua_tointeger(L, idx));
            put_str(e, buf);
        } else {
            put_float(e, lua_tonumber(L, idx));
        }
        return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        put_quoted(e, s, len);
        return;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == &JSON_NULL_SENTINEL) {
            put_str(e, "null");
            return;
        }
        break;
    case LUA_TTABLE: {
        lua_Integer n;
        if (table_is_array(L, idx, &n))
            encode_array(e, idx, depth, n);
        else
            encode_object(e, idx, depth);
        return;
    }
    }
    luaL_error(L, "json: cannot encode a %s", luaL_typename(L, idx));
}

/* json.encode(value [, {indent=, sort_keys=}]) -> string. indent is a
 * number of spaces (true means 2). */
static int json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    struct encoder e = {L, NULL, 0, 0};
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "indent");
        e.indent = lua_isboolean(L, -1) ? 2 * lua_toboolean(L, -1) : (int)luaL_optinteger(L, -1, 0);
        lua_getfield(L, 2, "sort_keys");
        e.sort_keys = lua_toboolean(L, -1);
        lua_pop(L, 2);
        if (e.indent < 0 || e.indent > 16)
            return luaL_argerror(L, 2, "indent must be between 0 and 16");
    }
    lua_settop(L, 1);
    e.out = lua_newuserdatauv(L, sizeof *e.out, 0);
    fg_buf_init(e.out, JSON_MAX_OUTPUT);
    if (luaL_newmetatable(L, "fg.json.buffer")) {
        lua_pushcfunction(L, output_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    encode_value(&e, 1, 0);
    lua_pushlstring(L, e.out->data ? e.out->data : "", e.out->len);
    fg_buf_clean_up(e.out);
    return 1;
}

/* ---- marks ------------------------------------------------------------- */

static int mark(lua_State *L, const char *mt_key)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, mt_key);
    return 1;
}

/* json.array([t]) -> t marked as an array (a new one when t is nil). */
static int json_array(lua_State *L)
{
    return mark(L, FG_JSON_ARRAY_MT);
}

/* json.object([t]) -> t marked as an object. */
static int json_object(lua_State *L)
{
    return mark(L, FG_JSON_OBJECT_MT);
}

/* json.is_array(v) -> true for a table that encodes as an array. */
static int json_is_array(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TTABLE) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_Integer n;
    lua_pushboolean(L, table_is_array(L, 1, &n));
    return 1;
}

void fg_json_new_lib(lua_State *L, const luaL_Reg *funcs, const char *field)
{
    int n = 0;
    while (funcs[n].name)
        n++;
    lua_getglobal(L, "require");
    lua_pushliteral(L, "json"); /* loads its marking metatables */
    lua_call(L, 1, 1);
    lua_getfield(L, -1, field);
    lua_remove(L, -2);
    lua_createtable(L, 0, n);
    lua_insert(L, -2);
    luaL_setfuncs(L, funcs, 1);
}

int luaopen_fg_base_json(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"decode", json_decode}, {"encode", json_encode},     {"array", json_array},
        {"object", json_object}, {"is_array", json_is_array}, {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    lua_pushlightuserdata(L, (void *)&JSON_NULL_SENTINEL);
    lua_setfield(L, -2, "null");
    luaL_newmetatable(L, FG_JSON_ARRAY_MT);
    lua_setfield(L, -2, "array_mt");
    luaL_newmetatable(L, FG_JSON_OBJECT_MT);
    lua_setfield(L, -2, "object_mt");
    return 1;
}
