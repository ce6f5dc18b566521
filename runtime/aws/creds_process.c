/* Credentials from a credential_process command. See creds_sources.h. */
#include "aws/creds_sources.h"
#include "aws/creds_json.h"
#include "aws/creds_object.h"
#include "base/buffer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <openssl/crypto.h>
#include <lauxlib.h>

#define DOCUMENT_MAX (64 * 1024)

int fg_creds_from_process(lua_State *L)
{
    const char *command = luaL_checkstring(L, 1);
    struct fg_creds *c = fg_creds_push_empty(L);
    struct fg_buf b;
    fg_buf_init_secret(&b, DOCUMENT_MAX);
    char err[160] = "";
    fflush(NULL);
    FILE *p = popen(command, "r");
    if (!p)
        return luaL_error(L, "credential_process: cannot run: %s", strerror(errno));
    char chunk[1024];
    size_t n;
    int too_big = 0;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
        if (!too_big && fg_buf_append(&b, chunk, n))
            too_big = 1;
    OPENSSL_cleanse(chunk, sizeof chunk);
    int status = pclose(p);
    if (too_big)
        snprintf(err, sizeof err, "output over %d bytes", DOCUMENT_MAX);
    else if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(err, sizeof err, "exited with status %d",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    else if (fg_buf_append(&b, "", 0) == 0)
        fg_creds_fill_json(c, b.data, 1, err, sizeof err);
    fg_buf_clean_up(&b);
    if (err[0])
        return luaL_error(L, "credential_process: %s", err);
    return 1;
}
