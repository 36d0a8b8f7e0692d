/* Queries on the agreements (conventions) with landlords and residences, their units and their renewals.
 * Reads take the scope ($scope, $org): a landlord's token sees its own agreements only. */
#include "queries.h"

/* "Today" is the UTC date, as every date of the API. */
#define SQL_TODAY "(now() AT TIME ZONE 'UTC')::date"
#define SQL_DATE(col) "to_char(" col ", 'YYYY-MM-DD')"

/* An agreement row; its unit ids and renewals come as JSON arrays (text) from subqueries on their indexes, so
 * a whole page is one query. */
#define AGREEMENT_COLS                                                                                         \
  "a.id, a.org_id, a.reference, a.signatory, " SQL_DATE("a.start_date") ", " SQL_DATE("a.end_date") ", "      \
  "CASE WHEN a.end_date >= " SQL_TODAY " THEN 'active' ELSE 'expired' END, a.end_date - " SQL_TODAY ", "      \
  "a.notes, a.version, " SQL_TS("a.created_at") ", " SQL_TS("a.updated_at") ", "                              \
  "(SELECT coalesce(json_agg(au.unit_id ORDER BY au.unit_id), '[]'::json) FROM agreement_units au "          \
  "WHERE au.agreement_id = a.id AND au.commission_id = a.commission_id)::text, "                               \
  "(SELECT coalesce(json_agg(json_build_object('id', r.id, 'previous_end_date', "                            \
  SQL_DATE("r.previous_end_date") ", 'new_end_date', " SQL_DATE("r.new_end_date") ", 'signatory', "           \
  "r.signatory, 'renewed_at', " SQL_TS("r.renewed_at") ") ORDER BY r.renewed_at, r.new_end_date), '[]'::json) " \
  "FROM agreement_renewals r WHERE r.commission_id = a.commission_id AND r.agreement_id = a.id)::text"

DB_STATEMENT(insert, {
  "agreement_insert",
  "INSERT INTO agreements (commission_id, org_id, reference, signatory, start_date, end_date, notes) "
  "VALUES ($1, $2::uuid, $3, $4, $5::date, $6::date, $7) RETURNING id",
  7, NULL
});

DB_STATEMENT(get, {
  "agreement_get",
  "SELECT " AGREEMENT_COLS " FROM agreements a WHERE a.commission_id = $1 AND a.id = $2 AND "
  SQL_LANDLORD_SCOPE("a.org_id", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "agreement_get_for_update",
  "SELECT " AGREEMENT_COLS " FROM agreements a WHERE a.commission_id = $1 AND a.id = $2 AND "
  SQL_LANDLORD_SCOPE("a.org_id", "$3", "$4") " FOR UPDATE OF a",
  4, NULL
});

DB_STATEMENT(update, {
  "agreement_update",
  "UPDATE agreements SET signatory = $3, notes = $4, version = version + 1, updated_at = now() "
  "WHERE commission_id = $1 AND id = $2",
  4, NULL
});

/* The positions (1-based) in $2 of the ids that are not units of the commission owned by $3. */
DB_STATEMENT(units_check, {
  "agreement_units_check",
  "SELECT x.ord FROM unnest($2::uuid[]) WITH ORDINALITY AS x(id, ord) WHERE NOT EXISTS (SELECT 1 FROM units u "
  "WHERE u.commission_id = $1 AND u.id = x.id AND u.landlord_org_id = $3::uuid) ORDER BY x.ord",
  3, NULL
});

DB_STATEMENT(units_clear, {
  "agreement_units_clear",
  "DELETE FROM agreement_units WHERE commission_id = $1 AND agreement_id = $2",
  2, NULL
});

DB_STATEMENT(units_add, {
  "agreement_units_add",
  "INSERT INTO agreement_units (commission_id, agreement_id, unit_id) SELECT $1, $2, x FROM unnest($3::uuid[]) x",
  3, NULL
});

/* Records the renewal (from the end date before this statement) and moves the end date. */
DB_STATEMENT(renew, {
  "agreement_renew",
  "WITH r AS (INSERT INTO agreement_renewals (commission_id, agreement_id, previous_end_date, new_end_date, "
  "signatory, token_id) SELECT commission_id, id, end_date, $3::date, $4, $5::uuid FROM agreements "
  "WHERE commission_id = $1 AND id = $2) "
  "UPDATE agreements SET end_date = $3::date, version = version + 1, updated_at = now() "
  "WHERE commission_id = $1 AND id = $2",
  5, NULL
});

DB_STATEMENT(list, {
  "agreement_list",
  "SELECT " AGREEMENT_COLS " FROM agreements a WHERE a.commission_id = $1 AND "
  SQL_LANDLORD_SCOPE("a.org_id", "$2", "$3") " AND ($4::uuid IS NULL OR a.org_id = $4::uuid) "
  "AND ($5::integer IS NULL OR a.end_date <= " SQL_TODAY " + $5::integer) "
  "AND ($6::date IS NULL OR (a.end_date, a.id) > ($6::date, $7::uuid)) "
  "ORDER BY a.end_date, a.id LIMIT $8::integer",
  8, NULL
});

static enum db_status exec_no_result(struct db *db, const struct db_statement *st, const char *const *params) {
  PGresult *res;
  enum db_status s = db_exec(db, st, params, &res);
  PQclear(res);
  return s;
}

enum db_status db_agreement_insert(struct db *db, const char *commission_id, const char *const f[6],
                                   PGresult **res) {
  const char *params[] = {commission_id, f[0], f[1], f[2], f[3], f[4], f[5]};
  return db_exec(db, &insert, params, res);
}

enum db_status db_agreement_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                                const char *id, bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, scope, org};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_agreement_update(struct db *db, const char *commission_id, const char *id, const char *signatory,
                                   const char *notes) {
  const char *params[] = {commission_id, id, signatory, notes};
  return exec_no_result(db, &update, params);
}

enum db_status db_agreement_units_check(struct db *db, const char *commission_id, const char *unit_ids,
                                        const char *org_id, PGresult **res) {
  const char *params[] = {commission_id, unit_ids, org_id};
  return db_exec(db, &units_check, params, res);
}

enum db_status db_agreement_units_set(struct db *db, const char *commission_id, const char *id,
                                      const char *unit_ids, bool replace) {
  const char *params[] = {commission_id, id, unit_ids};
  if (replace) {
    enum db_status s = exec_no_result(db, &units_clear, params);
    if (s < 0)
      return s;
  }
  enum db_status s = exec_no_result(db, &units_add, params);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_agreement_renew(struct db *db, const char *commission_id, const char *id,
                                  const char *new_end_date, const char *signatory, const char *token_id) {
  const char *params[] = {commission_id, id, new_end_date, signatory, token_id};
  return exec_no_result(db, &renew, params);
}

enum db_status db_agreement_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                                 const char *org_id, const char *within_days, const char *after_end,
                                 const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, scope, org, org_id, within_days, after_end, after_id, limit};
  return db_exec(db, &list, params, res);
}
