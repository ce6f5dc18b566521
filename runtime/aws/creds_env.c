/* Credentials from the environment: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN. See creds_sources.h. */
#include "aws/creds_sources.h"
#include "aws/creds_object.h"

#include <stdlib.h>
#include <lauxlib.h>

int fg_creds_from_env(lua_State *L)
{
    const char *akid = getenv("AWS_ACCESS_KEY_ID");
    const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
    if ((!akid || !*akid) && (!secret || !*secret))
        return 0;
    struct fg_creds *c = fg_creds_push_empty(L);
    char err[128];
    if (fg_creds_fill(c, akid, secret, getenv("AWS_SESSION_TOKEN"), NULL, err, sizeof err))
        return luaL_error(L, "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: %s",
                          err);
    return 1;
}
