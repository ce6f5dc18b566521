/* Embedded AWS service models, inflated on demand: require "aws.models". */
#ifndef FG_MODEL_H
#define FG_MODEL_H
#include <lua.h>
#include "model_data.h"

/* The blob of one service's document, or NULL. */
const struct fg_model_blob *fg_model_find(const char *service, const char *kind);

int luaopen_fg_aws_models(lua_State *L);

#endif
