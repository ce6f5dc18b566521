/* The Docker Engine API over its Unix socket: `require "docker.engine"`,
 * the C half of `require "docker"` (stdlib/docker.lua).
 *   connect([host]) -> Conn          host: "unix:///path" (default
 *                                     DOCKER_HOST, then /var/run/docker.sock)
 *   Conn:negotiate() -> api_version, engine_api_version | nil, err
 *   Conn:request(method, path, opts) -> status, body | nil, err
 *   Conn:socket() -> path
 *   auth{...}, ecr_auth(token, endpoint) -> Auth     (docker_auth.c)
 *   context_files(dir[, dockerfile]) -> {paths}
 *   context_write(dir, dockerfile, file) -> bytes
 *   container(conn, id, ports) -> Container           (docker_container.c) */
#ifndef FG_DOCKER_H
#define FG_DOCKER_H
#include <curl/curl.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#define FG_DOCKER_CONN_MT "fg.docker.Conn"

struct fg_context;

struct fg_docker_conn {
    CURL *curl;
    char socket_path[108];          /* sun_path's size */
    char api_version[16];           /* negotiated; "" until then */
    char engine_api_version[16];
    bool busy;                      /* a request is running (callbacks may not reenter) */
};

/* One request. Inputs are set by the caller; status and body are results. */
struct fg_docker_request {
    const char *method;
    const char *path;               /* after the version prefix, with query */
    bool unversioned;               /* /_ping */
    const char *body;
    size_t body_len;
    const char *content_type;
    const char *registry_auth;      /* X-Registry-Auth value */
    struct fg_context *context;     /* streamed as the body when set */
    long timeout_ms;                /* whole request; 0: none (streams) */
    long idle_timeout_s;            /* no byte either way for this long */
    size_t max_body;
    lua_State *L;                   /* with on_line: index of a function */
    int on_line;                    /* called with each decoded message */

    long status;
    char *response;                 /* malloc'd, NUL-terminated */
    size_t response_len;
    char api_version_header[16];
    int lua_error_index;            /* an error raised by on_line, on L */
    char error[CURL_ERROR_SIZE + 300];
};

/* Runs the request. 0 when a response came (any status), -1 with
 * req->error otherwise. Negotiates the version first if needed. The
 * caller frees req->response. */
int fg_docker_perform(struct fg_docker_conn *conn, struct fg_docker_request *req);

/* Pushes len bytes as a Lua string and frees bytes, even when the copy
 * raises (memory). */
void fg_docker_push_owned(lua_State *L, char *bytes, size_t len);

int luaopen_fg_docker_engine(lua_State *L);

#endif
