#include "base/buffer.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

void fg_aws_buf_init(struct fg_aws_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int fg_aws_buf_append(struct fg_aws_buf *b, const void *p, size_t n)
{
	if (n > b->max - b->len)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
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
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int fg_aws_buf_puts(struct fg_aws_buf *b, const char *s)
{
	return fg_aws_buf_append(b, s, strlen(s));
}

int fg_aws_buf_putc(struct fg_aws_buf *b, char c)
{
	return fg_aws_buf_append(b, &c, 1);
}

void fg_aws_buf_clean_up(struct fg_aws_buf *b)
{
	if (b->data) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
