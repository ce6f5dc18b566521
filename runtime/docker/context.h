/* A Docker build context: the folder's files, less what .dockerignore
 * leaves out, as a tar stream produced on demand (libarchive), so memory
 * stays constant whatever the folder's size. Symbolic links are stored as
 * links and never followed; sockets, pipes and devices are left out.
 * Streamed by docker/conn.c; listed and written by docker/engine.c. */
#ifndef FG_DOCKER_CONTEXT_H
#define FG_DOCKER_CONTEXT_H
#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

struct fg_context;

/* Opens the folder dir; dockerfile is the Dockerfile's path relative to it
 * (NULL: "Dockerfile"), always sent even if .dockerignore names it, as is
 * .dockerignore. NULL with a message in err on failure. */
struct fg_context *fg_context_new(const char *dir, const char *dockerfile, char *err,
                                  size_t err_len);
void fg_context_free(struct fg_context *c);

/* The next member to send: its path relative to the folder, '/'-separated
 * (valid until the next call), and its lstat. 1 for a member, 0 at the
 * end, -1 on error (fg_context_error). Used by listing; fg_context_read
 * walks on its own. */
int fg_context_next(struct fg_context *c, const char **path, struct stat *st);

/* Up to n bytes of the tar stream into dst: the count, 0 at the end,
 * -1 on error (fg_context_error). */
ssize_t fg_context_read(struct fg_context *c, void *dst, size_t n);

const char *fg_context_error(const struct fg_context *c);

#endif
