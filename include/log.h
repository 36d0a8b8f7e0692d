/* Structured logging: one JSON object per line on stderr. Never log a token or a request body. */
#ifndef COMMISSIOND_LOG_H
#define COMMISSIOND_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

/* Parses "error", "warn", "info" or "debug"; returns -1 when unknown. */
int log_level_parse(const char *name);
/* Writes {"ts":..., "level":..., "msg": MSG, <FIELDS>} where FIELDS is a printf format producing zero or more
 * further JSON members, each preceded by a comma (e.g. ",\"status\":%d"). One write(2) per line. */
void log_event(enum log_level level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies S into OUT (size N) escaped for a JSON string body, truncating; returns OUT. */
char *log_json_escape(const char *s, char *out, size_t n);

#endif
