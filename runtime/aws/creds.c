/* require "aws.creds": credentials objects (aws/creds_object.c) and the
 * sources that read secrets (aws/creds_env.c, creds_file.c,
 * creds_process.c, creds_http.c, creds_secrets.c; see creds_sources.h). */
#include "aws/creds_object.h"
#include "aws/creds_sources.h"

#include <lauxlib.h>

int luaopen_fg_aws_creds(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"from_env", fg_creds_from_env},         {"from_file", fg_creds_from_file},
        {"from_process", fg_creds_from_process}, {"from_http", fg_creds_from_http},
        {"from_secrets", fg_creds_from_secrets}, {NULL, NULL},
    };
    fg_creds_register(L);
    luaL_newlib(L, fns);
    return 1;
}
