/* Signal handling. See interrupt.h. */
#include "base/interrupt.h"
#include <lauxlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t signal_count; /* signals since the last reset */
static volatile sig_atomic_t pending;      /* arrived and not yet handled */
static volatile sig_atomic_t last_signal;
static lua_State *interrupted_state;

/* Runs inside Lua at the next instruction after a signal: clears itself so
 * that code reacting to the error (rollback) runs normally. */
static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted");
}

static void on_signal(int sig)
{
    if (signal_count > 0) {
        static const char msg[] = "\ninterrupted again: stopping now\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(130);
    }
    signal_count = 1;
    last_signal = sig;
    pending = 1;
    /* lua_sethook is the one Lua call meant to be safe from a signal handler. */
    if (interrupted_state)
        lua_sethook(interrupted_state, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT,
                    1);
}

void fg_interrupt_install(lua_State *L)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted_state = L;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int fg_interrupt_pending(void)
{
    return pending != 0;
}

int fg_interrupt_signal(void)
{
    return last_signal;
}

void fg_interrupt_acknowledge(lua_State *L)
{
    lua_sethook(L, NULL, 0, 0);
    pending = 0;
}

void fg_interrupt_reset(lua_State *L)
{
    fg_interrupt_acknowledge(L);
    signal_count = 0;
    last_signal = 0;
}

void fg_interrupt_check(lua_State *L)
{
    if (pending)
        luaL_error(L, "interrupted");
}
