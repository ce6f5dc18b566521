#include "log.h"

#include "timefmt.h"

#include <stdarg.h>
#include <stdio.h>

#define LOG_LINE_MAX 1024

static void log_line(FILE *out, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    char now[TIMEFMT_BUF];
    int head, body;

    time_iso8601_now(now);
    head = snprintf(line, sizeof line, "%s ", now);
    body = vsnprintf(line + head, sizeof line - (size_t)head - 1, fmt, ap);
    if (body < 0)
        body = 0;
    if ((size_t)head + (size_t)body > sizeof line - 2)
        body = (int)(sizeof line - 2 - (size_t)head); /* truncated */
    line[head + body] = '\n';
    /* One fwrite per line: stdio locks the stream for the whole call. */
    fwrite(line, 1, (size_t)head + (size_t)body + 1, out);
    fflush(out);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(stdout, fmt, ap);
    va_end(ap);
}

void log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_line(stderr, fmt, ap);
    va_end(ap);
}
