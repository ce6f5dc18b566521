/* Secrets that are not AWS key pairs (bearer and refresh tokens, client
 * secrets, web identity tokens) as a Lua userdata ("fg.aws.Secret"): the
 * bytes stay in C memory, never become Lua strings, and are wiped when the
 * object is collected or closed. They reach the network only as header
 * values and body parts (net/http.c, through base/secret.h), and files only
 * through core/fs.c's write_atomic (the SSO token cache). require
 * "aws.secret"; made by aws/secret_json.c too. */
#ifndef FG_AWS_SECRET_H
#define FG_AWS_SECRET_H

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

#endif
