/* XML documents as Lua trees, through expat: require "aws.xml". */
#ifndef FG_XML_H
#define FG_XML_H
#include <lua.h>

int luaopen_fg_aws_xml(lua_State *L);

#endif
