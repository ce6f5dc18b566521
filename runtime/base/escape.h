/* Text from the network made safe for a terminal: see escape.c. */
#ifndef FG_ESCAPE_H
#define FG_ESCAPE_H
#include <stddef.h>
#include <stdio.h>
#include <lauxlib.h>

/* Appends s with every control byte (C0, DEL, the C1 range of UTF-8) and
 * every byte that is not valid UTF-8 written as \xNN. keep_lines keeps
 * newlines and tabs as they are. */
void fg_escape_add(luaL_Buffer *b, const char *s, size_t len, int keep_lines);
/* The same, written to f. */
void fg_escape_write(FILE *f, const char *s, size_t len, int keep_lines);

#endif
