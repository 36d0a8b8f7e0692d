/* Reports: aggregate figures for the commission's yearly assembly and its housing sub-group — the activity of a
 * period (applications received and decided, admissions and exits, occupancy, deposits, reviews, agreements to
 * renew, sessions) and the occupancy of the units on a day. No person appears in them. For the coordinator and
 * observers (RES_REPORT). As JSON, or as CSV (`section,metric,value`, RFC 4180) when the client asks for
 * text/csv. */
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "access.h"
#include "api.h"
#include "dates.h"
#include "params.h"
#include "queries.h"

#define REPORT_MAX_YEARS 10

enum format { FORMAT_NONE, FORMAT_JSON, FORMAT_CSV };

/* What the Accept header asks for: JSON when it is absent or accepts JSON at least as well as CSV, CSV when
 * it prefers text/csv (higher q, or the same q by a more specific range), none when it accepts neither. */
static enum format negotiate(struct request *rq) {
  static const char *const offers[] = {"application/json", "text/csv"};
  int chosen = accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), offers, 2);
  return chosen == 0 ? FORMAT_JSON : chosen == 1 ? FORMAT_CSV : FORMAT_NONE;
}

/* A growing text buffer for the CSV form. */
struct text {
  char *buf;
  size_t len, cap;
  bool failed;
};

static void text_add(struct text *t, const char *s, size_t n) {
  if (t->failed)
    return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = (t->cap ? t->cap * 2 : 4096) + n;
    char *grown = realloc(t->buf, cap);
    if (grown == NULL) {
      t->failed = true;
      return;
    }
    t->buf = grown;
    t->cap = cap;
  }
  memcpy(t->buf + t->len, s, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

/* One CSV field (RFC 4180): quoted, with its quotes doubled, when it holds a comma, a quote or a line break. */
static void csv_field(struct text *t, const char *s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    text_add(t, s, strlen(s));
    return;
  }
  text_add(t, "\"", 1);
  for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
    text_add(t, s, (size_t)(q - s) + 1);
    text_add(t, "\"", 1);
  }
  text_add(t, s, strlen(s));
  text_add(t, "\"", 1);
}

static void csv_line(struct text *t, const char *section, const char *metric, const json_t *value) {
  char number[64] = "";
  const char *v = number;
  if (json_is_string(value))
    v = json_string_value(value);
  else if (json_is_integer(value))
    snprintf(number, sizeof number, "%lld", (long long)json_integer_value(value));
  else if (json_is_real(value))
    snprintf(number, sizeof number, "%.1f", json_real_value(value));
  else if (json_is_boolean(value))
    v = json_is_true(value) ? "true" : "false";
  csv_field(t, section);
  text_add(t, ",", 1);
  csv_field(t, metric);
  text_add(t, ",", 1);
  csv_field(t, v);
  text_add(t, "\r\n", 2);
}

/* The figures of OBJ, one line each: the section is the dotted path of the object holding the figure (an
 * element of a list is named by its unit_kind), "summary" for the figures at the top; SKIP is not a figure. */
static void csv_object(struct text *t, const char *section, const json_t *obj, const char *skip) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)obj, key, value) {
    if (skip != NULL && strcmp(key, skip) == 0)
      continue;
    char sub[160];
    if (json_is_object(value)) {
      if (snprintf(sub, sizeof sub, "%s%s%s", section ? section : "", section ? "." : "", key) >= (int)sizeof sub) {
        t->failed = true;
        return;
      }
      csv_object(t, sub, value, NULL);
    } else if (json_is_array(value)) {
      size_t i;
      json_t *item;
      json_array_foreach(value, i, item) {
        const char *name = json_string_value(json_object_get(item, "unit_kind"));
        if (snprintf(sub, sizeof sub, "%s%s%s.%s", section ? section : "", section ? "." : "", key,
                     name ? name : "total") >= (int)sizeof sub) {
          t->failed = true;
          return;
        }
        csv_object(t, sub, item, "unit_kind");
      }
    } else {
      csv_line(t, section ? section : "summary", key, value);
    }
  }
}

/* Replies 200 with BODY (stolen) in FORMAT. JSON reals are written with 15 significant digits, so an average
 * of 12.3 reads 12.3. */
static enum MHD_Result reply_report(struct request *rq, enum format format, json_t *body) {
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  char *data = NULL;
  size_t len = 0;
  if (format == FORMAT_CSV) {
    struct text t = {0};
    text_add(&t, "section,metric,value\r\n", 22);
    csv_object(&t, NULL, body, NULL);
    if (t.failed) {
      free(t.buf);
    } else {
      data = t.buf;
      len = t.len;
    }
  } else {
    data = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    len = data ? strlen(data) : 0;
  }
  json_decref(body);
  if (data == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK, format == FORMAT_CSV ? "text/csv; charset=utf-8" : "application/json", data,
                    len);
}

/* Refuses (queued) a role without reports and unknown query parameters. */
static bool report_allowed(struct request *rq, const char *const *query, enum MHD_Result *ret) {
  if (access_decide(&rq->principal, RES_REPORT, ACT_READ).kind == ACCESS_DENY) {
    *ret = reply_problem(rq, ERR_FORBIDDEN, "Reports are for the coordinator and observers.");
    return false;
  }
  return request_query_only(rq, query, ret);
}

/* The format the Accept header asks for into *FORMAT; else queues 406 and returns false. */
static bool report_format(struct request *rq, enum format *format, enum MHD_Result *ret) {
  *format = negotiate(rq);
  if (*format != FORMAT_NONE)
    return true;
  *ret = reply_problem(rq, ERR_NOT_ACCEPTABLE, "Reports are available as application/json or text/csv.");
  return false;
}

/* Reads the query parameter NAME as a date into OUT; when it is malformed, or missing and REQUIRED, appends
 * {field, reason} to ERRORS and returns false. A missing optional one leaves OUT unchanged. */
static bool query_date(struct request *rq, const char *name, bool required, struct date *out, json_t *errors) {
  const char *value = request_query(rq, name);
  char field[32];
  snprintf(field, sizeof field, "query:%s", name);
  if (value == NULL && !required)
    return true;
  if (value != NULL && date_parse(value, out))
    return true;
  json_array_append_new(errors, json_pack("{s:s, s:s}", "field", field, "reason",
                                          value == NULL ? "is required" : "must be a date, YYYY-MM-DD"));
  return false;
}

/* The 400 invalid-query for ERRORS (stolen, not empty). */
static enum MHD_Result reply_query_errors(struct request *rq, json_t *errors) {
  char detail[160];
  json_t *first = json_array_get(errors, 0);
  snprintf(detail, sizeof detail, "%s: %s%s", json_string_value(json_object_get(first, "field")),
           json_string_value(json_object_get(first, "reason")),
           json_array_size(errors) > 1 ? " (and more, see errors)" : "");
  return reply_problem_with(rq, ERR_INVALID_QUERY, detail, json_pack("{s:o}", "errors", errors));
}

enum { O_KIND, O_UNITS, O_PLACES, O_OCCUPIED, O_VACANT, O_OUT_OF_SERVICE };

static json_t *occupancy_json(const PGresult *res, int row) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "units", row_int(res, row, O_UNITS), "places",
                   row_int(res, row, O_PLACES), "occupied", row_int(res, row, O_OCCUPIED), "vacant",
                   row_int(res, row, O_VACANT), "out_of_service", row_int(res, row, O_OUT_OF_SERVICE));
}

/* The occupancy rows of RES: the unit kinds as a list (each with its unit_kind) into *KINDS, the total row
 * (kind NULL) into *TOTAL when TOTAL is not NULL. False when a value could not be built (nothing to free). */
static bool occupancy_rows(const PGresult *res, json_t **kinds, json_t **total) {
  *kinds = json_array();
  if (total != NULL)
    *total = NULL;
  for (int i = 0; i < PQntuples(res); i++) {
    json_t *row = occupancy_json(res, i);
    if (row == NULL)
      break;
    if (PQgetisnull(res, i, O_KIND)) {
      if (total != NULL && *total == NULL)
        *total = row;
      else
        json_decref(row);
      continue;
    }
    json_t *kind = json_pack("{s:o}", "unit_kind", row_string(res, i, O_KIND));
    if (kind != NULL)
      json_object_update(kind, row);
    json_decref(row);
    if (kind == NULL)
      break;
    json_array_append_new(*kinds, kind);
  }
  if (*kinds != NULL && json_array_size(*kinds) == 4 && (total == NULL || *total != NULL))
    return true;
  json_decref(*kinds);
  *kinds = NULL;
  if (total != NULL) {
    json_decref(*total);
    *total = NULL;
  }
  return false;
}

/* Columns of db_report_activity(). */
enum {
  A_RECEIVED, A_APPROVE, A_REFUSE, A_DEFER, A_WAITING, A_REASONS, A_ADMISSIONS, A_EXITS, A_TRANSFERS, A_PAID,
  A_HELD, A_REFUNDED, A_DEDUCTED, A_WRITTEN_OFF, A_OVERDUE_ACCOUNTS, A_REVIEWS_DONE, A_REVIEWS_OVERDUE,
  A_AGREEMENTS, A_SESSIONS,
};

/* The activity report of FROM..TO from RES (db_report_activity()) and OCC (db_report_occupancy() on TO). */
static json_t *activity_json(const PGresult *res, const PGresult *occ, const char *from, const char *to) {
  json_t *reasons = json_loads(PQgetvalue(res, 0, A_REASONS), 0, NULL);
  json_t *exits = json_loads(PQgetvalue(res, 0, A_EXITS), 0, NULL);
  json_t *kinds = NULL;
  if (reasons == NULL || exits == NULL || !occupancy_rows(occ, &kinds, NULL)) {
    json_decref(reasons);
    json_decref(exits);
    return NULL;
  }
  json_t *waiting = PQgetisnull(res, 0, A_WAITING) ? json_null()
                                                    : json_real(strtod(PQgetvalue(res, 0, A_WAITING), NULL));
  return json_pack(
      "{s:{s:s, s:s}, s:{s:o, s:{s:o, s:o, s:o}, s:o, s:o}, s:{s:o, s:o, s:o}, s:o, "
      "s:{s:o, s:o, s:o, s:o, s:o, s:o, s:s}, s:{s:o, s:o}, s:o, s:o}",
      "period", "from", from, "to", to,
      "applications", "received", row_int(res, 0, A_RECEIVED), "decided", "approve", row_int(res, 0, A_APPROVE),
      "refuse", row_int(res, 0, A_REFUSE), "defer", row_int(res, 0, A_DEFER), "refusal_reasons", reasons,
      "average_waiting_days", waiting,
      "placements", "admissions", row_int(res, 0, A_ADMISSIONS), "exits", exits, "lease_transfers",
      row_int(res, 0, A_TRANSFERS),
      "occupancy", kinds,
      "deposits", "paid", row_int(res, 0, A_PAID), "held", row_int(res, 0, A_HELD), "refunded",
      row_int(res, 0, A_REFUNDED), "deducted", row_int(res, 0, A_DEDUCTED), "written_off",
      row_int(res, 0, A_WRITTEN_OFF), "overdue_accounts", row_int(res, 0, A_OVERDUE_ACCOUNTS), "currency", "EUR",
      "reviews", "done", row_int(res, 0, A_REVIEWS_DONE), "overdue", row_int(res, 0, A_REVIEWS_OVERDUE),
      "agreements_to_renew", row_int(res, 0, A_AGREEMENTS), "sessions", row_int(res, 0, A_SESSIONS));
}

/* GET /v1/reports/activity?from=&to=: the figures of a period (both days included, UTC), with the occupancy on
 * `to`, the deposits as they stand and the reviews overdue today. */
enum MHD_Result api_report_activity(struct request *rq) {
  static const char *const query[] = {"from", "to", NULL};
  enum MHD_Result ret;
  enum format format;
  if (!report_allowed(rq, query, &ret))
    return ret;
  struct date from, to;
  json_t *errors = json_array();
  bool ok_from = query_date(rq, "from", true, &from, errors);
  bool ok_to = query_date(rq, "to", true, &to, errors);
  if (ok_from && ok_to && date_compare(from, to) > 0)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:to", "reason", "must not be before from"));
  else if (ok_from && ok_to && date_compare(to, date_add_months(from, 12 * REPORT_MAX_YEARS)) > 0)
    json_array_append_new(errors,
                          json_pack("{s:s, s:s}", "field", "query:to", "reason", "must be at most 10 years after from"));
  if (json_array_size(errors) > 0)
    return reply_query_errors(rq, errors);
  json_decref(errors);
  if (!report_format(rq, &format, &ret))
    return ret;
  char from_text[16], to_text[16], today[16];
  date_format(from, from_text, sizeof from_text);
  date_format(to, to_text, sizeof to_text);
  date_format(date_today(), today, sizeof today);
  PGresult *res, *occ;
  const char *commission = rq->principal.commission_id;
  if (db_report_activity(rq->db, commission, from_text, to_text, today, &res) < 0)
    return reply_db_error(rq);
  if (db_report_occupancy(rq->db, commission, to_text, &occ) < 0) {
    PQclear(res);
    return reply_db_error(rq);
  }
  json_t *body = PQntuples(res) == 1 ? activity_json(res, occ, from_text, to_text) : NULL;
  PQclear(res);
  PQclear(occ);
  return reply_report(rq, format, body);
}

/* GET /v1/reports/occupancy?date=: units, places, occupied, vacant and out of service per unit kind and in all,
 * on DATE (default today, UTC). */
enum MHD_Result api_report_occupancy(struct request *rq) {
  static const char *const query[] = {"date", NULL};
  enum MHD_Result ret;
  enum format format;
  if (!report_allowed(rq, query, &ret))
    return ret;
  struct date date = date_today();
  json_t *errors = json_array();
  if (!query_date(rq, "date", false, &date, errors))
    return reply_query_errors(rq, errors);
  json_decref(errors);
  if (!report_format(rq, &format, &ret))
    return ret;
  char date_text[16];
  date_format(date, date_text, sizeof date_text);
  PGresult *res;
  if (db_report_occupancy(rq->db, rq->principal.commission_id, date_text, &res) < 0)
    return reply_db_error(rq);
  json_t *kinds, *total, *body = NULL;
  if (occupancy_rows(res, &kinds, &total))
    body = json_pack("{s:s, s:o, s:o}", "date", date_text, "unit_kinds", kinds, "total", total);
  PQclear(res);
  return reply_report(rq, format, body);
}
