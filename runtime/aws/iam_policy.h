/* IAM answers policy documents URL-encoded; like botocore (and the AWS
 * CLI), fgrun hands them over decoded, as tables. Used by aws/shape_xml.c
 * for members of the shape policyDocumentType. */
#ifndef FG_IAM_POLICY_H
#define FG_IAM_POLICY_H
#include <lua.h>

/* Replaces the text at the top of the stack with the table the
 * URL-decoded text is as JSON (decoded by the function at json_decode),
 * or with the URL-decoded text when it is not JSON. */
void fg_iam_policy_decode_top(lua_State *L, int json_decode);

#endif
