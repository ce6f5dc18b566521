/* SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash that Python,
 * Rust and the Linux kernel use against hash flooding; written after the
 * reference implementation. Written here because OpenSSL's (EVP_MAC
 * "SIPHASH") costs a context and its allocation per key hashed. */
#include "base/siphash.h"
#include <string.h>
#include <sys/random.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND           \
    do {                   \
        v0 += v1;          \
        v1 = ROTL(v1, 13); \
        v1 ^= v0;          \
        v0 = ROTL(v0, 32); \
        v2 += v3;          \
        v3 = ROTL(v3, 16); \
        v3 ^= v2;          \
        v0 += v3;          \
        v3 = ROTL(v3, 21); \
        v3 ^= v0;          \
        v2 += v1;          \
        v1 = ROTL(v1, 17); \
        v1 ^= v2;          \
        v2 = ROTL(v2, 32); \
    } while (0)

static uint64_t load64_le(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t fg_siphash(const void *data, size_t len, const uint8_t key[16])
{
    uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    uint64_t v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *in = data;
    const uint8_t *end = in + len - len % 8;
    for (; in != end; in += 8) {
        uint64_t m = load64_le(in);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t b = (uint64_t)len << 56;
    for (size_t i = 0; i < len % 8; i++)
        b |= (uint64_t)in[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t fg_siphash_process(const void *data, size_t len)
{
    static uint8_t key[16];
    static int ready;
    if (!ready) {
        size_t got = 0;
        while (got < sizeof key) {
            ssize_t n = getrandom(key + got, sizeof key - got, 0);
            if (n > 0)
                got += (size_t)n;
        }
        ready = 1;
    }
    return fg_siphash(data, len, key);
}
