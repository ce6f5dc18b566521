/* Embedded AWS service models: require "aws.models", read by
 * stdlib/aws/model.lua one operation or shape at a time. */
#ifndef FG_MODEL_H
#define FG_MODEL_H
#include <lua.h>
#include "aws/models_data.h"

/* The embedded model of a botocore service name, or NULL. */
const struct fg_model *fg_model_find(const char *service);

/* The span of name in a sorted index, or NULL. */
const struct fg_model_span *fg_model_span_find(const struct fg_model_span *spans, size_t count,
                                               const char *name);

int luaopen_fg_aws_models(lua_State *L);

#endif
