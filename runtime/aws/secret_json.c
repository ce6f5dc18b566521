/* JSON documents that hold secrets: the AWS CLI's SSO token cache and the
 * answers of IAM Identity Center (GetRoleCredentials) and SSO OIDC
 * (CreateToken). They are read in C; the values of the keys named secret
 * become aws.secret objects, everything else plain Lua values, and the
 * text is wiped. require "aws.secret_json". Writing such a document back is
 * core.fs.write_atomic with secret parts (secret:json()). */
#include "aws/secret_json.h"
#include "aws/config_file.h"
#include "net/http.h"
#include "aws/secret.h"

#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define DOC_MT "fg.aws.SecretJSONDoc"
#define DOCUMENT_MAX (256 * 1024)
#define DEPTH_MAX 16

void fg_secret_json_wipe(cJSON *j)
{
    for (; j; j = j->next) {
        if (j->valuestring)
            OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
        fg_secret_json_wipe(j->child);
    }
}

/* A parsed document lives in a userdata, so that an error while it is
 * turned into Lua values (out of memory, too deep) wipes and frees it. */
static void drop_doc(cJSON **doc)
{
    if (*doc) {
        fg_secret_json_wipe(*doc);
        cJSON_Delete(*doc);
        *doc = NULL;
    }
}

static int doc_gc(lua_State *L)
{
    drop_doc(luaL_checkudata(L, 1, DOC_MT));
    return 0;
}

static cJSON **push_doc(lua_State *L)
{
    cJSON **doc = lua_newuserdatauv(L, sizeof *doc, 0);
    *doc = NULL;
    if (luaL_newmetatable(L, DOC_MT)) {
        lua_pushcfunction(L, doc_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return doc;
}

/* Pushes v; strings under a key of the set at keys become secrets. */
static void push_value(lua_State *L, const cJSON *v, int keys, int secret, int depth)
{
    if (depth > DEPTH_MAX)
        luaL_error(L, "JSON nested too deeply");
    if (cJSON_IsString(v)) {
        if (secret)
            fg_secret_push(L, v->valuestring, strlen(v->valuestring));
        else
            lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(lua_Integer)d && d > -9007199254740992.0 && d < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)d);
        else
            lua_pushnumber(L, d);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        lua_newtable(L);
        lua_Integer i = 0;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (cJSON_IsNull(c))
                continue;
            int is_secret = 0;
            if (cJSON_IsObject(v)) {
                lua_getfield(L, keys, c->string);
                is_secret = lua_toboolean(L, -1);
                lua_pop(L, 1);
            }
            push_value(L, c, keys, is_secret, depth + 1);
            if (cJSON_IsObject(v))
                lua_setfield(L, -2, c->string);
            else
                lua_rawseti(L, -2, ++i);
        }
    } else {
        lua_pushnil(L);
    }
}

/* Turns the list of secret key names at idx into a set, pushed. */
static int push_key_set(lua_State *L, int idx)
{
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_newtable(L);
    lua_Integer n = luaL_len(L, idx);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
    }
    return lua_gettop(L);
}

/* secretjson.load(path, secret_keys) -> table | nil when the file does not exist
 * Raises when it is unreadable or not a JSON object, never quoting it. */
static int secretjson_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int keys = push_key_set(L, 2);
    cJSON **doc = push_doc(L);
    struct fg_buf b;
    fg_buf_init_secret(&b, DOCUMENT_MAX);
    if (fg_config_read_file(path, &b)) {
        int err = errno;
        fg_buf_clean_up(&b);
        if (err == ENOENT)
            return 0;
        return luaL_error(L, "cannot read %s: %s", path,
                          err == EFBIG ? "file too large" : strerror(err));
    }
    *doc = cJSON_ParseWithLength(b.data, b.len);
    fg_buf_clean_up(&b);
    if (!cJSON_IsObject(*doc))
        return luaL_error(L, "%s is not a JSON object", path);
    push_value(L, *doc, keys, 0, 0);
    drop_doc(doc);
    return 1;
}

/* secretjson.request(conn, req, secret_keys) -> status, headers, document | nil, message, kind
 * Sends req (as conn:request takes it; the body may hold secrets) and
 * reads a JSON answer; document is nil when the body is not JSON. Raises
 * "interrupted" on SIGINT/SIGTERM. */
static int secretjson_request(lua_State *L)
{
    struct fg_http_handle *h = fg_http_handle_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    int keys = push_key_set(L, 3);
    cJSON **doc = push_doc(L);
    struct fg_http_response r;
    enum fg_http_error e = fg_http_perform_lua(L, h, 2, DOCUMENT_MAX, &r);
    if (e == FG_HTTP_OK)
        *doc = cJSON_ParseWithLength(r.body.data ? r.body.data : "", r.body.len);
    int n = fg_http_push_outcome(L, e, &r);
    fg_http_response_clean_up(&r);
    if (n == 3)
        return 3;
    if (*doc)
        push_value(L, *doc, keys, 0, 0);
    else
        lua_pushnil(L);
    drop_doc(doc);
    return 3;
}

int luaopen_fg_aws_secret_json(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"load", secretjson_load},
        {"request", secretjson_request},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
