/* Exact integers from JSON text. cJSON keeps every number as a double; its
 * decoders (base/json.c, aws/shape_json.c) walk the source text in
 * step with the tree to read integer literals as int64, the way Lua 5.4
 * keeps integers apart from floats. */
#ifndef FG_JSON_NUMBER_H
#define FG_JSON_NUMBER_H
#include <stddef.h>

/* Numbers appear in the text in the order cJSON built their nodes. */
struct fg_json_number_cursor {
    const char *p, *end;
};

/* Advances to the next number token outside strings; returns its start
 * and sets *len, or NULL at the end of the text. */
const char *fg_json_next_number(struct fg_json_number_cursor *c, size_t *len);

/* The next number's value as an int64 when its token is an integer
 * literal that fits: returns 1 and sets *out; 0 otherwise (a float). */
int fg_json_next_integer(struct fg_json_number_cursor *c, long long *out);

#endif
