/* Reports: aggregate figures for the commission's yearly assembly and its housing sub-group — the activity of a
 * period (applications received and decided, admissions and exits, occupancy, deposits, reviews, agreements to
 * renew, sessions), the occupancy of the units on a day, and the yearly assembly report. No person appears in
 * them. For the coordinator and observers (RES_REPORT). As JSON, or as CSV (`section,metric,value`, RFC 4180)
 * when the client asks for text/csv; the assembly report also as a French spreadsheet file and a printable page
 * (src/api/report_assembly.c). */
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "api.h"
#include "dates.h"
#include "json_text.h"
#include "negotiate.h"
#include "params.h"
#include "queries.h"
#include "report_assembly.h"

#define REPORT_MAX_YEARS 10

enum format { FORMAT_JSON, FORMAT_CSV };

/* The reports' representations, in enum format's order: JSON (the default) and CSV. */
static const struct representation report_formats[] = {{"json", "application/json"}, {"csv", "text/csv"}};

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

/* The format the request asks for (negotiate(): ?format=, then Accept) into *FORMAT; else queues 406 and returns
 * false. */
static bool report_format(struct request *rq, enum format *format, enum MHD_Result *ret) {
  int chosen = negotiate(rq, report_formats, 2, ret);
  *format = chosen == 1 ? FORMAT_CSV : FORMAT_JSON;
  return chosen >= 0;
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

/* The period ?from=&to= (both required, `to` not before `from` and at most 10 years after it) into FROM and TO;
 * what is wrong appended to ERRORS. */
static void query_period(struct request *rq, struct date *from, struct date *to, json_t *errors) {
  bool ok_from = query_date(rq, "from", true, from, errors);
  bool ok_to = query_date(rq, "to", true, to, errors);
  if (ok_from && ok_to && date_compare(*from, *to) > 0)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:to", "reason", "must not be before from"));
  else if (ok_from && ok_to && date_compare(*to, date_add_months(*from, 12 * REPORT_MAX_YEARS)) > 0)
    json_array_append_new(errors,
                          json_pack("{s:s, s:s}", "field", "query:to", "reason", "must be at most 10 years after from"));
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

static json_t *occupancy_json(const struct report_occupancy_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o}", "units", json_of_int(r->units), "places", json_of_int(r->places),
                   "occupied", json_of_int(r->occupied), "vacant", json_of_int(r->vacant), "out_of_service",
                   json_of_int(r->out_of_service));
}

/* The occupancy rows of RES: the unit kinds as a list (each with its unit_kind) into *KINDS, the total row
 * (kind NULL) into *TOTAL when TOTAL is not NULL. False when a value could not be built (nothing to free). */
static bool occupancy_rows(const PGresult *res, json_t **kinds, json_t **total) {
  *kinds = json_array();
  if (total != NULL)
    *total = NULL;
  for (int i = 0; i < PQntuples(res); i++) {
    struct report_occupancy_row r;
    json_t *row = db_row(res, i, &r) ? occupancy_json(&r) : NULL;
    if (row == NULL)
      break;
    if (r.kind == NULL) {
      if (total != NULL && *total == NULL)
        *total = row;
      else
        json_decref(row);
      continue;
    }
    json_t *kind = json_pack("{s:o}", "unit_kind", json_of_text(r.kind));
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

/* The activity report of FROM..TO from R (db_report_activity()) and OCC (db_report_occupancy() on TO). */
static json_t *activity_json(const struct report_activity_row *r, const PGresult *occ, const char *from,
                             const char *to) {
  json_t *reasons = r->refusal_reasons != NULL ? json_loads(r->refusal_reasons, 0, NULL) : NULL;
  json_t *exits = r->exits != NULL ? json_loads(r->exits, 0, NULL) : NULL;
  json_t *kinds = NULL;
  if (reasons == NULL || exits == NULL || !occupancy_rows(occ, &kinds, NULL)) {
    json_decref(reasons);
    json_decref(exits);
    return NULL;
  }
  json_t *waiting =
      r->average_waiting_days == NULL ? json_null() : json_real(strtod(r->average_waiting_days, NULL));
  return json_pack(
      "{s:{s:s, s:s}, s:{s:o, s:{s:o, s:o, s:o}, s:o, s:o}, s:{s:o, s:o, s:o, s:o}, s:o, "
      "s:{s:o, s:o, s:o, s:o, s:o, s:o, s:s}, s:{s:o, s:o}, s:o, s:o}",
      "period", "from", from, "to", to,
      "applications", "received", json_of_int(r->received), "decided", "approve", json_of_int(r->approve),
      "refuse", json_of_int(r->refuse), "defer", json_of_int(r->defer), "refusal_reasons", reasons,
      "average_waiting_days", waiting,
      "placements", "admissions", json_of_int(r->admissions), "exits", exits, "lease_transfers",
      json_of_int(r->lease_transfers), "slides", json_of_int(r->slides),
      "occupancy", kinds,
      "deposits", "paid", json_of_int(r->deposits_paid), "held", json_of_int(r->deposits_held), "refunded",
      json_of_int(r->deposits_refunded), "deducted", json_of_int(r->deposits_deducted), "written_off",
      json_of_int(r->deposits_written_off), "overdue_accounts", json_of_int(r->overdue_accounts), "currency", "EUR",
      "reviews", "done", json_of_int(r->reviews_done), "overdue", json_of_int(r->reviews_overdue),
      "agreements_to_renew", json_of_int(r->agreements_to_renew), "sessions", json_of_int(r->sessions));
}

/* GET /v1/reports/activity?from=&to=: the figures of a period (both days included, UTC), with the occupancy on
 * `to`, the deposits as they stand and the reviews overdue today. */
enum MHD_Result api_report_activity(struct request *rq) {
  static const char *const query[] = {"from", "to", "format", NULL};
  enum MHD_Result ret;
  enum format format;
  if (!request_query_only(rq, query, &ret))
    return ret;
  struct date from, to;
  json_t *errors = json_array();
  query_period(rq, &from, &to, errors);
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
  struct report_activity_row r;
  json_t *body = PQntuples(res) == 1 && db_row(res, 0, &r) ? activity_json(&r, occ, from_text, to_text) : NULL;
  PQclear(res);
  PQclear(occ);
  return reply_report(rq, format, body);
}

/* GET /v1/reports/occupancy?date=: units, places, occupied, vacant and out of service per unit kind and in all,
 * on DATE (default today, UTC). */
enum MHD_Result api_report_occupancy(struct request *rq) {
  static const char *const query[] = {"date", "format", NULL};
  enum MHD_Result ret;
  enum format format;
  if (!request_query_only(rq, query, &ret))
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

/* The assembly report's representations, as ?format= names them or Accept asks (the first is the default). */
static const char *const ASSEMBLY_TYPES[] = {"application/json", "text/csv", "text/html"};
static const char *const ASSEMBLY_FORMATS[] = {"json", "csv", "html"};
enum { ASSEMBLY_JSON, ASSEMBLY_CSV, ASSEMBLY_HTML };

static json_t *real_of_text(const char *v) { return v == NULL ? json_null() : json_real(strtod(v, NULL)); }

static json_t *wait_json(const char *count, const char *median, const char *mean, const char *max) {
  return json_pack("{s:o, s:o, s:o, s:o}", "count", json_of_int(count), "median", real_of_text(median), "mean",
                   real_of_text(mean), "max", json_of_int(max));
}

/* The places rows of RES (db_report_assembly_places()) as {unit_kinds, towns, total}; NULL when a value could not
 * be built. */
static json_t *places_json(const PGresult *res) {
  json_t *kinds = json_array(), *towns = json_array(), *total = NULL;
  bool ok = kinds != NULL && towns != NULL;
  for (int i = 0; ok && i < PQntuples(res); i++) {
    struct report_places_row r;
    ok = db_row(res, i, &r);
    json_t *row = ok ? json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "units", json_of_int(r.units), "places",
                                 json_of_int(r.places), "occupied", json_of_int(r.occupied), "vacant",
                                 json_of_int(r.vacant), "out_of_service", json_of_int(r.out_of_service),
                                 "move_ins", json_of_int(r.move_ins), "exits", json_of_int(r.exits))
                     : NULL;
    if (row == NULL) {
      ok = false;
      break;
    }
    if (strcmp(r.breakdown, "total") == 0) {
      json_decref(total);
      total = row;
      continue;
    }
    bool kind = strcmp(r.breakdown, "unit_kind") == 0;
    json_t *item = json_pack("{s:o}", kind ? "unit_kind" : "town", json_of_text(r.key));
    ok = item != NULL && json_object_update(item, row) == 0 && json_array_append_new(kind ? kinds : towns, item) == 0;
    json_decref(row);
  }
  if (ok && total != NULL && json_array_size(kinds) == 4)
    return json_pack("{s:o, s:o, s:o}", "unit_kinds", kinds, "towns", towns, "total", total);
  json_decref(kinds);
  json_decref(towns);
  json_decref(total);
  return NULL;
}

/* The report of FROM..TO from R (db_report_assembly()) and PLACES (db_report_assembly_places()). */
static json_t *assembly_json(const struct report_assembly_row *r, const PGresult *places, const char *from,
                             const char *to) {
  json_t *by_place = places_json(places);
  json_t *exit_reasons = json_of_json(r->exit_reasons), *incidents = json_of_json(r->incidents);
  if (by_place == NULL || !json_is_object(exit_reasons) || !json_is_object(incidents)) {
    json_decref(by_place);
    json_decref(exit_reasons);
    json_decref(incidents);
    return NULL;
  }
  return json_pack(
      "{s:o, s:{s:s, s:s}, s:{s:o, s:o, s:{s:o, s:o, s:o}, s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:o, s:o, s:o}, "
      "s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}}",
      "commission", json_of_text(r->commission_name),
      "period", "from", from, "to", to,
      "applications", "received", json_of_int(r->received), "examined", json_of_int(r->examined), "decided",
      "approve", json_of_int(r->approve), "refuse", json_of_int(r->refuse), "defer", json_of_int(r->defer),
      "withdrawn", json_of_int(r->withdrawn), "lapsed", json_of_int(r->lapsed),
      "people_housed", "at_start", json_of_int(r->housed_at_start), "at_end", json_of_int(r->housed_at_end),
      "during", json_of_int(r->housed_during),
      "placements", "move_ins", json_of_int(r->move_ins), "exits", json_of_int(r->exits), "exit_reasons",
      exit_reasons,
      "wait_days", "to_decision",
      wait_json(r->decision_wait_count, r->decision_wait_median, r->decision_wait_mean, r->decision_wait_max),
      "to_move_in", wait_json(r->move_in_wait_count, r->move_in_wait_median, r->move_in_wait_mean, r->move_in_wait_max),
      "places", by_place, "reviews_held", json_of_int(r->reviews_held), "incidents", incidents, "sessions",
      json_of_int(r->sessions),
      "deposits", "paid_cents", json_of_int(r->paid), "refunded_cents", json_of_int(r->refunded), "deducted_cents",
      json_of_int(r->deducted), "written_off_cents", json_of_int(r->written_off), "penalty_claimed_cents",
      json_of_int(r->penalty_claimed), "penalty_received_cents", json_of_int(r->penalty_received),
      "penalty_waived_cents", json_of_int(r->penalty_waived), "currency", "EUR");
}

/* The index of VALUE in NAMES (N of them), -1 when absent or not one of them. */
static int query_choice(const char *value, const char *const *names, int n) {
  for (int i = 0; value != NULL && i < n; i++)
    if (strcmp(value, names[i]) == 0)
      return i;
  return -1;
}

/* The period of the assembly report: ?year=YYYY (1 January to 31 December) or ?from=&to= (both included), at
 * most 10 years. On success into FROM and TO; else appends to ERRORS. */
static void assembly_period(struct request *rq, struct date *from, struct date *to, json_t *errors) {
  const char *year = request_query(rq, "year");
  if (year != NULL) {
    char *end;
    long y = strtol(year, &end, 10);
    if (request_query(rq, "from") != NULL || request_query(rq, "to") != NULL)
      json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:year", "reason",
                                              "give either year or from and to, not both"));
    else if (strlen(year) != 4 || *end != '\0' || y < 1900 || y > 2999)
      json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:year", "reason",
                                              "must be a year, YYYY"));
    *from = (struct date){(int)y, 1, 1};
    *to = (struct date){(int)y, 12, 31};
    return;
  }
  query_period(rq, from, to, errors);
}

/* GET /v1/reports/assembly?year= | ?from=&to=, [format=json|csv|html], [sep=semicolon|comma], [headers=fr|en]:
 * the yearly assembly's figures. */
enum MHD_Result api_report_assembly(struct request *rq) {
  static const char *const query[] = {"from", "to", "year", "format", "sep", "headers", NULL};
  static const char *const seps[] = {"semicolon", "comma"}, *const headers[] = {"fr", "en"};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  struct date from, to;
  json_t *errors = json_array();
  assembly_period(rq, &from, &to, errors);
  const char *format_name = request_query(rq, "format"), *sep = request_query(rq, "sep"),
             *header_lang = request_query(rq, "headers");
  int format = query_choice(format_name, ASSEMBLY_FORMATS, 3);
  if (format_name != NULL && format < 0)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:format", "reason",
                                            "must be json, csv or html"));
  if (sep != NULL && query_choice(sep, seps, 2) < 0)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:sep", "reason",
                                            "must be semicolon or comma"));
  if (header_lang != NULL && query_choice(header_lang, headers, 2) < 0)
    json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "query:headers", "reason", "must be fr or en"));
  if (json_array_size(errors) > 0)
    return reply_query_errors(rq, errors);
  json_decref(errors);
  if (format_name == NULL)
    format = accept_choose(request_header(rq, MHD_HTTP_HEADER_ACCEPT), ASSEMBLY_TYPES, 3);
  if (format < 0)
    return reply_problem(rq, ERR_NOT_ACCEPTABLE,
                         "The assembly report is available as application/json, text/csv or text/html.");
  char from_text[16], to_text[16];
  date_format(from, from_text, sizeof from_text);
  date_format(to, to_text, sizeof to_text);
  PGresult *res, *places;
  const char *commission = rq->principal.commission_id;
  if (db_report_assembly(rq->db, commission, from_text, to_text, &res) < 0)
    return reply_db_error(rq);
  if (db_report_assembly_places(rq->db, commission, from_text, to_text, &places) < 0) {
    PQclear(res);
    return reply_db_error(rq);
  }
  struct report_assembly_row r;
  json_t *body = PQntuples(res) == 1 && db_row(res, 0, &r) ? assembly_json(&r, places, from_text, to_text) : NULL;
  PQclear(res);
  PQclear(places);
  if (body == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  if (format == ASSEMBLY_JSON)
    return reply_report(rq, FORMAT_JSON, body);
  size_t len = 0;
  char *page = format == ASSEMBLY_CSV
                   ? assembly_csv(body, sep != NULL && strcmp(sep, "comma") == 0,
                                  header_lang != NULL && strcmp(header_lang, "en") == 0, &len)
                   : assembly_html(body, &len);
  json_decref(body);
  if (page == NULL)
    return reply_problem(rq, ERR_INTERNAL, NULL);
  return reply_text(rq, MHD_HTTP_OK,
                    format == ASSEMBLY_CSV ? "text/csv; charset=utf-8" : "text/html; charset=utf-8",
                    page, len);
}
