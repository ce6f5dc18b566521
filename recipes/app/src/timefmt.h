/* Wall-clock and monotonic time, and the two text forms the service uses. */
#ifndef APP_TIMEFMT_H
#define APP_TIMEFMT_H

#include <stdint.h>

#define TIMEFMT_BUF 40

/* Microseconds since an arbitrary fixed point; never goes backwards. */
uint64_t time_monotonic_us(void);

/* Milliseconds since the Unix epoch. */
int64_t time_epoch_ms(void);

/* "2026-11-26T13:40:00.123Z": ISO 8601, UTC, millisecond precision. */
void time_iso8601_now(char out[TIMEFMT_BUF]);

/* "Thu, 26 Nov 2026 13:40:00 GMT": the HTTP Date header (RFC 9110). */
void time_http_date_now(char out[TIMEFMT_BUF]);

#endif
