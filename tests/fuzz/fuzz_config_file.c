/* libFuzzer harness for the AWS shared config/credentials file parser
 * (runtime/aws/config_file.h): every entry it reports must lie inside the
 * buffer, which the harness checks by reading each field. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/config_file.h"

struct bounds {
    const char *begin, *end;
    size_t sum;
};

static void touch(struct bounds *b, const char *p, size_t len)
{
    if (!p)
        return;
    if (p < b->begin || p + len > b->end)
        abort(); /* an entry pointing outside the input */
    for (size_t i = 0; i < len; i++)
        b->sum += (unsigned char)p[i];
}

static int on_entry(const struct fg_config_entry *e, void *ud)
{
    struct bounds *b = ud;
    touch(b, e->section, e->section_len);
    touch(b, e->key, e->key_len);
    touch(b, e->subkey, e->subkey_len);
    touch(b, e->value, e->value_len);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy, so that reading past the end is caught by ASan */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct bounds b = {buf, buf + size, 0};
    (void)fg_config_parse(buf, size, on_entry, &b);
    free(buf);
    return 0;
}
