/* The one place where text that came from the network is made safe to
 * print: an error code, a server's message, a -vv body, Docker build output,
 * a log event. A terminal obeys escape sequences in what it prints (set
 * the title, recolour, move the cursor, on some terminals answer back), so
 * control bytes are written as \xNN. Valid UTF-8 stays as it is, except
 * the C1 controls U+0080-U+009F (U+009B is CSI on some terminals); a byte
 * that is not valid UTF-8 is escaped too (a lone 0x9b is CSI in 8-bit
 * terminals). require "base.escape" (public name "fgrun.text"): escape(s [, keep_lines]). */
#include "base/escape.h"
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_length(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp, min;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    if (cp >= 0x80 && cp <= 0x9f) /* C1 controls */
        return 0;
    return n;
}

/* Calls emit(ctx, piece, piece_len) for each run of s, escaped. */
static void escape(const char *s, size_t len, int keep_lines,
                   void (*emit)(void *, const char *, size_t), void *ctx)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n = 1;
        int plain;
        if (c >= 0x20 && c < 0x7f)
            plain = 1;
        else if (c == '\n' || c == '\t')
            plain = keep_lines;
        else if (c >= 0x80)
            plain = (n = utf8_length(p + i, len - i)) != 0;
        else
            plain = 0;
        if (plain) {
            i += n;
            continue;
        }
        if (i > start)
            emit(ctx, s + start, i - start);
        char hex[5];
        snprintf(hex, sizeof hex, "\\x%02x", c);
        emit(ctx, hex, 4);
        start = ++i;
    }
    if (i > start)
        emit(ctx, s + start, i - start);
}

static void to_buffer(void *ctx, const char *s, size_t n)
{
    luaL_addlstring(ctx, s, n);
}

static void to_file(void *ctx, const char *s, size_t n)
{
    fwrite(s, 1, n, ctx);
}

void fg_escape_add(luaL_Buffer *b, const char *s, size_t len, int keep_lines)
{
    escape(s, len, keep_lines, to_buffer, b);
}

void fg_escape_write(FILE *f, const char *s, size_t len, int keep_lines)
{
    escape(s, len, keep_lines, to_file, f);
}

/* text.escape(s [, keep_lines]) -> s with control bytes as \xNN; a value
 * that is not a string goes through tostring first. */
static int text_escape(lua_State *L)
{
    int keep_lines = lua_toboolean(L, 2);
    size_t len;
    const char *s = luaL_tolstring(L, 1, &len);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    fg_escape_add(&b, s, len, keep_lines);
    luaL_pushresult(&b);
    return 1;
}

int luaopen_fg_base_escape(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"escape", text_escape},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    return 1;
}
