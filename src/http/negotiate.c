/* Content negotiation for handlers (include/negotiate.h): `?format=` first, then Accept through accept_choose(). */
#include <stdio.h>
#include <string.h>

#include "accept.h"
#include "negotiate.h"

int negotiate(struct request *rq, const struct representation *offers, size_t n, enum MHD_Result *ret) {
  char list[160] = "", pipes[160] = "", types[200] = "";
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(list), pused = strlen(pipes), tused = strlen(types);
    snprintf(list + used, sizeof list - used, "%s%s", i == 0 ? "" : ", ", offers[i].format);
    snprintf(pipes + pused, sizeof pipes - pused, "%s%s", i == 0 ? "" : "|", offers[i].format);
    snprintf(types + tused, sizeof types - tused, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
             offers[i].media_type);
  }
  const char *format = request_query(rq, "format");
  const char *field, *reason;
  char why[200];
  if (format != NULL) {
    for (size_t i = 0; i < n; i++)
      if (strcmp(format, offers[i].format) == 0)
        return (int)i;
    field = "query:format";
    snprintf(why, sizeof why, "must be one of %s", list);
  } else {
    const char *media[ACCEPT_MAX_OFFERS];
    for (size_t i = 0; i < n && i < ACCEPT_MAX_OFFERS; i++)
      media[i] = offers[i].media_type;
    int chosen = accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), media, n);
    if (chosen >= 0)
      return chosen;
    field = "header:Accept";
    snprintf(why, sizeof why, "accepts none of %s", types);
  }
  reason = why;
  char detail[240];
  snprintf(detail, sizeof detail, "This resource is available as %s (?format=%s).", types, pipes);
  *ret = reply_problem_with(rq, ERR_NOT_ACCEPTABLE, detail,
                            json_pack("{s:[{s:s, s:s}]}", "errors", "field", field, "reason", reason));
  return -1;
}
