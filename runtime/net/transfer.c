/* One HTTP exchange over libcurl. See transfer.h. */
#include "net/transfer.h"
#include "base/interrupt.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/crypto.h>

#define HEADERS_MAX (64 * 1024)
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_READ_TIMEOUT_MS 60000
#define DEFAULT_MAX_BODY (64 * 1024 * 1024)
#define PROGRESS_STEP (1024 * 1024)

int fg_http_conn_open(struct fg_http_conn *c)
{
    c->curl = curl_easy_init();
    return c->curl ? 0 : -1;
}

void fg_http_conn_close(struct fg_http_conn *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

/* The state of one exchange, seen by libcurl's callbacks. */
struct exchange {
    struct fg_http_conn *conn;
    const struct fg_http_request *req;
    struct fg_http_response *r;
    int decided;        /* whether the body streams is known (first byte seen) */
    long long reported; /* bytes reported to req->progress */
    /* the read timeout: when bytes last moved (or the connection came up) */
    long read_timeout_ms;
    curl_off_t moved_dl, moved_ul;
    struct timespec moved;
    int connected;
    int idle; /* the read timeout ended the transfer */
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    struct fg_http_response *r = x->r;
    if (!x->decided) {
        x->decided = 1;
        if (x->req->on_data) {
            long status = 0;
            curl_easy_getinfo(x->conn->curl, CURLINFO_RESPONSE_CODE, &status);
            r->streamed = status >= 200 && status < 300;
        }
    }
    if (r->streamed) {
        if (x->req->on_data(x->req->data_ud, p, size * n)) {
            r->error = FG_HTTP_CALLBACK;
            return 0; /* aborts the transfer */
        }
        return size * n;
    }
    if (fg_buf_append(&r->body, p, size * n)) {
        r->error = FG_HTTP_TOO_LARGE;
        return 0;
    }
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct fg_http_response *r = ((struct exchange *)ud)->r;
    /* A new status line (after 100 Continue or a proxy's CONNECT answer)
     * starts the headers of the next response. */
    if (size * n >= 5 && memcmp(p, "HTTP/", 5) == 0)
        r->headers.len = 0;
    if (fg_buf_append(&r->headers, p, size * n)) {
        r->error = FG_HTTP_TOO_LARGE;
        return 0;
    }
    return size * n;
}

static size_t on_upload(char *dst, size_t size, size_t n, void *ud)
{
    struct exchange *x = ud;
    ssize_t got = x->req->read_body(x->req->read_ud, dst, size * n);
    if (got < 0) {
        x->r->error = FG_HTTP_CALLBACK;
        return CURL_READFUNC_ABORT;
    }
    return (size_t)got;
}

static double ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* The read timeout: no byte moved either way for x->read_timeout_ms since
 * the connection came up (the connect timeout covers the time before). */
static int read_timed_out(struct exchange *x, curl_off_t dlnow, curl_off_t ulnow)
{
    if (x->read_timeout_ms <= 0)
        return 0;
    if (!x->connected) {
        curl_off_t pre = 0;
        curl_easy_getinfo(x->conn->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
        if (pre <= 0)
            return 0;
        x->connected = 1;
        clock_gettime(CLOCK_MONOTONIC, &x->moved);
    }
    if (dlnow != x->moved_dl || ulnow != x->moved_ul) {
        x->moved_dl = dlnow;
        x->moved_ul = ulnow;
        clock_gettime(CLOCK_MONOTONIC, &x->moved);
    } else if (ms_since(&x->moved) >= (double)x->read_timeout_ms) {
        x->idle = 1;
        return 1;
    }
    return 0;
}

/* "https://host:port" of a URL: what a timeout message names (the path and
 * query may carry a presigned signature). */
static void origin(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t len = (size_t)(p - url) + strcspn(p, "/?#");
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), url);
}

static void timeout_message(struct exchange *x, long connect_ms)
{
    struct fg_http_response *r = x->r;
    char where[160];
    origin(x->req->url, where, sizeof where);
    curl_off_t pre = 0;
    curl_easy_getinfo(x->conn->curl, CURLINFO_PRETRANSFER_TIME_T, &pre);
    if (x->idle)
        snprintf(r->message, sizeof r->message, "%s: no data for %.3g s (read_timeout)", where,
                 x->read_timeout_ms / 1e3);
    else if (pre <= 0 && !x->connected)
        snprintf(r->message, sizeof r->message, "%s: no connection within %.3g s (connect_timeout)",
                 where, connect_ms / 1e3);
    else
        snprintf(r->message, sizeof r->message, "%s: no complete answer within %.3g s (timeout)",
                 where, x->req->timeout_ms / 1e3);
}

/* libcurl calls this at least once a second, even on a stalled transfer. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct exchange *x = ud;
    const struct fg_http_request *req = x->req;
    if (req->progress) {
        long long done = req->read_body ? ulnow : dlnow;
        long long total = req->read_body ? ultotal : dltotal;
        if (done - x->reported >= PROGRESS_STEP ||
            (total > 0 && done == total && done != x->reported)) {
            x->reported = done;
            req->progress(req->progress_ud, done, total);
        }
    }
    if (fg_interrupt_pending())
        return 1;
    return read_timed_out(x, dlnow, ulnow);
}

static enum fg_http_error classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OK:
        return FG_HTTP_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return FG_HTTP_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return FG_HTTP_INTERRUPTED;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return FG_HTTP_CONNECTION;
    default:
        return FG_HTTP_OTHER;
    }
}

static void set_method_and_body(CURL *h, const struct fg_http_request *req, struct exchange *x)
{
    if (req->read_body) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        if (req->read_length >= 0)
            curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->read_length);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") == 0 && !req->body_len) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
}

enum fg_http_error fg_http_perform(struct fg_http_conn *conn, const struct fg_http_request *req,
                                   struct fg_http_response *r)
{
    CURL *h = conn->curl;
    struct exchange x = {.conn = conn, .req = req, .r = r};
    x.read_timeout_ms = req->read_timeout_ms ? req->read_timeout_ms : DEFAULT_READ_TIMEOUT_MS;
    long connect_ms =
        req->connect_timeout_ms > 0 ? req->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    r->status = 0;
    r->streamed = 0;
    r->error = FG_HTTP_OK;
    r->code = CURLE_OK;
    r->message[0] = '\0';
    fg_buf_init_secret(&r->headers, HEADERS_MAX);
    fg_buf_init_secret(&r->body, req->max_body ? req->max_body : DEFAULT_MAX_BODY);

    /* Reset keeps the live connection, the DNS and TLS session caches. */
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    if (req->unix_socket)
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->message);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, req->headers);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (req->ca_bundle && *req->ca_bundle)
        curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_bundle);
    set_method_and_body(h, req, &x);

    CURLcode rc = curl_easy_perform(h);
    /* The connection keeps no pointer to this exchange's buffers. */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    r->code = rc;
    if (rc != CURLE_OK && r->error == FG_HTTP_OK)
        r->error = x.idle ? FG_HTTP_TIMEOUT : classify_curl(rc);
    if (r->error == FG_HTTP_TIMEOUT)
        timeout_message(&x, connect_ms);
    else if (r->error == FG_HTTP_TOO_LARGE)
        snprintf(r->message, sizeof r->message, "response over %zu bytes", r->body.max);
    else if (r->error != FG_HTTP_OK && !r->message[0])
        snprintf(r->message, sizeof r->message, "%s", curl_easy_strerror(rc));
    if (r->error == FG_HTTP_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    return r->error;
}

void fg_http_response_clean_up(struct fg_http_response *r)
{
    fg_buf_clean_up(&r->headers);
    fg_buf_clean_up(&r->body);
}

void fg_http_headers_free(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p; p = p->next)
        OPENSSL_cleanse(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

int fg_http_headers_append(struct curl_slist **list, const char *name, const char *value)
{
    size_t n = strlen(name), v = strlen(value);
    char *line = malloc(n + v + 3);
    if (!line)
        return -1;
    memcpy(line, name, n);
    if (v) {
        memcpy(line + n, ": ", 2);
        memcpy(line + n + 2, value, v + 1);
    } else {
        memcpy(line + n, ";", 2); /* curl's way to send an empty header */
    }
    struct curl_slist *next = curl_slist_append(*list, line);
    OPENSSL_cleanse(line, n + v + 2);
    free(line);
    if (!next)
        return -1;
    *list = next;
    return 0;
}

void fg_http_header_value(const struct fg_buf *raw, const char *name, char *out, size_t n)
{
    size_t name_len = strlen(name);
    const char *p = raw->data, *end = raw->data ? raw->data + raw->len : NULL;
    out[0] = '\0';
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
            strncasecmp(p, name, name_len) == 0) {
            const char *v = p + name_len + 1, *vend = eol;
            while (v < vend && (*v == ' ' || *v == '\t'))
                v++;
            while (vend > v && (vend[-1] == '\r' || vend[-1] == ' ' || vend[-1] == '\t'))
                vend--;
            size_t len = (size_t)(vend - v) < n - 1 ? (size_t)(vend - v) : n - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return;
        }
        p = eol + 1;
    }
}
