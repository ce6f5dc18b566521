/* require "base.json" (public name "json", runtime/base/json.c): JSON in
 * and out. Arrays and objects are told apart by two metatables, registered
 * under these names; every decoder that makes JSON-like values (json.c,
 * aws/shape_json.c, aws/shape_xml.c, aws/shape_cbor.c, aws/cbor_read.c)
 * marks its tables with them. */
#ifndef FG_JSON_H
#define FG_JSON_H

#define FG_JSON_ARRAY_MT "fg.json.array"
#define FG_JSON_OBJECT_MT "fg.json.object"

#include <lauxlib.h>
#include <lua.h>
#include <stddef.h>

#include "base/buffer.h"

/* Appends s as a quoted JSON string; 0 or -1 (the buffer's maximum or
 * memory). */
int fg_json_quote(struct fg_buf *b, const char *s, size_t len);

/* Pushes a new library of funcs for a decoder that makes JSON values:
 * require "json" is loaded first (its marking metatables) and its member
 * `field` (null, decode) is every function's one upvalue. */
void fg_json_new_lib(lua_State *L, const luaL_Reg *funcs, const char *field);

#endif
