/* Queries on quarterly reviews and on the review schedule (the review_schedule view of migrations/0003). */
#include "queries.h"

#define REVIEW_COLS                                                                                              \
  "r.id, r.placement_id, r.review_date, r.care_followup, r.care_by_role, " SQL_TS("r.care_at") ", r.rent_status, " \
  "r.arrears_cents, r.rent_by_role, " SQL_TS("r.rent_at") ", r.housing, r.housing_by_role, " SQL_TS("r.housing_at") \
  ", r.autonomy, r.autonomy_by_role, " SQL_TS("r.autonomy_at") ", r.outcome, r.outcome_by_role, "                 \
  SQL_TS("r.outcome_at") ", r.version, " SQL_TS("r.created_at") ", " SQL_TS("r.updated_at")

#define REVIEW_FROM                                                                                              \
  " FROM reviews r JOIN placements pl ON pl.commission_id = r.commission_id AND pl.id = r.placement_id "        \
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "                               \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

/* Version 0: writing the creation's parts right after brings it to 1, as every new record. */
DB_STATEMENT(insert, {
  "review_insert",
  "INSERT INTO reviews (commission_id, placement_id, review_date, version) VALUES ($1, $2, $3, 0) RETURNING id", 3, NULL});

DB_STATEMENT(get, {
  "review_get",
  "SELECT " REVIEW_COLS REVIEW_FROM "WHERE r.commission_id = $1 AND r.id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "review_get_for_update",
  "SELECT " REVIEW_COLS REVIEW_FROM "WHERE r.commission_id = $1 AND r.id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4") " FOR UPDATE OF r",
  4, NULL
});

DB_STATEMENT(list, {
  "review_list",
  "SELECT " REVIEW_COLS REVIEW_FROM "WHERE r.commission_id = $1 AND r.placement_id = $2 AND "
  SQL_PLACEMENT_SCOPE("p", "u", "$3", "$4") " ORDER BY r.review_date DESC, r.id",
  4, NULL
});

/* Writes one part (care, rent, housing, autonomy, outcome) when $3 says so, recording who and when. */
DB_STATEMENT(update, {
  "review_update",
  "UPDATE reviews SET "
  "care_followup = CASE WHEN $3 THEN $4 ELSE care_followup END, "
  "care_by_role = CASE WHEN $3 THEN $14 ELSE care_by_role END, "
  "care_by_token = CASE WHEN $3 THEN $15::uuid ELSE care_by_token END, "
  "care_at = CASE WHEN $3 THEN now() ELSE care_at END, "
  "rent_status = CASE WHEN $5 THEN $6 ELSE rent_status END, "
  "arrears_cents = CASE WHEN $5 THEN $7::bigint ELSE arrears_cents END, "
  "rent_by_role = CASE WHEN $5 THEN $14 ELSE rent_by_role END, "
  "rent_by_token = CASE WHEN $5 THEN $15::uuid ELSE rent_by_token END, "
  "rent_at = CASE WHEN $5 THEN now() ELSE rent_at END, "
  "housing = CASE WHEN $8 THEN $9 ELSE housing END, "
  "housing_by_role = CASE WHEN $8 THEN $14 ELSE housing_by_role END, "
  "housing_by_token = CASE WHEN $8 THEN $15::uuid ELSE housing_by_token END, "
  "housing_at = CASE WHEN $8 THEN now() ELSE housing_at END, "
  "autonomy = CASE WHEN $10 THEN $11 ELSE autonomy END, "
  "autonomy_by_role = CASE WHEN $10 THEN $14 ELSE autonomy_by_role END, "
  "autonomy_by_token = CASE WHEN $10 THEN $15::uuid ELSE autonomy_by_token END, "
  "autonomy_at = CASE WHEN $10 THEN now() ELSE autonomy_at END, "
  "outcome = CASE WHEN $12 THEN $13 ELSE outcome END, "
  "outcome_by_role = CASE WHEN $12 THEN $14 ELSE outcome_by_role END, "
  "outcome_by_token = CASE WHEN $12 THEN $15::uuid ELSE outcome_by_token END, "
  "outcome_at = CASE WHEN $12 THEN now() ELSE outcome_at END, "
  "version = version + 1, updated_at = now() WHERE commission_id = $1 AND id = $2",
  15, NULL
});

DB_STATEMENT(schedule, {
  "review_schedule",
  "SELECT rs.placement_id, p.family_name, p.given_names, u.id, u.label, u.town, rs.move_in_date, "
  "rs.last_review_date, rs.next_review_on, CASE WHEN rs.next_review_on < current_date THEN 'overdue' "
  "WHEN rs.next_review_on <= current_date + 30 THEN 'due' ELSE 'scheduled' END "
  "FROM review_schedule rs JOIN people p ON p.commission_id = rs.commission_id AND p.id = rs.person_id "
  "JOIN units u ON u.commission_id = rs.commission_id AND u.id = rs.unit_id "
  "WHERE rs.commission_id = $1 AND " SQL_PLACEMENT_SCOPE("p", "u", "$2", "$3")
  " AND ($4::text IS NULL OR ($4 = 'overdue' AND rs.next_review_on < current_date) OR ($4 = 'due' AND "
  "rs.next_review_on >= current_date AND rs.next_review_on <= current_date + 30)) "
  "AND ($5::date IS NULL OR (rs.next_review_on, rs.placement_id) > ($5::date, $6::uuid)) "
  "ORDER BY rs.next_review_on, rs.placement_id LIMIT $7::integer",
  7, NULL
});

enum db_status db_review_insert(struct db *db, const char *commission_id, const char *placement_id,
                                const char *review_date, PGresult **res) {
  const char *params[] = {commission_id, placement_id, review_date};
  return db_exec(db, &insert, params, res);
}

enum db_status db_review_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                             bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_review_list(struct db *db, const char *commission_id, const char *placement_id,
                              const struct access *scope, PGresult **res) {
  const char *params[] = {commission_id, placement_id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, &list, params, res);
}

enum db_status db_review_update(struct db *db, const char *commission_id, const char *id,
                                const char *const parts[11], const char *token_id, const char *role) {
  const char *params[] = {commission_id, id, parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], parts[6],
                          parts[7], parts[8], parts[9], parts[10], role, token_id};
  PGresult *res;
  enum db_status s = db_exec(db, &update, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_review_schedule(struct db *db, const char *commission_id, const struct access *scope,
                                  const char *status, const char *after_date, const char *after_id,
                                  const char *limit, PGresult **res) {
  const char *params[] = {commission_id, access_scope_param(scope), access_org_param(scope), status, after_date,
                          after_id, limit};
  return db_exec(db, &schedule, params, res);
}
