/* .dockerignore: the Docker Engine's pattern rules (moby/patternmatcher and
 * the CLI's reading of the file), so a context sends what `docker build`
 * would send. Used by docker/context.c. */
#ifndef FG_DOCKER_IGNORE_H
#define FG_DOCKER_IGNORE_H
#include <stdbool.h>
#include <stddef.h>

struct fg_dockerignore;

struct fg_dockerignore *fg_dockerignore_new(void);
void fg_dockerignore_free(struct fg_dockerignore *ig);

/* Adds one pattern as patternmatcher takes it: surrounding blanks trimmed,
 * Clean'ed, a leading '!' makes it an exception. Empty patterns are
 * skipped. Returns 0, or -1 with a message in err for an invalid pattern. */
int fg_dockerignore_add(struct fg_dockerignore *ig, const char *pattern, char *err, size_t err_len);

/* Adds the patterns of a .dockerignore file's text: '#' comment lines and
 * blank lines skipped, a leading '/' dropped, exceptions kept. */
int fg_dockerignore_add_file_text(struct fg_dockerignore *ig, const char *text, size_t len,
                                  char *err, size_t err_len);

/* True when path (relative to the context, '/'-separated, clean) is left
 * out: the last pattern matching it or one of its parent folders decides. */
bool fg_dockerignore_excludes(const struct fg_dockerignore *ig, const char *path);

/* For an excluded folder: true when an exception pattern may still bring
 * back something below it, so the walk must go in (the Engine's rule). */
bool fg_dockerignore_may_include_below(const struct fg_dockerignore *ig, const char *dir_path);

/* Go's filepath.Clean on a '/'-separated path, into out (out_len bytes).
 * Returns the length, or -1 if it does not fit. */
int fg_path_clean(const char *in, char *out, size_t out_len);

#endif
