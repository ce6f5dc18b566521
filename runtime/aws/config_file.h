/* The AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials): INI sections, "key = value" lines, and nested
 * values ("key =" followed by indented "sub = value" lines).
 * fg_config_parse is a pure function over a buffer (it is fuzzed). Used
 * by aws/creds_file.c and, as require "aws.config_file", by
 * stdlib/aws/transport/config.lua (settings without secrets). */
#ifndef FG_CONFIG_FILE_H
#define FG_CONFIG_FILE_H

#include <stddef.h>
#include "base/buffer.h"

struct fg_config_entry {
    const char *section; /* trimmed text between the brackets */
    size_t section_len;
    const char *key; /* as written; compare case-insensitively */
    size_t key_len;
    const char *subkey; /* NULL unless a nested value */
    size_t subkey_len;
    const char *value; /* trimmed, may be empty */
    size_t value_len;
    size_t line; /* 1-based */
};

/* Called once per value; a nonzero return stops the parse. */
typedef int (*fg_config_cb)(const struct fg_config_entry *e, void *ud);

/* 0 when the whole buffer parsed (or the callback stopped it), else the
 * 1-based line number of the first syntax error. Entries before the error
 * have been reported. */
size_t fg_config_parse(const char *buf, size_t len, fg_config_cb cb, void *ud);

#define FG_CONFIG_FILE_MAX (1024 * 1024)

/* Reads a whole file into b (bounded by FG_CONFIG_FILE_MAX).
 * 0, or -1 with errno set (ENOENT when absent, EFBIG when too large). */
int fg_config_read_file(const char *path, struct fg_buf *b);

#endif
