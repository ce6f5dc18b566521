/* Docker Engine connection: the socket from DOCKER_HOST, API version
 * negotiation, and requests over libcurl (bounded bodies, timeouts on every
 * read, build contexts streamed from docker_context.c, progress streams
 * decoded line by line by docker_stream.c). */
#include "docker/engine.h"
#include "base/handle.h"
#include "docker/auth.h"
#include "docker/container.h"
#include "docker/context.h"
#include "docker/stream.h"
#include "base/interrupt.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define CLIENT_MAX_API "1.43"
#define MIN_API_MAJOR 1
#define MIN_API_MINOR 40
#define CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_MAX_BODY (16u * 1024 * 1024)
#define ERROR_BODY_MAX (1024u * 1024)

/* ---- requests ---------------------------------------------------------- */

struct transfer {
    struct fg_docker_conn *conn;
    struct fg_docker_request *req;
    struct fg_stream_lines lines;
    size_t cap;
    bool streaming;                 /* lines go to on_line (2xx answers) */
    bool too_large;
};

static int append_response(struct transfer *t, const char *data, size_t n)
{
    struct fg_docker_request *req = t->req;
    size_t max = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
    if (req->response_len + n > max) {
        t->too_large = true;
        return -1;
    }
    if (req->response_len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < req->response_len + n + 1)
            cap *= 2;
        char *grown = realloc(req->response, cap);
        if (!grown)
            return -1;
        req->response = grown;
        t->cap = cap;
    }
    memcpy(req->response + req->response_len, data, n);
    req->response_len += n;
    req->response[req->response_len] = '\0';
    return 0;
}

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

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    if (!t->streaming && t->req->on_line && t->req->response_len == 0 && t->lines.len == 0) {
        long status = 0;
        curl_easy_getinfo(t->conn->curl, CURLINFO_RESPONSE_CODE, &status);
        t->streaming = status >= 200 && status < 300;
    }
    if (t->streaming)
        return fg_stream_lines_feed(&t->lines, data, n, deliver_line, t) == 0 ? n : 0;
    return append_response(t, data, n) == 0 ? n : 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    size_t n = size * nmemb;
    static const char name[] = "api-version:";
    if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0) {
        const char *v = data + sizeof name - 1;
        size_t len = n - (sizeof name - 1);
        while (len > 0 && (*v == ' ' || *v == '\t'))
            v++, len--;
        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
            len--;
        if (len < sizeof t->req->api_version_header) {
            memcpy(t->req->api_version_header, v, len);
            t->req->api_version_header[len] = '\0';
        }
    }
    return n;
}

static size_t on_upload(char *dst, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    ssize_t n = fg_context_read(t->req->context, dst, size * nmemb);
    return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    (void)userdata, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return fg_interrupt_pending();
}

static void describe_failure(struct fg_docker_conn *conn, struct fg_docker_request *req,
                             struct transfer *t, CURLcode rc, const char *curl_error)
{
    const char *detail = curl_error[0] ? curl_error : curl_easy_strerror(rc);
    struct stat st;
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
        /* curl's words name a TCP port; say what the socket is instead. */
        snprintf(req->error, sizeof req->error,
                 "cannot connect to the Docker Engine at unix://%s (%s): is it running? "
                 "(DOCKER_HOST chooses the socket)", conn->socket_path,
                 stat(conn->socket_path, &st) != 0 ? strerror(errno)
                 : S_ISSOCK(st.st_mode) ? "connection refused" : "not a socket");
    else if (req->context && fg_context_error(req->context)[0])
        snprintf(req->error, sizeof req->error, "build context: %s",
                 fg_context_error(req->context));
    else if (rc == CURLE_ABORTED_BY_CALLBACK)
        snprintf(req->error, sizeof req->error, "interrupted");
    else if (t->too_large)
        snprintf(req->error, sizeof req->error, "the Engine's answer to %s %s is larger than %zu bytes",
                 req->method, req->path, req->max_body ? req->max_body : DEFAULT_MAX_BODY);
    else if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(req->error, sizeof req->error, "the Docker Engine at unix://%s did not answer %s %s in time (%s)",
                 conn->socket_path, req->method, req->path, detail);
    else if (rc == CURLE_WRITE_ERROR && t->streaming)
        snprintf(req->error, sizeof req->error, "a progress message longer than %d bytes",
                 FG_STREAM_MAX_LINE);
    else
        snprintf(req->error, sizeof req->error, "Docker Engine at unix://%s: %s %s: %s",
                 conn->socket_path, req->method, req->path, detail);
}

static int negotiate(struct fg_docker_conn *conn, char *err, size_t err_len);

int fg_docker_perform(struct fg_docker_conn *conn, struct fg_docker_request *req)
{
    struct transfer t = { .conn = conn, .req = req };
    struct curl_slist *headers = NULL, *h;
    char url[8192], line[64], curl_error[CURL_ERROR_SIZE] = "";
    char *auth_line = NULL;
    CURL *c = conn->curl;
    CURLcode rc;
    int result = -1;

    req->status = 0;
    req->lua_error_index = 0;
    if (conn->busy) {
        snprintf(req->error, sizeof req->error,
                 "the Docker connection is busy with another request (called from a progress callback?)");
        return -1;
    }
    if (!req->unversioned && !conn->api_version[0] &&
        negotiate(conn, req->error, sizeof req->error) != 0)
        return -1;
    if (req->on_line && !lua_checkstack(req->L, 8)) {
        snprintf(req->error, sizeof req->error, "out of Lua stack");
        return -1;
    }
    if ((size_t)snprintf(url, sizeof url, "http://docker%s%s%s",
                         req->unversioned ? "" : "/v", req->unversioned ? "" : conn->api_version,
                         req->path) >= sizeof url) {
        snprintf(req->error, sizeof req->error, "request path too long");
        return -1;
    }
    fg_stream_lines_init(&t.lines);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, conn->socket_path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    if (req->timeout_ms > 0) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    } else {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, req->idle_timeout_s > 0 ? req->idle_timeout_s : 600L);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);

    if (req->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
        if (!(h = curl_slist_append(headers, line)))
            goto oom;
        headers = h;
    }
    if (req->registry_auth) {
        size_t n = strlen(req->registry_auth) + 20;
        if (!(auth_line = malloc(n)))
            goto oom;
        snprintf(auth_line, n, "X-Registry-Auth: %s", req->registry_auth);
        h = curl_slist_append(headers, auth_line);
        if (!h)
            goto oom;
        headers = h;
    }
    if (req->context) {
        if (!(h = curl_slist_append(headers, "Expect:")))
            goto oom;
        headers = h;
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(c, CURLOPT_READDATA, &t);
    } else if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    conn->busy = true;
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK && t.streaming)
        rc = fg_stream_lines_finish(&t.lines, deliver_line, &t) == 0 ? CURLE_OK : CURLE_WRITE_ERROR;
    if (req->lua_error_index) {
        snprintf(req->error, sizeof req->error, "progress handler failed");
        goto cleanup;
    }
    if (rc != CURLE_OK) {
        describe_failure(conn, req, &t, rc, curl_error);
        goto cleanup;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &req->status);
    if (!req->response) {
        req->response = calloc(1, 1);
        if (!req->response)
            goto oom;
    }
    result = 0;
    goto cleanup;
oom:
    snprintf(req->error, sizeof req->error, "out of memory");
cleanup:
    conn->busy = false;
    /* The connection keeps no pointer to this call's buffers. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    /* curl's copies of the headers hold the registry credentials too. */
    for (h = headers; h; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(headers);
    if (auth_line) {
        OPENSSL_cleanse(auth_line, strlen(auth_line));
        free(auth_line);
    }
    fg_stream_lines_clean_up(&t.lines);
    if (result != 0) {
        free(req->response);
        req->response = NULL;
        req->response_len = 0;
    }
    return result;
}

/* ---- version negotiation ---------------------------------------------- */

static bool parse_version(const char *v, int *major, int *minor)
{
    return v && sscanf(v, "%d.%d", major, minor) == 2;
}

static int negotiate(struct fg_docker_conn *conn, char *err, size_t err_len)
{
    struct fg_docker_request req = { .method = "GET", .path = "/_ping", .unversioned = true,
                                     .timeout_ms = 30000, .max_body = 64 * 1024 };
    char engine[16] = "";
    int major, minor, cmajor, cminor, rc = -1;
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
        struct fg_docker_request v = { .method = "GET", .path = "/version", .unversioned = true,
                                       .timeout_ms = 30000, .max_body = 1024 * 1024 };
        if (fg_docker_perform(conn, &v) != 0) {
            snprintf(err, err_len, "%s", v.error);
            goto cleanup;
        }
        cJSON *doc = cJSON_Parse(v.response);
        const cJSON *api = cJSON_GetObjectItemCaseSensitive(doc, "ApiVersion");
        if (cJSON_IsString(api))
            snprintf(engine, sizeof engine, "%s", api->valuestring);
        cJSON_Delete(doc);
        free(v.response);
    }
    if (!parse_version(engine, &major, &minor)) {
        snprintf(err, err_len, "Docker Engine at unix://%s does not say its API version",
                 conn->socket_path);
        goto cleanup;
    }
    if (major < MIN_API_MAJOR || (major == MIN_API_MAJOR && minor < MIN_API_MINOR)) {
        snprintf(err, err_len, "the Docker Engine at unix://%s speaks API %s; fgrun needs %d.%d or later",
                 conn->socket_path, engine, MIN_API_MAJOR, MIN_API_MINOR);
        goto cleanup;
    }
    parse_version(CLIENT_MAX_API, &cmajor, &cminor);
    snprintf(conn->engine_api_version, sizeof conn->engine_api_version, "%s", engine);
    if (major > cmajor || (major == cmajor && minor > cminor))
        snprintf(conn->api_version, sizeof conn->api_version, "%s", CLIENT_MAX_API);
    else
        snprintf(conn->api_version, sizeof conn->api_version, "%d.%d", major, minor);
    rc = 0;
cleanup:
    free(req.response);
    return rc;
}

/* ---- Lua: Conn --------------------------------------------------------- */

/* Runs under lua_pcall: pushes the bytes at lightuserdata 1, length 2. */
static int push_bytes(lua_State *L)
{
    lua_pushlstring(L, lua_touserdata(L, 1), (size_t)lua_tointeger(L, 2));
    return 1;
}

void fg_docker_push_owned(lua_State *L, char *bytes, size_t len)
{
    int rc;
    lua_pushcfunction(L, push_bytes);
    lua_pushlightuserdata(L, bytes);
    lua_pushinteger(L, (lua_Integer)len);
    rc = lua_pcall(L, 2, 1, 0);
    free(bytes);
    if (rc != LUA_OK)
        lua_error(L);
}

static struct fg_docker_conn *check_conn(lua_State *L, int idx)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, idx, FG_DOCKER_CONN_MT);
    if (!conn->curl)
        luaL_error(L, "docker: connection is closed");
    return conn;
}

/* connect([host]) -> Conn | nil, err
 * host: "unix:///path"; default DOCKER_HOST, then /var/run/docker.sock. */
static int docker_connect(lua_State *L)
{
    const char *host = luaL_optstring(L, 1, NULL);
    const char *path;
    if (!host || !host[0])
        host = getenv("DOCKER_HOST");
    if (!host || !host[0])
        host = "unix://" DEFAULT_SOCKET;
    if (strncmp(host, "unix://", 7) != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "DOCKER_HOST=%s: only unix:// sockets are supported", host);
        return 2;
    }
    path = host + 7;
    if (!path[0] || strlen(path) >= sizeof(((struct fg_docker_conn *)0)->socket_path)) {
        lua_pushnil(L);
        lua_pushfstring(L, "DOCKER_HOST=%s: not a usable socket path", host);
        return 2;
    }
    struct fg_docker_conn *conn = lua_newuserdatauv(L, sizeof *conn, 0);
    memset(conn, 0, sizeof *conn);
    luaL_setmetatable(L, FG_DOCKER_CONN_MT);
    strcpy(conn->socket_path, path);
    conn->curl = curl_easy_init();
    if (!conn->curl)
        return luaL_error(L, "docker: cannot start libcurl");
    return 1;
}

/* Conn:negotiate() -> api_version, engine_api_version | nil, err */
static int conn_negotiate(lua_State *L)
{
    struct fg_docker_conn *conn = check_conn(L, 1);
    char err[CURL_ERROR_SIZE + 300];
    if (!conn->api_version[0] && negotiate(conn, err, sizeof err) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushstring(L, conn->api_version);
    lua_pushstring(L, conn->engine_api_version);
    return 2;
}

/* Conn:socket() -> path */
static int conn_socket(lua_State *L)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, 1, FG_DOCKER_CONN_MT);
    lua_pushstring(L, conn->socket_path);
    return 1;
}

static long opt_integer_field(lua_State *L, int t, const char *name, long dflt)
{
    long v;
    lua_getfield(L, t, name);
    v = lua_isnil(L, -1) ? dflt : (long)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Conn:request(method, path, opts) -> status, body | nil, err
 * opts: body=, content_type=, auth= (Auth), context={dir=, dockerfile=},
 * on_line=function(message) (2xx answers are then streamed as decoded
 * messages and body is ""), timeout_ms= (default 120000; 0 for none),
 * idle_timeout_s= (with timeout_ms=0), max_body=. Raises what on_line
 * raises. */
static int conn_request(lua_State *L)
{
    struct fg_docker_conn *conn = check_conn(L, 1);
    struct fg_docker_request req = { 0 };
    char err[PATH_MAX + 600];
    int rc;
    req.method = luaL_checkstring(L, 2);
    req.path = luaL_checkstring(L, 3);
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    else {
        lua_settop(L, 3);
        lua_newtable(L);
    }
    lua_settop(L, 4);
    lua_getfield(L, 4, "body");             /* 5 */
    req.body = luaL_optlstring(L, 5, NULL, &req.body_len);
    lua_getfield(L, 4, "content_type");     /* 6 */
    req.content_type = luaL_optstring(L, 6, req.body ? "application/json" : NULL);
    lua_getfield(L, 4, "auth");             /* 7 */
    if (!lua_isnil(L, 7))
        req.registry_auth = fg_docker_auth_header(L, 7);
    lua_getfield(L, 4, "on_line");          /* 8 */
    if (!lua_isnil(L, 8)) {
        luaL_checktype(L, 8, LUA_TFUNCTION);
        req.L = L;
        req.on_line = 8;
    }
    req.timeout_ms = opt_integer_field(L, 4, "timeout_ms", DEFAULT_TIMEOUT_MS);
    req.idle_timeout_s = opt_integer_field(L, 4, "idle_timeout_s", 600);
    req.max_body = (size_t)opt_integer_field(L, 4, "max_body", (long)DEFAULT_MAX_BODY);
    if (req.on_line && req.max_body > ERROR_BODY_MAX)
        req.max_body = ERROR_BODY_MAX;
    lua_getfield(L, 4, "context");          /* 9 */
    if (!lua_isnil(L, 9)) {
        luaL_checktype(L, 9, LUA_TTABLE);
        lua_getfield(L, 9, "dir");
        lua_getfield(L, 9, "dockerfile");
        const char *dir = luaL_checkstring(L, 10);
        const char *dockerfile = luaL_optstring(L, 11, NULL);
        req.context = fg_context_new(dir, dockerfile, err, sizeof err);
        if (!req.context) {
            lua_pushnil(L);
            lua_pushstring(L, err);
            return 2;
        }
        req.content_type = "application/x-tar";
    }
    /* Owned: req.context, req.response. Nothing below raises until freed. */
    rc = fg_docker_perform(conn, &req);
    fg_context_free(req.context);
    if (req.lua_error_index) {
        free(req.response);
        lua_pushvalue(L, req.lua_error_index);
        return lua_error(L);
    }
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushstring(L, req.error);
        return 2;
    }
    lua_pushinteger(L, req.status);
    fg_docker_push_owned(L, req.response, req.response_len);
    return 2;
}

/* __gc, close(): releases the connection; twice is harmless. */
static int conn_close(lua_State *L)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, 1, FG_DOCKER_CONN_MT);
    if (conn->busy)
        return luaL_error(L, "docker: cannot close the connection during a request");
    if (conn->curl)
        curl_easy_cleanup(conn->curl);
    conn->curl = NULL;
    return 0;
}

/* __tostring: "docker engine unix://<socket>" */
static int conn_tostring(lua_State *L)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, 1, FG_DOCKER_CONN_MT);
    lua_pushfstring(L, "docker engine unix://%s", conn->socket_path);
    return 1;
}

/* ---- Lua: build context helpers --------------------------------------- */

/* Runs under lua_pcall: the member list of the context at lightuserdata 1.
 * Leaves the table, or nil and the walk's error. */
static int list_members(lua_State *L)
{
    struct fg_context *c = lua_touserdata(L, 1);
    const char *path;
    struct stat st;
    lua_Integer n = 0;
    int rc;
    lua_newtable(L);
    while ((rc = fg_context_next(c, &path, &st)) > 0) {
        lua_pushstring(L, path);
        lua_rawseti(L, -2, ++n);
    }
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, fg_context_error(c));
        return 2;
    }
    return 1;
}

/* context_files(dir[, dockerfile]) -> {path, ...} in walk order: what a
 * build would send (folders without a trailing '/'). */
static int docker_context_files(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    const char *dockerfile = luaL_optstring(L, 2, NULL);
    char err[PATH_MAX + 600];
    int rc;
    lua_settop(L, 2);
    struct fg_context *c = fg_context_new(dir, dockerfile, err, sizeof err);
    if (!c)
        return luaL_error(L, "docker: %s", err);
    lua_pushcfunction(L, list_members);
    lua_pushlightuserdata(L, c);
    rc = lua_pcall(L, 1, 2, 0);
    fg_context_free(c);
    if (rc != LUA_OK)
        return lua_error(L);
    if (lua_isnil(L, -2))
        return luaL_error(L, "docker: %s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return 1;
}

/* context_write(dir, dockerfile|nil, file) -> bytes
 * Writes the context's tar stream to file (for tests and benchmarks). */
static int docker_context_write(lua_State *L)
{
    const char *dir = luaL_checkstring(L, 1);
    const char *dockerfile = luaL_optstring(L, 2, NULL);
    const char *file = luaL_checkstring(L, 3);
    char err[PATH_MAX + 600] = "", buf[64 * 1024];
    long long total = 0;
    ssize_t n;
    struct fg_context *c = fg_context_new(dir, dockerfile, err, sizeof err);
    if (!c)
        return luaL_error(L, "docker: %s", err);
    FILE *f = fopen(file, "wb");
    if (!f) {
        snprintf(err, sizeof err, "%s: %s", file, strerror(errno));
        goto cleanup;
    }
    while ((n = fg_context_read(c, buf, sizeof buf)) > 0) {
        if (fwrite(buf, 1, (size_t)n, f) != (size_t)n) {
            snprintf(err, sizeof err, "%s: %s", file, strerror(errno));
            goto cleanup;
        }
        total += n;
    }
    if (n < 0)
        snprintf(err, sizeof err, "%s", fg_context_error(c));
cleanup:
    if (f && fclose(f) != 0 && !err[0])
        snprintf(err, sizeof err, "%s: %s", file, strerror(errno));
    fg_context_free(c);
    if (err[0])
        return luaL_error(L, "docker: %s", err);
    lua_pushinteger(L, total);
    return 1;
}

int luaopen_fg_docker_engine(lua_State *L)
{
    static const luaL_Reg conn_methods[] = {
        { "negotiate", conn_negotiate }, { "request", conn_request },
        { "socket", conn_socket }, { "close", conn_close }, { NULL, NULL },
    };
    static const luaL_Reg module[] = {
        { "connect", docker_connect }, { "context_files", docker_context_files },
        { "context_write", docker_context_write }, { NULL, NULL },
    };
    fg_handle_type(L, FG_DOCKER_CONN_MT, conn_methods, conn_close, conn_tostring);
    luaL_newlib(L, module);
    lua_pushstring(L, CLIENT_MAX_API);
    lua_setfield(L, -2, "client_api_version");
    fg_docker_auth_open(L);
    fg_docker_container_open(L);
    return 1;
}
