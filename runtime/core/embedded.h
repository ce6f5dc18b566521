/* A file carried inside the binary (the Lua standard library), written by
 * tools/embed.c into build/gen/stdlib.c and registered by core/preload.c. */
#ifndef FG_EMBEDDED_H
#define FG_EMBEDDED_H
#include <stddef.h>

struct fg_embedded {
    const char *name;      /* module name, "aws.retry" */
    const char *chunkname; /* "@stdlib/aws/retry.lua", for error messages */
    const char *data;
    size_t size;
};

/* Generated: every stdlib/ file, ending with an entry whose name is NULL. */
extern const struct fg_embedded fg_stdlib[];

#endif
