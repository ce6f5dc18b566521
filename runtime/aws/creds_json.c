/* The JSON credentials document. See creds_json.h. */
#include "aws/creds_json.h"
#include "aws/secret_json.h"

#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>

static const char *json_string(const cJSON *doc, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

int fg_creds_fill_json(struct fg_creds *c, const char *text, int process, char *err, size_t errlen)
{
    cJSON *doc = cJSON_Parse(text);
    if (!doc) {
        snprintf(err, errlen, "the answer is not JSON");
        return -1;
    }
    int rc = -1;
    if (process) {
        const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "Version");
        if (!cJSON_IsNumber(version) || version->valuedouble != 1) {
            snprintf(err, errlen, "unsupported Version (expected 1)");
            goto cleanup;
        }
    }
    const char *token = json_string(doc, process ? "SessionToken" : "Token");
    rc = fg_creds_fill(c, json_string(doc, "AccessKeyId"), json_string(doc, "SecretAccessKey"),
                       token, json_string(doc, "Expiration"), err, errlen);
cleanup:
    fg_secret_json_wipe(doc);
    cJSON_Delete(doc);
    return rc;
}
