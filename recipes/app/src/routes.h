/* The service's endpoints: GET (or HEAD) /, /health and /metrics, and the
 * JSON error bodies for everything else. */
#ifndef APP_ROUTES_H
#define APP_ROUTES_H

#include "http.h"

#include <stddef.h>

/* Large enough for any answer: the echoed URL and User-Agent come from a
 * head of at most HTTP_HEAD_MAX bytes, and escaping grows a byte to at most
 * six ("\u001f"). */
#define ROUTES_BODY_MAX (6 * HTTP_HEAD_MAX + 4096)

/* What the request arrived on. */
struct route_context {
    int port;              /* the port the server listens on */
    const char *client_ip; /* the peer's address */
};

struct route_response {
    int status;
    const char *allow; /* Allow header for 405, else NULL */
    char *body;        /* the caller's buffer of ROUTES_BODY_MAX bytes */
    size_t body_len;
    int head_only; /* a HEAD request: send the head, not the body */
};

/* Answers a parsed request; res->body must point to the caller's buffer. */
void routes_handle(const struct http_request *req, const struct route_context *ctx,
                   struct route_response *res);

/* Fills res with the JSON error answer for status, e.g. {"error":"not found"}. */
void routes_error(int status, struct route_response *res);

#endif
