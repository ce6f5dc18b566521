/* The read-eval-print loop, in the manner of lua's own: an expression
 * prints its value, an unfinished statement continues on the next line.
 * On a terminal it edits lines with libedit (history, completion, Ctrl-C
 * cancels the line); otherwise it reads statements from standard input
 * without a prompt. Printing, :commands, completion and the ready names
 * are the Lua module "repl" (stdlib/repl.lua). */
#include "core/repl.h"
#include "core/host.h"
#include "base/interrupt.h"
#include "core/report.h"
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <lauxlib.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#define REPL_MAX_LINE 65536
#define REPL_HISTORY_LINES 1000
/* What the character reader hands libedit when SIGINT arrives: bound to
 * the cancel function. With ISIG on, a typed ^C never arrives as a byte. */
#define REPL_CANCEL_CHAR L'\003'

static const char API_KEY[] = "fgrun.repl";

struct repl {
    lua_State *L;
    EditLine *el; /* NULL when standard input is not a terminal */
    History *hist;
    char history_path[PATH_MAX];
    const char *prompt;
    int cancelled; /* SIGINT arrived while reading the line */
};

/* Pushes the repl module's function `name`, or nothing and returns 0 when
 * the module did not load. */
static int push_api(lua_State *L, const char *name)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, API_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_getfield(L, -1, name);
    lua_remove(L, -2);
    if (lua_isfunction(L, -1))
        return 1;
    lua_pop(L, 1);
    return 0;
}

/* Loads the repl module and runs its setup (ready names, q, help) with
 * whether the output may be coloured; keeps its table in the registry. */
static void load_api(lua_State *L, int color)
{
    lua_getglobal(L, "require");
    lua_pushliteral(L, "repl");
    if (fg_call(L, 1, 1) != LUA_OK) {
        fg_report_error(L);
        return;
    }
    lua_getfield(L, -1, "setup");
    lua_createtable(L, 0, 1);
    lua_pushboolean(L, color);
    lua_setfield(L, -2, "color");
    if (fg_call(L, 1, 0) != LUA_OK) {
        fg_report_error(L);
        lua_pop(L, 1);
        return;
    }
    lua_setfield(L, LUA_REGISTRYINDEX, API_KEY);
}

/* ---- terminal input (libedit) ---- */

static const char *prompt_of(EditLine *el)
{
    struct repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    return r->prompt;
}

/* Waits until standard input can be read or a signal arrives: SIGINT and
 * SIGTERM are blocked except inside ppoll, so one that comes just before
 * the wait is not missed. Returns 1 when readable, 0 on a signal. */
static int wait_for_input(void)
{
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    int ready = 0;
    if (!fg_interrupt_pending()) {
        struct pollfd in = {STDIN_FILENO, POLLIN, 0};
        ready = ppoll(&in, 1, NULL, &saved) > 0 || errno != EINTR;
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return ready;
}

/* libedit's character reader: one (multibyte) character from the terminal.
 * On SIGINT it hands back the cancel character, which ends the line; on
 * SIGTERM the end of input. Returns 1, 0 at end of input, -1 on error. */
static int read_char(EditLine *el, wchar_t *wc)
{
    (void)el;
    mbstate_t state;
    memset(&state, 0, sizeof state);
    for (;;) {
        char byte;
        ssize_t got = wait_for_input() ? read(STDIN_FILENO, &byte, 1) : -1;
        if (got == 1) {
            size_t n = mbrtowc(wc, &byte, 1, &state);
            if (n == (size_t)-2)
                continue;
            if (n == (size_t)-1) {
                memset(&state, 0, sizeof state);
                *wc = (unsigned char)byte;
            }
            return 1;
        }
        if (got == 0)
            return 0;
        if (fg_interrupt_signal() == SIGTERM)
            return 0;
        if (fg_interrupt_pending()) {
            *wc = REPL_CANCEL_CHAR;
            return 1;
        }
        if (errno != EINTR && errno != EAGAIN)
            return -1;
    }
}

/* Bound to the cancel character: ends the line, which the loop drops. */
static unsigned char cancel_line(EditLine *el, int ch)
{
    (void)ch;
    struct repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    r->cancelled = 1;
    return CC_NEWLINE;
}

/* Tab: asks repl.complete(text before the cursor, terminal width) for the
 * text to insert and, when the choice is open, a listing to show. */
static unsigned char complete_word(EditLine *el, int ch)
{
    (void)ch;
    struct repl *r;
    el_get(el, EL_CLIENTDATA, &r);
    lua_State *L = r->L;
    int top = lua_gettop(L);
    unsigned char result = CC_ERROR;
    int columns = 80;
    el_get(el, EL_GETTC, "co", &columns);
    const LineInfo *line = el_line(el);
    if (!push_api(L, "complete"))
        return CC_ERROR;
    lua_pushlstring(L, line->buffer, (size_t)(line->cursor - line->buffer));
    lua_pushinteger(L, columns);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK)
        goto cleanup;
    const char *insert = lua_tostring(L, -2);
    const char *listing = lua_tostring(L, -1);
    if (insert && *insert) {
        if (el_insertstr(el, insert) == 0)
            result = CC_REFRESH;
    } else if (listing && *listing) {
        fputc('\n', stdout);
        fputs(listing, stdout);
        fflush(stdout);
        result = CC_REDISPLAY;
    }
cleanup:
    lua_settop(L, top);
    if (fg_interrupt_pending()) {
        /* Ctrl-C during a slow completion cancels the line */
        r->cancelled = 1;
        return CC_NEWLINE;
    }
    return result;
}

static void history_open(struct repl *r)
{
    HistEvent ev;
    r->hist = history_init();
    if (!r->hist)
        return;
    history(r->hist, &ev, H_SETSIZE, REPL_HISTORY_LINES);
    history(r->hist, &ev, H_SETUNIQUE, 1);
    const char *home = getenv("HOME");
    if (home && *home) {
        int n = snprintf(r->history_path, sizeof r->history_path, "%s/.fgrun_history", home);
        struct stat st;
        if (n <= 0 || (size_t)n >= sizeof r->history_path) {
            r->history_path[0] = '\0';
        } else if (lstat(r->history_path, &st) == 0 && S_ISLNK(st.st_mode)) {
            /* a planted link would have the prompt read or overwrite its target */
            fprintf(stderr, "history not kept: %s is a symbolic link\n", r->history_path);
            r->history_path[0] = '\0';
        } else {
            history(r->hist, &ev, H_LOAD, r->history_path);
        }
    }
}

/* Adds a line to the history and rewrites the file (readable by its owner
 * only), unless repl.history_ok says the line looks like it holds a secret. */
static void history_add(struct repl *r, const char *line)
{
    lua_State *L = r->L;
    HistEvent ev;
    if (!r->hist || line[strspn(line, " \t")] == '\0')
        return;
    if (!push_api(L, "history_ok"))
        return;
    lua_pushstring(L, line);
    int ok = lua_pcall(L, 1, 1, 0) == LUA_OK && lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!ok)
        return;
    history(r->hist, &ev, H_ENTER, line);
    if (!r->history_path[0])
        return;
    int fd = open(r->history_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (fchmod(fd, 0600) != 0) { /* a file made before, by hand */
        close(fd);
        return;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return;
    }
    history(r->hist, &ev, H_SAVE_FP, f);
    fclose(f);
}

static int terminal_open(struct repl *r)
{
    /* libedit decodes input by the locale's character set; without one
     * (the C locale) it would mangle UTF-8, which terminals send today. */
    const char *ctype = setlocale(LC_CTYPE, "");
    if (!ctype || strcmp(ctype, "C") == 0 || strcmp(ctype, "POSIX") == 0)
        setlocale(LC_CTYPE, "C.UTF-8");
    r->el = el_init("fgrun", stdin, stdout, stderr);
    if (!r->el)
        return 0;
    el_set(r->el, EL_CLIENTDATA, r);
    el_set(r->el, EL_SIGNAL, 0);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_PROMPT, prompt_of);
    el_set(r->el, EL_GETCFN, read_char);
    /* The wide call: libedit's narrow EL_ADDFN leaks its copies of the names. */
    el_wset(r->el, EL_ADDFN, L"fg-complete", L"complete a name", complete_word);
    el_wset(r->el, EL_ADDFN, L"fg-cancel", L"cancel the line", cancel_line);
    el_set(r->el, EL_BIND, "^I", "fg-complete", NULL);
    el_set(r->el, EL_BIND, "^C", "fg-cancel", NULL);
    history_open(r);
    if (r->hist)
        el_set(r->el, EL_HIST, history, r->hist);
    el_source(r->el, NULL);
    return 1;
}

static void terminal_close(struct repl *r)
{
    if (r->el)
        el_end(r->el);
    if (r->hist)
        history_end(r->hist);
}

/* ---- the loop ---- */

/* Reads one line (without its newline) onto the stack: 1 when read, 0 at
 * end of input, -1 when Ctrl-C cancelled it. */
static int read_line(struct repl *r, const char *prompt)
{
    if (!r->el) {
        static char line[REPL_MAX_LINE];
        if (!fgets(line, sizeof line, stdin))
            return 0;
        size_t len = strcspn(line, "\n");
        if (line[len] != '\n' && !feof(stdin)) {
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
            fg_report(r->L, "line longer than 64 KiB: skipped");
            return -1;
        }
        lua_pushlstring(r->L, line, len);
        return 1;
    }
    int count;
    r->prompt = prompt;
    r->cancelled = 0;
    el_resize(r->el);
    const char *line = el_gets(r->el, &count);
    if (fg_interrupt_signal() == SIGTERM)
        return 0;
    if (r->cancelled || fg_interrupt_pending()) {
        fg_interrupt_reset(r->L);
        fputc('\n', stdout);
        fflush(stdout);
        return -1;
    }
    if (!line || count <= 0)
        return 0;
    size_t len = strcspn(line, "\n");
    lua_pushlstring(r->L, line, len);
    history_add(r, lua_tostring(r->L, -1));
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
 * message; returns the load status, or 0/-1 from read_line when input
 * ended or the statement was cancelled (nothing left then). */
static int compile_input(struct repl *r)
{
    lua_State *L = r->L;
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
        int got = read_line(r, ">> ");
        if (got != 1) {
            lua_pop(L, 1);
            return got == 0 ? -1 : -2;
        }
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
}

/* Shows the values left on the stack above base through repl.show (which
 * also keeps the first as `_`), or print() without the module. */
static void show_results(lua_State *L, int base)
{
    int n = lua_gettop(L) - base;
    if (n == 0)
        return;
    if (!push_api(L, "show"))
        lua_getglobal(L, "print");
    lua_insert(L, base + 1);
    if (fg_call(L, n, 0) != LUA_OK)
        fg_report_error(L);
}

/* A line starting with ':' is a REPL command (":json", ":fmt table"). */
static void run_command(lua_State *L)
{
    if (!push_api(L, "command")) {
        fg_report(L, "REPL commands need the repl module");
        lua_pop(L, 1);
        return;
    }
    lua_insert(L, -2);
    if (fg_call(L, 1, 0) != LUA_OK)
        fg_report_error(L);
}

void fg_repl_run(lua_State *L)
{
    struct repl r;
    memset(&r, 0, sizeof r);
    r.L = L;
    lua_settop(L, 0);
    int terminal = isatty(STDIN_FILENO) && terminal_open(&r);
    load_api(L, terminal && fg_host.color && isatty(STDOUT_FILENO));
    for (;;) {
        lua_settop(L, 0);
        int got = read_line(&r, "> ");
        if (got == 0)
            break;
        if (got < 0)
            continue;
        const char *line = lua_tostring(L, -1);
        line += strspn(line, " \t");
        if (line[0] == ':' && line[1] != ':') {
            run_command(L);
            continue;
        }
        int status = compile_input(&r);
        if (status == -1)
            break;
        if (status == -2)
            continue;
        if (status == LUA_OK)
            status = fg_call(L, 0, LUA_MULTRET);
        if (status == LUA_OK) {
            show_results(L, 0);
        } else {
            if (terminal && fg_interrupt_pending())
                fputc('\n', stdout); /* after the terminal's "^C" */
            fg_report_error(L);
        }
        if (fg_interrupt_signal() == SIGTERM)
            break;
        if (fg_interrupt_pending())
            fg_interrupt_reset(L);
    }
    if (terminal)
        fputc('\n', stdout);
    terminal_close(&r);
    lua_settop(L, 0);
}
