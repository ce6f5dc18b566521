/* Model lookups shared by the shape-driven codecs (see shape_target.h). */
#include "aws/shape_target.h"

#include <string.h>

void fg_shape_push_target(lua_State *L, int model, int ref)
{
    if (lua_getfield(L, ref, "_target") != LUA_TNIL)
        return;
    lua_pop(L, 1);
    lua_getfield(L, model, "target");
    lua_pushvalue(L, model);
    lua_pushvalue(L, ref);
    lua_call(L, 2, 1);
}

enum fg_shape_type fg_shape_type(lua_State *L, int shape)
{
    if (lua_getfield(L, shape, "_shape_type") == LUA_TNUMBER) {
        enum fg_shape_type cached = (enum fg_shape_type)lua_tointeger(L, -1);
        lua_pop(L, 1);
        return cached;
    }
    lua_pop(L, 1);
    static const struct {
        const char *name;
        enum fg_shape_type type;
    } TYPES[] = {
        {"structure", FG_SHAPE_STRUCTURE},
        {"list", FG_SHAPE_LIST},
        {"map", FG_SHAPE_MAP},
        {"string", FG_SHAPE_STRING},
        {"integer", FG_SHAPE_INTEGER},
        {"long", FG_SHAPE_INTEGER},
        {"short", FG_SHAPE_INTEGER},
        {"byte", FG_SHAPE_INTEGER},
        {"float", FG_SHAPE_FLOAT},
        {"double", FG_SHAPE_DOUBLE},
        {"timestamp", FG_SHAPE_TIMESTAMP},
        {"blob", FG_SHAPE_BLOB},
        {"boolean", FG_SHAPE_BOOLEAN},
    };
    lua_getfield(L, shape, "type");
    const char *name = lua_tostring(L, -1);
    enum fg_shape_type type = FG_SHAPE_OTHER;
    for (size_t i = 0; name && i < sizeof TYPES / sizeof TYPES[0]; i++) {
        if (strcmp(name, TYPES[i].name) == 0) {
            type = TYPES[i].type;
            break;
        }
    }
    lua_pop(L, 1);
    if (type == FG_SHAPE_STRUCTURE) {
        lua_getfield(L, shape, "document");
        if (lua_toboolean(L, -1))
            type = FG_SHAPE_DOCUMENT;
        lua_pop(L, 1);
    }
    lua_pushinteger(L, type);
    lua_setfield(L, shape, "_shape_type"); /* found once per shape */
    return type;
}
