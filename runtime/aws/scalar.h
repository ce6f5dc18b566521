/* Scalars of AWS answers (see aws_scalar.c). */
#ifndef FG_AWS_SCALAR_H
#define FG_AWS_SCALAR_H
#include <lua.h>

/* Replaces the timestamp at the top of the stack (ISO text, epoch number,
 * or any form aws.timestamp reads) with its ISO-8601 UTC text, as
 * aws.timestamp's normalize does. May raise (as normalize does). */
void fg_aws_normalize_timestamp(lua_State *L);

/* Replaces the string at the top with its base64-decoded bytes and returns
 * 1; returns 0 and leaves it when it is not base64 (aws.base64's rules:
 * '=' ends the data, CR, LF and spaces are skipped, the URL-safe alphabet
 * decodes too). */
int fg_aws_decode_base64(lua_State *L);

#endif
