/* AWS credentials as a Lua userdata ("fg.aws.Creds"): the secret key and
 * session token stay in C memory, never become Lua strings, and are wiped
 * with OPENSSL_cleanse when the object is collected or closed.
 * require "aws.creds" builds them from the sources that hold secrets
 * (environment, shared files, credential_process, HTTP credential
 * documents); the chain itself is stdlib/aws/transport/credentials.lua. */
#ifndef FG_CREDS_H
#define FG_CREDS_H

#include <lua.h>

struct fg_creds;

/* The credentials at idx, or NULL when idx holds something else. */
struct fg_creds *fg_creds_test(lua_State *L, int idx);
struct fg_creds *fg_creds_check(lua_State *L, int idx);

const char *fg_creds_access_key_id(const struct fg_creds *c);
const char *fg_creds_secret(const struct fg_creds *c);
/* NULL when the credentials have no session token. */
const char *fg_creds_token(const struct fg_creds *c);

#endif
