/* A growable byte buffer with a hard maximum: the one every part uses
 * (HTTP bodies and headers, canonical requests, config files, JSON text,
 * XML trees, Docker answers). A buffer made with fg_buf_init_secret may
 * hold a secret: its old blocks are wiped (OPENSSL_cleanse) when it grows
 * and when it is released; a plain one grows with realloc. */
#ifndef FG_BUFFER_H
#define FG_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct fg_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;  /* appends that would exceed this fail */
    bool secret; /* wipe every block before it is freed */
};

void fg_buf_init(struct fg_buf *b, size_t max);
void fg_buf_init_secret(struct fg_buf *b, size_t max);
/* 0 on success, -1 when over the maximum or out of memory. */
int fg_buf_append_slow(struct fg_buf *b, const void *p, size_t n);
/* Inline for the case with room (JSON output appends byte by byte). */
static inline int fg_buf_append(struct fg_buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len || b->len + n + 1 > b->cap)
        return fg_buf_append_slow(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}
int fg_buf_puts(struct fg_buf *b, const char *s);
int fg_buf_putc(struct fg_buf *b, char c);
/* Frees the contents (wiped first for a secret buffer); the buffer is
 * reusable. */
void fg_buf_clean_up(struct fg_buf *b);

#endif
