#include "healthcheck.h"

#include "netio.h"
#include "timefmt.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ANSWER_MAX 4096

/* Connects without blocking past the deadline. Returns 0 or -1. */
static int connect_local(int fd, int port, uint64_t deadline_us)
{
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int err = 0;
    socklen_t err_len = sizeof err;

    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    if (netio_wait(fd, POLLOUT, deadline_us) != 1) {
        errno = ETIMEDOUT;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
        return -1;
    errno = err;
    return err == 0 ? 0 : -1;
}

/* Reads the whole answer (the server closes after it) into buf as a string.
 * Returns 0, or -1 with a reason in *why. */
static int read_answer(int fd, char *buf, size_t cap, uint64_t deadline_us, const char **why)
{
    size_t len = 0;

    for (;;) {
        ssize_t n = netio_recv(fd, buf + len, cap - 1 - len, deadline_us);

        if (n == NETIO_TIMEOUT) {
            *why = "timed out";
            return -1;
        }
        if (n < 0) {
            *why = strerror(errno);
            return -1;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (n == 0 || len == cap - 1)
            return 0;
    }
}

int healthcheck_run(int port)
{
    static const char request[] = "GET /health HTTP/1.1\r\n"
                                  "Host: localhost\r\n"
                                  "User-Agent: " APP_NAME "-healthcheck/" APP_VERSION "\r\n"
                                  "Connection: close\r\n"
                                  "\r\n";
    uint64_t deadline = time_monotonic_us() + HEALTHCHECK_TIMEOUT_MS * 1000u;
    char answer[ANSWER_MAX];
    const char *why = NULL;
    const char *body;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0 || connect_local(fd, port, deadline) != 0) {
        fprintf(stderr, "unhealthy: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
        goto fail;
    }
    if (netio_send_all(fd, request, sizeof request - 1, deadline) != 0) {
        fprintf(stderr, "unhealthy: cannot send the request\n");
        goto fail;
    }
    if (read_answer(fd, answer, sizeof answer, deadline, &why) != 0) {
        fprintf(stderr, "unhealthy: no answer: %s\n", why);
        goto fail;
    }
    /* "HTTP/1.x 200 ..." */
    if (strlen(answer) < 13 || strncmp(answer, "HTTP/1.", 7) != 0 ||
        strncmp(answer + 8, " 200 ", 5) != 0) {
        fprintf(stderr, "unhealthy: answer: %.*s\n", (int)strcspn(answer, "\r\n"), answer);
        goto fail;
    }
    body = strstr(answer, "\r\n\r\n");
    if (body == NULL || strstr(body, "\"status\":\"healthy\"") == NULL) {
        fprintf(stderr, "unhealthy: the answer does not say healthy\n");
        goto fail;
    }
    close(fd);
    printf("healthy\n");
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    return 1;
}
