/* Base64. See base64.h. */
#include "base/base64.h"

#include <lauxlib.h>

size_t fg_base64_encode(const void *in, size_t n, char *out, int url_safe)
{
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *alphabet = url_safe ? url : std;
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int digit_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

size_t fg_base64_decode(const char *s, size_t n, unsigned char *out, size_t *out_len)
{
    size_t o = 0;
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v = digit_value(c);
        if (v >= 0) {
            acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[o++] = (unsigned char)(acc >> bits & 255);
            }
        } else if (c == '=') {
            break;
        } else if (c != '\n' && c != '\r' && c != ' ') {
            *out_len = o;
            return i + 1;
        }
    }
    *out_len = o;
    return 0;
}

int fg_base64_decode_top(lua_State *L)
{
    size_t len, n;
    const char *s = lua_tolstring(L, -1, &len);
    luaL_Buffer b;
    unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, FG_BASE64_DECODED_MAX(len));
    if (fg_base64_decode(s, len, out, &n)) {
        lua_pop(L, 1); /* the buffer's placeholder or box: s stays as it is */
        return -1;
    }
    luaL_pushresultsize(&b, n);
    lua_remove(L, -2);
    return 0;
}

/* base64.encode(s) -> the standard encoding, padded */
static int base64_encode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, FG_BASE64_ENCODED_LEN(len) + 1);
    luaL_pushresultsize(&b, fg_base64_encode(s, len, out, 0));
    return 1;
}

/* base64.decode(s) -> bytes | nil, "invalid base64 character at N" */
static int base64_decode(lua_State *L)
{
    size_t len, n;
    const char *s = luaL_checklstring(L, 1, &len);
    luaL_Buffer b;
    unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, FG_BASE64_DECODED_MAX(len));
    size_t bad = fg_base64_decode(s, len, out, &n);
    if (bad) {
        lua_pushnil(L);
        lua_pushfstring(L, "invalid base64 character at %d", (int)bad);
        return 2;
    }
    luaL_pushresultsize(&b, n);
    return 1;
}

int luaopen_fg_base_base64(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"encode", base64_encode},
        {"decode", base64_decode},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
