/* require "docker.engine": the C half of require "docker"
 * (stdlib/docker.lua).
 *   connect([host]) -> Conn          host: "unix:///path" (default
 *                                     DOCKER_HOST, then /var/run/docker.sock)
 *   Conn:negotiate() -> api_version, engine_api_version | nil, err
 *   Conn:request(method, path, opts) -> status, body | nil, err
 *   Conn:socket() -> path
 *   auth{...}, ecr_auth(token, endpoint) -> Auth     (docker/auth.c)
 *   context_files(dir[, dockerfile]) -> {paths}
 *   context_write(dir, dockerfile, file) -> bytes
 *   container(conn, id, ports) -> Container           (docker/container.c)
 * Requests go through docker/conn.c. */
#include "docker/auth.h"
#include "docker/conn.h"
#include "docker/container.h"
#include "docker/context.h"
#include "base/handle.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_MAX_BODY (16u * 1024 * 1024)
#define ERROR_BODY_MAX (1024u * 1024)

/* ---- Lua: Conn --------------------------------------------------------- */

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
    if (fg_http_conn_open(&conn->http))
        return luaL_error(L, "docker: cannot start libcurl");
    return 1;
}

/* Conn:negotiate() -> api_version, engine_api_version | nil, err */
static int conn_negotiate(lua_State *L)
{
    struct fg_docker_conn *conn = fg_docker_conn_check(L, 1);
    char err[CURL_ERROR_SIZE + 300];
    if (fg_docker_negotiate(conn, err, sizeof err) != 0) {
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
    struct fg_docker_conn *conn = fg_docker_conn_check(L, 1);
    struct fg_docker_request req = {0};
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
    lua_getfield(L, 4, "body"); /* 5 */
    req.body = luaL_optlstring(L, 5, NULL, &req.body_len);
    lua_getfield(L, 4, "content_type"); /* 6 */
    req.content_type = luaL_optstring(L, 6, req.body ? "application/json" : NULL);
    lua_getfield(L, 4, "auth"); /* 7 */
    if (!lua_isnil(L, 7))
        req.registry_auth = fg_docker_auth_header(L, 7);
    lua_getfield(L, 4, "on_line"); /* 8 */
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
    lua_getfield(L, 4, "context"); /* 9 */
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
        fg_buf_clean_up(&req.response);
        lua_pushvalue(L, req.lua_error_index);
        return lua_error(L);
    }
    if (rc != 0) {
        fg_buf_clean_up(&req.response);
        lua_pushnil(L);
        lua_pushstring(L, req.error);
        return 2;
    }
    lua_pushinteger(L, req.status);
    fg_docker_push_body(L, &req.response);
    return 2;
}

/* __gc, close(): releases the connection; twice is harmless. */
static int conn_close(lua_State *L)
{
    struct fg_docker_conn *conn = luaL_checkudata(L, 1, FG_DOCKER_CONN_MT);
    if (conn->busy)
        return luaL_error(L, "docker: cannot close the connection during a request");
    fg_http_conn_close(&conn->http);
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
        {"negotiate", conn_negotiate},
        {"request", conn_request},
        {"socket", conn_socket},
        {"close", conn_close},
        {NULL, NULL},
    };
    static const luaL_Reg module[] = {
        {"connect", docker_connect},
        {"context_files", docker_context_files},
        {"context_write", docker_context_write},
        {NULL, NULL},
    };
    fg_handle_type(L, FG_DOCKER_CONN_MT, conn_methods, conn_close, conn_tostring);
    luaL_newlib(L, module);
    lua_pushstring(L, FG_DOCKER_CLIENT_MAX_API);
    lua_setfield(L, -2, "client_api_version");
    fg_docker_auth_open(L);
    fg_docker_container_open(L);
    return 1;
}
