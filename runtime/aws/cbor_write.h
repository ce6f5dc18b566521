/* Writing Lua values as CBOR (RFC 8949) by an input shape, for requests
 * of the smithy-rpc-v2-cbor protocol (aws/shape_cbor.c). libcbor
 * writes each item's head; the walk follows the model's shapes as
 * botocore's serializer does: structures as maps of member names (in
 * sorted order, null members left out), blobs as byte strings, timestamps
 * as tag 1 over epoch seconds, float members in single precision. */
#ifndef FG_CBOR_WRITE_H
#define FG_CBOR_WRITE_H
#include <lua.h>

/* Pushes the CBOR bytes of the value at index value read as the shape at
 * index shape of the model at index model; null_index: json.null's index.
 * Raises a Lua error for a value its shape cannot take. */
void fg_cbor_push_encoded(lua_State *L, int model, int shape, int value, int null_index);

#endif
