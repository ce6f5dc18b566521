/* A loopback HTTP/1.1 server that answers every request at once with a
 * canned body, so that a client's own per-call cost can be measured without
 * a real service's latency in the way. Single-threaded epoll, keep-alive.
 *
 *   canned_server MATCH=FILE... [DEFAULT_FILE]
 *
 * A request (headers and body) that contains MATCH gets FILE; the first
 * match wins; a request that matches none gets the last FILE given. The
 * Content-Type follows the file's extension (.json: the AWS JSON protocol,
 * otherwise XML). The server binds 127.0.0.1 on a free port, prints the
 * port on stdout, and ends on SIGTERM/SIGINT, when its parent ends, or
 * after IDLE_SECONDS without a request. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { REQ_MAX = 256 * 1024, MAX_ROUTES = 16, IDLE_SECONDS = 600 };

struct route {
    const char *match; /* NULL: the default */
    char *response;    /* status line, headers and body */
    size_t response_len;
};

struct conn {
    int fd;
    size_t len;
    char buf[REQ_MAX];
};

static struct route routes[MAX_ROUTES];
static int n_routes;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Reads FILE and builds the whole HTTP answer around it once. */
static int load_route(struct route *r, const char *match, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    char *body = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(body, cap);
            if (!grown) {
                free(body);
                fclose(f);
                return -1;
            }
            body = grown;
        }
        size_t n = fread(body + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    const char *dot = strrchr(path, '.');
    const char *type = dot && strcmp(dot, ".json") == 0 ? "application/x-amz-json-1.1" : "text/xml";
    char head[256];
    int head_len = snprintf(head, sizeof head,
                            "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                            "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\r\n",
                            type, len);
    r->response = malloc((size_t)head_len + len);
    if (!r->response) {
        free(body);
        return -1;
    }
    memcpy(r->response, head, (size_t)head_len);
    memcpy(r->response + head_len, body, len);
    r->response_len = (size_t)head_len + len;
    r->match = match;
    free(body);
    return 0;
}

static const struct route *route_for(const char *req, size_t len)
{
    for (int i = 0; i < n_routes; i++)
        if (routes[i].match && memmem(req, len, routes[i].match, strlen(routes[i].match)))
            return &routes[i];
    return &routes[n_routes - 1];
}

/* The length of the first complete request in c->buf, 0 if incomplete,
 * -1 if malformed. */
static long request_length(const struct conn *c)
{
    const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->buf) + 4;
    size_t body = 0;
    for (const char *p = c->buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
        if (*p == '\n')
            p++;
        if ((size_t)(end - p) > 15 && strncasecmp(p, "Content-Length:", 15) == 0) {
            char *stop_at;
            unsigned long v = strtoul(p + 15, &stop_at, 10);
            if (stop_at == p + 15 || v > REQ_MAX)
                return -1;
            body = v;
        }
    }
    if (head + body > REQ_MAX)
        return -1;
    return c->len >= head + body ? (long)(head + body) : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            /* Loopback buffers are large; a slow reader only delays us. */
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads what is there and answers every complete request; -1: close. */
static int serve(struct conn *c)
{
    for (;;) {
        if (c->len == sizeof c->buf)
            return -1;
        ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0)
            return -1;
        c->len += (size_t)n;
    }
    for (;;) {
        long req = request_length(c);
        if (req < 0)
            return -1;
        if (req == 0)
            return 0;
        const struct route *r = route_for(c->buf, (size_t)req);
        if (write_all(c->fd, r->response, r->response_len) < 0)
            return -1;
        memmove(c->buf, c->buf + req, c->len - (size_t)req);
        c->len -= (size_t)req;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > MAX_ROUTES + 1) {
        fprintf(stderr, "usage: %s MATCH=FILE... [DEFAULT_FILE]\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        const char *match = NULL, *path = argv[i];
        if (eq) {
            *eq = '\0';
            match = argv[i];
            path = eq + 1;
        }
        if (load_route(&routes[n_routes++], match, path) < 0)
            return 1;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof addr;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 128) < 0 ||
        getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0) {
        perror("listen");
        return 1;
    }
    printf("%d\n", ntohs(addr.sin_port));
    fflush(stdout);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    int idle = 0;
    while (!stop && idle < IDLE_SECONDS) {
        struct epoll_event events[64];
        int n = epoll_wait(ep, events, 64, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        idle = n == 0 ? idle + 1 : 0;
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    continue;
                c = malloc(sizeof *c);
                if (!c) {
                    close(fd);
                    continue;
                }
                c->fd = fd;
                c->len = 0;
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
            } else if (serve(c) < 0) {
                close(c->fd);
                free(c);
            }
        }
    }
    for (int i = 0; i < n_routes; i++)
        free(routes[i].response);
    return 0;
}
