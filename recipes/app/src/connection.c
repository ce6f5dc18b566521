#include "connection.h"

#include "log.h"
#include "routes.h"
#include "timefmt.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RESPONSE_HEAD_MAX 1024

/* After answering, what the client still sends (an unread request body) is
 * read and dropped for up to this long and this much, so that closing does
 * not reset the connection before the client has read the answer. */
#define LINGER_MS 1000
#define LINGER_MAX_BYTES (64 * 1024)

/* Answers are composed here, then copied to the connection. One buffer is
 * enough: the server runs on a single thread. */
static char body_scratch[ROUTES_BODY_MAX];

struct connection *connection_new(int fd, const struct sockaddr_in *peer, int port)
{
    struct connection *c = calloc(1, sizeof *c);

    if (c == NULL) {
        close(fd);
        return NULL;
    }
    c->fd = fd;
    c->state = CONNECTION_READING;
    c->port = port;
    if (inet_ntop(AF_INET, &peer->sin_addr, c->ip, sizeof c->ip) == NULL)
        snprintf(c->ip, sizeof c->ip, "-");
    c->started_us = time_monotonic_us();
    c->deadline_us = c->started_us + CONNECTION_TIMEOUT_MS * 1000u;
    return c;
}

void connection_free(struct connection *c)
{
    if (c == NULL)
        return;
    close(c->fd);
    free(c->out);
    free(c);
}

short connection_events(const struct connection *c)
{
    return c->state == CONNECTION_WRITING ? POLLOUT : POLLIN;
}

/* The request's log line, once its answer is sent or abandoned. */
static void log_request(const struct connection *c, const char *problem)
{
    log_info("%s %.3fms%s%s", c->log_line, (double)(time_monotonic_us() - c->started_us) / 1000.0,
             problem ? " " : "", problem ? problem : "");
}

static void linger_some(struct connection *c)
{
    char sink[4096];

    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            break; /* the client closed too, or the connection failed */
        c->lingered += (size_t)n;
        if (c->lingered >= LINGER_MAX_BYTES)
            break;
    }
    c->state = CONNECTION_DONE;
}

static void write_some(struct connection *c)
{
    while (c->out_sent < c->out_len) {
        /* MSG_NOSIGNAL: a client that went away is an error, not a SIGPIPE. */
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            log_request(c, "(client gone)");
            c->state = CONNECTION_DONE;
            return;
        }
        c->out_sent += (size_t)n;
    }
    log_request(c, NULL);
    free(c->out);
    c->out = NULL;
    shutdown(c->fd, SHUT_WR);
    c->state = CONNECTION_LINGERING;
    c->deadline_us = time_monotonic_us() + LINGER_MS * 1000u;
    linger_some(c);
}

/* Copies the answer (head and, unless HEAD, body) to the connection as one
 * buffer, so it leaves in as few packets as possible, and starts sending. */
static void start_answer(struct connection *c, const struct route_response *res, const char *method,
                         const char *path, int path_len)
{
    char head[RESPONSE_HEAD_MAX];
    size_t head_len =
        http_format_response_head(head, sizeof head, res->status, res->body_len, res->allow);
    size_t body_len = res->head_only ? 0 : res->body_len;

    snprintf(c->log_line, sizeof c->log_line, "%s \"%s %.*s\" %d", c->ip, method, path_len, path,
             res->status);
    c->out = head_len > 0 ? malloc(head_len + body_len) : NULL;
    if (c->out == NULL) {
        log_request(c, "(out of memory)");
        c->state = CONNECTION_DONE;
        return;
    }
    memcpy(c->out, head, head_len);
    memcpy(c->out + head_len, res->body, body_len);
    c->out_len = head_len + body_len;
    c->out_sent = 0;
    c->state = CONNECTION_WRITING;
    c->deadline_us = time_monotonic_us() + CONNECTION_TIMEOUT_MS * 1000u;
    write_some(c);
}

static void answer_error(struct connection *c, int status)
{
    struct route_response res = {.body = body_scratch};

    routes_error(status, &res);
    start_answer(c, &res, "-", "-", 1);
}

static void answer_request(struct connection *c, size_t head_len)
{
    struct route_response res = {.body = body_scratch};
    struct route_context ctx = {.port = c->port, .client_ip = c->ip};
    struct http_request req;
    int status = http_parse_request(c->head, head_len, &req);

    if (status != 0) {
        answer_error(c, status);
        return;
    }
    routes_handle(&req, &ctx, &res);
    start_answer(c, &res, req.method, req.path, (int)req.path_len);
}

static void read_some(struct connection *c)
{
    for (;;) {
        /* A terminator may straddle two reads: rescan the last 3 bytes. */
        size_t scan_from = c->received > 3 ? c->received - 3 : 0;
        size_t found;
        ssize_t n;

        if (c->received == HTTP_HEAD_MAX) {
            answer_error(c, 431);
            return;
        }
        n = recv(c->fd, c->head + c->received, HTTP_HEAD_MAX - c->received, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                c->state = CONNECTION_DONE;
            return;
        }
        if (n == 0) { /* the client stopped sending */
            if (c->received > 0)
                answer_error(c, 400);
            else
                c->state = CONNECTION_DONE;
            return;
        }
        c->received += (size_t)n;
        found = http_head_length(c->head + scan_from, c->received - scan_from);
        if (found > 0) {
            answer_request(c, scan_from + found);
            return;
        }
    }
}

void connection_on_ready(struct connection *c)
{
    switch (c->state) {
    case CONNECTION_READING:
        read_some(c);
        break;
    case CONNECTION_WRITING:
        write_some(c);
        break;
    case CONNECTION_LINGERING:
        linger_some(c);
        break;
    case CONNECTION_DONE:
        break;
    }
}

void connection_on_deadline(struct connection *c)
{
    switch (c->state) {
    case CONNECTION_READING:
        if (c->received > 0)
            answer_error(c, 408);
        else
            c->state = CONNECTION_DONE; /* never said anything */
        break;
    case CONNECTION_WRITING:
        log_request(c, "(timed out sending)");
        c->state = CONNECTION_DONE;
        break;
    case CONNECTION_LINGERING:
    case CONNECTION_DONE:
        c->state = CONNECTION_DONE;
        break;
    }
}

void connection_on_shutdown(struct connection *c)
{
    if (c->state == CONNECTION_READING && c->received == 0)
        c->state = CONNECTION_DONE;
}
