/* Credentials from a shared file's section (aws_access_key_id,
 * aws_secret_access_key, aws_session_token), read in C so that the secrets
 * never become Lua strings. See creds_sources.h. */
#include "aws/creds_sources.h"
#include "aws/creds_object.h"
#include "aws/config_file.h"
#include "base/buffer.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define FIELD_MAX 4096

struct file_fields {
    const char *section;
    char akid[FIELD_MAX], secret[FIELD_MAX], token[FIELD_MAX];
    int found;
};

static void copy_field(char *dst, const char *v, size_t n)
{
    if (n >= FIELD_MAX)
        n = FIELD_MAX - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static int take_file_field(const struct fg_config_entry *e, void *ud)
{
    struct file_fields *f = ud;
    if (e->subkey || e->section_len != strlen(f->section) ||
        strncmp(e->section, f->section, e->section_len) != 0)
        return 0;
    static const char *const names[] = {"aws_access_key_id", "aws_secret_access_key",
                                        "aws_session_token"};
    char *dst[] = {f->akid, f->secret, f->token};
    for (int i = 0; i < 3; i++) {
        if (e->key_len == strlen(names[i]) && strncasecmp(e->key, names[i], e->key_len) == 0) {
            copy_field(dst[i], e->value, e->value_len);
            f->found = 1;
        }
    }
    return 0;
}

static int fields_gc(lua_State *L)
{
    OPENSSL_cleanse(lua_touserdata(L, 1), sizeof(struct file_fields));
    return 0;
}

int fg_creds_from_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    const char *section = luaL_checkstring(L, 2);
    struct fg_creds *c = fg_creds_push_empty(L);
    struct file_fields *f = lua_newuserdatauv(L, sizeof *f, 0);
    memset(f, 0, sizeof *f);
    lua_newtable(L);
    lua_pushcfunction(L, fields_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    f->section = section;

    struct fg_buf b;
    fg_buf_init_secret(&b, FG_CONFIG_FILE_MAX);
    char err[128] = "";
    int unreadable = fg_config_read_file(path, &b);
    int saved = errno;
    size_t bad = unreadable ? 0 : fg_config_parse(b.data, b.len, take_file_field, f);
    fg_buf_clean_up(&b);
    int found = f->found;
    if (!unreadable && !bad && found)
        fg_creds_fill(c, f->akid, f->secret, f->token, NULL, err, sizeof err);
    OPENSSL_cleanse(f, sizeof *f);
    if (unreadable && saved == ENOENT)
        return 0;
    if (unreadable)
        return luaL_error(L, "cannot read %s: %s", path,
                          saved == EFBIG ? "file too large" : strerror(saved));
    if (bad)
        return luaL_error(L, "%s line %d: expected [section] or key = value", path, (int)bad);
    if (err[0])
        return luaL_error(L, "%s [%s]: %s", path, section, err);
    if (!found)
        return 0;
    lua_pop(L, 1);
    return 1;
}
