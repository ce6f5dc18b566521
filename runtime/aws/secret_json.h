/* JSON documents that hold secrets, read in C (runtime/aws/secret_json.c):
 * require "aws.secret_json". */
#ifndef FG_SECRET_JSON_H
#define FG_SECRET_JSON_H

#include <cjson/cJSON.h>

/* Wipes every string of a parsed document; call before cJSON_Delete. */
void fg_secret_json_wipe(cJSON *j);

#endif
