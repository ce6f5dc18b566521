/* Embedded AWS service models (see tools/gen_models.py): the Lua side asks
 * for a document by service and kind and decodes it lazily. */
#include <string.h>
#include <zlib.h>
#include <lauxlib.h>
#include "model.h"

const struct fg_model_blob *fg_model_find(const char *service, const char *kind)
{
    for (size_t i = 0; i < fg_model_blob_count; i++) {
        const struct fg_model_blob *b = &fg_model_blobs[i];
        if (strcmp(b->service, service) == 0 && strcmp(b->kind, kind) == 0)
            return b;
    }
    return NULL;
}

/* models.list() -> {service names}
 * in: nothing; out: a sequence of botocore service names, sorted (the
 * generator writes the blobs in that order). */
static int models_list(lua_State *L)
{
    lua_newtable(L);
    lua_Integer n = 0;
    for (size_t i = 0; i < fg_model_blob_count; i++) {
        if (strcmp(fg_model_blobs[i].kind, "service") != 0)
            continue;
        lua_pushstring(L, fg_model_blobs[i].service);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

/* models.get(service, kind) -> JSON text or nil
 * in: service name ("ec2"), kind ("service", "index", "paginators", "waiters");
 * out: the inflated document, or nil when the service has no such document. */
static int models_get(lua_State *L)
{
    const char *service = luaL_checkstring(L, 1);
    const char *kind = luaL_optstring(L, 2, "service");
    const struct fg_model_blob *b = fg_model_find(service, kind);
    if (!b) {
        lua_pushnil(L);
        return 1;
    }
    luaL_Buffer buf;
    char *out = luaL_buffinitsize(L, &buf, b->raw_size);
    uLongf out_size = b->raw_size;
    int rc = uncompress((Bytef *)out, &out_size, b->data, b->size);
    if (rc != Z_OK || out_size != b->raw_size)
        return luaL_error(L, "aws.models: embedded %s %s is corrupt (zlib %d)",
                          service, kind, rc);
    luaL_pushresultsize(&buf, out_size);
    return 1;
}

int luaopen_fg_aws_models(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"list", models_list},
        {"get", models_get},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
