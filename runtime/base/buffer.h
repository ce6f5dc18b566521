/* A growable byte buffer with a hard maximum, wiped before release.
 * Used by the AWS transport (signing, HTTP bodies, credential documents),
 * where a buffer may hold a secret. */
#ifndef FG_AWS_BUF_H
#define FG_AWS_BUF_H

#include <stddef.h>

struct fg_aws_buf {
	char *data;     /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;     /* appends that would exceed this fail */
};

void fg_aws_buf_init(struct fg_aws_buf *b, size_t max);
/* 0 on success, -1 when over the maximum or out of memory. */
int fg_aws_buf_append(struct fg_aws_buf *b, const void *p, size_t n);
int fg_aws_buf_puts(struct fg_aws_buf *b, const char *s);
int fg_aws_buf_putc(struct fg_aws_buf *b, char c);
/* Wipes the contents (OPENSSL_cleanse) and frees them; the buffer is reusable. */
void fg_aws_buf_clean_up(struct fg_aws_buf *b);

#endif
