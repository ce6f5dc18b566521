/* Exact integers from JSON text. See json_number.h. */
#include "base/json_number.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *fg_json_next_number(struct fg_json_number_cursor *c, size_t *len)
{
    const char *p = c->p, *end = c->end;
    while (p < end) {
        char ch = *p;
        if (ch == '"') {
            /* to the closing quote: one not escaped by an odd run of '\\' */
            for (;;) {
                const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
                if (!q) {
                    p = end;
                    break;
                }
                const char *b = q;
                while (b > p + 1 && b[-1] == '\\')
                    b--;
                p = q;
                if ((q - b) % 2 == 0)
                    break;
            }
            p++;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            const char *start = p;
            while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' ||
                               *p == '+' || *p == '-'))
                p++;
            c->p = p;
            *len = (size_t)(p - start);
            return start;
        } else {
            p++;
        }
    }
    c->p = p;
    *len = 0;
    return NULL;
}

int fg_json_next_integer(struct fg_json_number_cursor *c, long long *out)
{
    size_t len;
    const char *tok = fg_json_next_number(c, &len);
    if (!tok || len >= 32 || memchr(tok, '.', len) || memchr(tok, 'e', len) ||
        memchr(tok, 'E', len))
        return 0;
    char buf[32];
    memcpy(buf, tok, len);
    buf[len] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno != 0)
        return 0;
    *out = v;
    return 1;
}
