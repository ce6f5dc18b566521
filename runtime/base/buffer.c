/* The growable byte buffer. See buffer.h. */
#include "base/buffer.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

void fg_buf_init(struct fg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->secret = false;
}

void fg_buf_init_secret(struct fg_buf *b, size_t max)
{
    fg_buf_init(b, max);
    b->secret = true;
}

static int grow(struct fg_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    if (!b->secret) {
        char *data = realloc(b->data, cap);
        if (!data)
            return -1;
        b->data = data;
        b->cap = cap;
        return 0;
    }
    /* Grow by copying so the old block can be wiped: it may hold a secret. */
    char *data = malloc(cap);
    if (!data)
        return -1;
    if (b->data) {
        memcpy(data, b->data, b->len);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int fg_buf_append_slow(struct fg_buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len)
        return -1;
    if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1))
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int fg_buf_puts(struct fg_buf *b, const char *s)
{
    return fg_buf_append(b, s, strlen(s));
}

int fg_buf_putc(struct fg_buf *b, char c)
{
    return fg_buf_append(b, &c, 1);
}

void fg_buf_clean_up(struct fg_buf *b)
{
    if (b->data) {
        if (b->secret)
            OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
