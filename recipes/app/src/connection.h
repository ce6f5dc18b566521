/* One client connection as a state machine driven by the server's poll
 * loop: read the request head, send the answer, drain and close. Every step
 * is non-blocking, so one slow client never holds up another. */
#ifndef APP_CONNECTION_H
#define APP_CONNECTION_H

#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

/* How long a client has to send its request head, and then to take the
 * answer. */
#define CONNECTION_TIMEOUT_MS 10000

enum connection_state {
    CONNECTION_READING,   /* waiting for the whole request head */
    CONNECTION_WRITING,   /* sending the answer */
    CONNECTION_LINGERING, /* answer sent; dropping what the client still sends */
    CONNECTION_DONE,      /* to be freed */
};

struct connection {
    int fd;
    enum connection_state state;
    int port;                 /* the listening port, reported by GET / */
    char ip[INET_ADDRSTRLEN]; /* the peer */
    uint64_t started_us;      /* when it was accepted */
    uint64_t deadline_us;     /* when the current state times out */
    char head[HTTP_HEAD_MAX];
    size_t received; /* bytes of head[] filled */
    char *out;       /* the answer, head and body */
    size_t out_len, out_sent;
    size_t lingered;    /* bytes dropped while lingering */
    char log_line[512]; /* method, path and status, logged when sent */
};

/* Takes ownership of the accepted, non-blocking socket fd.
 * Returns NULL (having closed fd) when memory is short. */
struct connection *connection_new(int fd, const struct sockaddr_in *peer, int port);

/* Closes the socket and frees everything. */
void connection_free(struct connection *c);

/* The poll events the connection waits for: POLLIN or POLLOUT. */
short connection_events(const struct connection *c);

/* Makes as much progress as the socket allows without blocking. */
void connection_on_ready(struct connection *c);

/* The deadline passed: answers 408 to a partial head, gives up otherwise. */
void connection_on_deadline(struct connection *c);

/* The server is stopping: a connection that has not started a request is
 * closed now; the others go on until answered. */
void connection_on_shutdown(struct connection *c);

#endif
