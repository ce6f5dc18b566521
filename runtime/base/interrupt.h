/* SIGINT/SIGTERM: the first one makes the running Lua code raise
 * "interrupted" at its next instruction (so scripts and rollback can react);
 * a second one ends the process at once with status 130. Installed by
 * core/main.c; polled by blocking C code (net/transfer.c, core/host.c's
 * sleep) and by the REPL. */
#ifndef FG_INTERRUPT_H
#define FG_INTERRUPT_H
#include <lua.h>

/* Installs the handlers; L is the state whose code gets interrupted. */
void fg_interrupt_install(lua_State *L);

/* True once a signal has arrived (stays true). Blocking C code (HTTP
 * transfers, sleeps) polls this to give up early. */
int fg_interrupt_pending(void);

/* The signal that arrived since the last reset, or 0 (stays set after
 * fg_interrupt_acknowledge: the exit status still says interrupted). */
int fg_interrupt_signal(void);

/* The interruption is being handled (rollback after "interrupted"): code
 * runs and sleeps normally again, but a further signal still ends the
 * process at once. */
void fg_interrupt_acknowledge(lua_State *L);

/* Forgets a handled signal (the REPL goes back to its prompt), so that the
 * next one interrupts again instead of ending the process. */
void fg_interrupt_reset(lua_State *L);

/* Raises the Lua error "interrupted" if a signal is pending. */
void fg_interrupt_check(lua_State *L);

#endif
