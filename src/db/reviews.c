/* Queries on quarterly reviews and on the review schedule (the review_schedule view of migrations/0003). */
#include <string.h>

#include "queries.h"

#define REVIEW_FROM                                                                                              \
  " FROM reviews r JOIN placements pl ON pl.commission_id = r.commission_id AND pl.id = r.placement_id "        \
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "                               \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

/* Version 0: writing the creation's parts right after brings it to 1, as every new record. The id is the daemon's
 * (a random UUID): the parts' write and the read back are sent with the insert. */
#define REVIEW_INSERT(P) P(id) P(commission_id) P(placement_id) P(review_date)
DB_STATEMENT(insert, {"review_insert",
                      "INSERT INTO reviews (id, commission_id, placement_id, review_date, version) "
                      "VALUES (:id::uuid, :commission_id, :placement_id, :review_date, 0)",
                      DB_PARAMS(REVIEW_INSERT)});
DB_PARAMS_STRUCT(review_insert_params, REVIEW_INSERT);

#define REVIEW_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {
  "review_get",
  "SELECT " DB_COLUMNS(REVIEW_ROW) REVIEW_FROM "WHERE r.commission_id = :commission_id AND r.id = :id AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org"),
  DB_PARAMS(REVIEW_GET)
});
DB_STATEMENT(get_for_update, {
  "review_get_for_update",
  "SELECT " DB_COLUMNS(REVIEW_ROW) REVIEW_FROM "WHERE r.commission_id = :commission_id AND r.id = :id AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") " FOR UPDATE OF r",
  DB_PARAMS(REVIEW_GET)
});
DB_PARAMS_STRUCT(review_get_params, REVIEW_GET);

#define REVIEW_LIST(P) P(commission_id) P(placement_id) P(scope) P(org)
DB_STATEMENT(list, {
  "review_list",
  "SELECT " DB_COLUMNS(REVIEW_ROW) REVIEW_FROM "WHERE r.commission_id = :commission_id "
  "AND r.placement_id = :placement_id AND " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org")
  " ORDER BY r.review_date DESC, r.id",
  DB_PARAMS(REVIEW_LIST)
});
DB_PARAMS_STRUCT(review_list_params, REVIEW_LIST);

/* Writes each part (care, rent, housing, autonomy, outcome) whose flag says so, recording who and when. */
#define REVIEW_UPDATE(P)                                                                                         \
  P(commission_id) P(id) P(care_set) P(care_followup) P(rent_set) P(rent_status) P(arrears_cents) P(housing_set) \
  P(housing) P(autonomy_set) P(autonomy) P(outcome_set) P(outcome) P(role) P(token_id) P(tripartite)
DB_STATEMENT(update, {
  "review_update",
  "UPDATE reviews SET tripartite = coalesce(:tripartite::boolean, tripartite), "
  "care_followup = CASE WHEN :care_set THEN :care_followup ELSE care_followup END, "
  "care_by_role = CASE WHEN :care_set THEN :role ELSE care_by_role END, "
  "care_by_token = CASE WHEN :care_set THEN :token_id::uuid ELSE care_by_token END, "
  "care_at = CASE WHEN :care_set THEN now() ELSE care_at END, "
  "rent_status = CASE WHEN :rent_set THEN :rent_status ELSE rent_status END, "
  "arrears_cents = CASE WHEN :rent_set THEN :arrears_cents::bigint ELSE arrears_cents END, "
  "rent_by_role = CASE WHEN :rent_set THEN :role ELSE rent_by_role END, "
  "rent_by_token = CASE WHEN :rent_set THEN :token_id::uuid ELSE rent_by_token END, "
  "rent_at = CASE WHEN :rent_set THEN now() ELSE rent_at END, "
  "housing = CASE WHEN :housing_set THEN :housing ELSE housing END, "
  "housing_by_role = CASE WHEN :housing_set THEN :role ELSE housing_by_role END, "
  "housing_by_token = CASE WHEN :housing_set THEN :token_id::uuid ELSE housing_by_token END, "
  "housing_at = CASE WHEN :housing_set THEN now() ELSE housing_at END, "
  "autonomy = CASE WHEN :autonomy_set THEN :autonomy ELSE autonomy END, "
  "autonomy_by_role = CASE WHEN :autonomy_set THEN :role ELSE autonomy_by_role END, "
  "autonomy_by_token = CASE WHEN :autonomy_set THEN :token_id::uuid ELSE autonomy_by_token END, "
  "autonomy_at = CASE WHEN :autonomy_set THEN now() ELSE autonomy_at END, "
  "outcome = CASE WHEN :outcome_set THEN :outcome ELSE outcome END, "
  "outcome_by_role = CASE WHEN :outcome_set THEN :role ELSE outcome_by_role END, "
  "outcome_by_token = CASE WHEN :outcome_set THEN :token_id::uuid ELSE outcome_by_token END, "
  "outcome_at = CASE WHEN :outcome_set THEN now() ELSE outcome_at END, "
  "version = version + 1, updated_at = now() WHERE commission_id = :commission_id AND id = :id",
  DB_PARAMS(REVIEW_UPDATE)
});
DB_PARAMS_STRUCT(review_update_params, REVIEW_UPDATE);

/* The review schedule, soonest first. The page is a keyset page (SQL_KEYSET_PAGE_AND) of placements alone, by the next
 * review's date each placement carries (kept by the review and placement writes,
 * migrations/0024), by a statement of its shape: its leading filter (COND: the whole commission, or the caller's
 * care team, curator or landlord, read from the placement's own copies) and the range of dates STATUS asks written
 * out, so that the page is a range of the list's index; the running placements (exit_date IS
 * NULL, partial indexes) merged with the few whose exit date is still ahead. Each of its rows is then joined to
 * its schedule row (last review, tripartite date), person and unit, where every filter
 * is checked again (each statement names every parameter). The cursor is always given (the first page's is the
 * lowest key). */
#define REVIEW_SCHEDULE(P) P(commission_id) P(scope) P(org) P(status) P(after_date) P(after_id) P(limit)
/* The placements of COND after the cursor; REVIEW_ROWS in the schedule's order. */
#define REVIEW_AFTER(COND)                                                                                       \
  "SELECT pl.* FROM placements pl WHERE pl.commission_id = :commission_id " COND                                 \
  "AND (pl.next_review_on, pl.id) > (:after_date::date, :after_id::uuid)"
#define REVIEW_ROWS(COND) REVIEW_AFTER(COND) " ORDER BY pl.next_review_on, pl.id"
#define REVIEW_FILTERS                                                                                           \
  "(:scope = 'all' OR (:scope = 'care_team' AND pl.care_team_id = :org::uuid) OR (:scope = 'curator' AND "       \
  "pl.curator_org_id = :org::uuid) OR (:scope = 'landlord' AND pl.landlord_org_id = :org::uuid)) "              \
  "AND (:status::text IS NULL OR (:status = 'overdue' AND pl.next_review_on < current_date) OR (:status = 'due' " \
  "AND pl.next_review_on >= current_date AND pl.next_review_on <= current_date + 30))"
#define REVIEW_SCHEDULE_SQL(COND)                                                                                \
  "SELECT " DB_COLUMNS(REVIEW_SCHEDULE_ROW) " FROM "                                                            \
  SQL_KEYSET_PAGE_AND(REVIEW_ROWS(COND "AND pl.exit_date IS NULL "),                                            \
                      REVIEW_AFTER(COND "AND pl.exit_date > current_date "), "m.next_review_on, m.id") " pl "   \
  "JOIN LATERAL (SELECT * FROM review_schedule x WHERE x.commission_id = pl.commission_id "                     \
  "AND x.placement_id = pl.id OFFSET 0) rs ON true" SQL_PAGE_JOIN("people", "p", "pl", "person_id")             \
  SQL_PAGE_JOIN("units", "u", "pl", "unit_id") "WHERE " REVIEW_FILTERS " AND "                                  \
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") " ORDER BY pl.next_review_on, pl.id"
#define REVIEW_OVERDUE "AND pl.next_review_on < current_date "
#define REVIEW_DUE "AND pl.next_review_on >= current_date AND pl.next_review_on <= current_date + 30 "
/* A leading filter's three statements: VAR (any status), VAR_overdue and VAR_due. */
#define REVIEW_SCHEDULE_STATEMENTS(var, name, COND)                                                              \
  DB_STATEMENT(var, {name, REVIEW_SCHEDULE_SQL(COND), DB_PARAMS(REVIEW_SCHEDULE), .generic_plan = true});     \
  DB_STATEMENT(var##_overdue, {name "_overdue", REVIEW_SCHEDULE_SQL(COND REVIEW_OVERDUE),                      \
                               DB_PARAMS(REVIEW_SCHEDULE), .generic_plan = true});                              \
  DB_STATEMENT(var##_due, {name "_due", REVIEW_SCHEDULE_SQL(COND REVIEW_DUE), DB_PARAMS(REVIEW_SCHEDULE),      \
                           .generic_plan = true})
REVIEW_SCHEDULE_STATEMENTS(schedule, "review_schedule", "");
REVIEW_SCHEDULE_STATEMENTS(schedule_care_team, "review_schedule_care_team", "AND pl.care_team_id = :org::uuid ");
REVIEW_SCHEDULE_STATEMENTS(schedule_curator, "review_schedule_curator", "AND pl.curator_org_id = :org::uuid ");
REVIEW_SCHEDULE_STATEMENTS(schedule_landlord, "review_schedule_landlord", "AND pl.landlord_org_id = :org::uuid ");
DB_STATEMENT(schedule_none, {"review_schedule_none", REVIEW_SCHEDULE_SQL("AND false "), DB_PARAMS(REVIEW_SCHEDULE)});
/* [lead][status: any, overdue, due] */
static const struct db_statement *const schedules[4][3] = {
  {&schedule, &schedule_overdue, &schedule_due},
  {&schedule_care_team, &schedule_care_team_overdue, &schedule_care_team_due},
  {&schedule_curator, &schedule_curator_overdue, &schedule_curator_due},
  {&schedule_landlord, &schedule_landlord_overdue, &schedule_landlord_due},
};
DB_PARAMS_STRUCT(review_schedule_params, REVIEW_SCHEDULE);

enum db_status db_review_insert_ahead(struct db *db, const char *commission_id, const char *placement_id,
                                      const char *review_date, const char *id, enum db_status *inserted) {
  struct review_insert_params p = {.id = id, .commission_id = commission_id, .placement_id = placement_id,
                                   .review_date = review_date};
  return db_run_ahead(db, &insert, &p, inserted);
}

enum db_status db_review_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                             bool for_update, PGresult **res) {
  struct review_get_params p = {.commission_id = commission_id, .id = id, .scope = access_scope_param(scope),
                                .org = access_org_param(scope)};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_review_list(struct db *db, const char *commission_id, const char *placement_id,
                              const struct access *scope, PGresult **res) {
  struct review_list_params p = {.commission_id = commission_id, .placement_id = placement_id,
                                 .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, &list, &p, res);
}

enum db_status db_review_update_ahead(struct db *db, const char *commission_id, const char *id,
                                      const struct review_parts *parts, const char *token_id, const char *role,
                                      enum db_status *updated) {
  struct review_update_params p = {
    .commission_id = commission_id, .id = id, .care_set = parts->care_set, .care_followup = parts->care_followup,
    .rent_set = parts->rent_set, .rent_status = parts->rent_status, .arrears_cents = parts->arrears_cents,
    .housing_set = parts->housing_set, .housing = parts->housing, .autonomy_set = parts->autonomy_set,
    .autonomy = parts->autonomy, .outcome_set = parts->outcome_set, .outcome = parts->outcome, .role = role,
    .token_id = token_id, .tripartite = parts->tripartite};
  return db_run_ahead(db, &update, &p, updated);
}

enum db_status db_review_schedule(struct db *db, const char *commission_id, const struct access *scope,
                                  const char *status, const char *after_date, const char *after_id,
                                  const char *limit, PGresult **res) {
  struct review_schedule_params p = {.commission_id = commission_id, .scope = access_scope_param(scope),
                                     .org = access_org_param(scope), .status = status,
                                     .after_date = after_date != NULL ? after_date : DB_FIRST_DATE,
                                     .after_id = after_date != NULL ? after_id : DB_FIRST_ID, .limit = limit};
  const char *org = p.org != NULL ? p.scope : "";
  int lead = strcmp(p.scope, "all") == 0         ? 0
             : strcmp(org, "care_team") == 0     ? 1
             : strcmp(org, "curator") == 0       ? 2
             : strcmp(org, "landlord") == 0      ? 3
                                                 : -1;
  if (lead < 0) /* a denied scope: nothing */
    return db_run(db, &schedule_none, &p, res);
  int range = status == NULL ? 0 : strcmp(status, "overdue") == 0 ? 1 : 2;
  return db_run(db, schedules[lead][range], &p, res);
}
