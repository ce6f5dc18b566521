/* Registry credentials for the Engine's X-Registry-Auth header: a userdata
 * (fg.docker.Auth) holding the encoded header in C memory, wiped with
 * OPENSSL_cleanse when collected; its string form names only the server. */
#ifndef FG_DOCKER_AUTH_H
#define FG_DOCKER_AUTH_H
#include <lua.h>

#define FG_DOCKER_AUTH_MT "fg.docker.Auth"

/* Adds auth{} to the module table on top of the stack. */
void fg_docker_auth_open(lua_State *L);

/* Pushes the Auth for an ECR authorization token (base64 of
 * "AWS:<password>", as GetAuthorizationToken gives it), decoded here so
 * that the password never becomes a Lua string. Returns 0 (pushed), -1
 * for a malformed token, -2 out of memory (nothing pushed); raises only
 * when Lua itself is out of memory. */
int fg_docker_push_ecr_auth(lua_State *L, const char *token, size_t token_len, const char *server,
                            size_t server_len);

/* The header value held by the Auth userdata at idx (raises if it is not
 * one). Valid while the userdata lives. */
const char *fg_docker_auth_header(lua_State *L, int idx);

#endif
