/* Reading CBOR one item head at a time (see cbor_read.h). */
#include "aws/cbor_read.h"
#include "aws/answer_budget.h"
#include "base/json.h"

#include <cbor.h>
#include <lauxlib.h>
#include <limits.h>
#include <string.h>

/* Deeper nesting than any AWS answer has; bounds the C recursion of the
 * walks over hostile input. */
#define MAX_DEPTH 512

/* What one call of cbor_stream_decode found. */
struct head {
    struct fg_cbor_item *it;
    int is_tag;
};

static struct fg_cbor_item *item_of(void *ctx)
{
    return ((struct head *)ctx)->it;
}

static void set_uint(void *ctx, uint64_t v)
{
    item_of(ctx)->kind = FG_CBOR_UINT;
    item_of(ctx)->n = v;
}
static void on_uint8(void *ctx, uint8_t v)
{
    set_uint(ctx, v);
}
static void on_uint16(void *ctx, uint16_t v)
{
    set_uint(ctx, v);
}
static void on_uint32(void *ctx, uint32_t v)
{
    set_uint(ctx, v);
}
static void on_uint64(void *ctx, uint64_t v)
{
    set_uint(ctx, v);
}

static void set_negint(void *ctx, uint64_t v)
{
    item_of(ctx)->kind = FG_CBOR_NEGINT;
    item_of(ctx)->n = v;
}
static void on_negint8(void *ctx, uint8_t v)
{
    set_negint(ctx, v);
}
static void on_negint16(void *ctx, uint16_t v)
{
    set_negint(ctx, v);
}
static void on_negint32(void *ctx, uint32_t v)
{
    set_negint(ctx, v);
}
static void on_negint64(void *ctx, uint64_t v)
{
    set_negint(ctx, v);
}

static void set_string(void *ctx, enum fg_cbor_kind kind, cbor_data data, size_t len)
{
    struct fg_cbor_item *it = item_of(ctx);
    it->kind = kind;
    it->data = (const char *)data;
    it->len = len;
}
static void on_bytes(void *ctx, cbor_data data, size_t len)
{
    set_string(ctx, FG_CBOR_BYTES, data, len);
}
static void on_text(void *ctx, cbor_data data, size_t len)
{
    set_string(ctx, FG_CBOR_TEXT, data, len);
}

static void set_open(void *ctx, enum fg_cbor_kind kind)
{
    item_of(ctx)->kind = kind;
    item_of(ctx)->indefinite = 1;
}
static void on_bytes_start(void *ctx)
{
    set_open(ctx, FG_CBOR_BYTES);
}
static void on_text_start(void *ctx)
{
    set_open(ctx, FG_CBOR_TEXT);
}
static void on_array_open(void *ctx)
{
    set_open(ctx, FG_CBOR_ARRAY);
}
static void on_map_open(void *ctx)
{
    set_open(ctx, FG_CBOR_MAP);
}

static void on_array(void *ctx, size_t n)
{
    item_of(ctx)->kind = FG_CBOR_ARRAY;
    item_of(ctx)->n = n;
}
static void on_map(void *ctx, size_t n)
{
    item_of(ctx)->kind = FG_CBOR_MAP;
    item_of(ctx)->n = n;
}

static void on_tag(void *ctx, uint64_t v)
{
    ((struct head *)ctx)->is_tag = 1;
    item_of(ctx)->tagged = 1;
    item_of(ctx)->tag = v;
}

static void set_float(void *ctx, double v)
{
    item_of(ctx)->kind = FG_CBOR_FLOAT;
    item_of(ctx)->d = v;
}
static void on_float(void *ctx, float v)
{
    set_float(ctx, v);
}
static void on_double(void *ctx, double v)
{
    set_float(ctx, v);
}

static void on_null(void *ctx)
{
    item_of(ctx)->kind = FG_CBOR_NULL;
}
static void on_bool(void *ctx, bool v)
{
    item_of(ctx)->kind = FG_CBOR_BOOL;
    item_of(ctx)->n = v;
}
static void on_break(void *ctx)
{
    item_of(ctx)->kind = FG_CBOR_BREAK;
}

static const struct cbor_callbacks CALLBACKS = {
    .uint8 = on_uint8,
    .uint16 = on_uint16,
    .uint32 = on_uint32,
    .uint64 = on_uint64,
    .negint8 = on_negint8,
    .negint16 = on_negint16,
    .negint32 = on_negint32,
    .negint64 = on_negint64,
    .byte_string_start = on_bytes_start,
    .byte_string = on_bytes,
    .string = on_text,
    .string_start = on_text_start,
    .indef_array_start = on_array_open,
    .array_start = on_array,
    .indef_map_start = on_map_open,
    .map_start = on_map,
    .tag = on_tag,
    .float2 = on_float,
    .float4 = on_float,
    .float8 = on_double,
    .undefined = on_null,
    .null = on_null,
    .boolean = on_bool,
    .indef_break = on_break,
};

void fg_cbor_reader_init(struct fg_cbor_reader *r, lua_State *L, const char *s, size_t len,
                         int null_index)
{
    r->L = L;
    r->start = r->p = (const unsigned char *)s;
    r->end = r->start + len;
    r->depth = 0;
    r->null_index = null_index;
    r->heads = r->containers = 0;
}

static int offset(const struct fg_cbor_reader *r)
{
    size_t at = (size_t)(r->p - r->start) + 1;
    return at > INT_MAX ? INT_MAX : (int)at;
}

void fg_cbor_head(struct fg_cbor_reader *r, struct fg_cbor_item *it)
{
    memset(it, 0, sizeof *it);
    for (;;) {
        struct head h = {it, 0};
        struct cbor_decoder_result res =
            cbor_stream_decode(r->p, (size_t)(r->end - r->p), &CALLBACKS, &h);
        if (res.status == CBOR_DECODER_NEDATA)
            luaL_error(r->L, "cbor: truncated at byte %d", offset(r));
        if (res.status != CBOR_DECODER_FINISHED)
            luaL_error(r->L, "cbor: malformed item at byte %d", offset(r));
        r->p += res.read;
        r->heads++;
        if (!h.is_tag)
            return;
    }
}

void fg_cbor_enter(struct fg_cbor_reader *r, const struct fg_cbor_item *it,
                   struct fg_cbor_each *each)
{
    if (++r->depth > MAX_DEPTH)
        luaL_error(r->L, "cbor: nested deeper than %d at byte %d", MAX_DEPTH, offset(r));
    r->containers++;
    each->indefinite = it->indefinite;
    each->left = it->n;
}

int fg_cbor_more(struct fg_cbor_reader *r, struct fg_cbor_each *each)
{
    int more;
    if (each->indefinite) {
        more = !(r->p < r->end && *r->p == 0xFF);
        if (!more)
            r->p++; /* the break */
    } else {
        more = each->left > 0;
        if (more)
            each->left--;
    }
    if (!more)
        r->depth--;
    return more;
}

/* Tables grow as items come; a hint beyond this would let each level of a
 * nested body claim most of the remaining bytes and multiply the memory a
 * small hostile body makes the decoder allocate. */
#define MAX_SIZE_HINT 256

int fg_cbor_size_hint(const struct fg_cbor_reader *r, const struct fg_cbor_item *it)
{
    if (it->indefinite)
        return 0;
    uint64_t remaining = (uint64_t)(r->end - r->p); /* every item takes a byte at least */
    uint64_t n = it->n < remaining ? it->n : remaining;
    return n > MAX_SIZE_HINT ? MAX_SIZE_HINT : (int)n;
}

static void unexpected(struct fg_cbor_reader *r, const char *what)
{
    luaL_error(r->L, "cbor: unexpected %s at byte %d", what, offset(r));
}

void fg_cbor_push_string(struct fg_cbor_reader *r, const struct fg_cbor_item *it)
{
    lua_State *L = r->L;
    if (!it->indefinite) {
        lua_pushlstring(L, it->data, it->len);
        return;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (;;) {
        struct fg_cbor_item chunk;
        fg_cbor_head(r, &chunk);
        if (chunk.kind == FG_CBOR_BREAK)
            break;
        if (chunk.kind != it->kind || chunk.indefinite || chunk.tagged)
            unexpected(r, "chunk in a string");
        luaL_addlstring(&b, chunk.data, chunk.len);
    }
    luaL_pushresult(&b);
}

void fg_cbor_push_number(lua_State *L, const struct fg_cbor_item *it)
{
    if (it->kind == FG_CBOR_FLOAT)
        lua_pushnumber(L, it->d);
    else if (it->kind == FG_CBOR_UINT)
        if (it->n <= (uint64_t)LUA_MAXINTEGER)
            lua_pushinteger(L, (lua_Integer)it->n);
        else
            lua_pushnumber(L, (lua_Number)it->n);
    else if (it->n <= (uint64_t)LUA_MAXINTEGER)
        lua_pushinteger(L, -1 - (lua_Integer)it->n);
    else
        lua_pushnumber(L, -1.0 - (lua_Number)it->n);
}

void fg_cbor_skip(struct fg_cbor_reader *r, const struct fg_cbor_item *it)
{
    struct fg_cbor_each each;
    struct fg_cbor_item inner;
    switch (it->kind) {
    case FG_CBOR_BYTES:
    case FG_CBOR_TEXT:
        if (it->indefinite) {
            fg_cbor_push_string(r, it); /* checks the chunks */
            lua_pop(r->L, 1);
        }
        return;
    case FG_CBOR_ARRAY:
    case FG_CBOR_MAP:
        fg_cbor_enter(r, it, &each);
        while (fg_cbor_more(r, &each)) {
            for (int i = it->kind == FG_CBOR_MAP ? 2 : 1; i > 0; i--) {
                fg_cbor_head(r, &inner);
                fg_cbor_skip(r, &inner);
            }
        }
        return;
    case FG_CBOR_BREAK:
        unexpected(r, "break");
        return;
    default:
        return;
    }
}

/* Pushes a generic map key: text, bytes or a number (not NaN). */
static void push_key(struct fg_cbor_reader *r, const struct fg_cbor_item *key)
{
    switch (key->kind) {
    case FG_CBOR_TEXT:
    case FG_CBOR_BYTES:
        fg_cbor_push_string(r, key);
        return;
    case FG_CBOR_UINT:
    case FG_CBOR_NEGINT:
        fg_cbor_push_number(r->L, key);
        return;
    case FG_CBOR_FLOAT:
        if (key->d == key->d) {
            fg_cbor_push_number(r->L, key);
            return;
        }
        break;
    case FG_CBOR_BOOL:
        lua_pushboolean(r->L, (int)key->n);
        return;
    default:
        break;
    }
    unexpected(r, "map key");
}

void fg_cbor_push_value(struct fg_cbor_reader *r, const struct fg_cbor_item *it)
{
    lua_State *L = r->L;
    luaL_checkstack(L, 6, "cbor: nested too deep");
    struct fg_cbor_each each;
    struct fg_cbor_item inner;
    switch (it->kind) {
    case FG_CBOR_UINT:
    case FG_CBOR_NEGINT:
    case FG_CBOR_FLOAT:
        fg_cbor_push_number(L, it);
        return;
    case FG_CBOR_BYTES:
    case FG_CBOR_TEXT:
        fg_cbor_push_string(r, it);
        return;
    case FG_CBOR_BOOL:
        lua_pushboolean(L, (int)it->n);
        return;
    case FG_CBOR_NULL:
        lua_pushvalue(L, r->null_index);
        return;
    case FG_CBOR_ARRAY: {
        lua_createtable(L, fg_cbor_size_hint(r, it), 0);
        lua_Integer i = 1;
        fg_cbor_enter(r, it, &each);
        while (fg_cbor_more(r, &each)) {
            fg_cbor_head(r, &inner);
            fg_cbor_push_value(r, &inner);
            lua_rawseti(L, -2, i++);
        }
        luaL_setmetatable(L, FG_JSON_ARRAY_MT);
        return;
    }
    case FG_CBOR_MAP:
        lua_createtable(L, 0, fg_cbor_size_hint(r, it));
        fg_cbor_enter(r, it, &each);
        while (fg_cbor_more(r, &each)) {
            fg_cbor_head(r, &inner);
            push_key(r, &inner);
            fg_cbor_head(r, &inner);
            fg_cbor_push_value(r, &inner);
            lua_rawset(L, -3);
        }
        luaL_setmetatable(L, FG_JSON_OBJECT_MT);
        return;
    case FG_CBOR_BREAK:
        unexpected(r, "break");
        return;
    }
}

void fg_cbor_finish(struct fg_cbor_reader *r)
{
    if (r->p != r->end)
        luaL_error(r->L, "cbor: trailing data at byte %d", offset(r));
}

/* What decoding takes, rounded up from build/fgrun decoding a million
 * items (collectgarbage("count")): 16.8 bytes a number or short string in
 * an array, 72.8 an empty map or array, 96.8 a map of one member (three
 * heads and a table). */
#define HEAD_COST 24
#define CONTAINER_COST 64
#define WORST_COST_PER_BYTE (HEAD_COST + CONTAINER_COST + 2) /* "\xa0": a table in a byte */

void fg_cbor_check_cost(lua_State *L, const char *s, size_t len)
{
    if (len <= FG_ANSWER_BUDGET / WORST_COST_PER_BYTE)
        return;
    struct fg_cbor_reader r;
    struct fg_cbor_item it;
    fg_cbor_reader_init(&r, L, s, len, 0);
    fg_cbor_head(&r, &it);
    fg_cbor_skip(&r, &it);
    size_t cost = r.heads * HEAD_COST + r.containers * CONTAINER_COST + 2 * len;
    if (cost > FG_ANSWER_BUDGET)
        luaL_error(L, "cbor: the answer would take about %d MiB to decode (at most %d)",
                   (int)(cost >> 20), (int)(FG_ANSWER_BUDGET >> 20));
}
