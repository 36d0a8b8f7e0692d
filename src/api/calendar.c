/* GET /v1/calendar.ics?token=...: the commission's sessions as an iCalendar feed (src/api/calendar_ics.c), for
 * members to subscribe to from their phones. Read with a calendar token in the URL, which reads nothing else
 * (src/http/auth.c, src/domain/access.c); revoking it closes the feed at once. */
#include "accept.h"
#include "api.h"
#include "letters.h"
#include "sessions.h"

enum MHD_Result api_calendar_get(struct request *rq) {
  static const char *const query[] = {"token", NULL};
  static const char *const offers[] = {"text/calendar"};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  if (accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), offers, 1) < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE, "The calendar feed is available as text/calendar only.");
  PGresult *commission = NULL, *sessions = NULL;
  enum db_status s = db_session_commission(rq->db, rq->principal.commission_id, &commission);
  if (s == DB_ROW)
    s = db_calendar_sessions(rq->db, rq->principal.commission_id, &sessions);
  struct commission_row c;
  size_t len = 0;
  char *text = s >= 0 && db_row(commission, 0, &c) ? calendar_ics(c.name, sessions, &len) : NULL;
  PQclear(commission);
  PQclear(sessions);
  if (s < 0)
    return reply_db_error(rq);
  if (text == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, "text/calendar; charset=utf-8", text, len);
}
