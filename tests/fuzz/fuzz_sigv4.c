/* libFuzzer harness for the SigV4 canonicalizer (runtime/sigv4.h). The
 * input is read as a raw HTTP request, like the conformance vectors' .req
 * files: "METHOD PATH[?QUERY] HTTP/1.1", header lines "Name:value" (a line
 * starting with a space or tab continues the previous value), an empty
 * line, then the body. Whatever the bytes, the canonical request, the
 * string to sign, the signature and the Authorization header are computed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"

#define MAX_FIELDS 200 /* above sigv4.c's header limit, to reach its check */

/* Splits off the next line of [*p, end) (without \r\n) as a NUL-ended copy
 * inside buf; NULL at the end. */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p;
    char *nl = memchr(line, '\n', (size_t)(end - line));
    char *stop = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    if (stop > line && stop[-1] == '\r')
        stop--;
    *stop = '\0';
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *p = buf, *end = buf + size;
    struct fg_sigv4_header headers[MAX_FIELDS];
    size_t n = 0;

    char *request_line = next_line(&p, end);
    if (!request_line)
        goto cleanup;
    char *method = request_line;
    char *target = strchr(method, ' ');
    if (!target)
        goto cleanup;
    *target++ = '\0';
    char *version = strrchr(target, ' ');
    if (version)
        *version = '\0';
    char *query = strchr(target, '?');
    if (query)
        *query++ = '\0';

    char *line;
    while ((line = next_line(&p, end)) && *line) {
        if ((*line == ' ' || *line == '\t') && n > 0)
            continue; /* continuation: the vectors fold it into the value */
        char *colon = strchr(line, ':');
        if (!colon || n == MAX_FIELDS)
            continue;
        *colon = '\0';
        headers[n].name = line;
        headers[n].value = colon + 1;
        n++;
    }
    char body_hash[FG_SIGV4_HEX_LEN + 1];
    fg_sigv4_sha256_hex(p, (size_t)(end - p), body_hash);

    struct fg_sigv4_request req = {
        .method = method,
        .path = target,
        .query = query ? query : "",
        .headers = headers,
        .n_headers = n,
        .payload_sha256 = body_hash,
    };
    struct fg_sigv4_scope scope = {"20150830T123600Z", "us-east-1", "service"};
    char *signed_headers = NULL;
    char *creq = fg_sigv4_canonical_request(&req, &signed_headers);
    if (creq) {
        char *sts = fg_sigv4_string_to_sign(&scope, creq);
        char sig[FG_SIGV4_HEX_LEN + 1];
        if (sts)
            (void)fg_sigv4_signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &scope, sts, sig);
        free(sts);
    }
    free(creq);
    free(signed_headers);
    free(fg_sigv4_authorization("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &scope,
                                &req));
cleanup:
    free(buf);
    return 0;
}
