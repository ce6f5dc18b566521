/* The sources of credentials that hold secrets, each a Lua function of
 * require "aws.creds" (aws/creds.c) returning a credentials object
 * (aws/creds_object.h). The chain that tries them in order is Lua
 * (stdlib/aws/transport/credentials.lua). */
#ifndef FG_CREDS_SOURCES_H
#define FG_CREDS_SOURCES_H
#include <lua.h>

/* creds.from_env() -> creds | nil when AWS_ACCESS_KEY_ID is unset
 * Raises when only part of the pair is set. (aws/creds_env.c) */
int fg_creds_from_env(lua_State *L);

/* creds.from_file(path, section) -> creds | nil when the section has no keys
 * Raises when the file is unreadable, malformed, or holds half a key pair.
 * (aws/creds_file.c) */
int fg_creds_from_file(lua_State *L);

/* creds.from_process(command) -> creds
 * Runs a credential_process command through /bin/sh and reads its JSON
 * (Version 1) from standard output. Raises on failure, without echoing
 * the output. (aws/creds_process.c) */
int fg_creds_from_process(lua_State *L);

/* creds.from_http(conn, req, format) -> creds | nil, message
 * Sends req (as conn:request takes it; the body may hold secrets) on conn
 * (a net.http connection) and reads credentials from the answer: format
 * "json" (the container and EC2 metadata document) or "sts" (an AssumeRole
 * or AssumeRoleWithWebIdentity answer). The message never quotes the body,
 * except an STS error's Code/Message. Raises "interrupted" on
 * SIGINT/SIGTERM. (aws/creds_http.c) */
int fg_creds_from_http(lua_State *L);

/* creds.from_secrets(access_key_id, secret_access_key, session_token, expiration) -> creds
 * From an answer read by aws.secret_json: the key and token are aws.secret
 * objects (the token may be nil), expiration Unix seconds (nil for none).
 * (aws/creds_secrets.c) */
int fg_creds_from_secrets(lua_State *L);

#endif
