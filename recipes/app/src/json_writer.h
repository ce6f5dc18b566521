/* A JSON text built into a caller-owned, fixed-size buffer.
 *
 * The writer inserts commas itself; callers only open and close containers
 * and add keys and values. Output that would not fit sets `overflow` and
 * stops growing, so one check at the end is enough. */
#ifndef APP_JSON_WRITER_H
#define APP_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 8

struct json_writer {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
    bool after_key;
};

void json_writer_init(struct json_writer *w, char *buf, size_t cap);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);

/* A member name; the next call writes its value. */
void json_key(struct json_writer *w, const char *key);

/* A non-negative decimal with three fractional digits, from milliseconds. */
void json_millis_as_seconds(struct json_writer *w, uint64_t ms);

/* A key and its value. Strings may hold any bytes: they are escaped as
 * JSON requires, and invalid UTF-8 becomes U+FFFD. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);

/* True when the whole text fit; the text is then NUL-terminated. */
bool json_writer_ok(const struct json_writer *w);

#endif
