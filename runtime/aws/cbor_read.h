/* Reading CBOR (RFC 8949) one item head at a time, for the answers of the
 * smithy-rpc-v2-cbor protocol (aws/shape_cbor.c). libcbor's streaming
 * decoder reads each head (integer widths, half-precision floats); this
 * layer adds what a one-pass walk needs: tags folded into the item they
 * tag, containers of known or indefinite length, strings sent in chunks
 * joined, items skipped whole, a nesting limit, and generic Lua values.
 * Malformed or truncated input raises a Lua error naming the byte. */
#ifndef FG_CBOR_READ_H
#define FG_CBOR_READ_H
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

enum fg_cbor_kind {
    FG_CBOR_UINT,
    FG_CBOR_NEGINT,
    FG_CBOR_BYTES,
    FG_CBOR_TEXT,
    FG_CBOR_ARRAY,
    FG_CBOR_MAP,
    FG_CBOR_FLOAT,
    FG_CBOR_BOOL,
    FG_CBOR_NULL, /* null and undefined */
    FG_CBOR_BREAK
};

struct fg_cbor_item {
    enum fg_cbor_kind kind;
    int indefinite; /* BYTES, TEXT: chunks follow; ARRAY, MAP: items up to a break */
    int tagged;     /* a tag came before it; tag is the last one's number */
    uint64_t tag;
    uint64_t n; /* UINT; NEGINT (the value is -1 - n); BOOL; a definite ARRAY's or MAP's count */
    double d;   /* FLOAT */
    const char *data; /* a definite BYTES or TEXT: its bytes, inside the input */
    size_t len;
};

struct fg_cbor_reader {
    lua_State *L;
    const unsigned char *start, *p, *end;
    int depth;
    int null_index;           /* stack index of json.null, for generic values */
    size_t heads, containers; /* read so far (see fg_cbor_check_cost) */
};

/* The items of an entered ARRAY or MAP. */
struct fg_cbor_each {
    uint64_t left;
    int indefinite;
};

void fg_cbor_reader_init(struct fg_cbor_reader *r, lua_State *L, const char *s, size_t len,
                         int null_index);

/* Reads the next item's head into it (tags before it folded in). */
void fg_cbor_head(struct fg_cbor_reader *r, struct fg_cbor_item *it);

/* Enters the ARRAY or MAP whose head is it (raises past the nesting limit). */
void fg_cbor_enter(struct fg_cbor_reader *r, const struct fg_cbor_item *it,
                   struct fg_cbor_each *each);

/* 1 when another item (a MAP: another key) follows in the container, 0 at
 * its end (then it is left). */
int fg_cbor_more(struct fg_cbor_reader *r, struct fg_cbor_each *each);

/* A preallocation size for the container's Lua table: its count, at most
 * what the remaining input could hold and at most 256. */
int fg_cbor_size_hint(const struct fg_cbor_reader *r, const struct fg_cbor_item *it);

/* Pushes the BYTES or TEXT item whose head is it, chunks joined. */
void fg_cbor_push_string(struct fg_cbor_reader *r, const struct fg_cbor_item *it);

/* Pushes the number of a UINT, NEGINT or FLOAT item: an integer when it
 * fits lua_Integer, else a float. */
void fg_cbor_push_number(lua_State *L, const struct fg_cbor_item *it);

/* Skips the rest of the item whose head is it. */
void fg_cbor_skip(struct fg_cbor_reader *r, const struct fg_cbor_item *it);

/* Pushes the item whose head is it as a generic Lua value: arrays and maps
 * marked as json marks them, null as json.null, tags dropped. */
void fg_cbor_push_value(struct fg_cbor_reader *r, const struct fg_cbor_item *it);

/* Raises unless the whole input has been read. */
void fg_cbor_finish(struct fg_cbor_reader *r);

/* Raises when decoding the CBOR s would take more memory than an answer
 * may (FG_ANSWER_BUDGET), before anything is decoded: a body of small
 * items costs far more as Lua values than as bytes. Short bodies are not
 * scanned. */
void fg_cbor_check_cost(lua_State *L, const char *s, size_t len);

#endif
