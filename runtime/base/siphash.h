/* SipHash-2-4 with a per-process random key: hash tables fed by the
 * network (the JSON decoder's repeated-key check) cannot be flooded with
 * keys chosen to collide. */
#ifndef FG_SIPHASH_H
#define FG_SIPHASH_H
#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of data under the 16-byte key. */
uint64_t fg_siphash(const void *data, size_t len, const uint8_t key[16]);
/* fg_siphash under a key drawn once per process (getrandom). */
uint64_t fg_siphash_process(const void *data, size_t len);

#endif
