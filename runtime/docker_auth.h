/* Registry credentials for the Engine's X-Registry-Auth header: a userdata
 * (fg.docker.Auth) holding the encoded header in C memory, wiped with
 * OPENSSL_cleanse when collected; its string form names only the server. */
#ifndef FG_DOCKER_AUTH_H
#define FG_DOCKER_AUTH_H
#include <lua.h>

#define FG_DOCKER_AUTH_MT "fg.docker.Auth"

/* Adds auth{} and ecr_auth() to the module table on top of the stack. */
void fg_docker_auth_open(lua_State *L);

/* The header value held by the Auth userdata at idx (raises if it is not
 * one). Valid while the userdata lives. */
const char *fg_docker_auth_header(lua_State *L, int idx);

#endif
