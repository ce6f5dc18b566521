/* require "aws.presign": presigned URLs (SigV4 in the query string), built
 * in C so that the secret key and a session token stay in C memory: the
 * token is part of the URL (X-Amz-Security-Token, signed with it), and the
 * URL is the only Lua string that ever holds it. Everything built on the
 * way (the query, the canonical request) is wiped before it is freed. */
#include "aws/creds_object.h"
#include "aws/sigv4.h"
#include "base/buffer.h"
#include "base/percent.h"

#include <lauxlib.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX (64 * 1024)

static const char OUT_MT[] = "fg.aws.presign.buf";

static int buf_gc(lua_State *L)
{
    fg_buf_clean_up(luaL_checkudata(L, 1, OUT_MT));
    return 0;
}

/* A wiped-on-collection buffer on the stack, so an error cannot leak it. */
static struct fg_buf *new_buf(lua_State *L)
{
    struct fg_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    fg_buf_init_secret(b, URL_MAX);
    luaL_setmetatable(L, OUT_MT);
    return b;
}

static const char *field(lua_State *L, const char *key)
{
    lua_getfield(L, 2, key);
    const char *s = lua_tostring(L, -1);
    if (!s)
        luaL_error(L, "presign: field '%s' must be a string", key);
    lua_pop(L, 1); /* the table holds it */
    return s;
}

/* Appends "&name=" (no '&' first) and value percent-encoded. */
static int put_param(struct fg_buf *b, const char *name, const char *value, size_t len)
{
    return (b->len && fg_buf_putc(b, '&')) || fg_buf_puts(b, name) || fg_buf_putc(b, '=') ||
           fg_percent_append(b, value, len, 0);
}

/* presign.url(creds, req) -> URL
 * req = {url (scheme://host/path, as sent, without a query), path (as
 * sent), query (the operation's own, "" when none), method, host,
 * amz_date, region, service, expires (seconds)}. The payload is unsigned
 * (UNSIGNED-PAYLOAD) and host the one signed header, as the SDKs presign. */
static int presign_url(lua_State *L)
{
    struct fg_creds *creds = fg_creds_check(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *url = field(L, "url"), *query = field(L, "query"), *host = field(L, "host");
    struct fg_sigv4_scope scope = {field(L, "amz_date"), field(L, "region"), field(L, "service")};
    lua_getfield(L, 2, "expires");
    lua_Integer expires = lua_tointeger(L, -1);
    lua_pop(L, 1);
    luaL_argcheck(L, expires > 0, 2, "expires must be a positive integer");
    if (strlen(scope.amz_date) != 16)
        return luaL_error(L, "presign: amz_date must be YYYYMMDDTHHMMSSZ");

    struct fg_buf *q = new_buf(L), *credential = new_buf(L), *out = new_buf(L);
    char expires_text[24];
    snprintf(expires_text, sizeof expires_text, "%lld", (long long)expires);
    const char *token = fg_creds_token(creds);
    int failed = fg_buf_puts(credential, fg_creds_access_key_id(creds)) ||
                 fg_buf_putc(credential, '/') || fg_buf_append(credential, scope.amz_date, 8) ||
                 fg_buf_putc(credential, '/') || fg_buf_puts(credential, scope.region) ||
                 fg_buf_putc(credential, '/') || fg_buf_puts(credential, scope.service) ||
                 fg_buf_puts(credential, "/aws4_request") || fg_buf_puts(q, query) ||
                 put_param(q, "X-Amz-Algorithm", "AWS4-HMAC-SHA256", 16) ||
                 put_param(q, "X-Amz-Credential", credential->data, credential->len) ||
                 put_param(q, "X-Amz-Date", scope.amz_date, 16) ||
                 put_param(q, "X-Amz-Expires", expires_text, strlen(expires_text)) ||
                 (token && put_param(q, "X-Amz-Security-Token", token, strlen(token))) ||
                 put_param(q, "X-Amz-SignedHeaders", "host", 4);
    if (failed)
        return luaL_error(L, "presign: the URL is too long");

    struct fg_sigv4_header host_header = {"host", host};
    struct fg_sigv4_request req = {
        .method = field(L, "method"),
        .path = field(L, "path"),
        .query = q->data,
        .headers = &host_header,
        .n_headers = 1,
        .payload_sha256 = "UNSIGNED-PAYLOAD",
        .raw_path = 1,
    };
    char *names = NULL, *sts = NULL;
    char signature[FG_SIGV4_HEX_LEN + 1];
    char *creq = fg_sigv4_canonical_request(&req, &names);
    failed = !creq || !(sts = fg_sigv4_string_to_sign(&scope, creq)) ||
             fg_sigv4_signature(fg_creds_secret(creds), &scope, sts, signature) ||
             fg_buf_puts(out, url) || fg_buf_putc(out, '?') || fg_buf_puts(out, q->data) ||
             fg_buf_puts(out, "&X-Amz-Signature=") || fg_buf_puts(out, signature);
    if (creq)
        OPENSSL_cleanse(creq, strlen(creq));
    free(creq);
    free(names);
    free(sts);
    if (failed)
        return luaL_error(L, "presign: cannot sign (oversized request or out of memory)");
    lua_pushlstring(L, out->data, out->len);
    return 1;
}

int luaopen_fg_aws_presign(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"url", presign_url},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, OUT_MT)) {
        lua_pushcfunction(L, buf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
