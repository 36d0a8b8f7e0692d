/* Structured JSON logging (see include/log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int log_level_parse(const char *name) {
  for (int i = 0; i < 4; i++)
    if (strcmp(name, level_names[i]) == 0)
      return i;
  return -1;
}

char *log_json_escape(const char *s, char *out, size_t n) {
  size_t o = 0;
  if (n == 0)
    return out;
  for (; s != NULL && *s != '\0' && o + 7 < n; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      o += (size_t)snprintf(out + o, n - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = '\0';
  return out;
}

void log_event(enum log_level level, const char *msg, const char *fields, ...) {
  if (level > log_threshold)
    return;
  char line[2048];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line,
                   "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":\"%s\"",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ts.tv_nsec / 1000000, level_names[level], msg);
  if (n < 0 || (size_t)n >= sizeof line)
    return;
  size_t len = (size_t)n;
  if (fields != NULL) {
    va_list ap;
    va_start(ap, fields);
    int m = vsnprintf(line + len, sizeof line - len, fields, ap);
    va_end(ap);
    if (m < 0)
      return;
    len += (size_t)m;
    if (len > sizeof line - 3)
      len = sizeof line - 3; /* truncated: still one closed line */
  }
  line[len++] = '}';
  line[len++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, len);
  (void)w; /* nowhere left to report a failed log write */
}
