#include "json_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void json_writer_init(struct json_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if (cap > 0)
        buf[0] = '\0';
    else
        w->overflow = true;
}

/* Appends n bytes, keeping one byte spare for the terminating NUL. */
static void put(struct json_writer *w, const char *s, size_t n)
{
    if (w->overflow)
        return;
    if (n >= w->cap - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put_char(struct json_writer *w, char c)
{
    put(w, &c, 1);
}

/* Every value and key goes through here: a comma when it is not the first
 * item of its container, nothing when it is the value right after a key. */
static void before_item(struct json_writer *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        put_char(w, ',');
    w->need_comma[w->depth] = true;
}

void json_object_begin(struct json_writer *w)
{
    before_item(w);
    if (w->depth + 1 >= JSON_MAX_DEPTH) {
        w->overflow = true;
        return;
    }
    put_char(w, '{');
    w->depth++;
    w->need_comma[w->depth] = false;
}

void json_object_end(struct json_writer *w)
{
    if (w->depth == 0) {
        w->overflow = true;
        return;
    }
    w->depth--;
    put_char(w, '}');
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the 2nd byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;

    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static void json_string_n(struct json_writer *w, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    before_item(w);
    put_char(w, '"');
    while (i < n) {
        unsigned char c = p[i];
        char esc[8];

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(w, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put(w, esc, 6);
            i++;
        } else {
            size_t len = utf8_sequence_length(p + i, n - i);
            if (len == 0) {
                put(w, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
                i++;
            } else {
                put(w, s + i, len);
                i += len;
            }
        }
    }
    put_char(w, '"');
}

static void json_string(struct json_writer *w, const char *s)
{
    json_string_n(w, s, strlen(s));
}

void json_key(struct json_writer *w, const char *key)
{
    json_string(w, key);
    put_char(w, ':');
    w->after_key = true;
}

static void json_int(struct json_writer *w, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);

    before_item(w);
    put(w, num, (size_t)n);
}

void json_millis_as_seconds(struct json_writer *w, uint64_t ms)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%" PRIu64 ".%03" PRIu64, ms / 1000, ms % 1000);

    before_item(w);
    put(w, num, (size_t)n);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
    json_key(w, key);
    json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_int(w, v);
}

bool json_writer_ok(const struct json_writer *w)
{
    return !w->overflow && w->depth == 0 && !w->after_key;
}
