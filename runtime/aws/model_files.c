/* require "aws.model_files": what loading a service model from a botocore
 * data folder needs from C: the folders a pattern matches (glob(3)) and a
 * file's text, gunzipped when it ends in ".gz" (botocore >= 1.32 ships its
 * service models gzipped). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <lauxlib.h>

#define MODEL_MAX (256u * 1024 * 1024) /* no botocore model comes near */

/* modelfiles.glob(pattern) -> {paths}, sorted; {} when nothing matches. */
static int modelfiles_glob(lua_State *L)
{
    const char *pattern = luaL_checkstring(L, 1);
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    lua_newtable(L);
    if (rc == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            lua_pushstring(L, g.gl_pathv[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    }
    if (rc != GLOB_NOSPACE)
        globfree(&g);
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Pushes the gunzipped text of data[0 .. len), or nil and why. */
static int push_gunzipped(lua_State *L, const char *data, size_t len, const char *path)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return luaL_error(L, "aws: out of memory");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    int rc = Z_OK;
    size_t total = 0;
    while (rc == Z_OK) {
        char *out = luaL_prepbuffsize(&b, 64 * 1024);
        z.next_out = (Bytef *)out;
        z.avail_out = 64 * 1024;
        rc = inflate(&z, Z_NO_FLUSH);
        size_t produced = 64 * 1024 - z.avail_out;
        luaL_addsize(&b, produced);
        total += produced;
        if (total > MODEL_MAX || (rc == Z_BUF_ERROR && z.avail_in == 0))
            break;
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        luaL_pushresult(&b);
        lua_pop(L, 1);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: not a complete gzip file", path);
        return 2;
    }
    luaL_pushresult(&b);
    return 1;
}

/* modelfiles.read(path) -> text | nil, why. A path ending in ".gz" is
 * gunzipped. */
static int modelfiles_read(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    FILE *f = fopen(path, "rb");
    if (!f) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(errno));
        return 2;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t n, total = 0;
    do {
        char *p = luaL_prepbuffsize(&b, 64 * 1024);
        n = fread(p, 1, 64 * 1024, f);
        luaL_addsize(&b, n);
        total += n;
    } while (n > 0 && total <= MODEL_MAX);
    int failed = ferror(f) || total > MODEL_MAX;
    fclose(f);
    luaL_pushresult(&b);
    if (failed) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s: cannot read it whole", path);
        return 2;
    }
    if (!ends_with(path, ".gz"))
        return 1;
    size_t len;
    const char *data = lua_tolstring(L, -1, &len);
    return push_gunzipped(L, data, len, path);
}

int luaopen_fg_aws_model_files(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"glob", modelfiles_glob},
        {"read", modelfiles_read},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
