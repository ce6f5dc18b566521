/* The interactive prompt. */
#ifndef FG_REPL_H
#define FG_REPL_H
#include <lua.h>

/* Reads statements from standard input until end of file, running each
 * and printing the values of expressions. Returns when input ends. */
void fg_repl_run(lua_State *L);

#endif
