/* The JSON credentials document: the container and EC2 metadata form
 * (Token) and credential_process Version 1 (SessionToken). Its strings are
 * wiped before the parsed document is freed. Used by aws/creds_process.c
 * and aws/creds_http.c. */
#ifndef FG_CREDS_JSON_H
#define FG_CREDS_JSON_H
#include <stddef.h>

#include "aws/creds_object.h"

/* Fills c from the document text (process: credential_process's form);
 * 0, or -1 with a message in err that never quotes the document. */
int fg_creds_fill_json(struct fg_creds *c, const char *text, int process, char *err, size_t errlen);

#endif
