/* require "aws.shape_xml": answers of the AWS query and ec2 protocols,
 * decoded in one pass: the XML tree (aws/xml_tree.c) is walked by the
 * output shape (the model's tables, see stdlib/aws/model.lua) into the
 * final Lua values, with the conventions of aws.lua (lists carry
 * json.array_mt, structures and maps json.object_mt, timestamps are
 * ISO-8601 UTC text, blobs are decoded, IAM policy documents are tables:
 * aws/iam_policy.c). Used by stdlib/aws/protocol.lua. The tree lives in a
 * userdata (freed by its __gc), so an error raised mid-walk cannot leak it. */
#include "aws/iam_policy.h"
#include "aws/xml_tree.h"
#include "base/base64.h"
#include "base/json.h"
#include "base/time.h"

#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DOC_MT[] = "fg.aws.shape_xml.doc";

/* Upvalues of the module's functions. */
#define JSON_DECODE lua_upvalueindex(1) /* json.decode, for policy documents */

static int doc_gc(lua_State *L)
{
    fg_xml_tree_free(luaL_checkudata(L, 1, DOC_MT));
    return 0;
}

/* ---- reading the tree ---------------------------------------------------- */

struct walk {
    lua_State *L;
    const struct fg_xml_tree *d;
    int model;       /* stack index of the model */
    int tag_strings; /* stack index of the names of tags as Lua strings */
};

/* Pushes the text of element e, or "" when it has none. */
static void push_text(lua_State *L, const struct fg_xml_tree *d, uint32_t e)
{
    if (d->el[e].has_text)
        lua_pushlstring(L, d->texts.data + d->el[e].text, d->el[e].text_len);
    else
        lua_pushliteral(L, "");
}

/* What a shape reads as, worked out once per structure member or list
 * rather than once per value. */
enum kind {
    K_STRING,
    K_POLICY,
    K_STRUCTURE,
    K_LIST,
    K_MAP,
    K_INTEGER,
    K_FLOAT,
    K_BOOLEAN,
    K_BLOB,
    K_TIMESTAMP
};

static enum kind shape_kind(lua_State *L, int shape)
{
    static const struct {
        const char *type;
        enum kind kind;
    } kinds[] = {{"structure", K_STRUCTURE}, {"list", K_LIST},       {"map", K_MAP},
                 {"integer", K_INTEGER},     {"long", K_INTEGER},    {"float", K_FLOAT},
                 {"double", K_FLOAT},        {"boolean", K_BOOLEAN}, {"blob", K_BLOB},
                 {"timestamp", K_TIMESTAMP}};
    enum kind kind = K_STRING; /* strings, and any other type, read as text */
    lua_getfield(L, shape, "type");
    const char *type = lua_tostring(L, -1);
    for (size_t i = 0; type && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(type, kinds[i].type) == 0)
            kind = kinds[i].kind;
    lua_getfield(L, shape, "_name");
    const char *name = lua_tostring(L, -1);
    if (kind == K_STRING && name && strcmp(name, "policyDocumentType") == 0)
        kind = K_POLICY;
    lua_pop(L, 2);
    return kind;
}

static void push_shaped(struct walk *w, int shape, enum kind kind, uint32_t e);

/* Pushes model:target(ref) for the reference at index ref (cached on it). */
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

static int type_is(lua_State *L, int shape, const char *type)
{
    lua_getfield(L, shape, "type");
    const char *t = lua_tostring(L, -1);
    int is = t && strcmp(t, type) == 0;
    lua_pop(L, 1);
    return is;
}

/* Pushes the table element name -> {member name, target shape, flattened
 * ("list", "map" or false), item shape, kind of the target, kind of the
 * item} of the structure at index shape, cached on it as _xml_members. */
static void push_xml_members(struct walk *w, int shape)
{
    lua_State *L = w->L;
    if (lua_getfield(L, shape, "_xml_members") == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    int by_tag = lua_gettop(L);
    if (lua_getfield(L, shape, "members") == LUA_TTABLE) {
        int members = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, members)) {
            int name = lua_gettop(L) - 1, ref = lua_gettop(L);
            push_target(w, ref);
            int target = lua_gettop(L);
            if (lua_getfield(L, ref, "locationName") == LUA_TNIL) {
                lua_pop(L, 1);
                lua_pushvalue(L, name);
            }
            int tag = lua_gettop(L);
            lua_getfield(L, ref, "flattened");
            int flattened = lua_toboolean(L, -1);
            lua_pop(L, 1);
            lua_getfield(L, target, "flattened");
            flattened = flattened || lua_toboolean(L, -1);
            lua_pop(L, 1);
            const char *flat = NULL;
            if (flattened && type_is(L, target, "list"))
                flat = "list";
            else if (flattened && type_is(L, target, "map"))
                flat = "map";
            lua_createtable(L, 6, 0);
            lua_pushvalue(L, name);
            lua_rawseti(L, -2, 1);
            lua_pushvalue(L, target);
            lua_rawseti(L, -2, 2);
            if (flat)
                lua_pushstring(L, flat);
            else
                lua_pushboolean(L, 0);
            lua_rawseti(L, -2, 3);
            lua_pushinteger(L, shape_kind(L, target));
            lua_rawseti(L, -2, 5);
            if (flat && flat[0] == 'l') {
                lua_getfield(L, target, "member");
                int item_ref = lua_gettop(L);
                push_target(w, item_ref);
                lua_pushinteger(L, shape_kind(L, lua_gettop(L)));
                lua_rawseti(L, -4, 6);
                lua_rawseti(L, -3, 4);
                if (lua_getfield(L, item_ref, "locationName") != LUA_TNIL)
                    lua_replace(L, tag);
                else
                    lua_pop(L, 1);
                lua_pop(L, 1);
            }
            lua_pushvalue(L, tag);
            lua_insert(L, -2);
            lua_settable(L, by_tag);
            lua_settop(L, ref - 1);
        }
    }
    lua_pop(L, 1);
    lua_pushvalue(L, by_tag);
    lua_setfield(L, shape, "_xml_members");
}

/* Pushes the list of {member name, attribute name} of the structure at
 * index shape's xmlAttribute members, or false when it has none; cached
 * on it as _xml_attributes. */
static void push_attribute_members(lua_State *L, int shape)
{
    if (lua_getfield(L, shape, "_xml_attributes") != LUA_TNIL)
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    int list = lua_gettop(L);
    if (lua_getfield(L, shape, "members") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, list + 1)) {
            lua_getfield(L, -1, "xmlAttribute");
            int is_attribute = lua_toboolean(L, -1);
            lua_pop(L, 1);
            if (is_attribute) {
                lua_createtable(L, 2, 0);
                lua_pushvalue(L, -3);
                lua_rawseti(L, -2, 1);
                if (lua_getfield(L, -2, "locationName") == LUA_TNIL) {
                    lua_pop(L, 1);
                    lua_pushvalue(L, -3);
                }
                lua_rawseti(L, -2, 2);
                lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
            }
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (lua_rawlen(L, list) == 0) {
        lua_pop(L, 1);
        lua_pushboolean(L, 0);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, shape, "_xml_attributes");
}

/* Does an attribute's qualified name match a member's "prefix:name" or
 * "name"? A prefixed name matches that name under any prefix (as botocore
 * reads it: the document chooses its prefixes), a plain one only itself. */
static int attribute_matches(const char *qname, size_t len, const char *want, size_t want_len)
{
    const char *colon = memchr(want, ':', want_len);
    const char *local = memchr(qname, ':', len);
    if (!colon)
        return !local && len == want_len && memcmp(qname, want, len) == 0;
    if (!local)
        return 0;
    size_t want_local = want_len - (size_t)(colon + 1 - want),
           have_local = len - (size_t)(local + 1 - qname);
    return want_local == have_local && memcmp(local + 1, colon + 1, have_local) == 0;
}

/* Sets out's xmlAttribute members from element e's attributes (a member
 * read from a child element of the same name stays, as botocore has it). */
static void read_attributes(struct walk *w, int shape, uint32_t e, int out)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    push_attribute_members(L, shape);
    if (!lua_istable(L, -1) || !d->el[e].attrs) {
        lua_pop(L, 1);
        return;
    }
    int list = lua_gettop(L);
    for (lua_Integer i = 1; lua_rawgeti(L, list, i) == LUA_TTABLE; i++) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        size_t want_len;
        const char *want = lua_tolstring(L, -1, &want_len);
        lua_pushvalue(L, -2);
        if (lua_rawget(L, out) == LUA_TNIL && want) {
            for (size_t a = d->el[e].attrs - 1; a < d->nattrs && d->attrs[a].element == e; a++) {
                const struct fg_xml_attribute *at = &d->attrs[a];
                if (attribute_matches(d->texts.data + at->name, at->name_len, want, want_len)) {
                    lua_pushvalue(L, -3);
                    if (at->value_len)
                        lua_pushlstring(L, d->texts.data + at->value, at->value_len);
                    else
                        lua_pushliteral(L, "");
                    lua_rawset(L, out);
                    break;
                }
            }
        }
        lua_pop(L, 4);
    }
    lua_pop(L, 2);
}

/* The locationName of shape[ref_field] or fallback: pushed. */
static void push_location(lua_State *L, int shape, const char *ref_field, const char *fallback)
{
    lua_getfield(L, shape, ref_field);
    if (lua_type(L, -1) == LUA_TTABLE)
        lua_getfield(L, -1, "locationName");
    else
        lua_pushnil(L);
    lua_remove(L, -2);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushstring(L, fallback);
    }
}

/* A map shape's entries: element names and shapes of keys and values. */
struct map_reader {
    const char *key_tag, *value_tag;
    size_t key_len, value_len;
    int key_shape, value_shape; /* stack indices */
    enum kind key_kind, value_kind;
};

/* Sets up m for the map shape at index shape; pushes 4 values. */
static void map_reader_init(struct walk *w, int shape, struct map_reader *m)
{
    lua_State *L = w->L;
    push_location(L, shape, "key", "key");
    m->key_tag = lua_tolstring(L, -1, &m->key_len);
    push_location(L, shape, "value", "value");
    m->value_tag = lua_tolstring(L, -1, &m->value_len);
    lua_getfield(L, shape, "key");
    push_target(w, lua_gettop(L));
    lua_remove(L, -2);
    m->key_shape = lua_gettop(L);
    m->key_kind = shape_kind(L, m->key_shape);
    lua_getfield(L, shape, "value");
    push_target(w, lua_gettop(L));
    lua_remove(L, -2);
    m->value_shape = lua_gettop(L);
    m->value_kind = shape_kind(L, m->value_shape);
}

/* Sets out[key] = value from a map entry element (<key>, <value> children,
 * or the names the map's key and value references give). */
static void map_entry(struct walk *w, const struct map_reader *m, uint32_t entry, int out)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    lua_pushnil(L); /* k */
    lua_pushnil(L); /* v */
    int k = lua_gettop(L) - 1;
    for (uint32_t part = d->el[entry].first; part; part = d->el[part].next) {
        if (fg_xml_tag_is(d, part, m->key_tag, m->key_len)) {
            push_shaped(w, m->key_shape, m->key_kind, part);
            lua_replace(L, k);
        } else if (fg_xml_tag_is(d, part, m->value_tag, m->value_len)) {
            push_shaped(w, m->value_shape, m->value_kind, part);
            lua_replace(L, k + 1);
        }
    }
    if (!lua_isnil(L, k))
        lua_settable(L, out);
    lua_settop(L, k - 1);
}

static void push_structure(struct walk *w, int shape, uint32_t e)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    luaL_checkstack(L, 12, "aws: answer nested too deep");
    lua_newtable(L);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    int out = lua_gettop(L);
    push_xml_members(w, shape);
    int by_tag = out + 1;
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next) {
        lua_rawgeti(L, w->tag_strings, (lua_Integer)d->el[c].tag + 1);
        if (lua_rawget(L, by_tag) != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        int member = lua_gettop(L);
        lua_rawgeti(L, member, 1); /* name */
        lua_rawgeti(L, member, 3); /* flattened kind */
        const char *flat = lua_toboolean(L, -1) ? lua_tostring(L, -1) : NULL;
        lua_pop(L, 1);
        if (!flat) {
            lua_rawgeti(L, member, 2);
            lua_rawgeti(L, member, 5);
            enum kind kind = (enum kind)lua_tointeger(L, -1);
            lua_pop(L, 1);
            push_shaped(w, lua_gettop(L), kind, c);
            lua_remove(L, -2);
            lua_rawset(L, out);
        } else {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, out) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_newtable(L);
                luaL_setmetatable(L, flat[0] == 'l' ? FG_JSON_ARRAY_MT : FG_JSON_OBJECT_MT);
                lua_pushvalue(L, -2);
                lua_pushvalue(L, -2);
                lua_rawset(L, out);
            }
            int items = lua_gettop(L);
            if (flat[0] == 'l') {
                lua_rawgeti(L, member, 4);
                lua_rawgeti(L, member, 6);
                enum kind kind = (enum kind)lua_tointeger(L, -1);
                lua_pop(L, 1);
                push_shaped(w, lua_gettop(L), kind, c);
                lua_rawseti(L, items, (lua_Integer)lua_rawlen(L, items) + 1);
                lua_pop(L, 1);
            } else {
                lua_rawgeti(L, member, 2);
                struct map_reader m;
                map_reader_init(w, lua_gettop(L), &m);
                map_entry(w, &m, c, items);
                lua_pop(L, 5);
            }
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    read_attributes(w, shape, e, out);
}

static void push_list(struct walk *w, int shape, uint32_t e)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    lua_newtable(L);
    luaL_setmetatable(L, FG_JSON_ARRAY_MT);
    lua_getfield(L, shape, "member");
    push_target(w, lua_gettop(L));
    int item = lua_gettop(L);
    enum kind kind = shape_kind(L, item);
    lua_Integer n = 0;
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next) {
        push_shaped(w, item, kind, c);
        lua_rawseti(L, item - 2, ++n);
    }
    lua_pop(L, 2);
}

static void push_map(struct walk *w, int shape, uint32_t e)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    lua_newtable(L);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    int out = lua_gettop(L);
    struct map_reader m;
    map_reader_init(w, shape, &m);
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next)
        map_entry(w, &m, c, out);
    lua_pop(L, 4);
}

/* Pushes the value of element e read as the shape at index shape, whose
 * kind is kind. */
static void push_shaped(struct walk *w, int shape, enum kind kind, uint32_t e)
{
    lua_State *L = w->L;
    const struct fg_xml_tree *d = w->d;
    const struct fg_xml_element *el = &d->el[e];
    luaL_checkstack(L, 12, "aws: answer nested too deep");
    switch (kind) {
    case K_STRUCTURE:
        push_structure(w, shape, e);
        return;
    case K_LIST:
        push_list(w, shape, e);
        return;
    case K_MAP:
        push_map(w, shape, e);
        return;
    case K_INTEGER: {
        push_text(L, d, e);
        if (!el->has_text || !lua_stringtonumber(L, lua_tostring(L, -1))) {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        lua_remove(L, -2);
        int is_integer;
        lua_Integer n = lua_tointegerx(L, -1, &is_integer);
        if (is_integer) {
            lua_pop(L, 1);
            lua_pushinteger(L, n);
        }
        return;
    }
    case K_FLOAT: {
        if (!el->has_text) {
            lua_pushnil(L);
            return;
        }
        push_text(L, d, e);
        const char *s = lua_tostring(L, -1);
        lua_Number n;
        if (strcmp(s, "NaN") == 0) {
            n = NAN;
        } else if (strcmp(s, "Infinity") == 0) {
            n = HUGE_VAL;
        } else if (strcmp(s, "-Infinity") == 0) {
            n = -HUGE_VAL;
        } else if (lua_stringtonumber(L, s)) {
            n = lua_tonumber(L, -1);
            lua_pop(L, 1);
        } else {
            lua_pop(L, 1);
            lua_pushnil(L);
            return;
        }
        lua_pop(L, 1);
        lua_pushnumber(L, n);
        return;
    }
    case K_BOOLEAN:
        lua_pushboolean(L, el->has_text && el->text_len == 4 &&
                               memcmp(d->texts.data + el->text, "true", 4) == 0);
        return;
    case K_BLOB:
        push_text(L, d, e);
        if (fg_base64_decode_top(L)) {
            lua_pop(L, 1);
            lua_pushnil(L);
        }
        return;
    case K_TIMESTAMP:
        push_text(L, d, e);
        fg_time_normalize_top(L);
        return;
    case K_POLICY:
        push_text(L, d, e);
        fg_iam_policy_decode_top(L, JSON_DECODE);
        return;
    case K_STRING:
        push_text(L, d, e);
        return;
    }
}

/* ---- module functions ---------------------------------------------------- */

/* Sets the user value of the doc at the top: its tag names as Lua strings
 * (index + 1), made once per distinct name. */
static void set_tag_strings(lua_State *L, struct fg_xml_tree *d)
{
    lua_createtable(L, (int)d->ntags, 0);
    for (uint32_t t = 0; t < d->ntags; t++) {
        lua_pushlstring(L, fg_xml_tag_chars(d, t), d->tags[t].len);
        lua_rawseti(L, -2, (lua_Integer)t + 1);
    }
    lua_setiuservalue(L, -2, 1);
}

/* shapexml.parse(body) -> doc, or nil and where and why it is not
 * well-formed XML. A blank body is an empty <Response>.
 * Stack in: body (string); out: doc userdata. */
static int shapexml_parse(lua_State *L)
{
    size_t len;
    const char *text = luaL_checklstring(L, 1, &len);
    struct fg_xml_tree *d = lua_newuserdatauv(L, sizeof *d, 1);
    fg_xml_tree_init(d);
    luaL_setmetatable(L, DOC_MT);
    if (strspn(text, " \t\r\n\f\v") == len) {
        if (!fg_xml_tree_add(d, "Response", 8))
            return luaL_error(L, "aws: out of memory");
    } else {
        char why[160];
        if (fg_xml_tree_parse(d, text, len, why, sizeof why)) {
            lua_pushnil(L);
            lua_pushstring(L, why);
            return 2;
        }
    }
    set_tag_strings(L, d);
    return 1;
}

/* Checks that argument arg is an element number of the doc at index 1. */
static uint32_t check_element(lua_State *L, const struct fg_xml_tree *d, int arg)
{
    lua_Integer e = luaL_checkinteger(L, arg);
    luaL_argcheck(L, e >= 1 && (size_t)e <= d->count, arg, "no such element");
    return (uint32_t)e;
}

/* shapexml.child(doc, e [, tag]) -> the first child element of e (named
 * tag when given), or nil. */
static int shapexml_child(lua_State *L)
{
    const struct fg_xml_tree *d = luaL_checkudata(L, 1, DOC_MT);
    uint32_t e = check_element(L, d, 2);
    size_t len = 0;
    const char *tag = luaL_optlstring(L, 3, NULL, &len);
    uint32_t c = fg_xml_child(d, e, tag, len);
    if (c)
        lua_pushinteger(L, c);
    else
        lua_pushnil(L);
    return 1;
}

/* shapexml.tag(doc, e) -> the element's local name. */
static int shapexml_tag(lua_State *L)
{
    const struct fg_xml_tree *d = luaL_checkudata(L, 1, DOC_MT);
    uint32_t e = check_element(L, d, 2);
    uint32_t t = d->el[e].tag;
    lua_pushlstring(L, fg_xml_tag_chars(d, t), d->tags[t].len);
    return 1;
}

/* shapexml.text(doc, e) -> the element's character data, or false when it
 * has none. */
static int shapexml_text(lua_State *L)
{
    const struct fg_xml_tree *d = luaL_checkudata(L, 1, DOC_MT);
    uint32_t e = check_element(L, d, 2);
    if (d->el[e].has_text)
        push_text(L, d, e);
    else
        lua_pushboolean(L, 0);
    return 1;
}

/* shapexml.structure(model, shape, doc, e) -> the Lua value of element e
 * read as the structure shape. Stack in: model, shape, doc, element. */
static int shapexml_structure(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    const struct fg_xml_tree *d = luaL_checkudata(L, 3, DOC_MT);
    uint32_t e = check_element(L, d, 4);
    lua_settop(L, 4);
    lua_getiuservalue(L, 3, 1);
    struct walk w = {L, d, 1, 5};
    push_structure(&w, 2, e);
    return 1;
}

int luaopen_fg_aws_shape_xml(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"parse", shapexml_parse}, {"child", shapexml_child},         {"tag", shapexml_tag},
        {"text", shapexml_text},   {"structure", shapexml_structure}, {NULL, NULL},
    };
    luaL_newmetatable(L, DOC_MT);
    lua_pushcfunction(L, doc_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    fg_json_new_lib(L, funcs, "decode");
    return 1;
}
