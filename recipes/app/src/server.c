#include "server.h"

#include "connection.h"
#include "log.h"
#include "netio.h"
#include "timefmt.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* When accept fails for lack of descriptors or memory, stop trying so long
 * instead of spinning on a listening socket that stays readable. */
#define ACCEPT_BACKOFF_MS 100

struct server {
    int listen_fd; /* -1 once stopping */
    int stop_fd;
    int port;
    uint64_t accept_paused_until_us;
    struct connection *conns[SERVER_MAX_CONNECTIONS];
    size_t count;
    /* Slots 0 and 1: stop_fd and listen_fd; then one per connection. */
    struct pollfd fds[2 + SERVER_MAX_CONNECTIONS];
};

int server_listen(int port, int *bound_port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_ANY)};
    socklen_t addr_len = sizeof addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        log_error("socket: %s", strerror(errno));
        return -1;
    }
    /* A restarted server may bind while old connections sit in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, SERVER_BACKLOG) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) != 0 ||
        netio_set_nonblocking(fd) != 0) {
        log_error("cannot listen on 0.0.0.0:%d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

static bool accepting(const struct server *s, uint64_t now_us)
{
    return s->listen_fd >= 0 && s->count < SERVER_MAX_CONNECTIONS &&
           now_us >= s->accept_paused_until_us;
}

/* Connections open from the client address ip. */
static size_t connections_from(const struct server *s, const char *ip)
{
    size_t n = 0;

    for (size_t i = 0; i < s->count; i++)
        n += strcmp(s->conns[i]->ip, ip) == 0;
    return n;
}

/* Closes a connection over its client's share, logging at most once a second. */
static void refuse(int fd, const char *ip)
{
    static uint64_t logged_us;
    uint64_t now = time_monotonic_us();

    close(fd);
    if (now - logged_us >= 1000000u) {
        log_error("client %s has %d connections open: closing its new ones", ip,
                  SERVER_MAX_PER_CLIENT);
        logged_us = now;
    }
}

/* Takes the connections waiting in the backlog, as many as there is room for. */
static void accept_waiting(struct server *s)
{
    while (s->count < SERVER_MAX_CONNECTIONS) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        int fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &peer_len,
                         SOCK_CLOEXEC | SOCK_NONBLOCK);
        struct connection *c;

        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_error("accept: %s", strerror(errno));
                s->accept_paused_until_us = time_monotonic_us() + ACCEPT_BACKOFF_MS * 1000u;
            }
            return; /* EAGAIN: none left; ECONNABORTED and the like: try later */
        }
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
        if (connections_from(s, ip) >= SERVER_MAX_PER_CLIENT) {
            refuse(fd, ip);
            continue;
        }
        c = connection_new(fd, &peer, s->port);
        if (c == NULL)
            return;
        s->conns[s->count++] = c;
        connection_on_ready(c); /* the request is often there already */
    }
}

/* Milliseconds until the nearest deadline (rounded up), or -1 for none. */
static int poll_timeout_ms(const struct server *s, uint64_t now_us)
{
    uint64_t nearest = UINT64_MAX;

    for (size_t i = 0; i < s->count; i++)
        if (s->conns[i]->deadline_us < nearest)
            nearest = s->conns[i]->deadline_us;
    if (s->listen_fd >= 0 && s->accept_paused_until_us > now_us &&
        s->accept_paused_until_us < nearest)
        nearest = s->accept_paused_until_us;
    if (nearest == UINT64_MAX)
        return -1;
    if (nearest <= now_us)
        return 0;
    return (int)((nearest - now_us + 999) / 1000);
}

static void begin_shutdown(struct server *s, int signo)
{
    const char *name = signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "stop";

    log_info("%s received, shutting down (%zu open connections)", name, s->count);
    close(s->listen_fd);
    s->listen_fd = -1;
    for (size_t i = 0; i < s->count; i++)
        connection_on_shutdown(s->conns[i]);
}

/* Frees finished connections, keeping the others in order. */
static void sweep(struct server *s)
{
    size_t kept = 0;

    for (size_t i = 0; i < s->count; i++) {
        if (s->conns[i]->state == CONNECTION_DONE)
            connection_free(s->conns[i]);
        else
            s->conns[kept++] = s->conns[i];
    }
    s->count = kept;
}

int server_run(int listen_fd, int port, int stop_fd)
{
    static struct server s; /* large: keep it off the stack */
    int signo = -1;

    memset(&s, 0, sizeof s);
    s.listen_fd = listen_fd;
    s.stop_fd = stop_fd;
    s.port = port;

    while (s.listen_fd >= 0 || s.count > 0) {
        uint64_t now = time_monotonic_us();
        size_t polled = s.count;
        int n;

        s.fds[0] = (struct pollfd){.fd = s.listen_fd >= 0 ? stop_fd : -1, .events = POLLIN};
        s.fds[1] = (struct pollfd){.fd = accepting(&s, now) ? s.listen_fd : -1, .events = POLLIN};
        for (size_t i = 0; i < polled; i++)
            s.fds[2 + i] =
                (struct pollfd){.fd = s.conns[i]->fd, .events = connection_events(s.conns[i])};

        n = poll(s.fds, 2 + polled, poll_timeout_ms(&s, now));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll: %s", strerror(errno));
            signo = -1;
            break;
        }

        now = time_monotonic_us();
        for (size_t i = 0; i < polled; i++) {
            struct connection *c = s.conns[i];

            if (s.fds[2 + i].revents != 0)
                connection_on_ready(c);
            else if (now >= c->deadline_us)
                connection_on_deadline(c);
        }
        if (s.fds[1].revents & POLLIN)
            accept_waiting(&s);
        if (s.fds[0].revents & POLLIN) {
            unsigned char byte;

            if (read(stop_fd, &byte, 1) == 1) {
                signo = byte;
                begin_shutdown(&s, signo);
            }
        }
        sweep(&s);
    }

    if (s.listen_fd >= 0)
        close(s.listen_fd);
    for (size_t i = 0; i < s.count; i++)
        connection_free(s.conns[i]);
    s.count = 0;
    return signo;
}
