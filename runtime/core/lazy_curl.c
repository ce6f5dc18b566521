/* libcurl, opened on first use (see lazy_load.h). */
#include "core/lazy_load.h"

#include <stdarg.h>
#include <curl/curl.h>

static struct lazy_lib libcurl = {"libcurl.so.4", "libcurl4", NULL};

CURL *curl_easy_init(void)
{
    LAZY_RESOLVE(libcurl, curl_easy_init);
    return real();
}

void curl_easy_reset(CURL *curl)
{
    LAZY_RESOLVE(libcurl, curl_easy_reset);
    real(curl);
}

void curl_easy_cleanup(CURL *curl)
{
    LAZY_RESOLVE(libcurl, curl_easy_cleanup);
    real(curl);
}

CURLcode curl_easy_perform(CURL *curl)
{
    LAZY_RESOLVE(libcurl, curl_easy_perform);
    return real(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
    LAZY_RESOLVE(libcurl, curl_easy_strerror);
    return real(code);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *string)
{
    LAZY_RESOLVE(libcurl, curl_slist_append);
    return real(list, string);
}

void curl_slist_free_all(struct curl_slist *list)
{
    LAZY_RESOLVE(libcurl, curl_slist_free_all);
    real(list);
}

/* The variadic functions take exactly one argument after the option, whose
 * type the option number encodes (curl.h, CURLOPTTYPE_*): read it as that
 * type and pass it on as that type, which is how libcurl reads it.
 * Like libcurl itself, this reads every data pointer as void * and every
 * callback as one function pointer type: all pointers of a kind are passed
 * alike on every ABI curl supports. The ranges must be in this order. */
_Static_assert(CURLOPTTYPE_LONG < CURLOPTTYPE_OBJECTPOINT &&
                   CURLOPTTYPE_OBJECTPOINT < CURLOPTTYPE_FUNCTIONPOINT &&
                   CURLOPTTYPE_FUNCTIONPOINT < CURLOPTTYPE_OFF_T &&
                   CURLOPTTYPE_OFF_T < CURLOPTTYPE_BLOB,
               "curl option type ranges changed: revise curl_easy_setopt below");

typedef void (*any_callback)(void);

/* The macros of the same name in curl.h only check the argument count. */
CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
    LAZY_RESOLVE(libcurl, curl_easy_setopt);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = real(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = real(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = real(curl, option, va_arg(ap, any_callback));
    else if (option < CURLOPTTYPE_BLOB)
        rc = real(curl, option, va_arg(ap, curl_off_t));
    else
        rc = real(curl, option, va_arg(ap, struct curl_blob *));
    va_end(ap);
    return rc;
}

/* Every CURLINFO_* takes a pointer to where the result goes. */
CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
    LAZY_RESOLVE(libcurl, curl_easy_getinfo);
    va_list ap;
    va_start(ap, info);
    CURLcode rc = real(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLU *curl_url(void)
{
    LAZY_RESOLVE(libcurl, curl_url);
    return real();
}

void curl_url_cleanup(CURLU *handle)
{
    LAZY_RESOLVE(libcurl, curl_url_cleanup);
    real(handle);
}

CURLUcode curl_url_set(CURLU *handle, CURLUPart what, const char *part, unsigned int flags)
{
    LAZY_RESOLVE(libcurl, curl_url_set);
    return real(handle, what, part, flags);
}

CURLUcode curl_url_get(CURLU *handle, CURLUPart what, char **part, unsigned int flags)
{
    LAZY_RESOLVE(libcurl, curl_url_get);
    return real(handle, what, part, flags);
}

const char *curl_url_strerror(CURLUcode code)
{
    LAZY_RESOLVE(libcurl, curl_url_strerror);
    return real(code);
}

void curl_free(void *p)
{
    LAZY_RESOLVE(libcurl, curl_free);
    real(p);
}
