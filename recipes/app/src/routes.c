#include "routes.h"

#include "json_writer.h"
#include "procinfo.h"
#include "timefmt.h"
#include "version.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

typedef void write_body_fn(struct json_writer *w, const struct http_request *req,
                           const struct route_context *ctx);

/* GET /: a greeting and what the container, server and request look like. */
static void write_root(struct json_writer *w, const struct http_request *req,
                       const struct route_context *ctx)
{
    char host[PROCINFO_NAME_MAX], os[PROCINFO_NAME_MAX], machine[PROCINFO_NAME_MAX];
    char text[64], now[TIMEFMT_BUF];
    struct procinfo_usage usage;

    procinfo_hostname(host);
    procinfo_platform(os, machine);
    procinfo_usage(&usage);
    time_iso8601_now(now);

    json_object_begin(w);
    json_kv_string(w, "message", "Hello from AWS Fargate!");

    json_key(w, "container");
    json_object_begin(w);
    json_kv_string(w, "hostname", host);
    json_kv_string(w, "platform", os);
    json_kv_string(w, "architecture", machine);
    snprintf(text, sizeof text, "%lld MB",
             (long long)((usage.rss_bytes + 512 * 1024) / (1024 * 1024)));
    json_kv_string(w, "memory", text);
    snprintf(text, sizeof text, "%llu seconds",
             (unsigned long long)((procinfo_uptime_ms() + 500) / 1000));
    json_kv_string(w, "uptime", text);
    json_object_end(w);

    json_key(w, "environment");
    json_object_begin(w);
    json_kv_string(w, "server", APP_NAME "/" APP_VERSION);
    json_kv_int(w, "port", ctx->port);
    json_kv_string(w, "timestamp", now);
    json_object_end(w);

    json_key(w, "request");
    json_object_begin(w);
    json_kv_string(w, "method", req->method);
    json_kv_string(w, "url", req->target);
    json_kv_string(w, "user_agent", req->user_agent);
    json_kv_string(w, "ip", ctx->client_ip);
    json_object_end(w);

    json_object_end(w);
}

/* GET /health: what load balancers and container health checks ask. */
static void write_health(struct json_writer *w, const struct http_request *req,
                         const struct route_context *ctx)
{
    char host[PROCINFO_NAME_MAX], now[TIMEFMT_BUF];

    (void)req;
    (void)ctx;
    procinfo_hostname(host);
    time_iso8601_now(now);

    json_object_begin(w);
    json_kv_string(w, "status", "healthy");
    json_kv_string(w, "timestamp", now);
    json_kv_string(w, "hostname", host);
    json_key(w, "uptime");
    json_millis_as_seconds(w, procinfo_uptime_ms());
    json_object_end(w);
}

/* GET /metrics: memory and CPU use of the process, in plain numbers. */
static void write_metrics(struct json_writer *w, const struct http_request *req,
                          const struct route_context *ctx)
{
    struct procinfo_usage usage;

    (void)req;
    (void)ctx;
    procinfo_usage(&usage);

    json_object_begin(w);
    json_key(w, "memory");
    json_object_begin(w);
    json_kv_int(w, "rss", usage.rss_bytes);
    json_kv_int(w, "max_rss", usage.max_rss_bytes);
    json_object_end(w);
    json_key(w, "cpu");
    json_object_begin(w);
    json_kv_int(w, "user_us", usage.user_us);
    json_kv_int(w, "system_us", usage.system_us);
    json_object_end(w);
    json_key(w, "uptime");
    json_millis_as_seconds(w, procinfo_uptime_ms());
    json_kv_int(w, "timestamp", time_epoch_ms());
    json_object_end(w);
}

static const struct route {
    const char *path;
    write_body_fn *write_body;
} routes[] = {
    {"/", write_root},
    {"/health", write_health},
    {"/metrics", write_metrics},
};

static const struct route *find_route(const struct http_request *req)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strlen(routes[i].path) == req->path_len &&
            memcmp(routes[i].path, req->path, req->path_len) == 0)
            return &routes[i];
    return NULL;
}

/* Ends a finished JSON text with a newline, for people reading it in a
 * terminal. Returns 0, or -1 if the text did not fit. */
static int finish_body(struct json_writer *w, struct route_response *res)
{
    if (!json_writer_ok(w) || w->len + 1 >= ROUTES_BODY_MAX)
        return -1;
    res->body[w->len] = '\n';
    res->body_len = w->len + 1;
    return 0;
}

void routes_error(int status, struct route_response *res)
{
    struct json_writer w;
    char message[64];
    size_t i;

    /* The reason phrase in lower case: "Not Found" -> "not found". */
    snprintf(message, sizeof message, "%s", http_reason(status));
    for (i = 0; message[i]; i++)
        message[i] = (char)tolower((unsigned char)message[i]);

    res->status = status;
    res->allow = NULL;
    json_writer_init(&w, res->body, ROUTES_BODY_MAX);
    json_object_begin(&w);
    json_kv_string(&w, "error", message);
    json_object_end(&w);
    finish_body(&w, res); /* a few bytes: always fits */
}

void routes_handle(const struct http_request *req, const struct route_context *ctx,
                   struct route_response *res)
{
    const struct route *route = find_route(req);
    int is_head = strcmp(req->method, "HEAD") == 0;
    struct json_writer w;

    res->head_only = is_head;
    if (route == NULL) {
        routes_error(404, res);
        return;
    }
    if (!is_head && strcmp(req->method, "GET") != 0) {
        routes_error(405, res);
        res->allow = "GET, HEAD";
        return;
    }

    json_writer_init(&w, res->body, ROUTES_BODY_MAX);
    route->write_body(&w, req, ctx);
    if (finish_body(&w, res) != 0) {
        routes_error(500, res);
        return;
    }
    res->status = 200;
    res->allow = NULL;
}
