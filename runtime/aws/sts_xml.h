/* The answer of STS AssumeRole (query protocol XML), read in C with a
 * wiping allocator: the credentials, or an error's Code and Message. Only
 * those elements are read; the general answer decoder (aws/shape_xml.c)
 * would make the secret a Lua string. Used by aws/creds_http.c. */
#ifndef FG_STS_XML_H
#define FG_STS_XML_H
#include <stddef.h>

#include "aws/creds_object.h"
#include "base/buffer.h"

/* Fills c from the answer with this HTTP status; 0, or -1 with a message
 * in err ("HTTP 403: Code: Message" for an error answer). */
int fg_sts_fill_creds(struct fg_creds *c, long status, const struct fg_buf *body, char *err,
                      size_t errlen);

#endif
