/* What the shape-driven codecs of AWS bodies need from a model (the tables
 * of stdlib/aws/model.lua): the shape a member reference points to, and a
 * shape's type as a number. Used by aws/shape_cbor.c and aws/cbor_write.c. */
#ifndef FG_SHAPE_TARGET_H
#define FG_SHAPE_TARGET_H
#include <lua.h>

enum fg_shape_type {
    FG_SHAPE_OTHER, /* string, boolean, enum-like, anything else: as the wire gives it */
    FG_SHAPE_STRUCTURE,
    FG_SHAPE_DOCUMENT, /* a structure with the document trait: any value */
    FG_SHAPE_LIST,
    FG_SHAPE_MAP,
    FG_SHAPE_INTEGER, /* integer, long, short, byte */
    FG_SHAPE_FLOAT,
    FG_SHAPE_DOUBLE,
    FG_SHAPE_TIMESTAMP,
    FG_SHAPE_BLOB,
    FG_SHAPE_STRING,
    FG_SHAPE_BOOLEAN
};

/* Pushes model:target(ref) for the member reference at index ref, cached
 * on the reference as _target. model: the model's stack index. */
void fg_shape_push_target(lua_State *L, int model, int ref);

/* The type of the shape at index shape. */
enum fg_shape_type fg_shape_type(lua_State *L, int shape);

#endif
