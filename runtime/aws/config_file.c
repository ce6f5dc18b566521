/* Shared config/credentials file parser and require "aws.config_file". */
#include "aws/config_file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <lauxlib.h>

#define BUF_MT "fg.aws.ConfigText"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_blank((*s)[*n - 1]))
        (*n)--;
}

size_t fg_config_parse(const char *buf, size_t len, fg_config_cb cb, void *ud)
{
    struct fg_config_entry e = {0};
    int have_section = 0;
    int nested_open = 0; /* the previous key had an empty value */
    size_t lineno = 0;

    for (size_t pos = 0; pos < len;) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;

        int indented = n && (line[0] == ' ' || line[0] == '\t');
        const char *s = line;
        size_t sn = n;
        trim(&s, &sn);
        if (sn == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (!indented && s[0] == '[') {
            if (s[sn - 1] != ']')
                return lineno;
            e.section = s + 1;
            e.section_len = sn - 2;
            trim(&e.section, &e.section_len);
            if (e.section_len == 0)
                return lineno;
            have_section = 1;
            nested_open = 0;
            continue;
        }
        if (!have_section)
            return lineno;
        size_t sep = 0;
        while (sep < sn && s[sep] != '=' && s[sep] != ':')
            sep++;
        if (sep == sn)
            return lineno;
        const char *k = s, *v = s + sep + 1;
        size_t kn = sep, vn = sn - sep - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (kn == 0)
            return lineno;
        e.line = lineno;
        e.value = v;
        e.value_len = vn;
        if (indented && nested_open) {
            e.subkey = k;
            e.subkey_len = kn;
        } else if (indented) {
            return lineno; /* a continuation of a plain value */
        } else {
            e.key = k;
            e.key_len = kn;
            e.subkey = NULL;
            e.subkey_len = 0;
            nested_open = vn == 0;
            if (nested_open)
                continue; /* reported through its sub-keys */
        }
        if (cb(&e, ud))
            return 0;
    }
    return 0;
}

int fg_config_read_file(const char *path, struct fg_buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (fg_buf_append(b, chunk, n)) {
            errno = EFBIG;
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        errno = EIO;
        rc = -1;
    }
    memset(chunk, 0, sizeof chunk);
    fclose(f);
    if (rc == 0 && fg_buf_append(b, "", 0))
        rc = -1;
    return rc;
}

/* Values that are secrets: the loader reports them as present (true). */
static int is_secret_key(const char *k, size_t n)
{
    static const char *const secrets[] = {"aws_secret_access_key", "aws_session_token"};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strlen(secrets[i]) == n && strncasecmp(k, secrets[i], n) == 0)
            return 1;
    return 0;
}

static void push_lower(lua_State *L, const char *s, size_t n)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n; i++)
        luaL_addchar(&b, (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i]);
    luaL_pushresult(&b);
}

/* Stack: ... result-table. Adds one entry. */
static int add_entry(const struct fg_config_entry *e, void *ud)
{
    lua_State *L = ud;
    lua_pushlstring(L, e->section, e->section_len);
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushlstring(L, e->section, e->section_len);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    push_lower(L, e->key, e->key_len);
    if (e->subkey) {
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -2);
            lua_pushvalue(L, -2);
            lua_rawset(L, -5);
        }
        push_lower(L, e->subkey, e->subkey_len);
        lua_pushlstring(L, e->value, e->value_len);
        lua_rawset(L, -3);
        lua_pop(L, 3);
        return 0;
    }
    if (is_secret_key(e->key, e->key_len))
        lua_pushboolean(L, 1);
    else
        lua_pushlstring(L, e->value, e->value_len);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    return 0;
}

static int buf_gc(lua_State *L)
{
    fg_buf_clean_up(luaL_checkudata(L, 1, BUF_MT));
    return 0;
}

/* config_file.load(path) -> {[section] = {[key] = value | {[subkey] = value}}}
 *                        | nil when the file does not exist
 * Raises on unreadable files and syntax errors (naming the line). Secret
 * values (aws_secret_access_key, aws_session_token) are given as true. */
static int config_file_load(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    /* The file text lives in a userdata so that an error cannot leak it. */
    struct fg_buf *b = lua_newuserdatauv(L, sizeof *b, 0);
    fg_buf_init_secret(b, FG_CONFIG_FILE_MAX);
    luaL_setmetatable(L, BUF_MT);
    if (fg_config_read_file(path, b)) {
        int err = errno;
        fg_buf_clean_up(b);
        if (err == ENOENT)
            return 0;
        return luaL_error(L, "cannot read %s: %s", path,
                          err == EFBIG ? "file too large" : strerror(err));
    }
    lua_newtable(L);
    size_t bad = fg_config_parse(b->data, b->len, add_entry, L);
    fg_buf_clean_up(b);
    if (bad)
        return luaL_error(L, "%s line %d: expected [section] or key = value", path, (int)bad);
    return 1;
}

int luaopen_fg_aws_config_file(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"load", config_file_load},
        {NULL, NULL},
    };
    if (luaL_newmetatable(L, BUF_MT)) {
        lua_pushcfunction(L, buf_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    return 1;
}
