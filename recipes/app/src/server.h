/* The listening socket and the poll loop that serves its connections, all
 * on one thread: every answer is computed in microseconds, and waiting on
 * clients never blocks, so a thread per client would buy nothing. */
#ifndef APP_SERVER_H
#define APP_SERVER_H

/* Connections open at once; more wait in the kernel's listen backlog. */
#define SERVER_MAX_CONNECTIONS 512
#define SERVER_BACKLOG 128
/* Connections open at once from one client address: past it, a new one is
 * closed at once, so that one client holding connections open (slowly
 * sending its request) cannot take every slot. The load balancer's nodes
 * are clients too: 64 requests in flight each is far more than this
 * server's microsecond answers need. */
#define SERVER_MAX_PER_CLIENT 64

/* Listens on 0.0.0.0:port (0: a port the kernel picks). Returns the socket
 * with the port actually bound in *bound_port, or -1 after logging why. */
int server_listen(int port, int *bound_port);

/* Serves connections on listen_fd until a byte arrives on stop_fd; then
 * closes listen_fd and the connections that have not begun a request,
 * finishes the others, and returns that byte (the number of the signal that
 * asked to stop). Returns -1 after logging if polling fails. */
int server_run(int listen_fd, int port, int stop_fd);

#endif
