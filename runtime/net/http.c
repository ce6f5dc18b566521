/* require "net.http": HTTP connections for Lua. See http.h. */
#include "net/http.h"
#include "base/handle.h"
#include "base/buffer.h"
#include "base/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <lauxlib.h>

#define CONN_MT "fg.net.http.Conn"
#define RESPONSE_MT "fg.net.http.Response"

struct fg_http_handle *fg_http_handle_check(lua_State *L, int idx)
{
    struct fg_http_handle *h = luaL_checkudata(L, idx, CONN_MT);
    if (!h->conn.curl)
        luaL_error(L, "http connection is closed");
    return h;
}

int fg_http_headers_from_lua(lua_State *L, int idx, struct curl_slist **out, const char **bad)
{
    struct curl_slist *list = NULL;
    idx = lua_absindex(L, idx);
    *bad = NULL;
    /* "Name:" stops libcurl adding these on its own; AWS signs neither. */
    static const char *const removed[] = {"Expect:", "Accept:"};
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
        struct curl_slist *next = curl_slist_append(list, removed[i]);
        if (!next)
            goto fail;
        list = next;
    }
    if (!lua_istable(L, idx)) {
        *out = list;
        return lua_isnoneornil(L, idx) ? 0 : -1;
    }
    int typed = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        typed = typed || (name && strcasecmp(name, "Content-Type") == 0);
        int is_secret;
        const char *value = fg_secret_read(L, -1, &is_secret, NULL);
        if (!is_secret && lua_type(L, -1) == LUA_TSTRING)
            value = lua_tostring(L, -1);
        if (!name || strpbrk(name, ":\r\n") || (!value && !is_secret) ||
            (value && strpbrk(value, "\r\n"))) {
            *bad = name ? name : "?";
            lua_pop(L, 2);
            goto fail;
        }
        if (value && fg_http_headers_append(&list, name, value)) {
            lua_pop(L, 2);
            goto fail;
        }
        lua_pop(L, 1);
    }
    /* a body sent without a type goes without one (libcurl would call it a
     * form, and S3 would store that as the object's type) */
    if (!typed) {
        struct curl_slist *next = curl_slist_append(list, "Content-Type:");
        if (!next)
            goto fail;
        list = next;
    }
    *out = list;
    return 0;
fail:
    fg_http_headers_free(list);
    *out = NULL;
    return -1;
}

/* Pushes the raw header block as {[lowercase name] = value}, repeated
 * headers joined with ", ". */
static void push_headers(lua_State *L, const struct fg_buf *raw)
{
    lua_newtable(L);
    const char *p = raw->data, *end = raw->data ? raw->data + raw->len : NULL;
    int first = 1;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!first && colon) {
            luaL_Buffer name;
            luaL_buffinit(L, &name);
            for (const char *q = p; q < colon; q++)
                luaL_addchar(&name, (*q >= 'A' && *q <= 'Z') ? (char)(*q - 'A' + 'a') : *q);
            luaL_pushresult(&name);
            const char *v = colon + 1, *vend = eol;
            while (v < vend && (*v == ' ' || *v == '\t'))
                v++;
            while (vend > v && (vend[-1] == '\r' || vend[-1] == ' ' || vend[-1] == '\t'))
                vend--;
            lua_pushvalue(L, -1);
            if (lua_rawget(L, -3) == LUA_TSTRING) {
                lua_pushliteral(L, ", ");
                lua_pushlstring(L, v, (size_t)(vend - v));
                lua_concat(L, 3);
            } else {
                lua_pop(L, 1);
                lua_pushlstring(L, v, (size_t)(vend - v));
            }
            lua_rawset(L, -3);
        }
        first = 0;
        p = eol + 1;
    }
}

static lua_Integer opt_field_integer(lua_State *L, int t, const char *key, lua_Integer def)
{
    lua_getfield(L, t, key);
    lua_Integer v = luaL_optinteger(L, -1, def);
    lua_pop(L, 1);
    return v;
}

static const char *field_string(lua_State *L, int t, const char *key, size_t *len)
{
    lua_getfield(L, t, key);
    const char *s = lua_tolstring(L, -1, len);
    lua_pop(L, 1); /* the table keeps the string alive */
    return s;
}

/* A Lua progress function, called protected from libcurl's callback (an
 * error there must not unwind through libcurl): its failure stops nothing. */
struct lua_progress {
    lua_State *L;
    int fn; /* stack index */
};

static void call_lua_progress(void *ud, long long done, long long total)
{
    struct lua_progress *p = ud;
    lua_pushvalue(p->L, p->fn);
    lua_pushinteger(p->L, done);
    lua_pushinteger(p->L, total);
    if (lua_pcall(p->L, 2, 0, 0) != LUA_OK)
        lua_pop(p->L, 1);
}

/* The files a request streams from and to. */
struct streams {
    FILE *upload;   /* the body, from its current position */
    FILE *download; /* a 2xx answer's body */
    int write_failed;
};

static ssize_t read_upload(void *ud, char *dst, size_t n)
{
    FILE *f = ((struct streams *)ud)->upload;
    size_t got = fread(dst, 1, n, f);
    return got == 0 && ferror(f) ? -1 : (ssize_t)got;
}

static int write_download(void *ud, const char *p, size_t n)
{
    struct streams *s = ud;
    if (fwrite(p, 1, n, s->download) != n) {
        s->write_failed = 1;
        return -1;
    }
    return 0;
}

/* Opens the streams a request names (upload_file from upload_offset,
 * upload_length bytes; download_file, truncated). Returns NULL or the
 * path that could not be opened. */
static const char *open_streams(lua_State *L, int t, struct fg_http_request *req, struct streams *s)
{
    const char *up = field_string(L, t, "upload_file", NULL);
    const char *down = field_string(L, t, "download_file", NULL);
    if (up) {
        s->upload = fopen(up, "rb");
        if (!s->upload)
            return up;
        long long offset = (long long)opt_field_integer(L, t, "upload_offset", 0);
        req->read_length = (long long)opt_field_integer(L, t, "upload_length", -1);
        if (req->read_length < 0) {
            if (fseeko(s->upload, 0, SEEK_END) != 0)
                return up;
            req->read_length = (long long)ftello(s->upload) - offset;
        }
        if (fseeko(s->upload, (off_t)offset, SEEK_SET) != 0)
            return up;
        req->read_body = read_upload;
        req->read_ud = s;
    }
    if (down) {
        s->download = fopen(down, "wb");
        if (!s->download)
            return down;
        req->on_data = write_download;
        req->data_ud = s;
    }
    return NULL;
}

static void close_streams(struct streams *s)
{
    if (s->upload)
        fclose(s->upload);
    if (s->download)
        fclose(s->download);
    s->upload = s->download = NULL;
}

#define DEFAULT_BODY_MAX (64 * 1024 * 1024)

int fg_http_request_from_lua(lua_State *L, int idx, struct fg_http_request *req,
                             struct fg_buf *body, const char **bad)
{
    idx = lua_absindex(L, idx);
    memset(req, 0, sizeof *req);
    req->method = field_string(L, idx, "method", NULL);
    req->url = field_string(L, idx, "url", NULL);
    if (!req->method || !req->url) {
        *bad = "request: method and url are required";
        return -1;
    }
    static const char *const limits[] = {"connect_timeout_ms", "read_timeout_ms", "timeout_ms",
                                         "max_body"};
    lua_Integer v[4];
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, idx, limits[i]);
        int ok = 1;
        v[i] = lua_isnil(L, -1) ? 0 : lua_tointegerx(L, -1, &ok);
        lua_pop(L, 1);
        if (!ok) {
            *bad = "request: a limit is not an integer";
            return -1;
        }
    }
    req->connect_timeout_ms = (long)v[0];
    req->read_timeout_ms = (long)v[1];
    req->timeout_ms = v[2] > 0 ? (long)v[2] : 0;
    req->max_body = v[3] > 0 ? (size_t)v[3] : 0;
    lua_getfield(L, idx, "body");
    int rc = 0;
    if (lua_type(L, -1) == LUA_TSTRING) {
        req->body = lua_tolstring(L, -1, &req->body_len); /* the table keeps it */
    } else if (!lua_isnil(L, -1)) {
        rc = fg_secret_append_value(L, -1, body) || fg_buf_append(body, "", 0);
        req->body = body->data ? body->data : "";
        req->body_len = body->len;
        if (rc)
            *bad = "request body: expected a string, or a list of strings and secrets";
    }
    lua_pop(L, 1);
    if (rc)
        return -1;
    lua_getfield(L, idx, "headers");
    const char *bad_header;
    rc = fg_http_headers_from_lua(L, -1, &req->headers, &bad_header);
    lua_pop(L, 1);
    if (rc && bad_header) {
        *bad = bad_header;
        return -2;
    }
    if (rc)
        *bad = "request headers: expected a table";
    return rc;
}

enum fg_http_error fg_http_perform_lua(lua_State *L, struct fg_http_handle *h, int idx,
                                       size_t max_body, struct fg_http_response *r)
{
    struct fg_http_request req;
    const char *bad = NULL;
    struct fg_buf body;
    fg_buf_init_secret(&body, DEFAULT_BODY_MAX);
    int rc = fg_http_request_from_lua(L, idx, &req, &body, &bad);
    if (rc) {
        fg_http_headers_free(req.headers);
        fg_buf_clean_up(&body);
        luaL_error(L, rc == -2 ? "http request: bad header %s" : "http %s", bad);
    }
    if (max_body)
        req.max_body = max_body;
    req.ca_bundle = h->ca_bundle;
    enum fg_http_error err = fg_http_perform(&h->conn, &req, r);
    fg_http_headers_free(req.headers);
    fg_buf_clean_up(&body);
    if (err == FG_HTTP_INTERRUPTED) {
        fg_http_response_clean_up(r);
        luaL_error(L, "interrupted");
    }
    return err;
}

int fg_http_push_outcome(lua_State *L, enum fg_http_error err, const struct fg_http_response *r)
{
    if (err != FG_HTTP_OK) {
        static const char *const kinds[] = {"ok",    "timeout",     "connection", "too_large",
                                            "other", "interrupted", "other"};
        lua_pushnil(L);
        lua_pushstring(L, r->message);
        lua_pushstring(L, kinds[err]);
        return 3;
    }
    lua_pushinteger(L, r->status);
    push_headers(L, &r->headers);
    return 2;
}

static int response_gc(lua_State *L)
{
    fg_http_response_clean_up(luaL_checkudata(L, 1, RESPONSE_MT));
    return 0;
}

/* conn:request{method=, url=, headers=, body=, connect_timeout_ms=,
 * read_timeout_ms=, timeout_ms=, max_body=, upload_file=, upload_offset=,
 * upload_length=, download_file=, progress=} -> status, headers, body
 *                         | nil, message, kind ("timeout"|"connection"|"too_large"|"other")
 * body: a string, or a list of strings and secret objects (base/secret.h);
 * upload_file: the body is read from the file (upload_length bytes from
 * upload_offset; the rest of the file by default), in constant memory;
 * download_file: a 2xx answer's body is written there (body is then "");
 * progress(done_bytes, total_bytes) is called as they go.
 * Raises "interrupted" on SIGINT/SIGTERM. */
static int conn_request(lua_State *L)
{
    struct fg_http_handle *h = fg_http_handle_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);

    /* The response lives in a userdata so that a failed push cannot leak it. */
    struct fg_http_response *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    luaL_setmetatable(L, RESPONSE_MT);
    struct fg_http_request req;
    struct fg_buf body;
    fg_buf_init_secret(&body, DEFAULT_BODY_MAX);
    const char *bad = NULL;
    int rc = fg_http_request_from_lua(L, 2, &req, &body, &bad);
    if (rc) {
        fg_http_headers_free(req.headers);
        fg_buf_clean_up(&body);
        return luaL_error(L, rc == -2 ? "http request: bad header %s" : "http %s", bad);
    }
    req.ca_bundle = h->ca_bundle;

    struct lua_progress progress = {L, 0};
    if (lua_getfield(L, 2, "progress") == LUA_TFUNCTION) {
        progress.fn = lua_gettop(L);
        req.progress = call_lua_progress;
        req.progress_ud = &progress;
    } else {
        lua_pop(L, 1);
    }
    struct streams streams = {0};
    const char *unopened = open_streams(L, 2, &req, &streams);
    enum fg_http_error err = FG_HTTP_OTHER;
    if (unopened) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", unopened, strerror(errno));
        lua_pushliteral(L, "other");
    } else {
        err = fg_http_perform(&h->conn, &req, r);
        if (streams.download && (streams.write_failed || fflush(streams.download) != 0) &&
            (err == FG_HTTP_OK || err == FG_HTTP_CALLBACK)) {
            err = FG_HTTP_OTHER;
            snprintf(r->message, sizeof r->message, "cannot write the downloaded file");
        }
    }
    fg_http_headers_free(req.headers);
    fg_buf_clean_up(&body);
    close_streams(&streams);
    if (unopened)
        return 3;
    if (err == FG_HTTP_INTERRUPTED)
        return luaL_error(L, "interrupted");
    if (fg_http_push_outcome(L, err, r) == 3)
        return 3;
    lua_pushlstring(L, r->body.data ? r->body.data : "", r->body.len);
    return 3;
}

/* conn:close() -> nothing; harmless when repeated */
static int conn_close(lua_State *L)
{
    struct fg_http_handle *h = luaL_checkudata(L, 1, CONN_MT);
    fg_http_conn_close(&h->conn);
    free(h->ca_bundle);
    h->ca_bundle = NULL;
    return 0;
}

/* http.new([{ca_bundle = path}]) -> a connection (fg.net.http.Conn) */
static int http_new(lua_State *L)
{
    const char *ca = NULL;
    if (lua_istable(L, 1)) {
        lua_getfield(L, 1, "ca_bundle");
        ca = luaL_optstring(L, -1, NULL);
    }
    struct fg_http_handle *h = lua_newuserdatauv(L, sizeof *h, 0);
    memset(h, 0, sizeof *h);
    luaL_setmetatable(L, CONN_MT);
    if (ca && *ca && !(h->ca_bundle = strdup(ca)))
        return luaL_error(L, "out of memory");
    if (fg_http_conn_open(&h->conn))
        return luaL_error(L, "cannot create an HTTP handle");
    return 1;
}

int luaopen_fg_net_http(lua_State *L)
{
    static const luaL_Reg conn_methods[] = {
        {"request", conn_request},
        {"close", conn_close},
        {NULL, NULL},
    };
    fg_handle_type(L, CONN_MT, conn_methods, conn_close, NULL);
    if (luaL_newmetatable(L, RESPONSE_MT)) {
        lua_pushcfunction(L, response_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"new", http_new},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
