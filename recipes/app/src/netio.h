/* Socket reads and writes bounded by a deadline, for non-blocking sockets.
 * Deadlines are absolute, in time_monotonic_us() microseconds. */
#ifndef APP_NETIO_H
#define APP_NETIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NETIO_TIMEOUT (-2)

/* Waits until fd is ready for `events` (POLLIN, POLLOUT).
 * Returns 1 when ready, 0 at the deadline, -1 on error (errno set). */
int netio_wait(int fd, short events, uint64_t deadline_us);

/* Reads what is available, waiting for it until the deadline.
 * Returns the byte count, 0 at end of stream, -1 on error, NETIO_TIMEOUT. */
ssize_t netio_recv(int fd, void *buf, size_t cap, uint64_t deadline_us);

/* Sends all of buf. Returns 0, -1 on error, NETIO_TIMEOUT. */
int netio_send_all(int fd, const void *buf, size_t len, uint64_t deadline_us);

/* Makes fd non-blocking. Returns 0 or -1. */
int netio_set_nonblocking(int fd);

#endif
