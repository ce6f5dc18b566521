/* Percent-encoding. See percent.h. */
#include "base/percent.h"
#include "base/hex.h"

#include <lauxlib.h>

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

size_t fg_percent_encode(char *out, const char *s, size_t n, int keep_slash)
{
    static const char upper[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = upper[c >> 4];
            out[o++] = upper[c & 15];
        }
    }
    return o;
}

int fg_percent_append(struct fg_buf *b, const char *s, size_t n, int keep_slash)
{
    char chunk[3 * 256];
    for (size_t i = 0; i < n; i += 256) {
        size_t part = n - i < 256 ? n - i : 256;
        if (fg_buf_append(b, chunk, fg_percent_encode(chunk, s + i, part, keep_slash)))
            return -1;
    }
    return 0;
}

size_t fg_percent_decode(char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && fg_hex_value(s[i + 1]) >= 0 &&
            fg_hex_value(s[i + 2]) >= 0) {
            s[o++] = (char)(fg_hex_value(s[i + 1]) * 16 + fg_hex_value(s[i + 2]));
            i += 2;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

/* percent.encode(s[, keep_slash]) -> s with every byte but the unreserved
 * ones (and '/' when keep_slash) as %XX */
static int percent_encode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int keep_slash = lua_toboolean(L, 2);
    luaL_Buffer b;
    char *out = luaL_buffinitsize(L, &b, 3 * len);
    luaL_pushresultsize(&b, fg_percent_encode(out, s, len, keep_slash));
    return 1;
}

int luaopen_fg_base_percent(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"encode", percent_encode},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
