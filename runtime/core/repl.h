/* The interactive prompt (libedit), started by core/main.c; its Lua side
 * (ready names, formats, completion, help) is stdlib/repl.lua. */
#ifndef FG_REPL_H
#define FG_REPL_H
#include <lua.h>

/* Reads statements from standard input until end of file, running each
 * and showing the values of expressions. On a terminal: line editing,
 * history in ~/.fgrun_history, Tab completion, Ctrl-C cancels the line or
 * interrupts the running code. Returns when input ends (Ctrl-D). */
void fg_repl_run(lua_State *L);

#endif
