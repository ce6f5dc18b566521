/* What the process reports about itself and its host. */
#ifndef APP_PROCINFO_H
#define APP_PROCINFO_H

#include <stddef.h>
#include <stdint.h>

#define PROCINFO_NAME_MAX 256

struct procinfo_usage {
    int64_t rss_bytes;     /* resident set now */
    int64_t max_rss_bytes; /* resident set high-water mark */
    int64_t user_us;       /* CPU time in user mode */
    int64_t system_us;     /* CPU time in the kernel */
};

/* Remembers the start time; call once, first thing in main. */
void procinfo_start(void);

/* Milliseconds since procinfo_start. */
uint64_t procinfo_uptime_ms(void);

void procinfo_usage(struct procinfo_usage *out);

/* The host name; "unknown" if the kernel will not say. */
void procinfo_hostname(char out[PROCINFO_NAME_MAX]);

/* The operating system in lower case ("linux") and the machine ("x86_64"). */
void procinfo_platform(char os[PROCINFO_NAME_MAX], char machine[PROCINFO_NAME_MAX]);

#endif
