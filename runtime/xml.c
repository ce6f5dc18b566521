/* XML (the query and ec2 protocols' answers) to Lua trees, through expat.
 * An element becomes {tag = local name, text = its character data when it has
 * any, [1..n] = child elements}; attributes and namespace prefixes are dropped
 * since neither protocol gives them meaning. The parser state lives in a
 * userdata so that a Lua error raised inside a callback (out of memory)
 * cannot leak it. */
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <lauxlib.h>
#include "xml.h"

#define XML_MAX_DEPTH 200
#define XML_STATE "fg.aws.xml.State"

struct xml_state {
    XML_Parser parser;
    lua_State *L;
    char *text;               /* character data of the open elements, stacked */
    size_t text_len, text_cap;
    size_t text_start[XML_MAX_DEPTH + 1]; /* where each open element's text begins */
    int depth;
    int failed;               /* set when the tree is too deep or memory runs out */
};

static void xml_state_clean_up(struct xml_state *st)
{
    if (st->parser)
        XML_ParserFree(st->parser);
    st->parser = NULL;
    free(st->text);
    st->text = NULL;
}

static int xml_state_gc(lua_State *L)
{
    xml_state_clean_up(luaL_checkudata(L, 1, XML_STATE));
    return 0;
}

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

/* Pushes a new element table; the open elements sit on the Lua stack. */
static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct xml_state *st = ud;
    (void)attrs;
    if (st->failed)
        return;
    if (st->depth >= XML_MAX_DEPTH || !lua_checkstack(st->L, 4)) {
        st->failed = 1;
        XML_StopParser(st->parser, XML_FALSE);
        return;
    }
    st->text_start[st->depth++] = st->text_len;
    lua_createtable(st->L, 0, 2);
    lua_pushstring(st->L, local_name(name));
    lua_setfield(st->L, -2, "tag");
}

/* Sets the element's text, then appends it to its parent (or leaves the root). */
static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xml_state *st = ud;
    (void)name;
    if (st->failed)
        return;
    size_t start = st->text_start[--st->depth];
    if (st->text_len > start) {
        lua_pushlstring(st->L, st->text + start, st->text_len - start);
        lua_setfield(st->L, -2, "text");
        st->text_len = start;
    }
    if (st->depth > 0)
        lua_rawseti(st->L, -2, (lua_Integer)lua_rawlen(st->L, -2) + 1);
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct xml_state *st = ud;
    if (st->failed || st->depth == 0)
        return;
    if (st->text_len + (size_t)len > st->text_cap) {
        size_t cap = st->text_cap ? st->text_cap : 256;
        while (cap < st->text_len + (size_t)len)
            cap *= 2;
        char *grown = realloc(st->text, cap);
        if (!grown) {
            st->failed = 1;
            XML_StopParser(st->parser, XML_FALSE);
            return;
        }
        st->text = grown;
        st->text_cap = cap;
    }
    memcpy(st->text + st->text_len, s, (size_t)len);
    st->text_len += (size_t)len;
}

/* xml.parse(text) -> root element | nil, message
 * in: an XML document; out: its root element as a tree (see the top of the
 * file), or nil and where and why the document is not well-formed. */
static int xml_parse(lua_State *L)
{
    size_t len;
    const char *doc = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    struct xml_state *st = lua_newuserdatauv(L, sizeof *st, 0);
    memset(st, 0, sizeof *st);
    luaL_setmetatable(L, XML_STATE);
    st->L = L;
    st->parser = XML_ParserCreate("UTF-8");
    if (!st->parser)
        return luaL_error(L, "aws.xml: out of memory");
    XML_SetUserData(st->parser, st);
    XML_SetElementHandler(st->parser, on_start, on_end);
    XML_SetCharacterDataHandler(st->parser, on_text);

    int base = lua_gettop(L);
    int ok = len <= (size_t)INT32_MAX &&
             XML_Parse(st->parser, doc, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok || st->failed || lua_gettop(L) != base + 1) {
        char why[160];
        if (st->failed)
            snprintf(why, sizeof why, "nested deeper than %d or out of memory",
                     XML_MAX_DEPTH);
        else if (len > (size_t)INT32_MAX)
            snprintf(why, sizeof why, "document too large");
        else
            snprintf(why, sizeof why, "%s at line %lu, column %lu",
                     XML_ErrorString(XML_GetErrorCode(st->parser)),
                     (unsigned long)XML_GetCurrentLineNumber(st->parser),
                     (unsigned long)XML_GetCurrentColumnNumber(st->parser));
        xml_state_clean_up(st);
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    xml_state_clean_up(st);
    return 1;
}

int luaopen_fg_aws_xml(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"parse", xml_parse},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, XML_STATE)) {
        lua_pushcfunction(L, xml_state_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
