#include "procinfo.h"

#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

static uint64_t start_us;

void procinfo_start(void)
{
    start_us = time_monotonic_us();
}

uint64_t procinfo_uptime_ms(void)
{
    return (time_monotonic_us() - start_us) / 1000u;
}

/* The second field of /proc/self/statm is the resident set in pages;
 * getrusage only knows the peak. Returns -1 when it cannot be read. */
static int64_t current_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    long long size_pages, resident_pages;
    int fields;

    if (!f)
        return -1;
    fields = fscanf(f, "%lld %lld", &size_pages, &resident_pages);
    fclose(f);
    if (fields != 2)
        return -1;
    return (int64_t)resident_pages * sysconf(_SC_PAGESIZE);
}

void procinfo_usage(struct procinfo_usage *out)
{
    struct rusage ru;

    memset(out, 0, sizeof *out);
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        out->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024; /* Linux: KiB */
        out->user_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
        out->system_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    }
    out->rss_bytes = current_rss_bytes();
    if (out->rss_bytes < 0)
        out->rss_bytes = out->max_rss_bytes;
    /* The kernel updates the peak lazily; it may trail the current size. */
    if (out->max_rss_bytes < out->rss_bytes)
        out->max_rss_bytes = out->rss_bytes;
}

void procinfo_hostname(char out[PROCINFO_NAME_MAX])
{
    if (gethostname(out, PROCINFO_NAME_MAX) != 0 || out[0] == '\0')
        snprintf(out, PROCINFO_NAME_MAX, "unknown");
    out[PROCINFO_NAME_MAX - 1] = '\0'; /* gethostname may truncate unterminated */
}

void procinfo_platform(char os[PROCINFO_NAME_MAX], char machine[PROCINFO_NAME_MAX])
{
    struct utsname u;

    if (uname(&u) != 0) {
        snprintf(os, PROCINFO_NAME_MAX, "unknown");
        snprintf(machine, PROCINFO_NAME_MAX, "unknown");
        return;
    }
    snprintf(os, PROCINFO_NAME_MAX, "%s", u.sysname);
    for (char *p = os; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(machine, PROCINFO_NAME_MAX, "%s", u.machine);
}
