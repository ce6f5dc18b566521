/* The XML tree. See xml_tree.h. */
#include "aws/xml_tree.h"

#include <expat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_MAX_DEPTH 200

/* Parsing state, on the C stack while XML_Parse runs. */
struct builder {
    XML_Parser parser;
    struct fg_xml_tree *d;
    struct fg_buf open_text; /* character data of the open elements, stacked */
    struct {
        uint32_t element, last_child;
        size_t text_start;
        const char *qname; /* the start tag's name in the text (plain reader) */
        size_t qname_len;
    } open[XML_MAX_DEPTH];
    int depth;
    int failed; /* too deep, too large or out of memory */
};

void fg_xml_tree_free(struct fg_xml_tree *d)
{
    free(d->el);
    fg_buf_clean_up(&d->names);
    fg_buf_clean_up(&d->texts);
    free(d->tags);
    free(d->slots);
    free(d->attrs);
    memset(d, 0, sizeof *d);
}

const char *fg_xml_tag_chars(const struct fg_xml_tree *d, uint32_t t)
{
    return d->tags[t].len ? d->names.data + d->tags[t].at : "";
}

static size_t name_hash(const char *s, size_t len)
{
    size_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Rebuilds the hash index of tags with n slots (a power of two). */
static int index_tags(struct fg_xml_tree *d, size_t n)
{
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (uint32_t t = 0; t < d->ntags; t++) {
        size_t i = name_hash(fg_xml_tag_chars(d, t), d->tags[t].len) & (n - 1);
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
static uint32_t intern_tag(struct fg_xml_tree *d, const char *name, size_t len)
{
    if (2 * ((size_t)d->ntags + 1) > d->nslots && !index_tags(d, d->nslots ? 2 * d->nslots : 64))
        return UINT32_MAX;
    size_t i = name_hash(name, len) & (d->nslots - 1);
    for (; d->slots[i]; i = (i + 1) & (d->nslots - 1)) {
        const struct fg_xml_tag *t = &d->tags[d->slots[i] - 1];
        if (t->len == len && (len == 0 || memcmp(d->names.data + t->at, name, len) == 0))
            return d->slots[i] - 1;
    }
    if (d->ntags == d->tags_cap) {
        uint32_t cap = d->tags_cap ? 2 * d->tags_cap : 32;
        struct fg_xml_tag *tags = realloc(d->tags, cap * sizeof *tags);
        if (!tags)
            return UINT32_MAX;
        d->tags = tags;
        d->tags_cap = cap;
    }
    d->tags[d->ntags] = (struct fg_xml_tag){d->names.len, len};
    if (fg_buf_append(&d->names, name, len))
        return UINT32_MAX;
    d->slots[i] = d->ntags + 1;
    return d->ntags++;
}

uint32_t fg_xml_tree_add(struct fg_xml_tree *d, const char *name, size_t len)
{
    if (d->count + 1 >= d->cap) {
        if (d->count >= UINT32_MAX - 1)
            return 0;
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct fg_xml_element *el = realloc(d->el, cap * sizeof *el);
        if (!el)
            return 0;
        d->el = el;
        d->cap = cap;
    }
    uint32_t tag = intern_tag(d, name, len);
    if (tag == UINT32_MAX)
        return 0;
    uint32_t n = (uint32_t)++d->count;
    struct fg_xml_element *e = &d->el[n];
    memset(e, 0, sizeof *e);
    e->tag = tag;
    return n;
}

/* Adds an attribute to element e (the last one added); namespace
 * declarations are left out. Returns 0 when out of memory. */
static int add_attribute(struct fg_xml_tree *d, uint32_t e, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    if (name_len >= 5 && memcmp(name, "xmlns", 5) == 0 && (name_len == 5 || name[5] == ':'))
        return 1;
    if (d->nattrs == d->attrs_cap) {
        size_t cap = d->attrs_cap ? 2 * d->attrs_cap : 8;
        struct fg_xml_attribute *attrs = realloc(d->attrs, cap * sizeof *attrs);
        if (!attrs)
            return 0;
        d->attrs = attrs;
        d->attrs_cap = cap;
    }
    struct fg_xml_attribute *a = &d->attrs[d->nattrs];
    a->element = e;
    a->name = d->texts.len;
    a->name_len = name_len;
    if (fg_buf_append(&d->texts, name, name_len))
        return 0;
    a->value = d->texts.len;
    a->value_len = value_len;
    if (fg_buf_append(&d->texts, value, value_len))
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
    uint32_t n = fg_xml_tree_add(b->d, local, len - (size_t)(local - qname));
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
    b->open[b->depth].text_start = b->open_text.len;
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
    struct fg_xml_element *e = &b->d->el[b->open[b->depth].element];
    if (b->open_text.len > start) {
        e->has_text = 1;
        e->text = b->d->texts.len;
        e->text_len = b->open_text.len - start;
        if (fg_buf_append(&b->d->texts, b->open_text.data + start, e->text_len))
            stop(b);
        b->open_text.len = start;
    }
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
    struct builder *b = ud;
    if (b->failed || b->depth == 0)
        return;
    if (fg_buf_append(&b->open_text, s, (size_t)len))
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
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['_'] = 1, [':'] = 1, ['0'] = 2, ['1'] = 2,
    ['2'] = 2, ['3'] = 2, ['4'] = 2, ['5'] = 2, ['6'] = 2, ['7'] = 2, ['8'] = 2, ['9'] = 2,
    ['-'] = 2, ['.'] = 2,
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
    } entities[] = {{"&lt;", "<", 4},
                    {"&gt;", ">", 4},
                    {"&amp;", "&", 5},
                    {"&quot;", "\"", 6},
                    {"&apos;", "'", 6}};
    const char *run = p;
    for (const char *q = p; q < end; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '&') {
            on_text(b, run, (int)(q - run));
            size_t i = 0;
            while (i < 5 && !((size_t)(end - q) >= entities[i].len &&
                              memcmp(q, entities[i].ref, entities[i].len) == 0))
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
            if (*q == '<' || *q == '&' || *q == '\t' || *q == '\n' ||
                !is_plain_char((unsigned char)*q))
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
    static const char *const declarations[] = {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                                               "<?xml version=\"1.0\"?>"};
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
            if (!n || b->depth == 0 || n != b->open[b->depth - 1].qname_len ||
                memcmp(p, b->open[b->depth - 1].qname, n) != 0)
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

void fg_xml_tree_init(struct fg_xml_tree *d)
{
    memset(d, 0, sizeof *d);
    fg_buf_init(&d->names, SIZE_MAX);
    fg_buf_init(&d->texts, SIZE_MAX);
}

int fg_xml_tree_parse(struct fg_xml_tree *d, const char *text, size_t len, char *why,
                      size_t why_len)
{
    why[0] = '\0';
    struct builder *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    b->d = d;
    fg_buf_init(&b->open_text, SIZE_MAX);
    if (read_plain(b, text, len))
        goto cleanup;
    fg_xml_tree_free(d); /* what read_plain left; expat reads it all again */
    fg_xml_tree_init(d);
    fg_buf_clean_up(&b->open_text);
    memset(b, 0, sizeof *b);
    b->d = d;
    fg_buf_init(&b->open_text, SIZE_MAX);
    b->parser = XML_ParserCreate("UTF-8");
    if (!b->parser) {
        snprintf(why, why_len, "out of memory");
        goto cleanup;
    }
    XML_SetUserData(b->parser, b);
    XML_SetElementHandler(b->parser, on_start, on_end);
    XML_SetCharacterDataHandler(b->parser, on_text);
    int ok =
        len <= (size_t)INT32_MAX && XML_Parse(b->parser, text, (int)len, XML_TRUE) == XML_STATUS_OK;
    if (!ok || b->failed || d->count == 0) {
        if (b->failed)
            snprintf(why, why_len, "nested deeper than %d or out of memory", XML_MAX_DEPTH);
        else if (len > (size_t)INT32_MAX)
            snprintf(why, why_len, "document too large");
        else
            snprintf(why, why_len, "%s at line %lu, column %lu",
                     XML_ErrorString(XML_GetErrorCode(b->parser)),
                     (unsigned long)XML_GetCurrentLineNumber(b->parser),
                     (unsigned long)XML_GetCurrentColumnNumber(b->parser));
    }
cleanup:
    if (b->parser)
        XML_ParserFree(b->parser);
    fg_buf_clean_up(&b->open_text);
    free(b);
    if (why[0]) {
        fg_xml_tree_free(d);
        return -1;
    }
    free(d->slots); /* the names are all in: their index is done with */
    d->slots = NULL;
    d->nslots = 0;
    return 0;
}

int fg_xml_tag_is(const struct fg_xml_tree *d, uint32_t e, const char *tag, size_t len)
{
    uint32_t t = d->el[e].tag;
    return d->tags[t].len == len && memcmp(fg_xml_tag_chars(d, t), tag, len) == 0;
}

uint32_t fg_xml_child(const struct fg_xml_tree *d, uint32_t e, const char *tag, size_t len)
{
    for (uint32_t c = d->el[e].first; c; c = d->el[c].next)
        if (!tag || fg_xml_tag_is(d, c, tag, len))
            return c;
    return 0;
}
