/* The command line's settings, as the `fgrun` Lua module (require
 * "core.host", public name "fgrun") shows them: set by core/main.c, read
 * by the stdlib and core/report.c. */
#ifndef FG_HOST_H
#define FG_HOST_H
#include <lua.h>

struct fg_host_options {
    int verbosity;         /* 0 normal, 1 -v, 2 -vv ... */
    int quiet;             /* -q */
    int color;             /* colour on stderr: a terminal, no --no-color/NO_COLOR */
    const char *env;       /* --env NAME */
    const char *state_dir; /* --state-dir DIR */
    const char *state;     /* --state LOCATION (a folder or s3://bucket/prefix) */
    int destroy, keep, json;
    int plan, no_build;   /* --plan, --no-build: show what a run would change, change nothing */
    int confirm, yes;     /* --confirm: the plan first, then y/N; --yes answers it */
    int exit_status;      /* fgrun.exit_status(n): the status of a script that succeeds */
    const char **defines; /* -D KEY=VALUE, NULL-terminated */
};

/* Registry key of the fgrun.atexit handlers (a sequence). */
#define FG_ATEXIT_KEY "fgrun.atexit"

/* Set by main before any script runs; read by luaopen_fg_core_host. */
extern struct fg_host_options fg_host;

int luaopen_fg_core_host(lua_State *L);

#endif
