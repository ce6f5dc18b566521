/* X-Registry-Auth: base64url of {"username","password","serveraddress"}.
 * The password is copied only into buffers that are wiped before release
 * and is never formatted into a message. */
#include "docker/auth.h"
#include "base/base64.h"
#include "base/buffer.h"
#include "base/json.h"

#include <lauxlib.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELD_BYTES (16 * 1024)

struct fg_docker_auth {
    char *header; /* base64url JSON, NUL-terminated */
    size_t header_len;
    char server[256]; /* for display */
};

static void wipe_free(void *p, size_t n)
{
    if (p) {
        OPENSSL_cleanse(p, n);
        free(p);
    }
}

/* Fills a with the header for these credentials. 0, or -1 (memory). */
static int encode_header(struct fg_docker_auth *a, const char *user, size_t user_len,
                         const char *password, size_t password_len, const char *server,
                         size_t server_len)
{
    struct fg_buf json;
    fg_buf_init_secret(&json, 64 + 6 * (user_len + password_len + server_len));
    int rc = -1;
    if (fg_buf_puts(&json, "{\"username\":") || fg_json_quote(&json, user, user_len) ||
        fg_buf_puts(&json, ",\"password\":") || fg_json_quote(&json, password, password_len) ||
        fg_buf_puts(&json, ",\"serveraddress\":") || fg_json_quote(&json, server, server_len) ||
        fg_buf_putc(&json, '}'))
        goto cleanup;
    a->header = malloc(FG_BASE64_ENCODED_LEN(json.len) + 1);
    if (!a->header)
        goto cleanup;
    a->header_len = fg_base64_encode(json.data, json.len, a->header, 1);
    rc = 0;
cleanup:
    fg_buf_clean_up(&json);
    return rc;
}

static void set_server(struct fg_docker_auth *a, const char *server, size_t n)
{
    if (n >= sizeof a->server)
        n = sizeof a->server - 1;
    memcpy(a->server, server, n);
    a->server[n] = '\0';
}

static struct fg_docker_auth *new_auth(lua_State *L)
{
    struct fg_docker_auth *a = lua_newuserdatauv(L, sizeof *a, 0);
    memset(a, 0, sizeof *a);
    luaL_setmetatable(L, FG_DOCKER_AUTH_MT);
    return a;
}

/* auth{username=, password=, serveraddress=} -> Auth */
static int docker_auth(lua_State *L)
{
    size_t user_len, password_len, server_len;
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "username");
    lua_getfield(L, 1, "password");
    lua_getfield(L, 1, "serveraddress");
    const char *user = luaL_optlstring(L, 2, "", &user_len);
    const char *password = luaL_optlstring(L, 3, "", &password_len);
    const char *server = luaL_optlstring(L, 4, "", &server_len);
    if (user_len > MAX_FIELD_BYTES || password_len > MAX_FIELD_BYTES ||
        server_len > MAX_FIELD_BYTES)
        return luaL_error(L, "docker.auth: credentials longer than %d bytes", MAX_FIELD_BYTES);
    struct fg_docker_auth *a = new_auth(L);
    set_server(a, server, server_len);
    if (encode_header(a, user, user_len, password, password_len, server, server_len) != 0)
        return luaL_error(L, "docker.auth: out of memory");
    return 1;
}

int fg_docker_push_ecr_auth(lua_State *L, const char *token, size_t token_len, const char *server,
                            size_t server_len)
{
    if (token_len > 4 * MAX_FIELD_BYTES || token_len % 4 != 0)
        return -1;
    struct fg_docker_auth *a = new_auth(L);
    set_server(a, server, server_len);
    size_t cap = FG_BASE64_DECODED_MAX(token_len), n;
    unsigned char *plain = malloc(cap);
    int ok = 0;
    if (!plain) {
        lua_pop(L, 1);
        return -2;
    }
    if (fg_base64_decode(token, token_len, plain, &n) == 0) {
        const unsigned char *colon = n > 0 ? memchr(plain, ':', n) : NULL;
        if (colon) {
            size_t user_len = (size_t)(colon - plain);
            ok = encode_header(a, (const char *)plain, user_len, (const char *)colon + 1,
                               n - user_len - 1, server, server_len) == 0
                     ? 1
                     : -1;
        }
    }
    wipe_free(plain, cap);
    if (ok != 1)
        lua_pop(L, 1);
    return ok == 1 ? 0 : ok == -1 ? -2 : -1;
}

const char *fg_docker_auth_header(lua_State *L, int idx)
{
    struct fg_docker_auth *a = luaL_checkudata(L, idx, FG_DOCKER_AUTH_MT);
    if (!a->header)
        luaL_error(L, "docker: registry auth already released");
    return a->header;
}

/* __gc: wipes the header. */
static int auth_gc(lua_State *L)
{
    struct fg_docker_auth *a = luaL_checkudata(L, 1, FG_DOCKER_AUTH_MT);
    wipe_free(a->header, a->header_len + 1);
    a->header = NULL;
    return 0;
}

/* __tostring: names the server only. */
static int auth_tostring(lua_State *L)
{
    struct fg_docker_auth *a = luaL_checkudata(L, 1, FG_DOCKER_AUTH_MT);
    lua_pushfstring(L, "docker registry auth for %s", a->server[0] ? a->server : "(any)");
    return 1;
}

/* __index: only `server` is readable. */
static int auth_index(lua_State *L)
{
    struct fg_docker_auth *a = luaL_checkudata(L, 1, FG_DOCKER_AUTH_MT);
    if (strcmp(luaL_checkstring(L, 2), "server") == 0)
        lua_pushstring(L, a->server);
    else
        lua_pushnil(L);
    return 1;
}

void fg_docker_auth_open(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", auth_gc},
        {"__tostring", auth_tostring},
        {"__index", auth_index},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, FG_DOCKER_AUTH_MT))
        luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    lua_pushcfunction(L, docker_auth);
    lua_setfield(L, -2, "auth");
}
