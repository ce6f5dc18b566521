/* Docker Engine connection and requests. See conn.h. */
#include "docker/conn.h"
#include "docker/context.h"
#include "docker/stream.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIN_API_MAJOR 1
#define MIN_API_MINOR 40
#define DEFAULT_MAX_BODY (16u * 1024 * 1024)

/* ---- requests ---------------------------------------------------------- */

struct transfer {
    struct fg_docker_request *req;
    struct fg_stream_lines lines;
};

/* Runs under lua_pcall: on_line(message). Stack: function, lightuserdata
 * (a cJSON) or the raw line as lightuserdata + length. */
static int call_on_line(lua_State *L)
{
    const cJSON *msg = lua_touserdata(L, 2);
    lua_pushvalue(L, 1);
    if (msg) {
        fg_stream_push_json(L, msg);
    } else {
        lua_createtable(L, 0, 1);
        lua_pushlstring(L, lua_touserdata(L, 3), (size_t)lua_tointeger(L, 4));
        lua_setfield(L, -2, "stream");
    }
    lua_call(L, 1, 0);
    return 0;
}

/* One line of a progress stream, handed to the Lua function. */
static int deliver_line(void *data, const char *line, size_t len)
{
    struct transfer *t = data;
    lua_State *L = t->req->L;
    cJSON *msg = cJSON_ParseWithLength(line, len);
    int rc;
    /* Nothing here may raise outside the pcall: only non-allocating
     * pushes (the stack room was reserved before the transfer). */
    lua_pushcfunction(L, call_on_line);
    lua_pushvalue(L, t->req->on_line);
    lua_pushlightuserdata(L, msg);
    lua_pushlightuserdata(L, (void *)line);
    lua_pushinteger(L, (lua_Integer)len);
    rc = lua_pcall(L, 4, 0, 0);
    cJSON_Delete(msg);
    if (rc != LUA_OK) {
        t->req->lua_error_index = lua_gettop(L);
        return -1;
    }
    return 0;
}

/* A piece of a 2xx answer's body, when it is a progress stream. */
static int on_data(void *ud, const char *p, size_t n)
{
    struct transfer *t = ud;
    return fg_stream_lines_feed(&t->lines, p, n, deliver_line, t);
}

static ssize_t on_upload(void *ud, char *dst, size_t n)
{
    return fg_context_read(((struct transfer *)ud)->req->context, dst, n);
}

static void describe_failure(struct fg_docker_conn *conn, struct fg_docker_request *req,
                             const struct fg_http_response *r)
{
    struct stat st;
    if (r->code == CURLE_COULDNT_CONNECT || r->code == CURLE_COULDNT_RESOLVE_HOST)
        /* curl's words name a TCP port; say what the socket is instead. */
        snprintf(req->error, sizeof req->error,
                 "cannot connect to the Docker Engine at unix://%s (%s): is it running? "
                 "(DOCKER_HOST chooses the socket)",
                 conn->socket_path,
                 stat(conn->socket_path, &st) != 0 ? strerror(errno)
                 : S_ISSOCK(st.st_mode)            ? "connection refused"
                                                   : "not a socket");
    else if (req->context && fg_context_error(req->context)[0])
        snprintf(req->error, sizeof req->error, "build context: %s",
                 fg_context_error(req->context));
    else if (r->error == FG_HTTP_INTERRUPTED)
        snprintf(req->error, sizeof req->error, "interrupted");
    else if (r->error == FG_HTTP_TOO_LARGE)
        snprintf(req->error, sizeof req->error,
                 "the Engine's answer to %s %s is larger than %zu bytes", req->method, req->path,
                 req->max_body ? req->max_body : DEFAULT_MAX_BODY);
    else if (r->error == FG_HTTP_TIMEOUT)
        snprintf(req->error, sizeof req->error,
                 "the Docker Engine at unix://%s did not answer %s %s in time (%s)",
                 conn->socket_path, req->method, req->path, r->message);
    else if (r->error == FG_HTTP_CALLBACK && r->streamed)
        snprintf(req->error, sizeof req->error, "a progress message longer than %d bytes",
                 FG_STREAM_MAX_LINE);
    else
        snprintf(req->error, sizeof req->error, "Docker Engine at unix://%s: %s %s: %s",
                 conn->socket_path, req->method, req->path, r->message);
}

/* The request's headers; NULL with *oom set when out of memory. */
static struct curl_slist *request_headers(const struct fg_docker_request *req, int *oom)
{
    struct curl_slist *headers = NULL, *h;
    *oom = 1;
    if (req->content_type && fg_http_headers_append(&headers, "Content-Type", req->content_type))
        goto fail;
    if (req->registry_auth &&
        fg_http_headers_append(&headers, "X-Registry-Auth", req->registry_auth))
        goto fail;
    if (req->context) { /* "Name:" stops libcurl sending its own */
        if (!(h = curl_slist_append(headers, "Expect:")))
            goto fail;
        headers = h;
    }
    *oom = 0;
    return headers;
fail:
    fg_http_headers_free(headers);
    return NULL;
}

int fg_docker_perform(struct fg_docker_conn *conn, struct fg_docker_request *req)
{
    struct transfer t = {.req = req};
    struct fg_http_response r;
    char url[8192];
    int oom, result = -1;

    req->status = 0;
    req->lua_error_index = 0;
    fg_buf_init(&req->response, 0);
    if (conn->busy) {
        snprintf(req->error, sizeof req->error,
                 "the Docker connection is busy with another request (called from a progress "
                 "callback?)");
        return -1;
    }
    if (!req->unversioned && !conn->api_version[0] &&
        fg_docker_negotiate(conn, req->error, sizeof req->error) != 0)
        return -1;
    if (req->on_line && !lua_checkstack(req->L, 8)) {
        snprintf(req->error, sizeof req->error, "out of Lua stack");
        return -1;
    }
    if ((size_t)snprintf(url, sizeof url, "http://docker%s%s%s", req->unversioned ? "" : "/v",
                         req->unversioned ? "" : conn->api_version, req->path) >= sizeof url) {
        snprintf(req->error, sizeof req->error, "request path too long");
        return -1;
    }
    struct fg_http_request h = {
        .method = req->method,
        .url = url,
        .unix_socket = conn->socket_path,
        .body = req->body,
        .body_len = req->body_len,
        /* a whole-request limit, or (streams) one on silence */
        .timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : 0,
        .read_timeout_ms = req->timeout_ms > 0
                               ? -1
                               : (req->idle_timeout_s > 0 ? req->idle_timeout_s : 600) * 1000L,
        .max_body = req->max_body ? req->max_body : DEFAULT_MAX_BODY,
    };
    if (req->context) {
        h.read_body = on_upload;
        h.read_ud = &t;
        h.read_length = -1; /* a tar stream made as it goes: sent chunked */
    }
    if (req->on_line) {
        h.on_data = on_data;
        h.data_ud = &t;
    }
    h.headers = request_headers(req, &oom);
    if (oom) {
        snprintf(req->error, sizeof req->error, "out of memory");
        return -1;
    }
    fg_stream_lines_init(&t.lines);
    conn->busy = true;
    enum fg_http_error e = fg_http_perform(&conn->http, &h, &r);
    if (e == FG_HTTP_OK && r.streamed && fg_stream_lines_finish(&t.lines, deliver_line, &t) != 0) {
        e = r.error = FG_HTTP_CALLBACK;
    }
    conn->busy = false;
    /* curl's copies of the headers hold the registry credentials too. */
    fg_http_headers_free(h.headers);
    fg_stream_lines_clean_up(&t.lines);
    if (req->lua_error_index) {
        snprintf(req->error, sizeof req->error, "progress handler failed");
    } else if (e != FG_HTTP_OK) {
        describe_failure(conn, req, &r);
    } else {
        req->status = r.status;
        fg_http_header_value(&r.headers, "api-version", req->api_version_header,
                             sizeof req->api_version_header);
        req->response = r.body; /* handed over: the caller cleans it up */
        fg_buf_init(&r.body, 0);
        result = 0;
    }
    fg_http_response_clean_up(&r);
    return result;
}

/* ---- version negotiation ---------------------------------------------- */

static bool parse_version(const char *v, int *major, int *minor)
{
    return v && sscanf(v, "%d.%d", major, minor) == 2;
}

int fg_docker_negotiate(struct fg_docker_conn *conn, char *err, size_t err_len)
{
    struct fg_docker_request req = {.method = "GET",
                                    .path = "/_ping",
                                    .unversioned = true,
                                    .timeout_ms = 30000,
                                    .max_body = 64 * 1024};
    char engine[16] = "";
    int major, minor, cmajor, cminor, rc = -1;
    if (conn->api_version[0])
        return 0;
    if (fg_docker_perform(conn, &req) != 0) {
        snprintf(err, err_len, "%s", req.error);
        return -1;
    }
    if (req.status != 200) {
        snprintf(err, err_len, "Docker Engine at unix://%s: /_ping answered HTTP %ld",
                 conn->socket_path, req.status);
        goto cleanup;
    }
    snprintf(engine, sizeof engine, "%s", req.api_version_header);
    if (!engine[0]) {
        /* An engine that does not say it in /_ping says it in /version. */
        struct fg_docker_request v = {.method = "GET",
                                      .path = "/version",
                                      .unversioned = true,
                                      .timeout_ms = 30000,
                                      .max_body = 1024 * 1024};
        if (fg_docker_perform(conn, &v) != 0) {
            snprintf(err, err_len, "%s", v.error);
            goto cleanup;
        }
        cJSON *doc = v.response.data ? cJSON_Parse(v.response.data) : NULL;
        const cJSON *api = cJSON_GetObjectItemCaseSensitive(doc, "ApiVersion");
        if (cJSON_IsString(api))
            snprintf(engine, sizeof engine, "%s", api->valuestring);
        cJSON_Delete(doc);
        fg_buf_clean_up(&v.response);
    }
    if (!parse_version(engine, &major, &minor)) {
        snprintf(err, err_len, "Docker Engine at unix://%s does not say its API version",
                 conn->socket_path);
        goto cleanup;
    }
    if (major < MIN_API_MAJOR || (major == MIN_API_MAJOR && minor < MIN_API_MINOR)) {
        snprintf(err, err_len,
                 "the Docker Engine at unix://%s speaks API %s; fgrun needs %d.%d or later",
                 conn->socket_path, engine, MIN_API_MAJOR, MIN_API_MINOR);
        goto cleanup;
    }
    parse_version(FG_DOCKER_CLIENT_MAX_API, &cmajor, &cminor);
    snprintf(conn->engine_api_version, sizeof conn->engine_api_version, "%s", engine);
    if (major > cmajor || (major == cmajor && minor > cminor))
        snprintf(conn->api_version, sizeof conn->api_version, "%s", FG_DOCKER_CLIENT_MAX_API);
    else
        snprintf(conn->api_version, sizeof conn->api_version, "%d.%d", major, minor);
    rc = 0;
cleanup:
    fg_buf_clean_up(&req.response);
    return rc;
}

/* ---- Lua helpers ------------------------------------------------------- */

/* Runs under lua_pcall: pushes the bytes at lightuserdata 1, length 2. */
static int push_bytes(lua_State *L)
{
    lua_pushlstring(L, lua_touserdata(L, 1), (size_t)lua_tointeger(L, 2));
    return 1;
}

void fg_docker_push_body(lua_State *L, struct fg_buf *body)
{
    int rc;
    lua_pushcfunction(L, push_bytes);
    lua_pushlightuserdata(L, body->data ? body->data : "");
    lua_pushinteger(L, (lua_Integer)body->len);
    rc = lua_pcall(L, 2, 1, 0);
    fg_buf_clean_up(body);
    if (rc != LUA_OK)
        lua_error(L);
}

struct fg_docker_conn *fg_docker_conn_check(lua_State *L, int idx)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, idx, FG_DOCKER_CONN_MT);
    if (!conn->http.curl)
        luaL_error(L, "docker: connection is closed");
    return conn;
}
