/* fgrun's command line: options in the manner of lua's own, the protected
 * run of the script, and the exit code (0 ok, 1 script error, 2 usage,
 * 130 interrupted; with --plan 0 no changes, 2 changes, 1 any error). */
#include "core/core_dumps.h"
#include "core/host.h"
#include "base/interrupt.h"
#include "core/preload.h"
#include "core/repl.h"
#include "core/report.h"
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_SCRIPT = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static const char HELP[] =
    "usage: fgrun [options] [script [args...]]\n"
    "Runs a Lua 5.4 script with fgrun's library (aws, docker, fg, json, jmespath).\n"
    "With no script: the prompt on a terminal, else statements from standard input.\n"
    "\n"
    "  -e CODE          run CODE              fgrun -e "
    "'print(aws.sts.get_caller_identity{}.Account)'\n"
    "  -l NAME          require NAME into global NAME (or -l g=NAME)   fgrun -l json -e "
    "'print(json.encode{1})'\n"
    "  -i               open the prompt after the script                fgrun -i "
    "recipes/fargate_alb.lua\n"
    "  -                run standard input as the script               echo 'print(1)' | fgrun -\n"
    "  --               stop handling options                          fgrun -- -odd-name.lua\n"
    "  -v, --verbose    more detail: -v calls and tracebacks, -vv the wire   fgrun -vv script.lua\n"
    "  -q, --quiet      no progress output, only results and errors   fgrun -q script.lua\n"
    "  --no-color       no colour (also when NO_COLOR is set)          fgrun --no-color "
    "script.lua\n"
    "  --env NAME       parameters from env/NAME.lua beside the script fgrun --env prod "
    "recipes/fargate_alb.lua\n"
    "  -D KEY=VALUE     set one parameter (repeatable)                 fgrun -D desired_count=2 "
    "recipes/fargate_alb.lua\n"
    "  --destroy        remove what the deployment created             fgrun --destroy "
    "recipes/fargate_alb.lua\n"
    "  --keep           on failure, keep what was created (no rollback) fgrun --keep "
    "recipes/fargate_alb.lua\n"
    "  --plan           show what a run would change; change nothing    fgrun --plan "
    "recipes/fargate_alb.lua\n"
    "  --no-build       with --plan: no image build (shown as rebuilt)  fgrun --plan --no-build "
    "recipe.lua\n"
    "  --confirm        show the plan first and ask y/N before a run    fgrun --confirm "
    "recipes/fargate_alb.lua\n"
    "  --yes            answer yes to --confirm (or an env file's confirm) fgrun --confirm --yes "
    "recipe.lua\n"
    "  --state-dir DIR  where deployment journals live (./.fgrun)      fgrun --state-dir "
    "/var/lib/fgrun recipe.lua\n"
    "  --state LOC      journals in a folder or s3://BUCKET/PREFIX     fgrun --state "
    "s3://team-state/fgrun recipe.lua\n"
    "  --force-unlock ID clear the S3 lock of a run that died           fgrun --state s3://b/p "
    "--force-unlock 6f1c2e0a-...\n"
    "  --migrate-state  move --state-dir's journals to --state         fgrun --state s3://b/p "
    "--migrate-state\n"
    "  --region NAME    AWS region, over AWS_REGION and the profile    fgrun --region eu-west-1 "
    "recipe.lua\n"
    "  --profile NAME   AWS profile from the shared config files       fgrun --profile staging "
    "recipe.lua\n"
    "  --json           machine-readable output                        fgrun --plan --json "
    "recipe.lua\n"
    "  --debug          allow core dumps (off by default: they would hold credentials)  fgrun "
    "--debug x.lua\n"
    "  --version        print the version and exit                     fgrun --version\n"
    "  -h, --help       print this help and exit                       fgrun --help\n"
    "\n"
    "Exit status: 0 success, 1 script error, 2 usage error, 130 interrupted.\n"
    "With --plan (as terraform's -detailed-exitcode): 0 no changes, 2 changes (the plan\n"
    "is complete on standard output), 1 any error, a usage error too.\n";

/* The command line, as parsed: options first, then the script and its args. */
struct cli {
    int script;      /* index of the script in argv, or 0 */
    int interactive; /* -i */
    int has_code;    /* some -e or -l */
    int no_color;
    const char *force_unlock; /* --force-unlock ID */
    int migrate_state;        /* --migrate-state */
    int debug;                /* --debug: core dumps stay possible */
    const char **defines;
    int ndefines;
};

static void usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "fgrun: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'fgrun --help'.\n");
}

/* Value of an option given as "--opt=value", "--opt value", "-Xvalue" or
 * "-X value"; NULL (and an error printed) when it is missing. */
static const char *option_value(int argc, char **argv, int *i, size_t name_len)
{
    const char *arg = argv[*i];
    if (arg[name_len] == '=')
        return arg + name_len + 1;
    if (arg[1] != '-' && arg[name_len] != '\0')
        return arg + name_len;
    if (*i + 1 < argc)
        return argv[++*i];
    usage_error("option '%s' needs a value", arg);
    return NULL;
}

static int is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 &&
           (arg[n] == '\0' || arg[n] == '=' || (name[1] != '-' && name[2] == '\0'));
}

/* Parses the options; returns -1 to go on, or an exit code. -e and -l are
 * only checked here and run later, in order, by run_code_options. */
static int parse_options(int argc, char **argv, struct cli *cli)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (a[0] != '-' || strcmp(a, "-") == 0)
            break;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(HELP, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("fgrun %s (%s)\n", FGRUN_VERSION, LUA_RELEASE);
            return EXIT_OK;
        } else if (strcmp(a, "--verbose") == 0) {
            fg_host.verbosity++;
        } else if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
            fg_host.verbosity += (int)strlen(a + 1);
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            fg_host.quiet = 1;
        } else if (strcmp(a, "--no-color") == 0) {
            cli->no_color = 1;
        } else if (strcmp(a, "-i") == 0) {
            cli->interactive = 1;
        } else if (is_option(a, "-e") || is_option(a, "-l")) {
            if (!option_value(argc, argv, &i, 2))
                return EXIT_USAGE;
            cli->has_code = 1;
        } else if (is_option(a, "-D")) {
            if (!(v = option_value(argc, argv, &i, 2)))
                return EXIT_USAGE;
            if (!strchr(v, '=')) {
                usage_error("-D wants KEY=VALUE, got '%s'", v);
                return EXIT_USAGE;
            }
            cli->defines[cli->ndefines++] = v;
        } else if (is_option(a, "--env") || is_option(a, "--state-dir") ||
                   is_option(a, "--state") || is_option(a, "--force-unlock") ||
                   is_option(a, "--region") || is_option(a, "--profile")) {
            size_t name_len = strcspn(a, "=");
            if (!(v = option_value(argc, argv, &i, name_len)))
                return EXIT_USAGE;
            if (strncmp(a, "--env", name_len) == 0 && name_len == 5)
                fg_host.env = v;
            else if (is_option(a, "--state"))
                fg_host.state = v;
            else if (is_option(a, "--force-unlock"))
                cli->force_unlock = v;
            else if (strncmp(a, "--state-dir", name_len) == 0)
                fg_host.state_dir = v;
            else if (strncmp(a, "--region", name_len) == 0)
                setenv("AWS_REGION", v, 1);
            else {
                /* as the AWS CLI's --profile: the profile wins over keys
                 * and web identity settings in the environment */
                setenv("AWS_PROFILE", v, 1);
                unsetenv("AWS_ACCESS_KEY_ID");
                unsetenv("AWS_SECRET_ACCESS_KEY");
                unsetenv("AWS_SESSION_TOKEN");
                unsetenv("AWS_ROLE_ARN");
                unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
                unsetenv("AWS_ROLE_SESSION_NAME");
            }
        } else if (strcmp(a, "--destroy") == 0) {
            fg_host.destroy = 1;
        } else if (strcmp(a, "--migrate-state") == 0) {
            cli->migrate_state = 1;
        } else if (strcmp(a, "--keep") == 0) {
            fg_host.keep = 1;
        } else if (strcmp(a, "--json") == 0) {
            fg_host.json = 1;
        } else if (strcmp(a, "--plan") == 0) {
            fg_host.plan = 1;
        } else if (strcmp(a, "--no-build") == 0) {
            fg_host.no_build = 1;
        } else if (strcmp(a, "--confirm") == 0) {
            fg_host.confirm = 1;
        } else if (strcmp(a, "--yes") == 0) {
            fg_host.yes = 1;
        } else if (strcmp(a, "--debug") == 0) {
            cli->debug = 1;
        } else {
            usage_error("unknown option '%s'", a);
            return EXIT_USAGE;
        }
    }
    cli->script = i < argc ? i : 0;
    if (fg_host.no_build && !fg_host.plan) {
        usage_error("%s", "--no-build goes with --plan (a run builds the image it deploys)");
        return EXIT_USAGE;
    }
    if (fg_host.confirm && fg_host.plan) {
        usage_error("%s", "--confirm asks before a run; a --plan changes nothing, so there is "
                          "nothing to confirm");
        return EXIT_USAGE;
    }
    return -1;
}

/* With --plan anywhere on the command line, 2 means "the plan has
 * changes": a usage error is then 1, as every other error. */
static int usage_status(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--plan") == 0)
            return EXIT_SCRIPT;
    return EXIT_USAGE;
}

/* The global `arg`, as lua sets it: the script at 0, the interpreter and
 * options at negative indices, the script's arguments from 1. */
static void create_arg_table(lua_State *L, int argc, char **argv, int script)
{
    if (script == 0)
        script = argc;
    lua_createtable(L, argc - script, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

/* Puts the script's own folder first on package.path. */
static void add_script_dir(lua_State *L, const char *script)
{
    const char *slash = strrchr(script, '/');
    lua_getglobal(L, "package");
    if (slash)
        lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;",
                        lua_pushlstring(L, script, (size_t)(slash - script)), lua_tostring(L, -1));
    else
        lua_pushliteral(L, "./?.lua;./?/init.lua;");
    lua_getfield(L, -2 - (slash != NULL), "path");
    lua_concat(L, 2);
    lua_setfield(L, -2 - (slash != NULL), "path");
    lua_settop(L, 0);
}

/* -l NAME or -l g=NAME: require NAME and keep the result in a global. */
static int require_global(lua_State *L, const char *spec)
{
    const char *eq = strchr(spec, '=');
    const char *mod = eq ? eq + 1 : spec;
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = fg_call(L, 1, 1);
    if (status == LUA_OK) {
        if (eq)
            lua_pushlstring(L, spec, (size_t)(eq - spec));
        else
            lua_pushstring(L, mod);
        lua_insert(L, -2);
        lua_setglobal(L, lua_tostring(L, -2));
        lua_pop(L, 1);
    }
    return status;
}

/* Runs -e and -l in the order given. */
static int run_code_options(lua_State *L, int argc, char **argv, int script)
{
    int end = script ? script : argc;
    for (int i = 1; i < end; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        int is_e = is_option(a, "-e"), is_l = is_option(a, "-l");
        if (!is_e && !is_l)
            continue;
        const char *code = a[2] ? a + 2 : argv[++i];
        int status = is_l ? require_global(L, code)
                          : luaL_loadbuffer(L, code, strlen(code), "=(command line)");
        if (is_e && status == LUA_OK)
            status = fg_call(L, 0, 0);
        if (status != LUA_OK)
            return status;
    }
    return LUA_OK;
}

/* Loads and runs the script (NULL: standard input) with its arguments. */
static int run_script(lua_State *L, const char *path, int nargs_from, int argc, char **argv)
{
    int status = luaL_loadfile(L, path);
    if (status != LUA_OK)
        return status;
    for (int i = nargs_from; i < argc; i++)
        lua_pushstring(L, argv[i]);
    return fg_call(L, argc - nargs_from, 0);
}

/* Runs the fgrun.atexit handlers, newest first, with the outcome so far;
 * returns the outcome after them (a handler may deal with the error, or
 * fail itself). Signals are acknowledged first, so cleanup can run. */
static int run_exit_handlers(lua_State *L, int status)
{
    fg_interrupt_acknowledge(L);
    if (status == LUA_OK)
        lua_pushnil(L);
    int msg = lua_gettop(L); /* the error message so far, or nil */
    lua_getfield(L, LUA_REGISTRYINDEX, FG_ATEXIT_KEY);
    int handlers = msg + 1;
    lua_Integer n = lua_istable(L, handlers) ? (lua_Integer)lua_rawlen(L, handlers) : 0;
    for (lua_Integer i = n; i >= 1; i--) {
        lua_rawgeti(L, handlers, i);
        lua_pushboolean(L, status == LUA_OK);
        if (status == LUA_OK)
            lua_pushnil(L);
        else
            lua_getfield(L, LUA_REGISTRYINDEX, FG_ERROR_VALUE_KEY);
        lua_pushvalue(L, msg);
        int hstatus = fg_call(L, 3, 1);
        if (hstatus != LUA_OK) {
            if (status != LUA_OK) {
                fg_report_error(L); /* reported; the first error stays the outcome */
            } else {
                lua_replace(L, msg);
                status = hstatus;
            }
            continue;
        }
        int handled = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (handled && status != LUA_OK) {
            lua_pushnil(L);
            lua_replace(L, msg);
            status = LUA_OK;
        }
    }
    lua_settop(L, msg);
    if (status == LUA_OK)
        lua_pop(L, 1);
    return status;
}

/* --env, -D, --destroy, --keep, --state-dir, --json, --plan and --confirm
 * act through the deployment library; a script that never loaded it would
 * silently ignore them, so that is an error. */
static int unused_deployment_options(lua_State *L, const struct cli *cli)
{
    const char *given = fg_host.destroy     ? "--destroy"
                        : fg_host.keep      ? "--keep"
                        : fg_host.env       ? "--env"
                        : cli->ndefines     ? "-D"
                        : fg_host.state_dir ? "--state-dir"
                        : fg_host.state     ? "--state"
                        : fg_host.json      ? "--json"
                        : fg_host.plan      ? "--plan"
                        : fg_host.confirm   ? "--confirm"
                                            : NULL;
    if (!given)
        return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "fg");
    int loaded = !lua_isnil(L, -1);
    lua_pop(L, 2);
    if (loaded)
        return 0;
    fprintf(stderr, "fgrun: %s had no effect: the script declared no deployment (require \"fg\")\n",
            given);
    return 1;
}

static int is_journal(const char *path)
{
    size_t n = strlen(path);
    return n > 5 && strcmp(path + n - 5, ".json") == 0;
}

/* Calls fg.<name>(arg) (arg may be NULL): the commands that work on
 * journals rather than run a script (fgrun --destroy JOURNAL.json,
 * --force-unlock ID, --migrate-state). */
static int call_fg(lua_State *L, const char *name, const char *arg)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "fg");
    int status = fg_call(L, 1, 1);
    if (status != LUA_OK)
        return status;
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (arg)
        lua_pushstring(L, arg);
    else
        lua_pushnil(L);
    return fg_call(L, 1, 0);
}

static int exit_code(lua_State *L, int status)
{
    if (fg_interrupt_signal()) {
        if (status != LUA_OK)
            lua_pop(L, 1);
        fprintf(stderr, "interrupted\n");
        return EXIT_INTERRUPTED;
    }
    if (status == LUA_OK)
        return fg_host.exit_status;
    fg_report_error(L);
    return EXIT_SCRIPT;
}

int main(int argc, char **argv)
{
    const char *define_slots[argc + 1];
    memset(define_slots, 0, sizeof define_slots);
    struct cli cli = {0};
    cli.defines = define_slots;
    int rc = parse_options(argc, argv, &cli);
    if (rc == EXIT_USAGE)
        return usage_status(argc, argv);
    if (rc >= 0)
        return rc;
    if ((cli.force_unlock && cli.script) ||
        (cli.migrate_state && cli.script && cli.script + 1 < argc)) {
        usage_error("%s", cli.force_unlock ? "--force-unlock ID takes no script or journal"
                                           : "--migrate-state takes one journal or folder at most");
        return usage_status(argc, argv);
    }
    if (fg_host.plan && (cli.force_unlock || cli.migrate_state)) {
        usage_error("%s", "--plan plans a deploy or a destroy; --force-unlock and --migrate-state "
                          "change the state itself and have no plan");
        return usage_status(argc, argv);
    }
    if (!cli.debug)
        fg_core_dumps_off();
    fg_host.defines = define_slots;
    const char *no_color_env = getenv("NO_COLOR");
    fg_host.color = !cli.no_color && !(no_color_env && *no_color_env) && isatty(STDERR_FILENO);

    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "fgrun: not enough memory\n");
        return EXIT_SCRIPT;
    }
    luaL_openlibs(L);
    fg_preload_all(L);
    create_arg_table(L, argc, argv, cli.script);
    fg_interrupt_install(L);

    const char *script = cli.script ? argv[cli.script] : NULL;
    if (script && strcmp(script, "-") != 0)
        add_script_dir(L, script);
    int status = run_code_options(L, argc, argv, cli.script);
    if (status == LUA_OK && cli.force_unlock)
        status = call_fg(L, "force_unlock", cli.force_unlock);
    else if (status == LUA_OK && cli.migrate_state)
        status = call_fg(L, "migrate_state", script);
    else if (status == LUA_OK && script && fg_host.destroy && is_journal(script))
        status = call_fg(L, "destroy_journal", script);
    else if (status == LUA_OK && script)
        status =
            run_script(L, strcmp(script, "-") == 0 ? NULL : script, cli.script + 1, argc, argv);
    else if (status == LUA_OK && !cli.has_code && !cli.interactive && !isatty(STDIN_FILENO))
        status = run_script(L, NULL, argc, argc, argv);
    if (status == LUA_OK &&
        (cli.interactive || (!script && !cli.has_code && isatty(STDIN_FILENO)))) {
        fg_repl_run(L); /* a SIGTERM that ended it still makes the status 130 */
    }
    status = run_exit_handlers(L, status);
    rc = exit_code(L, status);
    if (status == LUA_OK && rc != EXIT_INTERRUPTED && unused_deployment_options(L, &cli))
        rc = usage_status(argc, argv);
    lua_close(L);
    return rc;
}
