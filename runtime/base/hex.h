/* Hexadecimal digits: lowercase encoding (digests, as SigV4 writes them)
 * and the value of one digit. Used by percent.c and aws/sigv4.c. */
#ifndef FG_HEX_H
#define FG_HEX_H
#include <stddef.h>

/* Writes 2 * n lowercase digits and a NUL into out. */
void fg_hex_encode(const unsigned char *in, size_t n, char *out);

/* The value of one digit (either case), or -1. */
int fg_hex_value(char c);

#endif
