/* A secret held in C memory (a session token, a bearer token, a registry
 * password) can stand for itself where C code takes a string, without ever
 * becoming a Lua string: the userdata's metatable has a __secret field, a
 * light userdata pointing at a struct fg_secret_reader. aws/creds_object.c
 * (credentials, for their session token) and aws/secret.c (other secrets)
 * mark their objects so; net/http.c takes such objects as header values
 * and body parts, and core/fs.c as parts of a file, which keeps them free
 * of any knowledge of AWS. */
#ifndef FG_SECRET_H
#define FG_SECRET_H
#include <lua.h>
#include <stddef.h>

#include "base/buffer.h"

struct fg_secret_reader {
    /* The secret of the object (its userdata block) and its length, or
     * NULL when it holds none. */
    const char *(*read)(void *object, size_t *len);
};

/* Sets __secret in the metatable at the top of the stack. */
void fg_secret_mark(lua_State *L, const struct fg_secret_reader *reader);

/* When the value at idx is such an object: sets *is_secret to 1 and
 * returns its secret (possibly NULL), its length in *len when len is not
 * NULL. Otherwise *is_secret is 0. */
const char *fg_secret_read(lua_State *L, int idx, int *is_secret, size_t *len);

/* Appends the value at idx to b: a string, a secret object, or a list of
 * them (joined). 0, or -1 when a value is of another type or b is full. */
int fg_secret_append_value(lua_State *L, int idx, struct fg_buf *b);

#endif
