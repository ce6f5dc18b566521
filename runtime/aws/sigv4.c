/* AWS Signature Version 4 for headers. The canonical request follows
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * with the path normalised (non-S3 services) and URI-encoded once more. */
#include "aws/sigv4.h"
#include "base/buffer.h"
#include "base/hex.h"
#include "base/percent.h"
#include "aws/creds_object.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <lauxlib.h>

/* Requests we sign are small; bodies are hashed, not copied. */
#define CANONICAL_MAX (1024 * 1024)
#define MAX_HEADERS 128
#define RESULT_MT "fg.aws.sigv4.Result"

void fg_sigv4_sha256_hex(const void *data, size_t len, char *out)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    fg_hex_encode(md, sizeof md, out);
}

/* Removes empty and dot segments (RFC 3986 5.2.4, with "//" collapsed),
 * keeping a trailing slash, then encodes. */
static int canonical_uri(struct fg_buf *out, const char *path)
{
    size_t n = strlen(path);
    const char *seg[256];
    size_t seg_len[256];
    size_t depth = 0;
    int trailing = 0;

    for (size_t i = 0; i < n;) {
        while (i < n && path[i] == '/')
            i++;
        size_t start = i;
        while (i < n && path[i] != '/')
            i++;
        size_t len = i - start;
        trailing = (i == n && len == 0) || (len == 1 && path[start] == '.') ||
                   (len == 2 && path[start] == '.' && path[start + 1] == '.');
        if (len == 0 || (len == 1 && path[start] == '.'))
            continue;
        if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (depth)
                depth--;
            continue;
        }
        if (depth == sizeof seg / sizeof seg[0])
            return -1;
        seg[depth] = path + start;
        seg_len[depth++] = len;
    }
    if (fg_buf_putc(out, '/'))
        return -1;
    for (size_t i = 0; i < depth; i++) {
        if (i && fg_buf_putc(out, '/'))
            return -1;
        if (fg_percent_append(out, seg[i], seg_len[i], 0))
            return -1;
    }
    if (depth && trailing && fg_buf_putc(out, '/'))
        return -1;
    return 0;
}

struct query_param {
    char *key; /* encoded, malloc'd */
    char *value;
};

static int compare_params(const void *a, const void *b)
{
    const struct query_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Decodes then strictly re-encodes one key or value; malloc'd string or NULL. */
static char *reencode(const char *s, size_t n)
{
    char *raw = malloc(n + 1);
    if (!raw)
        return NULL;
    memcpy(raw, s, n);
    n = fg_percent_decode(raw, n);
    struct fg_buf b;
    fg_buf_init_secret(&b, CANONICAL_MAX);
    int rc = fg_percent_append(&b, raw, n, 0) || fg_buf_putc(&b, '\0');
    free(raw);
    if (rc) {
        fg_buf_clean_up(&b);
        return NULL;
    }
    return b.data; /* ownership passes to the caller */
}

static int canonical_query(struct fg_buf *out, const char *query)
{
    size_t count = 1;
    for (const char *p = query; *p; p++)
        count += *p == '&';
    struct query_param *params = calloc(count, sizeof *params);
    if (!params)
        return -1;
    size_t n = 0;
    int rc = -1;
    for (const char *p = query; *p;) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if (end > p) {
            const char *eq = memchr(p, '=', (size_t)(end - p));
            const char *kend = eq ? eq : end;
            params[n].key = reencode(p, (size_t)(kend - p));
            params[n].value = eq ? reencode(eq + 1, (size_t)(end - eq - 1)) : reencode("", 0);
            n++;
            if (!params[n - 1].key || !params[n - 1].value)
                goto cleanup;
        }
        p = *end ? end + 1 : end;
    }
    qsort(params, n, sizeof *params, compare_params);
    for (size_t i = 0; i < n; i++) {
        if ((i && fg_buf_putc(out, '&')) || fg_buf_puts(out, params[i].key) ||
            fg_buf_putc(out, '=') || fg_buf_puts(out, params[i].value))
            goto cleanup;
    }
    rc = 0;
cleanup:
    for (size_t i = 0; i < n; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    return rc;
}

struct sorted_header {
    char name[128]; /* lowercased */
    const char *value;
    size_t index; /* keeps repeated headers in their given order */
};

static int compare_headers(const void *a, const void *b)
{
    const struct sorted_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims the value and folds runs of whitespace (and line continuations)
 * into one space. */
static int put_header_value(struct fg_buf *out, const char *v)
{
    while (is_space(*v))
        v++;
    int pending_space = 0;
    for (; *v; v++) {
        if (is_space(*v)) {
            pending_space = 1;
            continue;
        }
        if (pending_space && fg_buf_putc(out, ' '))
            return -1;
        pending_space = 0;
        if (fg_buf_putc(out, *v))
            return -1;
    }
    return 0;
}

static int canonical_headers(struct fg_buf *out, struct fg_buf *names,
                             const struct fg_sigv4_header *headers, size_t n)
{
    if (n > MAX_HEADERS)
        return -1;
    struct sorted_header sorted[MAX_HEADERS];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(headers[i].name);
        if (len == 0 || len >= sizeof sorted[i].name)
            return -1;
        for (size_t j = 0; j <= len; j++) {
            char c = headers[i].name[j];
            sorted[i].name[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        sorted[i].value = headers[i].value;
        sorted[i].index = i;
    }
    qsort(sorted, n, sizeof sorted[0], compare_headers);
    for (size_t i = 0; i < n; i++) {
        int repeat = i && strcmp(sorted[i].name, sorted[i - 1].name) == 0;
        if (repeat) {
            if (fg_buf_putc(out, ','))
                return -1;
        } else {
            if (i && fg_buf_putc(out, '\n'))
                return -1;
            if ((i && fg_buf_putc(names, ';')) || fg_buf_puts(names, sorted[i].name) ||
                fg_buf_puts(out, sorted[i].name) || fg_buf_putc(out, ':'))
                return -1;
        }
        if (put_header_value(out, sorted[i].value))
            return -1;
    }
    return fg_buf_putc(out, '\n');
}

char *fg_sigv4_canonical_request(const struct fg_sigv4_request *req, char **signed_headers)
{
    struct fg_buf out, names;
    fg_buf_init_secret(&out, CANONICAL_MAX);
    fg_buf_init_secret(&names, CANONICAL_MAX);
    *signed_headers = NULL;
    if (fg_buf_puts(&out, req->method) || fg_buf_putc(&out, '\n') ||
        (req->raw_path ? fg_buf_puts(&out, req->path) : canonical_uri(&out, req->path)) ||
        fg_buf_putc(&out, '\n') || canonical_query(&out, req->query ? req->query : "") ||
        fg_buf_putc(&out, '\n') || canonical_headers(&out, &names, req->headers, req->n_headers) ||
        fg_buf_putc(&out, '\n') || fg_buf_append(&names, "", 0) || fg_buf_puts(&out, names.data) ||
        fg_buf_putc(&out, '\n') || fg_buf_puts(&out, req->payload_sha256)) {
        fg_buf_clean_up(&out);
        fg_buf_clean_up(&names);
        return NULL;
    }
    *signed_headers = names.data;
    return out.data;
}

/* The credential scope: date/region/service/aws4_request. */
static int put_scope(struct fg_buf *b, const struct fg_sigv4_scope *scope)
{
    return fg_buf_append(b, scope->amz_date, 8) || fg_buf_putc(b, '/') ||
           fg_buf_puts(b, scope->region) || fg_buf_putc(b, '/') || fg_buf_puts(b, scope->service) ||
           fg_buf_puts(b, "/aws4_request");
}

char *fg_sigv4_string_to_sign(const struct fg_sigv4_scope *scope, const char *canonical_request)
{
    if (strlen(scope->amz_date) != 16)
        return NULL;
    char hash[FG_SIGV4_HEX_LEN + 1];
    fg_sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
    struct fg_buf b;
    fg_buf_init_secret(&b, CANONICAL_MAX);
    if (fg_buf_puts(&b, "AWS4-HMAC-SHA256\n") || fg_buf_puts(&b, scope->amz_date) ||
        fg_buf_putc(&b, '\n') || put_scope(&b, scope) || fg_buf_putc(&b, '\n') ||
        fg_buf_puts(&b, hash)) {
        fg_buf_clean_up(&b);
        return NULL;
    }
    return b.data;
}

static int hmac(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
                unsigned char out[SHA256_DIGEST_LENGTH])
{
    unsigned int len = SHA256_DIGEST_LENGTH;
    return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, msg_len, out, &len)
               ? 0
               : -1;
}

int fg_sigv4_signature(const char *secret, const struct fg_sigv4_scope *scope,
                       const char *string_to_sign, char *out)
{
    unsigned char key[SHA256_DIGEST_LENGTH], next[SHA256_DIGEST_LENGTH];
    char seed[256];
    size_t secret_len = strlen(secret);
    int rc = -1;

    if (secret_len + 5 > sizeof seed || strlen(scope->amz_date) < 8)
        goto cleanup;
    memcpy(seed, "AWS4", 4);
    memcpy(seed + 4, secret, secret_len + 1);
    if (hmac((unsigned char *)seed, secret_len + 4, scope->amz_date, 8, key) ||
        hmac(key, sizeof key, scope->region, strlen(scope->region), next) ||
        hmac(next, sizeof next, scope->service, strlen(scope->service), key) ||
        hmac(key, sizeof key, "aws4_request", 12, next) ||
        hmac(next, sizeof next, string_to_sign, strlen(string_to_sign), key))
        goto cleanup;
    fg_hex_encode(key, sizeof key, out);
    rc = 0;
cleanup:
    OPENSSL_cleanse(seed, sizeof seed);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(next, sizeof next);
    return rc;
}

char *fg_sigv4_authorization(const char *access_key_id, const char *secret,
                             const struct fg_sigv4_scope *scope, const struct fg_sigv4_request *req)
{
    char *names = NULL, *sts = NULL;
    char signature[FG_SIGV4_HEX_LEN + 1];
    struct fg_buf b;
    fg_buf_init_secret(&b, CANONICAL_MAX);

    char *creq = fg_sigv4_canonical_request(req, &names);
    if (!creq)
        goto cleanup;
    sts = fg_sigv4_string_to_sign(scope, creq);
    if (!sts || fg_sigv4_signature(secret, scope, sts, signature))
        goto cleanup;
    if (fg_buf_puts(&b, "AWS4-HMAC-SHA256 Credential=") || fg_buf_puts(&b, access_key_id) ||
        fg_buf_putc(&b, '/') || put_scope(&b, scope) || fg_buf_puts(&b, ", SignedHeaders=") ||
        fg_buf_puts(&b, names) || fg_buf_puts(&b, ", Signature=") || fg_buf_puts(&b, signature))
        fg_buf_clean_up(&b);
cleanup:
    free(creq);
    free(names);
    free(sts);
    return b.data;
}

/* Headers that proxies may rewrite and that the SDKs leave unsigned. */
static int is_unsigned_header(const char *name)
{
    return strcasecmp(name, "user-agent") == 0 || strcasecmp(name, "expect") == 0 ||
           strcasecmp(name, "x-amzn-trace-id") == 0;
}

static const char *field_string(lua_State *L, int t, const char *key, int optional)
{
    lua_getfield(L, t, key);
    const char *s = lua_tostring(L, -1);
    if (!s && !optional)
        luaL_error(L, "sigv4.sign: field '%s' must be a string", key);
    lua_pop(L, 1); /* the string stays alive: the table holds it */
    return s;
}

/* sigv4.sign(creds, req) -> authorization
 * req = {method, path, query, headers = {[name] = value}, payload_hash,
 * amz_date, region, service, raw_path (S3: the path signed as it is sent)}. A header value may be the credentials object
 * itself, standing for their session token. */
static int sigv4_sign(lua_State *L)
{
    struct fg_creds *creds = fg_creds_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    struct fg_sigv4_request req = {0};
    struct fg_sigv4_scope scope;
    req.method = field_string(L, 2, "method", 0);
    req.path = field_string(L, 2, "path", 0);
    req.query = field_string(L, 2, "query", 1);
    req.payload_sha256 = field_string(L, 2, "payload_hash", 0);
    lua_getfield(L, 2, "raw_path");
    req.raw_path = lua_toboolean(L, -1);
    lua_pop(L, 1);
    scope.amz_date = field_string(L, 2, "amz_date", 0);
    scope.region = field_string(L, 2, "region", 0);
    scope.service = field_string(L, 2, "service", 0);

    /* The header array lives in a userdata so an error cannot leak it. */
    struct fg_sigv4_header *headers = lua_newuserdatauv(L, MAX_HEADERS * sizeof *headers, 0);
    lua_getfield(L, 2, "headers");
    luaL_argcheck(L, lua_istable(L, -1), 2, "headers must be a table");
    int t = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (!name)
            return luaL_error(L, "sigv4.sign: header names must be strings");
        const char *value = NULL;
        if (lua_type(L, -1) == LUA_TSTRING) {
            value = lua_tostring(L, -1);
        } else if (fg_creds_test(L, -1)) {
            value = fg_creds_token(fg_creds_test(L, -1));
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            return luaL_error(L, "sigv4.sign: header %s must be a string", name);
        }
        if (value && !is_unsigned_header(name)) {
            if (req.n_headers == MAX_HEADERS)
                return luaL_error(L, "sigv4.sign: too many headers");
            headers[req.n_headers].name = name;
            headers[req.n_headers++].value = value;
        }
        lua_pop(L, 1);
    }
    req.headers = headers;
    /* The result is copied into a collectable buffer before any Lua call. */
    struct fg_buf *out = lua_newuserdatauv(L, sizeof *out, 0);
    fg_buf_init_secret(out, CANONICAL_MAX);
    luaL_setmetatable(L, RESULT_MT);
    char *authz =
        fg_sigv4_authorization(fg_creds_access_key_id(creds), fg_creds_secret(creds), &scope, &req);
    int failed = !authz || fg_buf_puts(out, authz);
    free(authz);
    if (failed)
        return luaL_error(L,
                          "sigv4.sign: cannot sign (bad date, oversized request or out of memory)");
    lua_pushlstring(L, out->data, out->len);
    return 1;
}

static int result_gc(lua_State *L)
{
    fg_buf_clean_up(luaL_checkudata(L, 1, RESULT_MT));
    return 0;
}

/* sigv4.sha256_hex(s) -> lowercase hex digest */
static int sigv4_sha256_hex(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    char hex[FG_SIGV4_HEX_LEN + 1];
    fg_sigv4_sha256_hex(s, len, hex);
    lua_pushstring(L, hex);
    return 1;
}

/* sigv4.sha1_hex(s) -> lowercase hex digest (not for signing: the AWS
 * CLI names its SSO token cache files by it) */
static int sigv4_sha1_hex(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    unsigned char md[SHA_DIGEST_LENGTH];
    char hex[2 * SHA_DIGEST_LENGTH + 1];
    SHA1((const unsigned char *)s, len, md);
    fg_hex_encode(md, sizeof md, hex);
    lua_pushstring(L, hex);
    return 1;
}

int luaopen_fg_aws_sigv4(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"sign", sigv4_sign},
        {"sha256_hex", sigv4_sha256_hex},
        {"sha1_hex", sigv4_sha1_hex},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, RESULT_MT)) {
        lua_pushcfunction(L, result_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
