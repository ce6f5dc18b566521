/* require "net.http": HTTP connections for Lua on the libcurl engine
 * (net/transfer.c). http.new([{ca_bundle=}]) makes a "fg.net.http.Conn"
 * userdata, kept alive and reused; conn:request{...} performs one
 * exchange. Used by stdlib/http.lua (which the AWS transport's pool uses)
 * and, in C, by aws/creds_http.c. */
#ifndef FG_HTTP_H
#define FG_HTTP_H

#include <lua.h>
#include <curl/curl.h>

#include "net/transfer.h"

struct fg_http_handle {
    struct fg_http_conn conn;
    char *ca_bundle; /* NULL: the system's CAs */
};

/* The open connection at idx (raises when it is none or closed). */
struct fg_http_handle *fg_http_handle_check(lua_State *L, int idx);

/* Reads the request table at idx ({method=, url=, headers=, body=,
 * connect_timeout_ms=, read_timeout_ms=, timeout_ms=, max_body=}) into req;
 * body may be a string or a list of strings and secret objects, joined
 * into *body, which the caller cleans up (it is wiped). The strings stay
 * owned by the table. Does not raise: 0; -1 with *bad saying what is
 * wrong; -2 with *bad naming a bad header. req->headers must be freed
 * either way. */
int fg_http_request_from_lua(lua_State *L, int idx, struct fg_http_request *req,
                             struct fg_buf *body, const char **bad);

/* fg_http_request_from_lua and fg_http_perform on h in one, for the C
 * functions that take a request table (aws/creds_http.c,
 * aws/secret_json.c): raises on a bad table, and "interrupted" on
 * SIGINT/SIGTERM (r cleaned up first); otherwise r must be cleaned up by
 * the caller. max_body, when not 0, overrides the table's. */
enum fg_http_error fg_http_perform_lua(lua_State *L, struct fg_http_handle *h, int idx,
                                       size_t max_body, struct fg_http_response *r);

/* Pushes the outcome of fg_http_perform as conn:request gives it, without
 * the body: status, headers (2 values) | nil, message, kind (3 values). */
int fg_http_push_outcome(lua_State *L, enum fg_http_error err, const struct fg_http_response *r);

/* Builds curl headers from the table at idx ({[name] = value}); a value may
 * be a secret object (base/secret.h), standing for its secret, and left out
 * when it holds none. libcurl's own Expect and Accept are not sent. Does
 * not raise: returns 0, or -1 with *bad naming the offending header. */
int fg_http_headers_from_lua(lua_State *L, int idx, struct curl_slist **out, const char **bad);

#endif
