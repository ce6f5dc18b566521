/* Secrets held in C memory. See secret.h. */
#include "aws/secret.h"
#include "base/json.h"
#include "base/percent.h"
#include "base/secret.h"
#include "aws/config_file.h"
#include "base/handle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define SECRET_MT "fg.aws.Secret"
/* STS takes web identity tokens of up to 20,000 characters. */
#define SECRET_FILE_MAX (64 * 1024)

struct fg_secret {
    char *data; /* NULL once closed */
    size_t len;
};

static void register_type(lua_State *L);

struct fg_secret *fg_secret_test(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, SECRET_MT);
}

const char *fg_secret_data(const struct fg_secret *s, size_t *len)
{
    if (len)
        *len = s->data ? s->len : 0;
    return s->data ? s->data : "";
}

struct fg_secret *fg_secret_push(lua_State *L, const char *data, size_t len)
{
    struct fg_secret *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->data = NULL;
    s->len = 0;
    register_type(L);
    luaL_setmetatable(L, SECRET_MT);
    s->data = malloc(len + 1);
    if (!s->data)
        luaL_error(L, "out of memory");
    memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;
    return s;
}

/* Pushes a secret made of b's contents and wipes b. */
static struct fg_secret *push_from_buf(lua_State *L, struct fg_buf *b, int full)
{
    if (full) {
        fg_buf_clean_up(b);
        luaL_error(L, "secret too large");
    }
    struct fg_secret *s = lua_newuserdatauv(L, sizeof *s, 0);
    s->data = NULL;
    s->len = 0;
    register_type(L);
    luaL_setmetatable(L, SECRET_MT);
    s->len = b->len;
    s->data = b->data ? b->data : strdup(""); /* ownership moves to s */
    b->data = NULL;
    fg_buf_clean_up(b);
    if (!s->data)
        luaL_error(L, "out of memory");
    return s;
}

static struct fg_secret *check_open(lua_State *L, int idx)
{
    struct fg_secret *s = luaL_checkudata(L, idx, SECRET_MT);
    if (!s->data)
        luaL_error(L, "the secret is closed");
    return s;
}

/* secret.read_file(path) -> secret
 * The whole file, trailing white space removed (as the SDKs read web
 * identity token files). Raises when unreadable or empty, never quoting it. */
static int secret_read_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct fg_buf b;
    fg_buf_init_secret(&b, SECRET_FILE_MAX);
    if (fg_config_read_file(path, &b)) {
        int err = errno;
        fg_buf_clean_up(&b);
        return luaL_error(L, "cannot read %s: %s", path,
                          err == EFBIG ? "file too large" : strerror(err));
    }
    while (b.len && strchr(" \t\r\n\f\v", b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (b.len == 0) {
        fg_buf_clean_up(&b);
        return luaL_error(L, "%s is empty", path);
    }
    push_from_buf(L, &b, 0);
    return 1;
}

/* secret:form() -> a new secret, percent-encoded for a query string or a
 * form body (RFC 3986 unreserved characters kept). */
static int secret_form(lua_State *L)
{
    struct fg_secret *s = check_open(L, 1);
    struct fg_buf b;
    fg_buf_init_secret(&b, 3 * s->len + 1);
    int full = fg_percent_append(&b, s->data, s->len, 0);
    push_from_buf(L, &b, full);
    return 1;
}

/* secret:json() -> a new secret: the value as a JSON string literal. */
static int secret_json(lua_State *L)
{
    struct fg_secret *s = check_open(L, 1);
    struct fg_buf b;
    fg_buf_init_secret(&b, 6 * s->len + 3);
    int full = fg_json_quote(&b, s->data, s->len);
    push_from_buf(L, &b, full);
    return 1;
}

/* secret:close() -> nothing; wipes it now. Also __gc and __close. */
static int secret_close(lua_State *L)
{
    struct fg_secret *s = luaL_checkudata(L, 1, SECRET_MT);
    if (s->data) {
        OPENSSL_cleanse(s->data, s->len);
        free(s->data);
    }
    s->data = NULL;
    s->len = 0;
    return 0;
}

static int secret_tostring(lua_State *L)
{
    struct fg_secret *s = luaL_checkudata(L, 1, SECRET_MT);
    lua_pushstring(L, s->data ? "secret (not shown)" : "secret (closed)");
    return 1;
}

/* Secrets are made by other modules too (the SSO token cache). */
/* What net/http.c and core/fs.c read (base/secret.h). */
static const char *read_secret(void *object, size_t *len)
{
    struct fg_secret *s = object;
    *len = s->data ? s->len : 0;
    return s->data;
}

static void register_type(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"form", secret_form},
        {"json", secret_json},
        {"close", secret_close},
        {NULL, NULL},
    };
    static const struct fg_secret_reader reader = {read_secret};
    fg_handle_type(L, SECRET_MT, methods, secret_close, secret_tostring);
    luaL_getmetatable(L, SECRET_MT);
    fg_secret_mark(L, &reader);
    lua_pop(L, 1);
}

int luaopen_fg_aws_secret(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"read_file", secret_read_file},
        {NULL, NULL},
    };
    register_type(L);
    luaL_newlib(L, fns);
    return 1;
}
