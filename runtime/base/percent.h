/* Percent-encoding (RFC 3986): every byte but the unreserved ones
 * (A-Z a-z 0-9 - . _ ~) becomes %XX with uppercase digits, as SigV4, the
 * query protocol's forms and the Docker Engine's query strings want it.
 * Used by aws/sigv4.c; require "base.percent" gives encode(s[, keep_slash])
 * to Lua (aws.serialize_query, aws.rest, the credential chain, docker). */
#ifndef FG_PERCENT_H
#define FG_PERCENT_H
#include <stddef.h>

#include "base/buffer.h"

/* Writes s encoded into out, which holds 3 * n bytes, '/' kept as it is
 * when keep_slash; returns the length written. */
size_t fg_percent_encode(char *out, const char *s, size_t n, int keep_slash);

/* The same, appended to b; 0 or -1 (the buffer's maximum or memory). */
int fg_percent_append(struct fg_buf *b, const char *s, size_t n, int keep_slash);

/* Decodes every valid %XX of s in place; returns the new length. */
size_t fg_percent_decode(char *s, size_t n);

#endif
