/* GET /v1/applications/{id}/decision-letter: the letter that notifies an applicant of the commission's decision
 * (src/api/decision_letter_html.c writes it), for the readers of the application itself: the coordinator, the
 * person's care team, their curator service. A page, HTML only. */
#include <string.h>

#include "accept.h"
#include "api.h"
#include "letters.h"

enum MHD_Result api_decision_letter_get(struct request *rq) {
  static const char *const offers[] = {"text/html"};
  if (accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), offers, 1) < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE, "The decision letter is available as text/html only.");
  PGresult *res;
  enum db_status s = db_decision_letter(rq->db, rq->principal.commission_id, rq->args[0], &rq->access, &res);
  if (s < 0)
    return reply_db_error(rq);
  struct letter_row r;
  if (s == DB_NO_ROW || !db_row(res, 0, &r)) {
    PQclear(res);
    return s == DB_NO_ROW ? reply_problem(rq, ERR_NOT_FOUND, "No such application.")
                          : reply_problem(rq, ERR_INTERNAL, NULL);
  }
  if (r.voted_id == NULL) {
    json_t *members = json_pack("{s:s}", "current_status", r.application_status);
    PQclear(res);
    return reply_problem_with(rq, ERR_INVALID_STATE,
                              "No session has decided this application yet: there is no decision to notify.",
                              members);
  }
  size_t len;
  char *page = decision_letter_html(&r, &len);
  PQclear(res);
  if (page == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
}
