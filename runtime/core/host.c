/* require "fgrun": the host's settings and the few system services Lua
 * lacks (clocks, interruptible sleep, random UUIDs, levelled logging). */
#include "core/host.h"
#include "base/escape.h"
#include "base/interrupt.h"
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct fg_host_options fg_host;

/* fgrun.now() -> seconds since the epoch, as a float. */
static int fgrun_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + ts.tv_nsec / 1e9);
    return 1;
}

/* fgrun.monotonic() -> seconds on a clock that never jumps. */
static int fgrun_monotonic(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + ts.tv_nsec / 1e9);
    return 1;
}

/* fgrun.sleep(seconds): returns nothing; raises "interrupted" when a
 * signal arrives meanwhile. Sleeps in short slices to notice it. */
static int fgrun_sleep(lua_State *L)
{
    lua_Number seconds = luaL_checknumber(L, 1);
    struct timespec end, now;
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += (time_t)seconds;
    end.tv_nsec += (long)((seconds - (lua_Number)(time_t)seconds) * 1e9);
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    for (;;) {
        fg_interrupt_check(L);
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long left_ns =
            (long long)(end.tv_sec - now.tv_sec) * 1000000000LL + (end.tv_nsec - now.tv_nsec);
        if (left_ns <= 0)
            return 0;
        if (left_ns > 50000000LL)
            left_ns = 50000000LL;
        struct timespec slice = {0, (long)left_ns};
        while (nanosleep(&slice, &slice) != 0 && errno == EINTR && !fg_interrupt_pending())
            ;
    }
}

/* fgrun.uuid4() -> a random (version 4) UUID string. */
static int fgrun_uuid4(lua_State *L)
{
    unsigned char b[16];
    /* getrandom(2), not OpenSSL: a UUID should not load libcrypto. */
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            return luaL_error(L, "uuid4: no random bytes available: %s", strerror(errno));
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    char s[37];
    snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
    lua_pushstring(L, s);
    return 1;
}

/* fgrun.isatty(fd) -> true when the descriptor (0, 1, 2) is a terminal. */
static int fgrun_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* fgrun.interrupted() -> true once SIGINT/SIGTERM has arrived. */
static int fgrun_interrupted(lua_State *L)
{
    lua_pushboolean(L, fg_interrupt_pending());
    return 1;
}

/* fgrun.log(level, fmt, ...): string.format(fmt, ...) to stderr (control
 * bytes escaped, newlines and tabs kept), with a
 * newline, when the verbosity is at least level. Returns nothing. */
static int fgrun_log(lua_State *L)
{
    lua_Integer level = luaL_checkinteger(L, 1);
    if (level > fg_host.verbosity)
        return 0;
    int n = lua_gettop(L);
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "format");
    for (int i = 2; i <= n; i++)
        lua_pushvalue(L, i);
    lua_call(L, n - 1, 1);
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    fg_escape_write(stderr, msg, len, 1); /* log lines quote servers */
    fputc('\n', stderr);
    return 0;
}

/* fgrun.atexit(fn): fn(ok, error_value, message) runs when the script has
 * ended, newest first, before the exit status is settled; after an
 * interruption too (signals are then acknowledged, so it can clean up).
 * A handler that returns true has dealt with the error. */
static int fgrun_atexit(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, FG_ATEXIT_KEY);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

/* fgrun.exit_status(n): the exit status when the script ends without an
 * error (n from 0 to 125; `fgrun --plan` exits 2 for "changes"). An error
 * or an interruption still exits 1 or 130. */
static int fgrun_exit_status(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0 && n <= 125, 1, "an exit status from 0 to 125");
    fg_host.exit_status = (int)n;
    return 0;
}

static void set_string_field(lua_State *L, const char *key, const char *value)
{
    if (value) {
        lua_pushstring(L, value);
        lua_setfield(L, -2, key);
    }
}

static void set_bool_field(lua_State *L, const char *key, int value)
{
    lua_pushboolean(L, value);
    lua_setfield(L, -2, key);
}

/* The `options` table: only the reserved options that were given. */
static void push_options(lua_State *L)
{
    lua_newtable(L);
    set_string_field(L, "env", fg_host.env);
    set_string_field(L, "state_dir", fg_host.state_dir);
    set_string_field(L, "state", fg_host.state);
    set_bool_field(L, "destroy", fg_host.destroy);
    set_bool_field(L, "keep", fg_host.keep);
    set_bool_field(L, "json", fg_host.json);
    set_bool_field(L, "plan", fg_host.plan);
    set_bool_field(L, "no_build", fg_host.no_build);
    set_bool_field(L, "confirm", fg_host.confirm);
    set_bool_field(L, "yes", fg_host.yes);
    lua_newtable(L);
    for (int i = 0; fg_host.defines && fg_host.defines[i]; i++) {
        lua_pushstring(L, fg_host.defines[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "defines");
}

int luaopen_fg_core_host(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"now", fgrun_now},
        {"monotonic", fgrun_monotonic},
        {"sleep", fgrun_sleep},
        {"uuid4", fgrun_uuid4},
        {"interrupted", fgrun_interrupted},
        {"isatty", fgrun_isatty},
        {"log", fgrun_log},
        {"atexit", fgrun_atexit},
        {"exit_status", fgrun_exit_status},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    lua_pushstring(L, FGRUN_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, fg_host.verbosity);
    lua_setfield(L, -2, "verbosity");
    lua_pushboolean(L, fg_host.quiet);
    lua_setfield(L, -2, "quiet");
    lua_pushboolean(L, fg_host.color);
    lua_setfield(L, -2, "color");
    push_options(L);
    lua_setfield(L, -2, "options");
    return 1;
}
