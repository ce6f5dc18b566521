/* HTTP/1.x messages: the request head as it arrives, the response head as
 * it leaves (RFC 9110, RFC 9112). Bodies of requests are not read: every
 * route is a GET, and each connection serves one request. */
#ifndef APP_HTTP_H
#define APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* The request line and headers together may not exceed this. */
#define HTTP_HEAD_MAX 8192

/* A parsed request head. Strings point into the caller's buffer, which the
 * parser cuts into NUL-terminated pieces. */
struct http_request {
    const char *method;
    const char *target;     /* as sent, e.g. "/health?verbose=1" */
    const char *path;       /* where the path starts in target */
    size_t path_len;        /* its length, without the query: 7 here */
    int version_minor;      /* the x of HTTP/1.x */
    const char *user_agent; /* "" when absent */
};

/* Length of the head at the start of buf, up to and including the empty
 * line that ends it, or 0 if buf does not yet hold a whole head. */
size_t http_head_length(const char *buf, size_t len);

/* Parses a head found by http_head_length, in place.
 * Returns 0, or the status to answer: 400 for a malformed head, 505 for a
 * major version other than 1. */
int http_parse_request(char *head, size_t len, struct http_request *req);

/* The reason phrase for a status this service sends. */
const char *http_reason(int status);

/* Writes a response head (status line, headers, empty line) with a JSON
 * body of content_length bytes; `allow` adds an Allow header unless NULL.
 * Returns its length, or 0 if it would not fit in cap. */
size_t http_format_response_head(char *out, size_t cap, int status, size_t content_length,
                                 const char *allow);

#endif
