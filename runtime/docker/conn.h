/* A connection to the Docker Engine API over its Unix socket, on the
 * libcurl engine (net/transfer.c): the socket from DOCKER_HOST, API
 * version negotiation, and requests with bounded bodies, timeouts on every
 * read, build contexts streamed from docker/context.c and progress streams
 * decoded line by line by docker/stream.c. The userdata "fg.docker.Conn"
 * is made by docker/engine.c; docker/container.c sends its requests here. */
#ifndef FG_DOCKER_CONN_H
#define FG_DOCKER_CONN_H
#include <curl/curl.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buffer.h"
#include "net/transfer.h"

#define FG_DOCKER_CONN_MT "fg.docker.Conn"
/* The newest API version this client speaks. */
#define FG_DOCKER_CLIENT_MAX_API "1.43"

struct fg_context;

struct fg_docker_conn {
    struct fg_http_conn http; /* http.curl is NULL once closed */
    char socket_path[108];    /* sun_path's size */
    char api_version[16];     /* negotiated; "" until then */
    char engine_api_version[16];
    bool busy; /* a request is running (callbacks may not reenter) */
};

/* One request. Inputs are set by the caller; status and response are results. */
struct fg_docker_request {
    const char *method;
    const char *path; /* after the version prefix, with query */
    bool unversioned; /* /_ping */
    const char *body;
    size_t body_len;
    const char *content_type;
    const char *registry_auth;  /* X-Registry-Auth value */
    struct fg_context *context; /* streamed as the body when set */
    long timeout_ms;            /* whole request; 0: none (streams) */
    long idle_timeout_s;        /* no byte either way for this long */
    size_t max_body;
    lua_State *L; /* with on_line: index of a function */
    int on_line;  /* called with each decoded message */

    long status;
    struct fg_buf response; /* the body (empty when streamed); the caller cleans it up */
    char api_version_header[16];
    int lua_error_index; /* an error raised by on_line, on L */
    char error[CURL_ERROR_SIZE + 300];
};

/* Runs the request. 0 when a response came (any status), -1 with
 * req->error otherwise. Negotiates the version first if needed. The
 * caller cleans up req->response (fg_buf_clean_up) either way. */
int fg_docker_perform(struct fg_docker_conn *conn, struct fg_docker_request *req);

/* Negotiates the API version now if not done; 0, or -1 with err. */
int fg_docker_negotiate(struct fg_docker_conn *conn, char *err, size_t err_len);

/* Pushes the buffer as a Lua string and cleans it up, even when the copy
 * raises (memory). */
void fg_docker_push_body(lua_State *L, struct fg_buf *body);

/* The open connection at idx (raises when it is closed). */
struct fg_docker_conn *fg_docker_conn_check(lua_State *L, int idx);

#endif
