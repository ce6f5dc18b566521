/* XML (the query and ec2 protocols' answers) to Lua, through expat.
 * A document becomes one table of parallel arrays indexed by element number
 * (document order, the root is 1):
 *   tag[i]   the element's local name (namespace prefix dropped)
 *   text[i]  its character data, or false when it has none
 *   first[i] its first child element, 0 when none
 *   next[i]  its next sibling element, 0 when none
 * plus count. Flat arrays cost no table per element, which is most of the
 * work for answers like EC2's (thousands of small elements). Attributes are
 * dropped: neither protocol gives them meaning. The parser state lives in a
 * userdata so that a Lua error raised inside a callback (out of memory)
 * cannot leak it. */
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <lauxlib.h>
#include "xml.h"

#define XML_MAX_DEPTH 200
#define XML_STATE "fg.aws.xml.State"

/* Stack slots of the arrays while parsing (slot 1 is the document text). */
enum { SLOT_STATE = 2, SLOT_TAG, SLOT_TEXT, SLOT_FIRST, SLOT_NEXT };

struct xml_open {
    lua_Integer element;      /* number of the open element */
    lua_Integer last_child;   /* its last child so far, 0 when none */
    size_t text_start;        /* where its character data begins in text */
};

struct xml_state {
    XML_Parser parser;
    lua_State *L;
    char *text;               /* character data of the open elements, stacked */
    size_t text_len, text_cap;
    struct xml_open open[XML_MAX_DEPTH];
    int depth;
    lua_Integer count;        /* elements so far */
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

static void stop(struct xml_state *st)
{
    st->failed = 1;
    XML_StopParser(st->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct xml_state *st = ud;
    lua_State *L = st->L;
    (void)attrs;
    if (st->failed)
        return;
    if (st->depth >= XML_MAX_DEPTH) {
        stop(st);
        return;
    }
    lua_Integer n = ++st->count;
    if (st->depth > 0) {
        struct xml_open *parent = &st->open[st->depth - 1];
        lua_pushinteger(L, n);
        if (parent->last_child)
            lua_rawseti(L, SLOT_NEXT, parent->last_child);
        else
            lua_rawseti(L, SLOT_FIRST, parent->element);
        parent->last_child = n;
    }
    lua_pushstring(L, local_name(name));
    lua_rawseti(L, SLOT_TAG, n);
    lua_pushinteger(L, 0);
    lua_rawseti(L, SLOT_FIRST, n);
    lua_pushinteger(L, 0);
    lua_rawseti(L, SLOT_NEXT, n);
    st->open[st->depth++] = (struct xml_open){n, 0, st->text_len};
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct xml_state *st = ud;
    lua_State *L = st->L;
    (void)name;
    if (st->failed)
        return;
    struct xml_open *e = &st->open[--st->depth];
    if (st->text_len > e->text_start) {
        lua_pushlstring(L, st->text + e->text_start, st->text_len - e->text_start);
        st->text_len = e->text_start;
    } else {
        lua_pushboolean(L, 0);
    }
    lua_rawseti(L, SLOT_TEXT, e->element);
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
            stop(st);
            return;
        }
        st->text = grown;
        st->text_cap = cap;
    }
    memcpy(st->text + st->text_len, s, (size_t)len);
    st->text_len += (size_t)len;
}

/* xml.parse(text) -> document | nil, message
 * in: an XML document; out: its elements as parallel arrays (see the top of
 * the file), or nil and where and why the document is not well-formed. */
static int xml_parse(lua_State *L)
{
    size_t len;
    const char *doc = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    struct xml_state *st = lua_newuserdatauv(L, sizeof *st, 0);
    memset(st, 0, sizeof *st);
    luaL_setmetatable(L, XML_STATE);
    for (int slot = SLOT_TAG; slot <= SLOT_NEXT; slot++)
        lua_createtable(L, 64, 0);
    st->L = L;
    st->parser = XML_ParserCreate("UTF-8");
    if (!st->parser)
        return luaL_error(L, "aws.xml: out of memory");
    XML_SetUserData(st->parser, st);
    XML_SetElementHandler(st->parser, on_start, on_end);
    XML_SetCharacterDataHandler(st->parser, on_text);

    int ok = len <= (size_t)INT32_MAX &&
             XML_Parse(st->parser, doc, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok || st->failed || st->count == 0) {
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
    lua_createtable(L, 0, 5);
    static const char *const names[] = {"tag", "text", "first", "next"};
    for (int slot = SLOT_TAG; slot <= SLOT_NEXT; slot++) {
        lua_pushvalue(L, slot);
        lua_setfield(L, -2, names[slot - SLOT_TAG]);
    }
    lua_pushinteger(L, st->count);
    lua_setfield(L, -2, "count");
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
