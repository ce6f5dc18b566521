#include "netio.h"

#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

int netio_wait(int fd, short events, uint64_t deadline_us)
{
    for (;;) {
        uint64_t now = time_monotonic_us();
        struct pollfd p = {.fd = fd, .events = events};
        int timeout_ms, n;

        if (now >= deadline_us)
            return 0;
        /* Rounded up, so a wait never ends just short of the deadline. */
        timeout_ms = (int)((deadline_us - now + 999) / 1000);
        n = poll(&p, 1, timeout_ms);
        if (n > 0)
            return 1; /* errors and hang-ups surface in the next recv/send */
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

ssize_t netio_recv(int fd, void *buf, size_t cap, uint64_t deadline_us)
{
    for (;;) {
        ssize_t n = recv(fd, buf, cap, 0);
        int ready;

        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        ready = netio_wait(fd, POLLIN, deadline_us);
        if (ready <= 0)
            return ready == 0 ? NETIO_TIMEOUT : -1;
    }
}

int netio_send_all(int fd, const void *buf, size_t len, uint64_t deadline_us)
{
    const char *p = buf;

    while (len > 0) {
        /* MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE. */
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        int ready;

        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        ready = netio_wait(fd, POLLOUT, deadline_us);
        if (ready <= 0)
            return ready == 0 ? NETIO_TIMEOUT : -1;
    }
    return 0;
}

int netio_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
