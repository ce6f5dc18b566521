/* Protected calls and error reports. See report.h. */
#include "core/report.h"
#include "base/escape.h"
#include "core/host.h"
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

static const char TRACEBACK_KEY[] = "fgrun.traceback";

/* The innermost frame that runs the user's code (a script, -e, stdin)
 * rather than the embedded library; pushes "source:line" or nothing. */
static int push_user_location(lua_State *L)
{
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0 && strncmp(ar.source, "@stdlib/", 8) != 0) {
            lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
            return 1;
        }
    }
    return 0;
}

/* Message handler: turns the error value into one line of text and keeps
 * the traceback aside. An error object prints through its __tostring and
 * gains the script line that led to it; a message raised inside the
 * embedded library gains that line too. */
static int message_handler(lua_State *L)
{
    lua_pushvalue(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, FG_ERROR_VALUE_KEY);
    const char *msg = lua_tostring(L, 1);
    int from_library = msg && strncmp(msg, "stdlib/", 7) == 0;
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        if (push_user_location(L))
            msg = lua_pushfstring(L, "%s: %s", lua_tostring(L, -1), msg);
    } else if (from_library && push_user_location(L)) {
        msg = lua_pushfstring(L, "%s (at %s)", msg, lua_tostring(L, -1));
    }
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
    lua_pushstring(L, msg);
    return 1;
}

int fg_call(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

void fg_report(lua_State *L, const char *msg)
{
    (void)L;
    fflush(stdout);
    fputs(fg_host.color ? "\033[1;31merror:\033[0m " : "error: ", stderr);
    /* the message may quote a server: its control bytes are escaped */
    fg_escape_write(stderr, msg, strlen(msg), 1);
    fputc('\n', stderr);
    fflush(stderr);
}

void fg_report_error(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    fg_report(L, msg ? msg : "(error object is not a string)");
    lua_getfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
    if (fg_host.verbosity > 0 && lua_isstring(L, -1))
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
    lua_pop(L, 2);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_KEY);
}
