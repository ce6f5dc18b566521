/* The --healthcheck mode: the image has no curl, so the binary checks
 * itself. Used by the image's HEALTHCHECK and the ECS task definition. */
#ifndef APP_HEALTHCHECK_H
#define APP_HEALTHCHECK_H

#define HEALTHCHECK_TIMEOUT_MS 3000

/* Asks http://127.0.0.1:port/health and returns 0 when the answer is a
 * 200 whose status is "healthy", 1 otherwise (saying why on stderr). */
int healthcheck_run(int port);

#endif
