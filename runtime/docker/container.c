/* Container handles. Each keeps its connection alive (user value 1) and
 * its published ports (user value 2). */
#include "docker/container.h"
#include "docker/conn.h"
#include "base/handle.h"

#include <cjson/cJSON.h>
#include <lauxlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOGS_MAX (8u * 1024 * 1024)

struct fg_docker_container {
    char id[80];
    bool removed;
};

static struct fg_docker_container *check_container(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, FG_DOCKER_CONTAINER_MT);
}

/* The id's first 12 characters, as the docker CLI shows it
 * (lua_pushfstring has no precision). */
struct short_id {
    char s[13];
};

static struct short_id short_id(const struct fg_docker_container *c)
{
    struct short_id id;
    memcpy(id.s, c->id, sizeof id.s - 1); /* ids are 64 characters */
    id.s[sizeof id.s - 1] = '\0';
    return id;
}

/* The connection of the container at idx, or NULL if already closed. */
static struct fg_docker_conn *container_conn(lua_State *L, int idx)
{
    struct fg_docker_conn *conn;
    lua_getiuservalue(L, idx, 1);
    conn = luaL_testudata(L, -1, FG_DOCKER_CONN_MT);
    lua_pop(L, 1);
    return conn && conn->http.curl ? conn : NULL;
}

/* Copies the Engine's "message" from an error body (or the status). */
static void engine_message(const struct fg_docker_request *req, char *out, size_t n)
{
    cJSON *doc = req->response.data ? cJSON_Parse(req->response.data) : NULL;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (cJSON_IsString(msg))
        snprintf(out, n, "%s (HTTP %ld)", msg->valuestring, req->status);
    else
        snprintf(out, n, "HTTP %ld", req->status);
    cJSON_Delete(doc);
}

/* Performs method on /containers/<id><suffix>. 0 when the status is one of
 * ok1/ok2; -1 with a message in err otherwise. The body is kept in req. */
static int container_call(struct fg_docker_conn *conn, const struct fg_docker_container *c,
                          struct fg_docker_request *req, const char *method, const char *suffix,
                          long ok1, long ok2, char *err, size_t err_len)
{
    char path[256];
    snprintf(path, sizeof path, "/containers/%s%s", c->id, suffix);
    req->method = method;
    req->path = path;
    if (!conn) {
        snprintf(err, err_len, "the Docker connection is closed");
        return -1;
    }
    if (fg_docker_perform(conn, req) != 0) {
        snprintf(err, err_len, "%s", req->error);
        return -1;
    }
    req->path = NULL;
    if (req->status != ok1 && req->status != ok2) {
        engine_message(req, err, err_len);
        return -1;
    }
    return 0;
}

/* Removes the container (force, with its anonymous volumes). Gone
 * already counts as removed. */
static int remove_container(lua_State *L, int idx, char *err, size_t err_len)
{
    struct fg_docker_container *c = check_container(L, idx);
    struct fg_docker_request req = {.timeout_ms = 60000, .max_body = 64 * 1024};
    int rc;
    if (c->removed)
        return 0;
    rc = container_call(container_conn(L, idx), c, &req, "DELETE", "?force=1&v=1", 204, 404, err,
                        err_len);
    fg_buf_clean_up(&req.response);
    if (rc == 0)
        c->removed = true;
    return rc;
}

/* container(conn, id, ports) -> Container */
static int docker_container(lua_State *L)
{
    luaL_checkudata(L, 1, FG_DOCKER_CONN_MT);
    size_t len;
    const char *id = luaL_checklstring(L, 2, &len);
    luaL_checktype(L, 3, LUA_TTABLE);
    if (len == 0 || len >= sizeof(((struct fg_docker_container *)0)->id) ||
        strspn(id, "0123456789abcdefABCDEF") != len)
        return luaL_argerror(L, 2, "not a container id");
    struct fg_docker_container *c = lua_newuserdatauv(L, sizeof *c, 2);
    memset(c, 0, sizeof *c);
    memcpy(c->id, id, len + 1);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, -2, 2);
    luaL_setmetatable(L, FG_DOCKER_CONTAINER_MT);
    return 1;
}

/* c:id() -> string */
static int container_id(lua_State *L)
{
    lua_pushstring(L, check_container(L, 1)->id);
    return 1;
}

/* c:port(container_port[, "tcp"|"udp"]) -> host port (integer) */
static int container_port(lua_State *L)
{
    struct fg_docker_container *c = check_container(L, 1);
    lua_Integer port = luaL_checkinteger(L, 2);
    const char *proto = luaL_optstring(L, 3, "tcp");
    lua_getiuservalue(L, 1, 2);
    lua_pushfstring(L, "%d/%s", (int)port, proto);
    lua_gettable(L, -2);
    if (!lua_isinteger(L, -1))
        return luaL_error(L, "docker: container %s: port %d/%s is not published", short_id(c).s,
                          (int)port, proto);
    return 1;
}

/* Joins the payloads of the Engine's multiplexed log frames (8-byte
 * headers: stream, 0, 0, 0, big-endian size) in place; a TTY log is
 * left as it is. Returns the new length. */
static size_t demultiplex(char *buf, size_t len)
{
    size_t r = 0, w = 0;
    const unsigned char *u = (const unsigned char *)buf;
    if (len < 8 || u[0] > 2 || u[1] || u[2] || u[3])
        return len;
    while (r + 8 <= len) {
        uint32_t n = (uint32_t)u[r + 4] << 24 | (uint32_t)u[r + 5] << 16 | (uint32_t)u[r + 6] << 8 |
                     u[r + 7];
        r += 8;
        if (n > len - r)
            n = (uint32_t)(len - r);
        memmove(buf + w, buf + r, n);
        w += n;
        r += n;
    }
    return w;
}

/* c:logs() -> string (stdout and stderr, interleaved) */
static int container_logs(lua_State *L)
{
    struct fg_docker_container *c = check_container(L, 1);
    struct fg_docker_request req = {.timeout_ms = 30000, .max_body = LOGS_MAX};
    char err[1024];
    if (container_call(container_conn(L, 1), c, &req, "GET", "/logs?stdout=1&stderr=1", 200, 200,
                       err, sizeof err) != 0) {
        fg_buf_clean_up(&req.response);
        return luaL_error(L, "docker: logs of container %s: %s", short_id(c).s, err);
    }
    req.response.len = demultiplex(req.response.data, req.response.len);
    fg_docker_push_body(L, &req.response);
    return 1;
}

/* c:stop([seconds]) -> c  (stopped already is fine) */
static int container_stop(lua_State *L)
{
    struct fg_docker_container *c = check_container(L, 1);
    lua_Integer seconds = luaL_optinteger(L, 2, 10);
    struct fg_docker_request req = {.timeout_ms = (long)(seconds + 60) * 1000,
                                    .max_body = 64 * 1024};
    char err[1024], suffix[64];
    int rc;
    snprintf(suffix, sizeof suffix, "/stop?t=%d", (int)seconds);
    rc = container_call(container_conn(L, 1), c, &req, "POST", suffix, 204, 304, err, sizeof err);
    fg_buf_clean_up(&req.response);
    if (rc != 0)
        return luaL_error(L, "docker: stop container %s: %s", short_id(c).s, err);
    lua_settop(L, 1);
    return 1;
}

/* c:remove() */
static int container_remove(lua_State *L)
{
    char err[1024];
    if (remove_container(L, 1, err, sizeof err) != 0)
        return luaL_error(L, "docker: remove container %s: %s", short_id(check_container(L, 1)).s,
                          err);
    return 0;
}

/* __close and __gc: remove; a failure is reported on stderr, not raised
 * (the block may be unwinding from another error). */
static int container_close(lua_State *L)
{
    char err[1024];
    if (remove_container(L, 1, err, sizeof err) != 0)
        fprintf(stderr, "docker: could not remove container %s: %s\n",
                short_id(check_container(L, 1)).s, err);
    return 0;
}

static int container_tostring(lua_State *L)
{
    struct fg_docker_container *c = check_container(L, 1);
    lua_pushfstring(L, "docker container %s%s", short_id(c).s, c->removed ? " (removed)" : "");
    return 1;
}

void fg_docker_container_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"id", container_id},     {"port", container_port},     {"logs", container_logs},
        {"stop", container_stop}, {"remove", container_remove}, {NULL, NULL},
    };
    fg_handle_type(L, FG_DOCKER_CONTAINER_MT, methods, container_close, container_tostring);
    lua_pushcfunction(L, docker_container);
    lua_setfield(L, -2, "container");
}
