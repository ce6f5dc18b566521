/* require "aws.digest": the digests a request body needs for SigV4
 * (x-amz-content-sha256) and for the checksum headers S3's model asks for
 * (x-amz-checksum-crc32, x-amz-checksum-sha256), of a string or of a range
 * of a file read in pieces, so that an upload of any size is hashed in
 * constant memory. */
#include "base/base64.h"
#include "base/hex.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <lauxlib.h>

#define PIECE (1024 * 1024)

struct digests {
    EVP_MD_CTX *sha256;
    uLong crc;
    long long size;
};

static int digests_start(struct digests *d)
{
    d->crc = crc32(0L, Z_NULL, 0);
    d->size = 0;
    d->sha256 = EVP_MD_CTX_new();
    return d->sha256 && EVP_DigestInit_ex(d->sha256, EVP_sha256(), NULL) == 1;
}

static int digests_add(struct digests *d, const unsigned char *p, size_t n)
{
    d->crc = crc32(d->crc, p, (uInt)n);
    d->size += (long long)n;
    return EVP_DigestUpdate(d->sha256, p, n) == 1;
}

static void push_base64(lua_State *L, const unsigned char *in, size_t n)
{
    char out[FG_BASE64_ENCODED_LEN(EVP_MAX_MD_SIZE) + 1];
    lua_pushlstring(L, out, fg_base64_encode(in, n, out, 0));
}

/* Pushes {size=, sha256_hex=, sha256_base64=, crc32_base64=} and frees d. */
static int digests_push(lua_State *L, struct digests *d)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(d->sha256, md, &len) == 1;
    EVP_MD_CTX_free(d->sha256);
    if (!ok)
        return luaL_error(L, "aws.digest: SHA-256 failed");
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, d->size);
    lua_setfield(L, -2, "size");
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    fg_hex_encode(md, len, hex);
    lua_pushlstring(L, hex, 2 * len);
    lua_setfield(L, -2, "sha256_hex");
    push_base64(L, md, len);
    lua_setfield(L, -2, "sha256_base64");
    unsigned char crc[4] = {(unsigned char)(d->crc >> 24), (unsigned char)(d->crc >> 16),
                            (unsigned char)(d->crc >> 8), (unsigned char)d->crc};
    push_base64(L, crc, 4);
    lua_setfield(L, -2, "crc32_base64");
    return 1;
}

/* digest.string(s) -> {size, sha256_hex, sha256_base64, crc32_base64} */
static int digest_string(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    struct digests d;
    if (!digests_start(&d) || !digests_add(&d, (const unsigned char *)s, n)) {
        EVP_MD_CTX_free(d.sha256);
        return luaL_error(L, "aws.digest: SHA-256 failed");
    }
    return digests_push(L, &d);
}

/* digest.file(path [, offset [, length]]) -> the same table | nil, why.
 * length defaults to the rest of the file. */
static int digest_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    long long offset = (long long)luaL_optinteger(L, 2, 0);
    long long length = (long long)luaL_optinteger(L, 3, -1);
    FILE *f = fopen(path, "rb");
    if (!f || fseeko(f, (off_t)offset, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(errno));
        return 2;
    }
    unsigned char *buf = malloc(PIECE);
    struct digests d;
    int ok = buf && digests_start(&d);
    while (ok && (length < 0 || d.size < length)) {
        size_t want = PIECE;
        if (length >= 0 && (long long)want > length - d.size)
            want = (size_t)(length - d.size);
        size_t got = fread(buf, 1, want, f);
        if (got == 0)
            break;
        ok = digests_add(&d, buf, got);
    }
    int read_error = ferror(f);
    fclose(f);
    free(buf);
    if (!ok || read_error) {
        if (buf)
            EVP_MD_CTX_free(d.sha256);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot read it", path);
        return 2;
    }
    return digests_push(L, &d);
}

int luaopen_fg_aws_digest(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"string", digest_string},
        {"file", digest_file},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
