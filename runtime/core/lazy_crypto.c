/* libcrypto (OpenSSL), opened on first use (see lazy_load.h). */
#include "core/lazy_load.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

static struct lazy_lib libcrypto = {"libcrypto.so.3", "libssl3", NULL};

/* Wiping a secret must not load libcrypto (buffers are wiped on every
 * free, in runs that never sign anything); explicit_bzero gives the same
 * promise as OpenSSL's: the stores are not optimised away. */
void OPENSSL_cleanse(void *ptr, size_t len)
{
    explicit_bzero(ptr, len);
}

const EVP_MD *EVP_sha256(void)
{
    LAZY_RESOLVE(libcrypto, EVP_sha256);
    return real();
}

unsigned char *SHA256(const unsigned char *d, size_t n, unsigned char *md)
{
    LAZY_RESOLVE(libcrypto, SHA256);
    return real(d, n, md);
}

unsigned char *SHA1(const unsigned char *d, size_t n, unsigned char *md)
{
    LAZY_RESOLVE(libcrypto, SHA1);
    return real(d, n, md);
}

unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len, const unsigned char *data,
                    size_t data_len, unsigned char *md, unsigned int *md_len)
{
    LAZY_RESOLVE(libcrypto, HMAC);
    return real(evp_md, key, key_len, data, data_len, md, md_len);
}

EVP_MD_CTX *EVP_MD_CTX_new(void)
{
    LAZY_RESOLVE(libcrypto, EVP_MD_CTX_new);
    return real();
}

void EVP_MD_CTX_free(EVP_MD_CTX *ctx)
{
    LAZY_RESOLVE(libcrypto, EVP_MD_CTX_free);
    real(ctx);
}

int EVP_DigestInit_ex(EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl)
{
    LAZY_RESOLVE(libcrypto, EVP_DigestInit_ex);
    return real(ctx, type, impl);
}

int EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t cnt)
{
    LAZY_RESOLVE(libcrypto, EVP_DigestUpdate);
    return real(ctx, d, cnt);
}

int EVP_DigestFinal_ex(EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s)
{
    LAZY_RESOLVE(libcrypto, EVP_DigestFinal_ex);
    return real(ctx, md, s);
}
