/* fs.check_private, part of require "core.fs" (runtime/core/fs.c). */
#ifndef FG_FS_PRIVATE_H
#define FG_FS_PRIVATE_H
#include <lua.h>

int fg_fs_check_private(lua_State *L);

#endif
