/* Embedded AWS service models (see tools/gen_models.py). The JSON text sits
 * in read-only data; Lua asks for one operation or shape at a time and
 * decodes it lazily, so a run pays only for what it uses. */
#include <string.h>
#include <lauxlib.h>
#include "aws/models.h"

const struct fg_model *fg_model_find(const char *service)
{
    for (size_t i = 0; i < fg_model_count; i++)
        if (strcmp(fg_models[i].service, service) == 0)
            return &fg_models[i];
    return NULL;
}

const struct fg_model_span *fg_model_span_find(const struct fg_model_span *spans, size_t count,
                                               const char *name)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(spans[mid].name, name);
        if (cmp == 0)
            return &spans[mid];
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const struct fg_model *check_model(lua_State *L, int arg)
{
    const char *service = luaL_checkstring(L, arg);
    const struct fg_model *m = fg_model_find(service);
    if (!m)
        luaL_argerror(L, arg, lua_pushfstring(L, "no embedded model for '%s'", service));
    return m;
}

/* models.list() -> {service names}
 * in: nothing; out: a sequence of botocore service names, sorted. */
static int models_list(lua_State *L)
{
    lua_createtable(L, (int)fg_model_count, 0);
    for (size_t i = 0; i < fg_model_count; i++) {
        lua_pushstring(L, fg_models[i].service);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* models.get(service, kind) -> JSON text or nil
 * in: service name ("ec2"), kind ("service" (default), "metadata",
 * "paginators", "waiters"); out: the document, or nil when the service is
 * not embedded or has no such document. */
static int models_get(lua_State *L)
{
    const struct fg_model *m = fg_model_find(luaL_checkstring(L, 1));
    const char *kind = luaL_optstring(L, 2, "service");
    if (!m) {
        lua_pushnil(L);
    } else if (strcmp(kind, "service") == 0) {
        lua_pushlstring(L, m->text, m->text_length);
    } else if (strcmp(kind, "metadata") == 0) {
        lua_pushlstring(L, m->text + m->metadata.offset, m->metadata.length);
    } else if (strcmp(kind, "paginators") == 0 && m->paginators) {
        lua_pushstring(L, m->paginators);
    } else if (strcmp(kind, "waiters") == 0 && m->waiters) {
        lua_pushstring(L, m->waiters);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

static int push_span(lua_State *L, const struct fg_model *m, const struct fg_model_span *spans,
                     size_t count)
{
    const struct fg_model_span *s = fg_model_span_find(spans, count, luaL_checkstring(L, 2));
    if (s)
        lua_pushlstring(L, m->text + s->offset, s->length);
    else
        lua_pushnil(L);
    return 1;
}

/* models.operation(service, name) -> JSON text or nil
 * in: service name, operation name ("DescribeSubnets"); out: its definition. */
static int models_operation(lua_State *L)
{
    const struct fg_model *m = check_model(L, 1);
    return push_span(L, m, m->operations, m->operation_count);
}

/* models.shape(service, name) -> JSON text or nil
 * in: service name, shape name ("Subnet"); out: its definition. */
static int models_shape(lua_State *L)
{
    const struct fg_model *m = check_model(L, 1);
    return push_span(L, m, m->shapes, m->shape_count);
}

/* models.operations(service) -> {operation names}
 * in: service name; out: its operation names, sorted. */
static int models_operations(lua_State *L)
{
    const struct fg_model *m = check_model(L, 1);
    lua_createtable(L, (int)m->operation_count, 0);
    for (size_t i = 0; i < m->operation_count; i++) {
        lua_pushstring(L, m->operations[i].name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

int luaopen_fg_aws_models(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"list", models_list},
        {"get", models_get},
        {"operation", models_operation},
        {"shape", models_shape},
        {"operations", models_operations},
        {NULL, NULL},
    };
    luaL_newlib(L, fns);
    return 1;
}
