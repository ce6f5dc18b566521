/* Credentials from secrets already in C memory (aws.secret objects: an SSO
 * or web identity answer read by aws/secret_json.c). See creds_sources.h. */
#include "aws/creds_sources.h"
#include "aws/creds_object.h"
#include "aws/secret.h"

#include <lauxlib.h>

int fg_creds_from_secrets(lua_State *L)
{
    const char *akid = luaL_checkstring(L, 1);
    struct fg_secret *secret = fg_secret_test(L, 2);
    struct fg_secret *token = fg_secret_test(L, 3);
    luaL_argexpected(L, secret != NULL, 2, "secret");
    luaL_argexpected(L, token != NULL || lua_isnoneornil(L, 3), 3, "secret or nil");
    double exp = luaL_optnumber(L, 4, 0);
    struct fg_creds *c = fg_creds_push_empty(L);
    char err[128];
    if (fg_creds_set(c, akid, fg_secret_data(secret, NULL),
                     token ? fg_secret_data(token, NULL) : NULL, exp, err, sizeof err))
        return luaL_error(L, "%s", err);
    return 1;
}
