/* Secrets that are not AWS key pairs (bearer and refresh tokens, client
 * secrets, web identity tokens) as a Lua userdata ("fg.aws.Secret"): the
 * bytes stay in C memory, never become Lua strings, and are wiped when the
 * object is collected or closed. They reach the network only as header
 * values and body parts (fg_http_request_from_lua), and files only through
 * the SSO token cache (runtime/sso_cache.c). require "aws.secret". */
#ifndef FG_SECRET_H
#define FG_SECRET_H

#include <stddef.h>
#include <lua.h>

#include "base/buffer.h"

struct fg_secret;

/* Pushes a new secret holding a copy of data; raises when out of memory. */
struct fg_secret *fg_secret_push(lua_State *L, const char *data, size_t len);
/* The secret at idx, or NULL when idx holds something else. */
struct fg_secret *fg_secret_test(lua_State *L, int idx);
/* NUL-terminated bytes ("" once closed). */
const char *fg_secret_data(const struct fg_secret *s, size_t *len);

/* Appends the value at idx to b: a string, a secret, or a list of them
 * (joined). 0, or -1 when a value is of another type or b is full. */
int fg_secret_append_lua(lua_State *L, int idx, struct fg_buf *b);

#endif
