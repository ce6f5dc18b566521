#include "http.h"

#include "timefmt.h"
#include "version.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t http_head_length(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return i + 4;
    return 0;
}

/* Token characters (RFC 9110, 5.6.2): methods and header names. */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Printable ASCII: what a request target may contain. */
static int is_vchar(unsigned char c)
{
    return c >= 0x21 && c <= 0x7E;
}

/* What a header value may contain besides its edges: visible characters,
 * space, tab, and (obsolete but allowed) bytes from 0x80 up. */
static int is_field_char(unsigned char c)
{
    return c == ' ' || c == '\t' || is_vchar(c) || c >= 0x80;
}

/* The path of a target: origin-form "/p?q" as is, absolute-form
 * "http://host/p?q" (which servers must accept) without scheme and host. */
static void locate_path(struct http_request *req)
{
    const char *t = req->target;
    const char *p = t;

    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        p = strchr(strchr(t, ':') + 3, '/');
        if (p == NULL)
            p = "/";
    }
    req->path = p;
    req->path_len = strcspn(p, "?");
}

/* The request line "METHOD SP target SP HTTP/1.x CRLF"; *pos moves past it. */
static int parse_request_line(char *head, size_t *pos, struct http_request *req)
{
    size_t i = 0, start;

    while (is_tchar((unsigned char)head[i]))
        i++;
    if (i == 0 || head[i] != ' ')
        return 400;
    head[i++] = '\0';
    req->method = head;

    start = i;
    while (is_vchar((unsigned char)head[i]))
        i++;
    if (i == start || head[i] != ' ')
        return 400;
    head[i++] = '\0';
    req->target = head + start;
    if (req->target[0] != '/' && strncasecmp(req->target, "http://", 7) != 0 &&
        strncasecmp(req->target, "https://", 8) != 0)
        return 400;
    locate_path(req);

    if (strncmp(head + i, "HTTP/", 5) != 0)
        return 400;
    i += 5;
    if (head[i] < '0' || head[i] > '9' || head[i + 1] != '.' || head[i + 2] < '0' ||
        head[i + 2] > '9' || head[i + 3] != '\r' || head[i + 4] != '\n')
        return 400;
    if (head[i] != '1')
        return 505;
    req->version_minor = head[i + 2] - '0';
    *pos = i + 5;
    return 0;
}

int http_parse_request(char *head, size_t len, struct http_request *req)
{
    size_t i = 0;
    int hosts = 0;
    int status;

    memset(req, 0, sizeof *req);
    req->user_agent = "";
    if (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0)
        return 400;

    status = parse_request_line(head, &i, req);
    if (status != 0)
        return status;

    /* Header lines "name: value CRLF" until the empty line. The head ends in
     * CRLF CRLF, so every scan below stops before the end of the buffer. */
    while (!(head[i] == '\r' && head[i + 1] == '\n')) {
        size_t name = i, name_len, value, end;

        while (is_tchar((unsigned char)head[i]))
            i++;
        name_len = i - name;
        /* Also rejects obsolete line folding and space before the colon. */
        if (name_len == 0 || head[i] != ':')
            return 400;
        i++;
        while (head[i] == ' ' || head[i] == '\t')
            i++;
        value = i;
        while (is_field_char((unsigned char)head[i]))
            i++;
        if (head[i] != '\r' || head[i + 1] != '\n')
            return 400; /* a bare CR, LF or NUL inside the value */
        end = i;
        while (end > value && (head[end - 1] == ' ' || head[end - 1] == '\t'))
            end--;
        head[end] = '\0';
        i += 2;

        if (name_len == 4 && strncasecmp(head + name, "host", 4) == 0)
            hosts++;
        else if (name_len == 10 && strncasecmp(head + name, "user-agent", 10) == 0)
            req->user_agent = head + value;
    }

    /* HTTP/1.1 requires exactly one Host header; two are never valid. */
    if (hosts > 1 || (req->version_minor >= 1 && hosts == 0))
        return 400;
    return 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

size_t http_format_response_head(char *out, size_t cap, int status, size_t content_length,
                                 const char *allow)
{
    char date[TIMEFMT_BUF];
    int n;

    time_http_date_now(date);
    n = snprintf(out, cap,
                 "HTTP/1.1 %d %s\r\n"
                 "Date: %s\r\n"
                 "Server: " APP_NAME "/" APP_VERSION "\r\n"
                 "Content-Type: application/json; charset=utf-8\r\n"
                 "Content-Length: %zu\r\n"
                 "Cache-Control: no-store\r\n"
                 "X-Content-Type-Options: nosniff\r\n"
                 "%s%s%s"
                 "Connection: close\r\n"
                 "\r\n",
                 status, http_reason(status), date, content_length, allow ? "Allow: " : "",
                 allow ? allow : "", allow ? "\r\n" : "");
    if (n < 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}
