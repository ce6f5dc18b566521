/* The STS AssumeRole answer. See sts_xml.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* malloc_usable_size */
#endif
#include "aws/sts_xml.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <openssl/crypto.h>

#define FIELD_MAX 4096

/* Expat allocations are wiped on release: the parser buffers the secret. */
static void *xml_malloc(size_t n)
{
    return malloc(n);
}
static void xml_free(void *p)
{
    if (p) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}
static void *xml_realloc(void *p, size_t n)
{
    void *q = malloc(n);
    if (q && p) {
        size_t old = malloc_usable_size(p);
        memcpy(q, p, old < n ? old : n);
        xml_free(p);
    }
    return q;
}

/* The fields of an STS answer: AssumeRole's credentials or an error. */
enum sts_field {
    STS_NONE,
    STS_AKID,
    STS_SECRET,
    STS_TOKEN,
    STS_EXPIRATION,
    STS_CODE,
    STS_MESSAGE,
    STS_NFIELDS
};

struct sts_doc {
    enum sts_field current;
    struct fg_buf text[STS_NFIELDS];
};

static void XMLCALL sts_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    static const char *const names[] = {
        "", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Code", "Message"};
    struct sts_doc *d = ud;
    (void)attrs;
    d->current = STS_NONE;
    for (int i = 1; i < STS_NFIELDS; i++)
        if (strcmp(name, names[i]) == 0)
            d->current = (enum sts_field)i;
    if (d->current != STS_NONE)
        d->text[d->current].len = 0;
}

static void XMLCALL sts_end(void *ud, const XML_Char *name)
{
    (void)name;
    ((struct sts_doc *)ud)->current = STS_NONE;
}

static void XMLCALL sts_text(void *ud, const XML_Char *s, int len)
{
    struct sts_doc *d = ud;
    if (d->current != STS_NONE)
        fg_buf_append(&d->text[d->current], s, (size_t)len);
}

static const char *sts_value(struct sts_doc *d, enum sts_field f)
{
    fg_buf_append(&d->text[f], "", 0);
    return d->text[f].data;
}

int fg_sts_fill_creds(struct fg_creds *c, long status, const struct fg_buf *body, char *err,
                      size_t errlen)
{
    static const XML_Memory_Handling_Suite mm = {xml_malloc, xml_realloc, xml_free};
    struct sts_doc d = {.current = STS_NONE};
    for (int i = 0; i < STS_NFIELDS; i++)
        fg_buf_init_secret(&d.text[i], FIELD_MAX);
    XML_Parser p = XML_ParserCreate_MM(NULL, &mm, NULL);
    int rc = -1;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    XML_SetUserData(p, &d);
    XML_SetElementHandler(p, sts_start, sts_end);
    XML_SetCharacterDataHandler(p, sts_text);
    int parsed = XML_Parse(p, body->data ? body->data : "", (int)body->len, 1) == XML_STATUS_OK;
    if (status / 100 != 2) {
        snprintf(err, errlen, "HTTP %ld%s%s%s%s", status, d.text[STS_CODE].len ? ": " : "",
                 d.text[STS_CODE].len ? sts_value(&d, STS_CODE) : "",
                 d.text[STS_MESSAGE].len ? ": " : "",
                 d.text[STS_MESSAGE].len ? sts_value(&d, STS_MESSAGE) : "");
    } else if (!parsed) {
        snprintf(err, errlen, "the answer is not XML");
    } else {
        rc = fg_creds_fill(c, sts_value(&d, STS_AKID), sts_value(&d, STS_SECRET),
                           sts_value(&d, STS_TOKEN), sts_value(&d, STS_EXPIRATION), err, errlen);
    }
cleanup:
    if (p)
        XML_ParserFree(p);
    for (int i = 0; i < STS_NFIELDS; i++)
        fg_buf_clean_up(&d.text[i]);
    return rc;
}
