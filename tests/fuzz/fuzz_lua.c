/* libFuzzer harness for the parsers written in or reached from Lua. The
 * target is a Lua file (FUZZ_LUA_TARGET, a path fixed at build time) that
 * returns a function; each input is passed to it as a string inside
 * lua_pcall. A Lua error is an answer (bad input rejected); only crashes,
 * sanitizer reports and leaks are findings. The lua_State is built as
 * main.c builds it: standard libraries plus fgrun's preloaded modules.
 * Lua code is invisible to clang's coverage, so a line hook marks each
 * (chunk, line) reached in libFuzzer's extra counters: the JMESPath parser
 * and the response parsers, written in Lua, are fuzzed with guidance too. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/preload.h"

#ifndef FUZZ_LUA_TARGET
#error "FUZZ_LUA_TARGET must name the target's Lua file"
#endif

/* collect garbage this often, so memory stays flat over long runs */
#define GC_EVERY 256
#define LUA_COUNTERS (1 << 16)

/* libFuzzer reads this section as extra coverage counters (Linux). */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t lua_lines[LUA_COUNTERS];

static lua_State *L;
static int target_ref = LUA_NOREF;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_lua: %s: %s\n", what, lua_tostring(L, -1));
    abort();
}

/* Line hook: the chunk's source string (interned, so its address names
 * the chunk) and the line pick a counter. */
static void on_line(lua_State *l, lua_Debug *ar)
{
    if (!lua_getinfo(l, "S", ar))
        return;
    uintptr_t h = (uintptr_t)ar->source * 2654435761u ^ (uintptr_t)ar->currentline * 40503u;
    uint8_t *c = &lua_lines[(h ^ (h >> 16)) % LUA_COUNTERS];
    if (*c < 255)
        (*c)++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    L = luaL_newstate();
    if (!L)
        abort();
    luaL_openlibs(L);
    fg_preload_all(L);
    if (luaL_loadfile(L, FUZZ_LUA_TARGET) != LUA_OK)
        die("loading " FUZZ_LUA_TARGET);
    if (lua_pcall(L, 0, 1, 0) != LUA_OK)
        die("running " FUZZ_LUA_TARGET);
    if (!lua_isfunction(L, -1)) {
        lua_pushliteral(L, "the target must return a function");
        die(FUZZ_LUA_TARGET);
    }
    target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned runs;
    lua_rawgeti(L, LUA_REGISTRYINDEX, target_ref);
    lua_pushlstring(L, (const char *)data, size);
    lua_sethook(L, on_line, LUA_MASKLINE, 0);
    (void)lua_pcall(L, 1, 0, 0);
    lua_sethook(L, NULL, 0, 0);
    lua_settop(L, 0);
    if (++runs % GC_EVERY == 0)
        lua_gc(L, LUA_GCCOLLECT);
    return 0;
}
