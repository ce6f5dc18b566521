/* Credentials from an HTTP answer: the container and EC2 metadata
 * endpoints, STS AssumeRole. The body is read in C (aws/creds_json.c,
 * aws/sts_xml.c) so that the secrets never become Lua strings. See
 * creds_sources.h. */
#include "aws/creds_sources.h"
#include "aws/creds_json.h"
#include "aws/creds_object.h"
#include "aws/sts_xml.h"
#include "net/http.h"

#include <stdio.h>
#include <lauxlib.h>

#define DOCUMENT_MAX (64 * 1024)

int fg_creds_from_http(lua_State *L)
{
    struct fg_http_handle *h = fg_http_handle_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const formats[] = {"json", "sts", NULL};
    int format = luaL_checkoption(L, 3, NULL, formats);
    struct fg_creds *c = fg_creds_push_empty(L);
    struct fg_http_response r;
    char err[512] = "";
    enum fg_http_error e = fg_http_perform_lua(L, h, 2, DOCUMENT_MAX, &r);
    if (e != FG_HTTP_OK)
        snprintf(err, sizeof err, "%s", r.message);
    else if (format == 1)
        fg_sts_fill_creds(c, r.status, &r.body, err, sizeof err);
    else if (r.status / 100 != 2)
        snprintf(err, sizeof err, "HTTP %ld", r.status);
    else if (fg_buf_append(&r.body, "", 0) == 0)
        fg_creds_fill_json(c, r.body.data ? r.body.data : "", 0, err, sizeof err);
    fg_http_response_clean_up(&r);
    if (err[0]) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    return 1;
}
