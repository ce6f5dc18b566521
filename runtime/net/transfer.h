/* One HTTP exchange over libcurl: the engine under both the AWS transport
 * (net/http.c, TCP with TLS) and the Docker client (docker/conn.c, a Unix
 * socket). A connection is one easy handle kept alive and reused; every
 * exchange has connect, read (no byte moving) and total timeouts and a
 * bounded body,
 * and gives up within about a second of SIGINT/SIGTERM. Bodies and header
 * lists are wiped on release: they may hold secrets. Depends on base/ only. */
#ifndef FG_TRANSFER_H
#define FG_TRANSFER_H

#include <stddef.h>
#include <sys/types.h>
#include <curl/curl.h>

#include "base/buffer.h"

enum fg_http_error {
    FG_HTTP_OK = 0,
    FG_HTTP_TIMEOUT,     /* connect, read or total timeout */
    FG_HTTP_CONNECTION,  /* refused, reset, resolve failure, truncated answer */
    FG_HTTP_TOO_LARGE,   /* body over max_body */
    FG_HTTP_OTHER,       /* TLS verification, bad URL, ...: not retryable */
    FG_HTTP_INTERRUPTED, /* SIGINT/SIGTERM arrived during the transfer */
    FG_HTTP_CALLBACK,    /* read_body or on_data stopped the transfer */
};

struct fg_http_request {
    const char *method;
    const char *url;
    const char *unix_socket; /* connect there instead of the URL's host */
    struct curl_slist *headers;
    const char *body;
    size_t body_len;
    /* A body streamed instead: bytes written into dst, 0 at the end, -1 to
     * stop; read_length is its length (sent as Content-Length), -1 unknown. */
    ssize_t (*read_body)(void *ud, char *dst, size_t n);
    void *read_ud;
    long long read_length;
    long connect_timeout_ms; /* 0: 10 s */
    long read_timeout_ms;    /* no byte either way for this long (checked
                                * about once a second); 0: 60 s; <0: none */
    long timeout_ms;         /* the whole exchange; 0: none */
    size_t max_body;         /* 0: 64 MiB */
    const char *ca_bundle;   /* CA certificates to trust instead of the system's */
    /* When set, a 2xx answer's body is handed here as it arrives instead of
     * being kept in the response: 0, or -1 to stop. */
    int (*on_data)(void *ud, const char *p, size_t n);
    void *data_ud;
    /* Called as the body goes (the streamed upload, else the download), at
     * most every MiB and at the end: bytes done and the total (0 unknown). */
    void (*progress)(void *ud, long long done, long long total);
    void *progress_ud;
};

struct fg_http_response {
    long status;
    struct fg_buf headers; /* raw header lines of the final response */
    struct fg_buf body;    /* wiped on clean-up: it may hold secrets */
    int streamed;          /* the body went to on_data */
    enum fg_http_error error;
    CURLcode code; /* libcurl's result, for callers that word their own messages */
    char message[CURL_ERROR_SIZE];
};

struct fg_http_conn {
    CURL *curl; /* NULL once closed */
};

/* 0, or -1 when libcurl cannot make a handle. */
int fg_http_conn_open(struct fg_http_conn *c);
/* Harmless when repeated. */
void fg_http_conn_close(struct fg_http_conn *c);

/* Performs one exchange on the connection; the response must be cleaned up
 * with fg_http_response_clean_up whatever the result. Returns r->error.
 * A timeout's message names the endpoint (scheme://host:port), the limit
 * and the setting that sets it (connect_timeout, read_timeout, timeout). */
enum fg_http_error fg_http_perform(struct fg_http_conn *conn, const struct fg_http_request *req,
                                   struct fg_http_response *r);
void fg_http_response_clean_up(struct fg_http_response *r);

/* Appends "name: value" (an empty value is sent as such); 0 or -1. */
int fg_http_headers_append(struct curl_slist **list, const char *name, const char *value);
/* Wipes (a header may carry a token) and frees the list. */
void fg_http_headers_free(struct curl_slist *list);

/* The value of the first header `name` (any case) in the raw header lines,
 * copied into out (trimmed, truncated to n - 1 bytes); "" when absent. */
void fg_http_header_value(const struct fg_buf *raw, const char *name, char *out, size_t n);

#endif
