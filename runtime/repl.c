/* A plain read-eval-print loop, in the manner of lua's own: an expression
 * prints its values, an unfinished statement continues on the next line.
 * Line editing, history and completion come with the REPL issue. */
#include "repl.h"
#include "interrupt.h"
#include "report.h"
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPL_MAX_LINE 65536

/* Reads one line (without its newline) onto the stack; 0 at end of input. */
static int read_line(lua_State *L, const char *prompt, int interactive)
{
    static char line[REPL_MAX_LINE];
    if (interactive) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    if (!fgets(line, sizeof line, stdin))
        return 0;
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    lua_pushlstring(L, line, len);
    return 1;
}

/* Is the compile error at the top about input that simply ended early? */
static int incomplete(lua_State *L, int status)
{
    if (status != LUA_ERRSYNTAX)
        return 0;
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    static const char eof_mark[] = "<eof>";
    return len >= sizeof eof_mark - 1 && strcmp(msg + len - (sizeof eof_mark - 1), eof_mark) == 0;
}

/* Compiles the source at the top: first as `return <source>` so that an
 * expression shows its value, then as a statement, reading more lines
 * while the statement is unfinished. Leaves the chunk, or an error
 * message; returns the load status, or -1 at end of input. */
static int compile_input(lua_State *L, int interactive)
{
    const char *src = lua_tostring(L, -1);
    const char *ret = lua_pushfstring(L, "return %s;", src);
    if (luaL_loadbuffer(L, ret, strlen(ret), "=stdin") == LUA_OK) {
        lua_remove(L, -2);
        lua_remove(L, -2);
        return LUA_OK;
    }
    lua_pop(L, 2);
    for (;;) {
        size_t len;
        src = lua_tolstring(L, -1, &len);
        int status = luaL_loadbuffer(L, src, len, "=stdin");
        if (!incomplete(L, status)) {
            lua_remove(L, -2);
            return status;
        }
        lua_pop(L, 1);
        if (!read_line(L, ">> ", interactive)) {
            lua_pop(L, 1);
            return -1;
        }
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
}

/* Prints the values left on the stack above base, as print() would. */
static void print_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n == 0)
        return;
    lua_getglobal(L, "print");
    lua_insert(L, base + 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK)
        fg_report(L, lua_tostring(L, -1));
}

void fg_repl_run(lua_State *L)
{
    int interactive = isatty(STDIN_FILENO);
    for (;;) {
        lua_settop(L, 0);
        if (!read_line(L, "> ", interactive))
            break;
        int status = compile_input(L, interactive);
        if (status == -1)
            break;
        if (status == LUA_OK)
            status = fg_call(L, 0, LUA_MULTRET);
        if (status == LUA_OK)
            print_results(L, 0);
        else
            fg_report_error(L);
        if (fg_interrupt_pending())
            fg_interrupt_reset(L);
    }
    if (interactive)
        fputc('\n', stdout);
    lua_settop(L, 0);
}
