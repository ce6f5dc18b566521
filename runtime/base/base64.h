/* Base64 (RFC 4648): AWS blobs, ECR authorization tokens and the Docker
 * Engine's X-Registry-Auth header. Decoding takes either alphabet, skips
 * CR, LF and spaces, and stops at '='. require "base.base64" gives
 * encode(s) and decode(s) to Lua (aws.serialize_*, specs); the shape
 * decoders (aws/shape_*.c) and docker/auth.c use the C functions. */
#ifndef FG_BASE64_H
#define FG_BASE64_H
#include <lua.h>
#include <stddef.h>

/* The encoded length of n bytes (with padding), without the NUL. */
#define FG_BASE64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)
/* Room enough for the bytes of n characters of base64. */
#define FG_BASE64_DECODED_MAX(n) ((n) / 4 * 3 + 3)

/* Writes the encoding of in and a NUL into out (FG_BASE64_ENCODED_LEN + 1
 * bytes); url_safe picks the "-_" alphabet. Returns the length. */
size_t fg_base64_encode(const void *in, size_t n, char *out, int url_safe);

/* Writes the bytes of s into out (FG_BASE64_DECODED_MAX(n) bytes) and sets
 * *out_len. Returns 0, or the 1-based position of a character that is not
 * base64. */
size_t fg_base64_decode(const char *s, size_t n, unsigned char *out, size_t *out_len);

/* Replaces the string at the top of the stack with its decoded bytes and
 * returns 0; returns -1 and leaves it when it is not base64. */
int fg_base64_decode_top(lua_State *L);

#endif
