/* require "core.ecr_login": ECR's GetAuthorizationToken made and read in
 * C. Its answer holds base64("AWS:<password>"): read through the Lua
 * client, the whole answer and the token would be Lua strings, which
 * cannot be wiped and live on until collected (and in freed memory after).
 * Here the body stays in a buffer wiped on release, the token is decoded
 * into the registry Auth (runtime/docker/auth.c), and the parsed copy is
 * wiped before it is freed. */
#include "docker/auth.h"
#include "net/http.h"
#include "aws/secret_json.h"

#include <lauxlib.h>
#include <string.h>

#define ANSWER_MAX (1024 * 1024) /* a token of a few KB */

static void push_failure(lua_State *L, long status, const char *code, const char *message)
{
    lua_pushnil(L);
    lua_createtable(L, 0, 3);
    if (status) {
        lua_pushinteger(L, status);
        lua_setfield(L, -2, "status");
    }
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
}

static const char *string_member(const cJSON *object, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Reads the answer: pushes auth and expiry (or nil) and returns 2, or
 * pushes nil and a failure {status, code, message} and returns 2. */
static int read_answer(lua_State *L, long status, const cJSON *doc)
{
    if (status != 200) {
        const char *code = doc ? string_member(doc, "__type") : NULL;
        const char *message = doc ? string_member(doc, "message") : NULL;
        if (code && strchr(code, '#'))
            code = strrchr(code, '#') + 1;
        char fallback[32];
        snprintf(fallback, sizeof fallback, "HTTP%ld", status);
        push_failure(L, status, code ? code : fallback, message ? message : "");
        return 2;
    }
    const cJSON *data =
        doc ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "authorizationData"), 0)
            : NULL;
    const char *token = data ? string_member(data, "authorizationToken") : NULL;
    const char *server = data ? string_member(data, "proxyEndpoint") : NULL;
    if (!token) {
        push_failure(L, status, "InvalidResponse",
                     "GetAuthorizationToken returned no authorization data");
        return 2;
    }
    int rc = fg_docker_push_ecr_auth(L, token, strlen(token), server ? server : "",
                                     server ? strlen(server) : 0);
    if (rc != 0) {
        push_failure(L, status, "InvalidResponse",
                     rc == -2 ? "out of memory" : "malformed authorization token");
        return 2;
    }
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(data, "expiresAt");
    if (cJSON_IsNumber(expires))
        lua_pushnumber(L, expires->valuedouble);
    else
        lua_pushnil(L);
    return 2;
}

/* ecrlogin.fetch(conn, req) -> auth, expires_at (epoch seconds or nil)
 *                           | nil, {status=, code=, message=}
 * req: a signed GetAuthorizationToken request ({method, url, headers,
 * body}, as client.build_request gives it); conn: net.http's connection
 * for its URL. A connection failure has no status and code
 * "ConnectionError" (or "RequestTimeout"). Raises "interrupted". */
static int ecrlogin_fetch(lua_State *L)
{
    struct fg_http_handle *h = fg_http_handle_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    struct fg_http_response r;
    enum fg_http_error e = fg_http_perform_lua(L, h, 2, ANSWER_MAX, &r);
    if (e != FG_HTTP_OK) {
        push_failure(L, 0, e == FG_HTTP_TIMEOUT ? "RequestTimeout" : "ConnectionError", r.message);
        fg_http_response_clean_up(&r);
        return 2;
    }
    cJSON *doc = r.body.data ? cJSON_ParseWithLength(r.body.data, r.body.len) : NULL;
    int n = read_answer(L, r.status, doc);
    fg_secret_json_wipe(doc);
    cJSON_Delete(doc);
    fg_http_response_clean_up(&r);
    return n;
}

int luaopen_fg_core_ecr_login(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"fetch", ecrlogin_fetch},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}
