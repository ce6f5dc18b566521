/* fgrun-demo-app: the sample service that fgrun's recipe deploys to
 * Fargate. A small HTTP server answering JSON on 0.0.0.0:$PORT. */
#include "healthcheck.h"
#include "log.h"
#include "procinfo.h"
#include "server.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PORT 3000

#define EXIT_USAGE 2

static const char usage[] =
    "usage: " APP_NAME " [--healthcheck | --version | --help]\n"
    "\n"
    "Serves JSON over HTTP on 0.0.0.0:$PORT (default 3000; 0 picks a free port):\n"
    "  GET /         greeting, container, environment and request details\n"
    "  GET /health   {\"status\":\"healthy\", ...} for load balancer health checks\n"
    "  GET /metrics  memory and CPU use of the process\n"
    "SIGTERM or SIGINT: stop accepting, finish accepted requests, exit 0.\n"
    "\n"
    "  --healthcheck  ask http://127.0.0.1:$PORT/health; exit 0 if healthy, else 1\n"
    "  --version      print the version\n"
    "  --help         print this text\n";

/* Written by the signal handler, read by the server's poll loop. */
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int signo)
{
    int saved = errno;
    unsigned char byte = (unsigned char)signo;

    if (write(stop_pipe[1], &byte, 1) < 0) {
        /* The pipe is full: a stop byte is already waiting. */
    }
    errno = saved;
}

static int install_signal_handlers(void)
{
    struct sigaction sa;

    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    /* Writes to a departed client fail with EPIPE instead of killing us. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* $PORT as a number from 0 to 65535; DEFAULT_PORT when unset or empty.
 * Returns -1 when it is something else. */
static int port_from_env(void)
{
    const char *s = getenv("PORT");
    char *end;
    long port;

    if (s == NULL || *s == '\0')
        return DEFAULT_PORT;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    port = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || port > 65535)
        return -1;
    return (int)port;
}

static int serve(int port)
{
    int bound_port, listen_fd, signo;

    if (install_signal_handlers() != 0) {
        log_error("cannot install signal handlers: %s", strerror(errno));
        return EXIT_FAILURE;
    }
    listen_fd = server_listen(port, &bound_port);
    if (listen_fd < 0)
        return EXIT_FAILURE;
    log_info("%s %s listening on 0.0.0.0:%d (up to %d connections)", APP_NAME, APP_VERSION,
             bound_port, SERVER_MAX_CONNECTIONS);
    log_info("health check at /health, metrics at /metrics");

    signo = server_run(listen_fd, bound_port, stop_pipe[0]);
    if (signo < 0)
        return EXIT_FAILURE;
    log_info("stopped");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    int port;

    procinfo_start();
    if (argc > 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return EXIT_SUCCESS;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("%s %s\n", APP_NAME, APP_VERSION);
        return EXIT_SUCCESS;
    }
    if (argc == 2 && strcmp(argv[1], "--healthcheck") != 0) {
        fprintf(stderr, "%s: unknown option: %s\n%s", APP_NAME, argv[1], usage);
        return EXIT_USAGE;
    }

    port = port_from_env();
    if (port < 0) {
        fprintf(stderr, "%s: PORT must be a number from 0 to 65535\n", APP_NAME);
        return EXIT_USAGE;
    }
    if (argc == 2) { /* --healthcheck */
        if (port == 0) {
            fprintf(stderr, "unhealthy: PORT=0 names no port to check\n");
            return EXIT_FAILURE;
        }
        return healthcheck_run(port);
    }
    return serve(port);
}
