/* require "aws.shape_xml": answers of the AWS query and ec2 protocols,
 * decoded in one pass. expat builds a compact tree in C memory (no Lua value
 * per element), then the tree is walked by the output shape (the model's
 * tables, see stdlib/aws/model.lua) into the final Lua values, with the
 * conventions of aws.lua (lists carry json.array_mt, structures and maps
 * json.object_mt, timestamps are ISO-8601 UTC text, blobs are decoded).
 *
 * Elements are numbered in document order, the root is 1. An element's
 * text is its own character data (that of its children not included).
 * Attributes are kept for the members that say xmlAttribute (rest-xml:
 * S3's Grantee xsi:type), namespace declarations left out. The document
 * lives in a userdata (freed by its __gc), so an error raised mid-walk
 * cannot leak it. */
#include <ctype.h>
#include <expat.h>
#include <lauxlib.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/base64.h"
#include "base/json.h"
#include "base/time.h"

#define XML_MAX_DEPTH 200
static const char DOC_MT[] = "fg.aws.shape_xml.doc";

/* Upvalues of the module's functions. */
#define JSON_DECODE lua_upvalueindex(1) /* json.decode, for policy documents */

struct element {
    uint32_t tag;          /* local name (prefix dropped): index in tags */
    uint32_t attrs;        /* 1 + index in attrs of its first attribute; 0 when none */
    size_t text, text_len; /* character data, in texts */
    int has_text;          /* 0 when the element has no character data */
    uint32_t first, next;  /* first child, next sibling; 0 when none */
};

/* Growable byte buffer. */
struct bytes {
    char *p;
    size_t n, cap;
};

/* An attribute of an element: its qualified name and value, in texts.
 * The attributes of an element are consecutive. */
struct attribute {
    uint32_t element;
    size_t name, name_len, value, value_len;
};

/* A distinct element name, in names. */
struct tag_name {
    size_t at, len;
};

/* Each distinct name is kept once (tags), so that the walk gets its Lua
 * string from an array (the doc's user value) instead of hashing it again
 * for every element. slots is the hash index of tags while parsing. */
struct doc {
    struct element *el; /* el[1 .. count] */
    size_t count, cap;
    struct bytes names, texts;
    struct tag_name *tags;
    uint32_t ntags, tags_cap;
    uint32_t *slots; /* tag index + 1, 0 when free */
    size_t nslots;
    struct attribute *attrs;
    size_t nattrs, attrs_cap;
};

/* Parsing state, on the C stack while XML_Parse runs. */
struct builder {
    XML_Parser parser;
    struct doc *d;
    struct bytes open_text; /* character data of the open elements, stacked */
    struct {
        uint32_t element, last_child;
        size_t text_start;
        const char *qname; /* the start tag's name in the text (plain reader) */
        size_t qname_len;
    } open[XML_MAX_DEPTH];
    int depth;
    int failed; /* too deep, too large or out of memory */
};

static void doc_free(struct doc *d)
{
    free(d->el);
    free(d->names.p);
    free(d->texts.p);
    free(d->tags);
    free(d->slots);
    free(d->attrs);
    memset(d, 0, sizeof *d);
}

static int doc_gc(lua_State *L)
{
    doc_free(luaL_checkudata(L, 1, DOC_MT));
    return 0;
}

static int bytes_add(struct bytes *b, const char *s, size_t len)
{
    if (len == 0)
        return 1;
    if (len > b->cap - b->n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < len) {
            if (cap > SIZE_MAX / 2)
                return 0;
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p)
            return 0;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    return 1;
}

/* The characters of tag t (names is NULL while only empty names were seen). */
static const char *tag_chars(const struct doc *d, uint32_t t)
{
    return d->tags[t].len ? d->names.p + d->tags[t].at : "";
}

static size_t name_hash(const char *s, size_t len)
{
    size_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Rebuilds the hash index of tags with n slots (a power of two). */
static int index_tags(struct doc *d, size_t n)
{
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (uint32_t t = 0; t < d->ntags; t++) {
        size_t i = name_hash(tag_chars(d, t), d->tags[t].len) & (n - 1);
        while (slots[i])
            i = (i + 1) & (n - 1);
        slots[i] = t + 1;
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = n;
    return 1;
}

/* The index in tags of a name, added when new; UINT32_MAX when out of memory. */
static uint32_t intern_tag(struct doc *d, const char *name, size_t len)
{
    if (2 * ((size_t)d->ntags + 1) > d->nslots && !index_tags(d, d->nslots ? 2 * d->nslots : 64))
        return UINT32_MAX;
    size_t i = name_hash(name, len) & (d->nslots - 1);
    for (; d->slots[i]; i = (i + 1) & (d->nslots - 1)) {
        const struct tag_name *t = &d->tags[d->slots[i] - 1];
        if (t->len == len && (len == 0 || memcmp(d->names.p + t->at, name, len) == 0))
            return d->slots[i] - 1;
    }
    if (d->ntags == d->tags_cap) {
        uint32_t cap = d->tags_cap ? 2 * d->tags_cap : 32;
        struct tag_name *tags = realloc(d->tags, cap * sizeof *tags);
        if (!tags)
            return UINT32_MAX;
        d->tags = tags;
        d->tags_cap = cap;
    }
    d->tags[d->ntags] = (struct tag_name){d->names.n, len};
    if (!bytes_add(&d->names, name, len))
        return UINT32_MAX;
    d->slots[i] = d->ntags + 1;
    return d->ntags++;
}

/* Adds an element named name (len bytes); returns its number, or 0. */
static uint32_t doc_add(struct doc *d, const char *name, size_t len)
{
    if (d->count + 1 >= d->cap) {
        if (d->count >= UINT32_MAX - 1)
            return 0;
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct element *el = realloc(d->el, cap * sizeof *el);
        if (!el)
            return 0;
        d->el = el;
        d->cap = cap;
    }
    uint32_t tag = intern_tag(d, name, len);
    if (tag == UINT32_MAX)
        return 0;
    uint32_t n = (uint32_t)++d->count;
    struct element *e = &d->el[n];
    memset(e, 0, sizeof *e);
    e->tag = tag;
    return n;
}

/* Adds an attribute to element e (the last one added); namespace
 * declarations are left out. Returns 0 when out of memory. */
static int add_attribute(struct doc *d, uint32_t e, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    if (name_len >= 5 && memcmp(name, "xmlns", 5) == 0 && (name_len == 5 || name[5] == ':'))
        return 1;
    if (d->nattrs == d->attrs_cap) {
        size_t cap = d->attrs_cap ? 2 * d->attrs_cap : 8;
        struct attribute *attrs = realloc(d->attrs, cap * sizeof *attrs);
        if (!attrs)
            return 0;
        d->attrs = attrs;
        d->attrs_cap = cap;
    }
    struct attribute *a = &d->attrs[d->nattrs];
    a->element = e;
    a->name = d->texts.n;
    a->name_len = name_len;
    if (!bytes_add(&d->texts, name, name_len))
        return 0;
    a->value = d->texts.n;
    a->value_len = value_len;
    if (!bytes_add(&d->texts, value, value_len))
        return 0;
    if (!d->el[e].attrs)
        d->el[e].attrs = (uint32_t)++d->nattrs;
    else
        d->nattrs++;
    return d->nattrs < UINT32_MAX;
}

static void stop(struct builder *b)
{
    b->failed = 1;
    if (b->parser)
        XML_StopParser(b->parser, XML_FALSE);
}

/* Opens an element whose qualified name is qname (len bytes). */
static void start_element(struct builder *b, const char *qname, size_t len)
{
    if (b->failed)
        return;
    if (b->depth >= XML_MAX_DEPTH) {
        stop(b);
        return;
    }
    const char *local = qname;
    for (size_t i = 0; i < len; i++)
        if (qname[i] == ':')
            local = qname + i + 1;
    uint32_t n = doc_add(b->d, local, len - (size_t)(local - qname));
    if (!n) {
        stop(b);
        return;
    }
    if (b->depth > 0) {
        uint32_t parent = b->open[b->depth - 1].element;
        uint32_t last = b->open[b->depth - 1].last_child;
        if (last)
            b->d->el[last].next = n;
        else
            b->d->el[parent].first = n;
        b->open[b->depth - 1].last_child = n;
    }
    b->open[b->depth].element = n;
    b->open[b->depth].last_child = 0;
    b->open[b->depth].text_start = b->open_text.n;
    b->open[b->depth].qname = qname;
    b->open[b->depth].qname_len = len;
    b->depth++;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct builder *b = ud;
    start_element(b, name, strlen(name));
    if (b->failed)
        return;
    uint32_t e = b->open[b->depth - 1].element;
    for (size_t i = 0; attrs[i]; i += 2)
        if (!add_attribute(b->d, e, attrs[i], strlen(attrs[i]), attrs[i + 1], strlen(attrs[i + 1])))
            stop(b);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
    struct builder *b = ud;
    (void)name;
    if (b->failed)
        return;
    b->depth--;
    size_t start = b->open[b->depth].text_start;
    struct element *e = &b->d->el[b->open[b->depth].element];
    if (b->open_text.n > start) {
        e->has_text = 1;
        e->text = b->d->texts.n;
        e->text_len = b->open_text.n - start;
        if (!bytes_add(&b->d->texts, b->open_text.p + start, e->text_len))
            stop(b);
        b->open_text.n = start;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct builder *b = ud;
    if (b->failed || b->depth == 0)
        return;
    if (!bytes_add(&b->open_text, s, (size_t)len))
        stop(b);
}

/* ---- plain documents, without expat -------------------------------------
 * AWS answers are plain: an XML declaration, elements with few attributes,
 * ASCII text with the five predefined entities. read_plain reads those
 * several times faster than expat. Anything else (comments, CDATA,
 * character references, non-ASCII bytes, CR, a DOCTYPE, any error) makes
 * it give up, and expat reads the document instead: what is accepted, and
 * every error message, stay expat's. */

/* ASCII name characters: 1 may start a name, 2 may only follow. */
static const unsigned char NAME_CHAR[128] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['_'] = 1, [':'] = 1,
    ['0'] = 2, ['1'] = 2, ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2,
    ['8'] = 2, ['9'] = 2, ['-'] = 2, ['.'] = 2,
};

static int is_name_start(unsigned char c)
{
    return c < 128 && NAME_CHAR[c] == 1;
}

static int is_name_char(unsigned char c)
{
    return c < 128 && NAME_CHAR[c] != 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Length of the (ASCII) name at p, 0 when there is none. */
static size_t name_length(const char *p, const char *end)
{
    if (p >= end || !is_name_start((unsigned char)*p))
        return 0;
    const char *q = p + 1;
    while (q < end && is_name_char((unsigned char)*q))
        q++;
    return (size_t)(q - p);
}

/* Is c a character plain text may hold as it is? */
static int is_plain_char(unsigned char c)
{
    return (c >= 0x20 && c < 0x80) || c == '\t' || c == '\n';
}

/* Adds the character data [p, end) (no '<' in it) to the open element,
 * the predefined entities replaced; returns 0 to give up. */
static int plain_text(struct builder *b, const char *p, const char *end)
{
    static const struct {
        const char *ref, *ch;
        size_t len;
    } entities[] = {{"&lt;", "<", 4}, {"&gt;", ">", 4}, {"&amp;", "&", 5},
                    {"&quot;", "\"", 6}, {"&apos;", "'", 6}};
    const char *run = p;
    for (const char *q = p; q < end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '&') {
            on_text(b, run, (int)(q - run));
            size_t i = 0;
            while (i < 5 && !((size_t)(end - q) >= entities[i].len
                              && memcmp(q, entities[i].ref, entities[i].len) == 0))
                i++;
            if (i == 5)
                return 0;
            on_text(b, entities[i].ch, 1);
            q += entities[i].len - 1;
            run = q + 1;
        } else if (!is_plain_char(c) || (c == '>' && q - p >= 2 && q[-1] == ']' && q[-2] == ']')) {
            return 0;
        }
    }
    on_text(b, run, (int)(end - run));
    return !b->failed;
}

/* The attributes of a plain start tag, read before its element is added. */
struct plain_attributes {
    const char *names[8], *values[8];
    size_t lens[8], value_lens[8];
    int count;
};

/* Reads a start tag's attributes from *pp up to its '>' or "/>" (which is
 * left at *pp) into a; returns 0 to give up. A value with a tab or a line
 * break gives up too: expat turns those into spaces. */
static int plain_attributes(const char **pp, const char *end, struct plain_attributes *a)
{
    const char *p = *pp;
    const char **names = a->names;
    size_t *lens = a->lens;
    int count = 0;
    for (;;) {
        const char *before = p;
        while (p < end && is_space(*p))
            p++;
        if (p >= end)
            return 0;
        if (*p == '>' || *p == '/')
            break;
        size_t n = name_length(p, end);
        if (p == before || !n || count == 8)
            return 0;
        for (int i = 0; i < count; i++)
            if (lens[i] == n && memcmp(names[i], p, n) == 0)
                return 0; /* a duplicate attribute: expat's error */
        names[count] = p;
        lens[count++] = n;
        p += n;
        while (p < end && is_space(*p))
            p++;
        if (p >= end || *p != '=')
            return 0;
        p++;
        while (p < end && is_space(*p))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return 0;
        const char *close = memchr(p + 1, *p, (size_t)(end - p - 1));
        if (!close)
            return 0;
        for (const char *q = p + 1; q < close; q++)
            if (*q == '<' || *q == '&' || *q == '\t' || *q == '\n' || !is_plain_char((unsigned char)*q))
                return 0;
        a->values[count - 1] = p + 1;
        a->value_lens[count - 1] = (size_t)(close - p - 1);
        p = close + 1;
    }
    a->count = count;
    *pp = p;
    return 1;
}

/* Reads a plain document into b; returns 0 to give up (then b holds a
 * partial tree, to be thrown away). */
static int read_plain(struct builder *b, const char *s, size_t len)
{
    static const char *const declarations[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version=\"1.0\"?>"};
    const char *p = s, *end = s + len;
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(declarations[i]);
        if (len >= n && memcmp(s, declarations[i], n) == 0) {
            p += n;
            break;
        }
    }
    int root_done = 0;
    while (p < end) {
        if (*p != '<') {
            const char *lt = memchr(p, '<', (size_t)(end - p));
            if (!lt)
                lt = end;
            if (b->depth == 0) {
                for (; p < lt; p++)
                    if (!is_space(*p))
                        return 0;
            } else if (!plain_text(b, p, lt)) {
                return 0;
            }
            p = lt;
            continue;
        }
        p++;
        if (p < end && *p == '/') { /* an end tag */
            p++;
            size_t n = name_length(p, end);
            if (!n || b->depth == 0 || n != b->open[b->depth - 1].qname_len
                || memcmp(p, b->open[b->depth - 1].qname, n) != 0)
                return 0;
            p += n;
            while (p < end && is_space(*p))
                p++;
            if (p >= end || *p != '>')
                return 0;
            p++;
            on_end(b, NULL);
            root_done = b->depth == 0;
            continue;
        }
        size_t n = name_length(p, end); /* a start tag; "<!" and "<?" give up here */
        if (!n || root_done)
            return 0;
        const char *qname = p;
        p += n;
        struct plain_attributes attrs;
        if (!plain_attributes(&p, end, &attrs))
            return 0;
        int empty = *p == '/';
        if (empty && (p + 1 >= end || p[1] != '>'))
            return 0;
        p += empty ? 2 : 1;
        start_element(b, qname, n);
        for (int i = 0; i < attrs.count && !b->failed; i++)
            if (!add_attribute(b->d, b->open[b->depth - 1].element, attrs.names[i], attrs.lens[i],
                               attrs.values[i], attrs.value_lens[i]))
                stop(b);
        if (empty)
            on_end(b, NULL);
        if (b->failed)
            return 0;
        root_done = b->depth == 0;
    }
    return root_done && !b->failed;
}

/* ---- reading the tree ---------------------------------------------------- */

struct walk {
    lua_State *L;
    const struct doc *d;
    int model;       /* stack index of the model */
    int tag_strings; /* stack index of the names of tags as Lua strings */
};

static int tag_is(const struct doc *d, uint32_t e, const char *tag, size_t len)
{
    uint32_t t = d->el[e].tag;
    return d->tags[t].len == len && memcmp(tag_chars(d, t), tag, len) == 0;
}

/* The first child of element e named tag (any, when tag is NULL), or 0. */
static uint32_t child(const struct doc *d, uint32_t e, const char *tag, size_t len)
{
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next)
        if (!tag || tag_is(d, c, tag, len))
            return c;
    return 0;
}

/* Pushes the text of element e, or "" when it has none. */
static void push_text(lua_State *L, const struct doc *d, uint32_t e)
{
    if (d->el[e].has_text)
        lua_pushlstring(L, d->texts.p + d->el[e].text, d->el[e].text_len);
    else
        lua_pushliteral(L, "");
}

/* What a shape reads as, worked out once per structure member or list
 * rather than once per value. */
enum kind { K_STRING, K_POLICY, K_STRUCTURE, K_LIST, K_MAP, K_INTEGER, K_FLOAT,
            K_BOOLEAN, K_BLOB, K_TIMESTAMP };

static enum kind shape_kind(lua_State *L, int shape)
{
    static const struct {
        const char *type;
        enum kind kind;
    } kinds[] = {{"structure", K_STRUCTURE}, {"list", K_LIST}, {"map", K_MAP},
                 {"integer", K_INTEGER}, {"long", K_INTEGER}, {"float", K_FLOAT},
                 {"double", K_FLOAT}, {"boolean", K_BOOLEAN}, {"blob", K_BLOB},
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
    size_t want_local = want_len - (size_t)(colon + 1 - want), have_local = len - (size_t)(local + 1 - qname);
    return want_local == have_local && memcmp(local + 1, colon + 1, have_local) == 0;
}

/* Sets out's xmlAttribute members from element e's attributes (a member
 * read from a child element of the same name stays, as botocore has it). */
static void read_attributes(struct walk *w, int shape, uint32_t e, int out)
{
    lua_State *L = w->L;
    const struct doc *d = w->d;
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
                const struct attribute *at = &d->attrs[a];
                if (attribute_matches(d->texts.p + at->name, at->name_len, want, want_len)) {
                    lua_pushvalue(L, -3);
                    if (at->value_len)
                        lua_pushlstring(L, d->texts.p + at->value, at->value_len);
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
    const struct doc *d = w->d;
    lua_pushnil(L); /* k */
    lua_pushnil(L); /* v */
    int k = lua_gettop(L) - 1;
    for (uint32_t part = d->el[entry].first; part; part = d->el[part].next) {
        if (tag_is(d, part, m->key_tag, m->key_len)) {
            push_shaped(w, m->key_shape, m->key_kind, part);
            lua_replace(L, k);
        } else if (tag_is(d, part, m->value_tag, m->value_len)) {
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
    const struct doc *d = w->d;
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
    const struct doc *d = w->d;
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
    const struct doc *d = w->d;
    lua_newtable(L);
    luaL_setmetatable(L, FG_JSON_OBJECT_MT);
    int out = lua_gettop(L);
    struct map_reader m;
    map_reader_init(w, shape, &m);
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next)
        map_entry(w, &m, c, out);
    lua_pop(L, 4);
}

/* IAM answers policy documents URL-encoded; like botocore (and the AWS
 * CLI), they are handed over decoded, as tables. Replaces the text at the
 * top with the table, or with the URL-decoded text when it is not JSON. */
static void policy_document(lua_State *L)
{
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) {
        char hex[3] = {0};
        if (s[i] == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1])
            && isxdigit((unsigned char)s[i + 2])) {
            hex[0] = s[i + 1];
            hex[1] = s[i + 2];
            luaL_addchar(&b, (char)strtol(hex, NULL, 16));
            i += 2;
        } else {
            luaL_addchar(&b, s[i]);
        }
    }
    luaL_pushresult(&b);
    lua_remove(L, -2);
    lua_pushvalue(L, JSON_DECODE);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TTABLE)
        lua_remove(L, -2);
    else
        lua_pop(L, 1);
}

/* Pushes the value of element e read as the shape at index shape, whose
 * kind is kind. */
static void push_shaped(struct walk *w, int shape, enum kind kind, uint32_t e)
{
    lua_State *L = w->L;
    const struct doc *d = w->d;
    const struct element *el = &d->el[e];
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
        lua_pushboolean(L, el->has_text && el->text_len == 4
                               && memcmp(d->texts.p + el->text, "true", 4) == 0);
        return;
    case K_BLOB:
        push_text(L, d, e);
        if (!fg_base64_decode_top(L)) {
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
        policy_document(L);
        return;
    case K_STRING:
        push_text(L, d, e);
        return;
    }
}

/* ---- module functions ---------------------------------------------------- */

/* Sets the user value of the doc at the top: its tag names as Lua strings
 * (index + 1), made once per distinct name. */
static void set_tag_strings(lua_State *L, struct doc *d)
{
    free(d->slots); /* the names are all in: their index is done with */
    d->slots = NULL;
    d->nslots = 0;
    lua_createtable(L, (int)d->ntags, 0);
    for (uint32_t t = 0; t < d->ntags; t++) {
        lua_pushlstring(L, tag_chars(d, t), d->tags[t].len);
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
    struct doc *d = lua_newuserdatauv(L, sizeof *d, 1);
    memset(d, 0, sizeof *d);
    luaL_setmetatable(L, DOC_MT);
    if (strspn(text, " \t\r\n\f\v") == len) {
        if (!doc_add(d, "Response", 8))
            return luaL_error(L, "aws: out of memory");
        set_tag_strings(L, d);
        return 1;
    }
    struct builder *b = calloc(1, sizeof *b);
    if (!b)
        return luaL_error(L, "aws: out of memory");
    b->d = d;
    char why[160] = "";
    if (read_plain(b, text, len))
        goto cleanup;
    doc_free(d); /* what read_plain left; expat reads it all again */
    free(b->open_text.p);
    memset(b, 0, sizeof *b);
    b->d = d;
    b->parser = XML_ParserCreate("UTF-8");
    if (!b->parser) {
        snprintf(why, sizeof why, "out of memory");
        goto cleanup;
    }
    XML_SetUserData(b->parser, b);
    XML_SetElementHandler(b->parser, on_start, on_end);
    XML_SetCharacterDataHandler(b->parser, on_text);
    int ok = len <= (size_t)INT32_MAX &&
             XML_Parse(b->parser, text, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok || b->failed || d->count == 0) {
        if (b->failed)
            snprintf(why, sizeof why, "nested deeper than %d or out of memory", XML_MAX_DEPTH);
        else if (len > (size_t)INT32_MAX)
            snprintf(why, sizeof why, "document too large");
        else
            snprintf(why, sizeof why, "%s at line %lu, column %lu",
                     XML_ErrorString(XML_GetErrorCode(b->parser)),
                     (unsigned long)XML_GetCurrentLineNumber(b->parser),
                     (unsigned long)XML_GetCurrentColumnNumber(b->parser));
    }
cleanup:
    if (b->parser)
        XML_ParserFree(b->parser);
    free(b->open_text.p);
    free(b);
    if (why[0]) {
        doc_free(d);
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    set_tag_strings(L, d);
    return 1;
}

/* Checks that argument arg is an element number of the doc at index 1. */
static uint32_t check_element(lua_State *L, const struct doc *d, int arg)
{
    lua_Integer e = luaL_checkinteger(L, arg);
    luaL_argcheck(L, e >= 1 && (size_t)e <= d->count, arg, "no such element");
    return (uint32_t)e;
}

/* shapexml.child(doc, e [, tag]) -> the first child element of e (named
 * tag when given), or nil. */
static int shapexml_child(lua_State *L)
{
    const struct doc *d = luaL_checkudata(L, 1, DOC_MT);
    uint32_t e = check_element(L, d, 2);
    size_t len = 0;
    const char *tag = luaL_optlstring(L, 3, NULL, &len);
    uint32_t c = child(d, e, tag, len);
    if (c)
        lua_pushinteger(L, c);
    else
        lua_pushnil(L);
    return 1;
}

/* shapexml.tag(doc, e) -> the element's local name. */
static int shapexml_tag(lua_State *L)
{
    const struct doc *d = luaL_checkudata(L, 1, DOC_MT);
    uint32_t e = check_element(L, d, 2);
    uint32_t t = d->el[e].tag;
    lua_pushlstring(L, tag_chars(d, t), d->tags[t].len);
    return 1;
}

/* shapexml.text(doc, e) -> the element's character data, or false when it
 * has none. */
static int shapexml_text(lua_State *L)
{
    const struct doc *d = luaL_checkudata(L, 1, DOC_MT);
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
    const struct doc *d = luaL_checkudata(L, 3, DOC_MT);
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
        {"parse", shapexml_parse},
        {"child", shapexml_child},
        {"tag", shapexml_tag},
        {"text", shapexml_text},
        {"structure", shapexml_structure},
        {NULL, NULL},
    };
    luaL_newmetatable(L, DOC_MT);
    lua_pushcfunction(L, doc_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "json"); /* its marking metatables and decode */
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "decode");
    lua_remove(L, -2);
    luaL_newlibtable(L, funcs);
    lua_insert(L, -2);
    luaL_setfuncs(L, funcs, 1);
    return 1;
}
