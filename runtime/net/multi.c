/* Concurrent HTTP transfers on one thread: a libcurl multi handle that
 * drives any number of requests at once, for the task scheduler
 * (stdlib/async.lua). require "net.multi":
 *
 *   local m = multi.new()
 *   local t = m:start{method=, url=, headers=, body=, ca_bundle=, ...}
 *                          -- as conn:request (net/http.c), without streams
 *   local finished = m:poll(seconds)  -- transfers that ended, maybe none
 *   t:done()    -> true once it ended
 *   t:result()  -> what conn:request returns (once); "interrupted" raises
 *   t:close()   -> cancels it if still running (also __close and __gc)
 *   m:active()  -> transfers still running
 *
 * Each request is set up exactly as net.http does it (net/transfer.c), so
 * timeouts, body limits, the CA bundle and the reaction to SIGINT are the
 * same; connections, DNS and TLS sessions are shared through the multi
 * handle, and idle easy handles are kept for the next transfer. */
#include "net/http.h"
#include "base/handle.h"
#include "base/interrupt.h"

#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#define MULTI_MT "fg.net.Multi"
#define TRANSFER_MT "fg.net.Transfer"
#define IDLE_MAX 16
/* The largest body made of parts (secrets among strings), as net.http's. */
#define BODY_PARTS_MAX (64 * 1024 * 1024)
/* The longest single wait in poll: SIGINT is noticed at least this often. */
#define POLL_SLICE_MS 100

enum transfer_state { RUNNING, ENDED, TAKEN, CANCELLED };

struct transfer;

struct multi {
    CURLM *m;                 /* NULL once closed */
    struct transfer *running; /* doubly linked */
    int active;
    CURL *idle[IDLE_MAX];
    int n_idle;
};

struct transfer {
    enum transfer_state state;
    struct multi *multi;        /* while RUNNING */
    CURL *easy;                 /* while RUNNING */
    struct fg_http_request req; /* libcurl's callbacks read it while RUNNING */
    struct fg_buf body;         /* a body joined from parts; wiped */
    struct fg_http_response r;
    struct fg_http_exchange x; /* libcurl's callbacks write here while RUNNING */
    enum fg_http_error error;
    struct transfer *prev, *next;
};

static CURL *take_easy(struct multi *mu)
{
    if (mu->n_idle > 0)
        return mu->idle[--mu->n_idle];
    return curl_easy_init();
}

static void give_back_easy(struct multi *mu, CURL *h)
{
    if (mu->n_idle < IDLE_MAX)
        mu->idle[mu->n_idle++] = h;
    else
        curl_easy_cleanup(h);
}

/* Takes a running transfer off the multi handle (ended or cancelled). */
static void detach(struct transfer *t)
{
    struct multi *mu = t->multi;
    curl_multi_remove_handle(mu->m, t->easy);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, NULL);
    give_back_easy(mu, t->easy);
    if (t->prev)
        t->prev->next = t->next;
    else
        mu->running = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
    mu->active--;
    t->easy = NULL;
    t->multi = NULL;
    fg_http_headers_free(t->req.headers);
    t->req.headers = NULL;
    fg_buf_clean_up(&t->body);
}

static int transfer_close(lua_State *L)
{
    struct transfer *t = luaL_checkudata(L, 1, TRANSFER_MT);
    if (t->state == RUNNING) {
        detach(t);
        t->state = CANCELLED;
    }
    fg_buf_clean_up(&t->body);
    fg_http_response_clean_up(&t->r);
    return 0;
}

static struct multi *check_multi(lua_State *L, int idx)
{
    struct multi *mu = luaL_checkudata(L, idx, MULTI_MT);
    if (!mu->m)
        luaL_error(L, "http multi handle is closed");
    return mu;
}

/* The table of running transfers, by address, kept in the multi's
 * uservalue so that a running transfer is never collected. */
static void push_running_table(lua_State *L, int multi_idx)
{
    lua_getiuservalue(L, multi_idx, 1);
}

/* m:start(request) -> transfer */
static int multi_start(lua_State *L)
{
    struct multi *mu = check_multi(L, 1);
    struct transfer *t = lua_newuserdatauv(L, sizeof *t, 1);
    memset(t, 0, sizeof *t);
    t->state = CANCELLED; /* until it is running: close has nothing to do */
    luaL_setmetatable(L, TRANSFER_MT);
    /* The request table keeps the body alive: libcurl sends it from there. */
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);

    luaL_checktype(L, 2, LUA_TTABLE);
    static const char *const streamed[] = {"upload_file", "download_file", "progress"};
    for (size_t i = 0; i < sizeof streamed / sizeof streamed[0]; i++) {
        if (lua_getfield(L, 2, streamed[i]) != LUA_TNIL)
            return luaL_error(L, "http multi: %s: streamed transfers go through net.http",
                              streamed[i]);
        lua_pop(L, 1);
    }
    fg_buf_init_secret(&t->body, BODY_PARTS_MAX);
    const char *bad = NULL;
    int rc = fg_http_request_from_lua(L, 2, &t->req, &t->body, &bad);
    CURL *h = rc ? NULL : take_easy(mu);
    if (!h) {
        fg_http_headers_free(t->req.headers);
        t->req.headers = NULL;
        fg_buf_clean_up(&t->body);
        if (rc)
            return luaL_error(L, rc == -2 ? "http request: bad header %s" : "http %s", bad);
        return luaL_error(L, "cannot create an HTTP handle");
    }
    lua_getfield(L, 2, "ca_bundle"); /* the request table keeps the string */
    t->req.ca_bundle = lua_tostring(L, -1);
    lua_pop(L, 1);
    fg_http_start(&t->x, h, &t->req, &t->r);
    curl_easy_setopt(h, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(mu->m, h) != CURLM_OK) {
        fg_http_headers_free(t->req.headers);
        t->req.headers = NULL;
        fg_buf_clean_up(&t->body);
        give_back_easy(mu, h);
        return luaL_error(L, "cannot start an HTTP transfer");
    }
    t->easy = h;
    t->multi = mu;
    t->state = RUNNING;
    t->next = mu->running;
    if (mu->running)
        mu->running->prev = t;
    mu->running = t;
    mu->active++;

    push_running_table(L, 1);
    lua_pushlightuserdata(L, t);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 1;
}

/* Moves what libcurl finished into `finished` (the table on top). */
static void collect(lua_State *L, struct multi *mu, int running_idx, int *n)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(mu->m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *h = msg->easy_handle;
        CURLcode rc = msg->data.result;
        struct transfer *t = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&t);
        if (!t)
            continue;
        t->error = fg_http_end(&t->x, rc);
        detach(t);
        t->state = ENDED;
        lua_pushlightuserdata(L, t);
        if (lua_rawget(L, running_idx) == LUA_TUSERDATA)
            lua_rawseti(L, -2, ++*n);
        else
            lua_pop(L, 1);
        lua_pushlightuserdata(L, t);
        lua_pushnil(L);
        lua_rawset(L, running_idx);
    }
}

/* m:poll(seconds) -> {transfers that ended}: drives every transfer, waiting
 * up to `seconds` for one to end (returns as soon as one does). Raises
 * "interrupted" when SIGINT/SIGTERM is pending. */
static int multi_poll(lua_State *L)
{
    struct multi *mu = check_multi(L, 1);
    lua_Number seconds = luaL_optnumber(L, 2, 0);
    long budget_ms = seconds > 0 ? (long)(seconds * 1000 + 0.5) : 0;
    push_running_table(L, 1);
    int running_idx = lua_gettop(L);
    lua_newtable(L);
    int n = 0;
    for (;;) {
        int still;
        if (curl_multi_perform(mu->m, &still) != CURLM_OK)
            return luaL_error(L, "http transfers failed");
        /* before collecting: what ended stays queued in libcurl */
        fg_interrupt_check(L);
        collect(L, mu, running_idx, &n);
        if (n > 0 || budget_ms <= 0 || mu->active == 0)
            break;
        long slice = budget_ms < POLL_SLICE_MS ? budget_ms : POLL_SLICE_MS;
        if (curl_multi_poll(mu->m, NULL, 0, (int)slice, NULL) != CURLM_OK)
            return luaL_error(L, "http transfers failed");
        budget_ms -= slice; /* at most: activity ends the slice early */
    }
    return 1;
}

/* m:active() -> number of running transfers */
static int multi_active(lua_State *L)
{
    struct multi *mu = check_multi(L, 1);
    lua_pushinteger(L, mu->active);
    return 1;
}

static int multi_close(lua_State *L)
{
    struct multi *mu = luaL_checkudata(L, 1, MULTI_MT);
    if (!mu->m)
        return 0;
    while (mu->running) {
        struct transfer *t = mu->running;
        detach(t);
        t->state = CANCELLED;
    }
    for (int i = 0; i < mu->n_idle; i++)
        curl_easy_cleanup(mu->idle[i]);
    mu->n_idle = 0;
    curl_multi_cleanup(mu->m);
    mu->m = NULL;
    return 0;
}

static struct transfer *check_transfer(lua_State *L)
{
    return luaL_checkudata(L, 1, TRANSFER_MT);
}

/* t:done() -> true once the transfer ended (or was cancelled) */
static int transfer_done(lua_State *L)
{
    lua_pushboolean(L, check_transfer(L)->state != RUNNING);
    return 1;
}

/* t:result() -> status, headers, body | nil, kind, message */
static int transfer_result(lua_State *L)
{
    struct transfer *t = check_transfer(L);
    if (t->state == RUNNING)
        return luaL_error(L, "http transfer: still running");
    if (t->state != ENDED)
        return luaL_error(L, "http transfer: %s",
                          t->state == TAKEN ? "result already taken" : "cancelled");
    t->state = TAKEN;
    if (t->error == FG_HTTP_INTERRUPTED) {
        fg_http_response_clean_up(&t->r);
        return luaL_error(L, "interrupted");
    }
    if (fg_http_push_outcome(L, t->error, &t->r) == 2)
        lua_pushlstring(L, t->r.body.data ? t->r.body.data : "", t->r.body.len);
    fg_http_response_clean_up(&t->r);
    return 3;
}

/* multi.new() -> a multi handle */
static int multi_new(lua_State *L)
{
    struct multi *mu = lua_newuserdatauv(L, sizeof *mu, 1);
    memset(mu, 0, sizeof *mu);
    luaL_setmetatable(L, MULTI_MT);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    mu->m = curl_multi_init();
    if (!mu->m)
        return luaL_error(L, "cannot create an HTTP multi handle");
    return 1;
}

int luaopen_fg_net_multi(lua_State *L)
{
    static const luaL_Reg multi_methods[] = {
        {"start", multi_start}, {"poll", multi_poll}, {"active", multi_active},
        {"close", multi_close}, {NULL, NULL},
    };
    static const luaL_Reg transfer_methods[] = {
        {"done", transfer_done},
        {"result", transfer_result},
        {"close", transfer_close},
        {NULL, NULL},
    };
    fg_handle_type(L, MULTI_MT, multi_methods, multi_close, NULL);
    fg_handle_type(L, TRANSFER_MT, transfer_methods, transfer_close, NULL);
    static const luaL_Reg fns[] = {
        {"new", multi_new},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
