/* The credentials object. See creds_object.h. */
#include "aws/creds_object.h"
#include "base/handle.h"
#include "base/secret.h"
#include "base/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define CREDS_MT "fg.aws.Creds"

struct fg_creds {
    char *access_key_id;
    char *secret;
    char *token;       /* NULL without a session token */
    double expiration; /* Unix seconds; 0 when they do not expire */
};

struct fg_creds *fg_creds_test(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, CREDS_MT);
}

struct fg_creds *fg_creds_check(lua_State *L, int idx)
{
    struct fg_creds *c = luaL_checkudata(L, idx, CREDS_MT);
    if (!c->access_key_id)
        luaL_error(L, "credentials are closed");
    return c;
}

const char *fg_creds_access_key_id(const struct fg_creds *c)
{
    return c->access_key_id;
}
const char *fg_creds_secret(const struct fg_creds *c)
{
    return c->secret;
}
const char *fg_creds_token(const struct fg_creds *c)
{
    return c->token;
}

static void wipe_string(char **s)
{
    if (*s) {
        OPENSSL_cleanse(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

static void creds_clear(struct fg_creds *c)
{
    wipe_string(&c->access_key_id);
    wipe_string(&c->secret);
    wipe_string(&c->token);
    c->expiration = 0;
}

struct fg_creds *fg_creds_push_empty(lua_State *L)
{
    struct fg_creds *c = lua_newuserdatauv(L, sizeof *c, 0);
    memset(c, 0, sizeof *c);
    luaL_setmetatable(L, CREDS_MT);
    return c;
}

int fg_creds_set(struct fg_creds *c, const char *akid, const char *secret, const char *token,
                 double exp, char *err, size_t errlen)
{
    if (!akid || !*akid || !secret || !*secret) {
        snprintf(err, errlen, "the credentials lack %s",
                 (!akid || !*akid) ? "an access key id" : "a secret access key");
        return -1;
    }
    creds_clear(c);
    c->access_key_id = strdup(akid);
    c->secret = strdup(secret);
    c->token = token && *token ? strdup(token) : NULL;
    c->expiration = exp;
    if (!c->access_key_id || !c->secret || (token && *token && !c->token)) {
        creds_clear(c);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int fg_creds_fill(struct fg_creds *c, const char *akid, const char *secret, const char *token,
                  const char *expiration, char *err, size_t errlen)
{
    double exp = 0;
    if (expiration && *expiration) {
        long long whole;
        double fraction;
        if (fg_time_parse(expiration, strlen(expiration), &whole, &fraction) ||
            whole + fraction < 0) {
            snprintf(err, errlen, "cannot read the expiration time");
            return -1;
        }
        exp = (double)whole + fraction;
    }
    return fg_creds_set(c, akid, secret, token, exp, err, errlen);
}

/* creds:access_key_id() -> string (not a secret) */
static int creds_access_key_id(lua_State *L)
{
    lua_pushstring(L, fg_creds_check(L, 1)->access_key_id);
    return 1;
}

/* creds:expiration() -> Unix seconds | nil when they do not expire */
static int creds_expiration(lua_State *L)
{
    struct fg_creds *c = fg_creds_check(L, 1);
    if (c->expiration <= 0)
        return 0;
    lua_pushnumber(L, c->expiration);
    return 1;
}

/* creds:has_token() -> boolean */
static int creds_has_token(lua_State *L)
{
    lua_pushboolean(L, fg_creds_check(L, 1)->token != NULL);
    return 1;
}

/* creds:close() -> nothing; wipes the secrets now. Also __gc and __close. */
static int creds_close(lua_State *L)
{
    creds_clear(luaL_checkudata(L, 1, CREDS_MT));
    return 0;
}

/* tostring(creds) -> "credentials AKID..." without secrets */
static int creds_tostring(lua_State *L)
{
    struct fg_creds *c = luaL_checkudata(L, 1, CREDS_MT);
    lua_pushfstring(L, "credentials %s", c->access_key_id ? c->access_key_id : "(closed)");
    return 1;
}

static const char *read_token(void *object, size_t *len)
{
    const char *token = ((struct fg_creds *)object)->token;
    *len = token ? strlen(token) : 0;
    return token;
}

void fg_creds_register(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"access_key_id", creds_access_key_id},
        {"expiration", creds_expiration},
        {"has_token", creds_has_token},
        {"close", creds_close},
        {NULL, NULL},
    };
    static const struct fg_secret_reader token_reader = {read_token};
    fg_handle_type(L, CREDS_MT, methods, creds_close, creds_tostring);
    luaL_getmetatable(L, CREDS_MT);
    fg_secret_mark(L, &token_reader);
    lua_pop(L, 1);
}
