/* The Engine's progress streams (build, push): JSON messages, one a line,
 * arriving in pieces. Lines are reassembled in a bounded buffer and each
 * decoded with cJSON. Used by docker/conn.c. */
#ifndef FG_DOCKER_STREAM_H
#define FG_DOCKER_STREAM_H
#include <cjson/cJSON.h>
#include <lua.h>
#include <stddef.h>

#define FG_STREAM_MAX_LINE (1024 * 1024)

struct fg_stream_lines {
    char *buf;
    size_t len, cap;
};

/* Called with each complete line (without its end of line); a non-zero
 * return stops the feeding and is returned by fg_stream_lines_feed. */
typedef int (*fg_stream_line_fn)(void *data, const char *line, size_t len);

void fg_stream_lines_init(struct fg_stream_lines *s);
void fg_stream_lines_clean_up(struct fg_stream_lines *s);

/* Adds bytes; calls fn for each line they complete. -1 if a line exceeds
 * FG_STREAM_MAX_LINE or memory runs out. */
int fg_stream_lines_feed(struct fg_stream_lines *s, const char *data, size_t n,
                         fg_stream_line_fn fn, void *fn_data);

/* Calls fn for a last line without an end of line, if any. */
int fg_stream_lines_finish(struct fg_stream_lines *s, fg_stream_line_fn fn, void *fn_data);

/* Pushes a decoded message as Lua values (objects and arrays as tables,
 * null as nil); at most 32 levels deep. May raise (memory). */
void fg_stream_push_json(lua_State *L, const cJSON *item);

#endif
