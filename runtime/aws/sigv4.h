/* AWS Signature Version 4, header signing (OpenSSL).
 * Paths are normalised as every AWS service except S3 expects. require
 * "aws.sigv4" (sign, sha256_hex) is used by stdlib/aws/transport/signer.lua. */
#ifndef FG_SIGV4_H
#define FG_SIGV4_H

#include <stddef.h>

struct fg_sigv4_header {
    const char *name;
    const char *value;
};

struct fg_sigv4_request {
    const char *method;
    const char *path;                      /* as sent on the wire, e.g. "/" */
    const char *query;                     /* without '?', may be "" */
    const struct fg_sigv4_header *headers; /* every header to sign */
    size_t n_headers;
    const char *payload_sha256; /* lowercase hex of the body's SHA-256 */
    int raw_path;               /* S3: the path as sent, neither normalised nor encoded again */
};

struct fg_sigv4_scope {
    const char *amz_date; /* YYYYMMDDTHHMMSSZ */
    const char *region;
    const char *service;
};

#define FG_SIGV4_HEX_LEN 64

/* out must hold FG_SIGV4_HEX_LEN + 1 bytes. */
void fg_sigv4_sha256_hex(const void *data, size_t len, char *out);

/* The three steps, each returning a malloc'd string (NULL when out of
 * memory or over the size limit). Exposed for the conformance tests. */
char *fg_sigv4_canonical_request(const struct fg_sigv4_request *req, char **signed_headers);
char *fg_sigv4_string_to_sign(const struct fg_sigv4_scope *scope, const char *canonical_request);
/* Writes the hex signature into out (FG_SIGV4_HEX_LEN + 1 bytes); 0 or -1.
 * The derived signing key is wiped before returning. */
int fg_sigv4_signature(const char *secret, const struct fg_sigv4_scope *scope,
                       const char *string_to_sign, char *out);

/* The Authorization header value, malloc'd, or NULL. */
char *fg_sigv4_authorization(const char *access_key_id, const char *secret,
                             const struct fg_sigv4_scope *scope,
                             const struct fg_sigv4_request *req);

#endif
