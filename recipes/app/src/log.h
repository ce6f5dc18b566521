/* Log lines: one timestamped line per call, written whole, so lines from
 * concurrent workers never interleave. Events go to stdout (the container
 * log), failures to stderr. */
#ifndef APP_LOG_H
#define APP_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
