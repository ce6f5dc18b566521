/* A compact XML tree in C memory (no Lua value per element), for the
 * answers of the AWS query and ec2 protocols: plain documents (an XML
 * declaration, few attributes, ASCII text with the five predefined
 * entities) are read directly, several times faster than expat; anything
 * else is read by expat, so what is accepted and every error message stay
 * expat's. Elements are numbered in document order, the root is 1; an
 * element's text is its own character data (its children's not included);
 * attributes are kept for the members that say xmlAttribute (rest-xml:
 * S3's Grantee xsi:type), namespace declarations left out; element names
 * lose their namespace prefix. Each distinct name is kept once. Walked by
 * aws/shape_xml.c. */
#ifndef FG_XML_TREE_H
#define FG_XML_TREE_H
#include <stddef.h>
#include <stdint.h>

#include "base/buffer.h"

struct fg_xml_element {
    uint32_t tag;          /* local name (prefix dropped): index in tags */
    uint32_t attrs;        /* 1 + index in attrs of its first attribute; 0 when none */
    size_t text, text_len; /* character data, in texts */
    int has_text;          /* 0 when the element has no character data */
    uint32_t first, next;  /* first child, next sibling; 0 when none */
};

/* An attribute of an element: its qualified name and value, in texts.
 * The attributes of an element are consecutive. */
struct fg_xml_attribute {
    uint32_t element;
    size_t name, name_len, value, value_len;
};

/* A distinct element name, in names. */
struct fg_xml_tag {
    size_t at, len;
};

/* Each distinct name is kept once (tags), so that the walk gets its Lua
 * string from an array (the doc's user value) instead of hashing it again
 * for every element. slots is the hash index of tags while parsing. */
struct fg_xml_tree {
    struct fg_xml_element *el; /* el[1 .. count] */
    size_t count, cap;
    struct fg_buf names, texts;
    struct fg_xml_tag *tags;
    uint32_t ntags, tags_cap;
    uint32_t *slots; /* tag index + 1, 0 when free */
    size_t nslots;
    struct fg_xml_attribute *attrs;
    size_t nattrs, attrs_cap;
};

/* Makes d an empty tree. */
void fg_xml_tree_init(struct fg_xml_tree *d);
/* Parses text into the empty tree d; 0, or -1 with where and why it is not well-formed
 * XML in why (d is then empty). fg_xml_tree_free releases d either way. */
int fg_xml_tree_parse(struct fg_xml_tree *d, const char *text, size_t len, char *why,
                      size_t why_len);
void fg_xml_tree_free(struct fg_xml_tree *d);

/* Adds an element named name (len bytes) to d; returns its number, or 0
 * when out of memory. */
uint32_t fg_xml_tree_add(struct fg_xml_tree *d, const char *name, size_t len);

/* The characters of tag t (names is NULL while only empty names were seen). */
const char *fg_xml_tag_chars(const struct fg_xml_tree *d, uint32_t t);
/* Is element e named tag? */
int fg_xml_tag_is(const struct fg_xml_tree *d, uint32_t e, const char *tag, size_t len);
/* The first child of element e named tag (any, when tag is NULL), or 0. */
uint32_t fg_xml_child(const struct fg_xml_tree *d, uint32_t e, const char *tag, size_t len);

#endif
