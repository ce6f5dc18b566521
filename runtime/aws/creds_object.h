/* AWS credentials as a Lua userdata ("fg.aws.Creds"): the secret key and
 * session token stay in C memory, never become Lua strings, and are wiped
 * with OPENSSL_cleanse when the object is collected or closed. The object
 * stands for its session token where net/http.c takes a header value
 * (base/secret.h). Filled by the sources (aws/creds_*.c), read by
 * aws/sigv4.c; require "aws.creds" (aws/creds.c) puts them together. */
#ifndef FG_CREDS_OBJECT_H
#define FG_CREDS_OBJECT_H

#include <lua.h>
#include <stddef.h>

struct fg_creds;

/* Registers the metatable and its methods (access_key_id, expiration,
 * has_token, close). */
void fg_creds_register(lua_State *L);

/* Pushes an empty credentials object, to be filled by fg_creds_fill. */
struct fg_creds *fg_creds_push_empty(lua_State *L);

/* Copies the fields in (exp: Unix seconds, 0 for none); 0, or -1 with a
 * message in err. */
int fg_creds_set(struct fg_creds *c, const char *akid, const char *secret, const char *token,
                 double exp, char *err, size_t errlen);

/* As fg_creds_set, the expiration ISO-8601 text (NULL or "" for none). */
int fg_creds_fill(struct fg_creds *c, const char *akid, const char *secret, const char *token,
                  const char *expiration, char *err, size_t errlen);

/* The credentials at idx, or NULL when idx holds something else. */
struct fg_creds *fg_creds_test(lua_State *L, int idx);
struct fg_creds *fg_creds_check(lua_State *L, int idx);

const char *fg_creds_access_key_id(const struct fg_creds *c);
const char *fg_creds_secret(const struct fg_creds *c);
/* NULL when the credentials have no session token. */
const char *fg_creds_token(const struct fg_creds *c);

#endif
