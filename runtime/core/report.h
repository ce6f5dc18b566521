/* Running Lua code under protection and telling the user what went wrong:
 * one line first, the traceback only when asked for (-v). Used by
 * core/main.c and core/repl.c. */
#ifndef FG_REPORT_H
#define FG_REPORT_H
#include <lua.h>

/* lua_pcall with fgrun's message handler: the function and its nargs
 * arguments are on the stack. On error leaves the message (a string: an
 * error object's __tostring, with the caller's script line) and returns the
 * status; the traceback is kept for fg_report_error. */
int fg_call(lua_State *L, int nargs, int nresults);

/* Registry key of the last error's original value (an error object stays
 * an object for fgrun.atexit handlers). */
#define FG_ERROR_VALUE_KEY "fgrun.error_value"

/* Prints the error message at the top of the stack as "error: ..." (and
 * the traceback with -v), then pops it. */
void fg_report_error(lua_State *L);

/* Prints "error: <msg>" on stderr. */
void fg_report(lua_State *L, const char *msg);

#endif
