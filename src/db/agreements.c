/* Queries on the agreements (conventions) with landlords and residences, their units and their renewals.
 * Reads take the scope (:scope, :org): a landlord's token sees its own agreements only. */
#include <stdbool.h>
#include <string.h>

#include "queries.h"

#define AGREEMENT_INSERT(P) P(commission_id) P(org_id) P(reference) P(signatory) P(start_date) P(end_date) P(notes)
DB_STATEMENT(insert, {"agreement_insert",
                      "INSERT INTO agreements (commission_id, org_id, reference, signatory, start_date, end_date, "
                      "notes) VALUES (:commission_id, :org_id::uuid, :reference, :signatory, :start_date::date, "
                      ":end_date::date, :notes) RETURNING " DB_COLUMNS(ID_ROW),
                      DB_PARAMS(AGREEMENT_INSERT)});
DB_PARAMS_STRUCT(agreement_insert_params, AGREEMENT_INSERT);

#define AGREEMENT_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {"agreement_get",
                   "SELECT " DB_COLUMNS(AGREEMENT_ROW) " FROM agreements a WHERE a.commission_id = :commission_id "
                   "AND a.id = :id AND " SQL_LANDLORD_SCOPE("a.org_id", ":scope", ":org"),
                   DB_PARAMS(AGREEMENT_GET)});
DB_STATEMENT(get_for_update, {"agreement_get_for_update",
                              "SELECT " DB_COLUMNS(AGREEMENT_ROW) " FROM agreements a "
                              "WHERE a.commission_id = :commission_id AND a.id = :id AND "
                              SQL_LANDLORD_SCOPE("a.org_id", ":scope", ":org") " FOR UPDATE OF a",
                              DB_PARAMS(AGREEMENT_GET)});
DB_PARAMS_STRUCT(agreement_get_params, AGREEMENT_GET);

#define AGREEMENT_UPDATE(P) P(commission_id) P(id) P(signatory) P(notes)
DB_STATEMENT(update, {"agreement_update",
                      "UPDATE agreements SET signatory = :signatory, notes = :notes, version = version + 1, "
                      "updated_at = now() WHERE commission_id = :commission_id AND id = :id",
                      DB_PARAMS(AGREEMENT_UPDATE)});
DB_PARAMS_STRUCT(agreement_update_params, AGREEMENT_UPDATE);

/* The positions (1-based) in :unit_ids of the ids that are not units of the commission owned by :org_id. */
#define AGREEMENT_UNITS_CHECK(P) P(commission_id) P(unit_ids) P(org_id)
DB_STATEMENT(units_check, {"agreement_units_check",
                           "SELECT " DB_COLUMNS(AGREEMENT_UNIT_POSITION_ROW) " FROM unnest(:unit_ids::uuid[]) WITH ORDINALITY AS x(id, ord) "
                           "WHERE NOT EXISTS (SELECT 1 FROM units u WHERE u.commission_id = :commission_id "
                           "AND u.id = x.id AND u.landlord_org_id = :org_id::uuid) ORDER BY x.ord",
                           DB_PARAMS(AGREEMENT_UNITS_CHECK)});
DB_PARAMS_STRUCT(agreement_units_check_params, AGREEMENT_UNITS_CHECK);

#define AGREEMENT_UNITS_CLEAR(P) P(commission_id) P(id)
DB_STATEMENT(units_clear, {"agreement_units_clear",
                           "DELETE FROM agreement_units WHERE commission_id = :commission_id AND agreement_id = :id",
                           DB_PARAMS(AGREEMENT_UNITS_CLEAR)});
DB_PARAMS_STRUCT(agreement_units_clear_params, AGREEMENT_UNITS_CLEAR);

#define AGREEMENT_UNITS_ADD(P) P(commission_id) P(id) P(unit_ids)
DB_STATEMENT(units_add, {"agreement_units_add",
                         "INSERT INTO agreement_units (commission_id, agreement_id, unit_id) "
                         "SELECT :commission_id, :id, x FROM unnest(:unit_ids::uuid[]) x",
                         DB_PARAMS(AGREEMENT_UNITS_ADD)});
DB_PARAMS_STRUCT(agreement_units_add_params, AGREEMENT_UNITS_ADD);

/* Records the renewal (from the end date before this statement) and moves the end date. */
#define AGREEMENT_RENEW(P) P(commission_id) P(id) P(new_end_date) P(signatory) P(token_id)
DB_STATEMENT(renew, {"agreement_renew",
                     "WITH r AS (INSERT INTO agreement_renewals (commission_id, agreement_id, previous_end_date, "
                     "new_end_date, signatory, token_id) SELECT commission_id, id, end_date, :new_end_date::date, "
                     ":signatory, :token_id::uuid FROM agreements WHERE commission_id = :commission_id AND id = :id) "
                     "UPDATE agreements SET end_date = :new_end_date::date, version = version + 1, "
                     "updated_at = now() WHERE commission_id = :commission_id AND id = :id",
                     DB_PARAMS(AGREEMENT_RENEW)});
DB_PARAMS_STRUCT(agreement_renew_params, AGREEMENT_RENEW);

/* Agreements by end date: a keyset page (SQL_KEYSET_PAGE) by a statement of its shape: its leading filter (COND:
 * the whole commission's, one landlord's, the caller's own) and "expiring within" written out as a range of that
 * index (the page stops at its end even when fewer than LIMIT agreements expire); every filter is checked again
 * on the page (each statement names every parameter). The cursor is always given (the first page's is the lowest
 * key). */
#define AGREEMENT_LIST(P) P(commission_id) P(scope) P(org) P(org_id) P(within_days) P(after_end) P(after_id) P(limit)
#define AGREEMENT_ROWS(COND)                                                                                     \
  "SELECT a.* FROM agreements a WHERE a.commission_id = :commission_id " COND                                    \
  "AND (a.end_date, a.id) > (:after_end::date, :after_id::uuid) ORDER BY a.end_date, a.id"
#define AGREEMENT_LIST_SQL(COND)                                                                                 \
  "SELECT " DB_COLUMNS(AGREEMENT_ROW) " FROM " SQL_KEYSET_PAGE(AGREEMENT_ROWS(COND)) " a WHERE "                 \
  SQL_LANDLORD_SCOPE("a.org_id", ":scope", ":org") " AND (:org_id::uuid IS NULL OR a.org_id = :org_id::uuid) "   \
  "AND (:within_days::integer IS NULL OR a.end_date <= " SQL_TODAY " + :within_days::integer) "                  \
  "ORDER BY a.end_date, a.id"
#define AGREEMENT_WITHIN "AND a.end_date <= " SQL_TODAY " + :within_days::integer "
/* A leading filter's two statements: VAR (any end date) and VAR_within (ending within :within_days days). */
#define AGREEMENT_LIST_STATEMENTS(var, name, COND)                                                               \
  DB_STATEMENT(var, {name, AGREEMENT_LIST_SQL(COND), DB_PARAMS(AGREEMENT_LIST), .generic_plan = true});       \
  DB_STATEMENT(var##_within, {name "_within", AGREEMENT_LIST_SQL(COND AGREEMENT_WITHIN), DB_PARAMS(AGREEMENT_LIST), \
                              .generic_plan = true})
AGREEMENT_LIST_STATEMENTS(list, "agreement_list", "");
AGREEMENT_LIST_STATEMENTS(list_org, "agreement_list_org", "AND a.org_id = :org_id::uuid ");
AGREEMENT_LIST_STATEMENTS(list_own, "agreement_list_own", "AND a.org_id = :org::uuid ");
DB_PARAMS_STRUCT(agreement_list_params, AGREEMENT_LIST);

enum db_status db_agreement_insert(struct db *db, const char *commission_id, const struct agreement_fields *f,
                                   PGresult **res) {
  struct agreement_insert_params p = {.commission_id = commission_id, .org_id = f->org_id, .reference = f->reference,
                                      .signatory = f->signatory, .start_date = f->start_date,
                                      .end_date = f->end_date, .notes = f->notes};
  return db_run(db, &insert, &p, res);
}

enum db_status db_agreement_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                                const char *id, bool for_update, PGresult **res) {
  struct agreement_get_params p = {.commission_id = commission_id, .id = id, .scope = scope, .org = org};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_agreement_update(struct db *db, const char *commission_id, const char *id, const char *signatory,
                                   const char *notes) {
  struct agreement_update_params p = {.commission_id = commission_id, .id = id, .signatory = signatory,
                                      .notes = notes};
  return db_run_discard(db, &update, &p);
}

enum db_status db_agreement_units_check(struct db *db, const char *commission_id, const char *unit_ids,
                                        const char *org_id, PGresult **res) {
  struct agreement_units_check_params p = {.commission_id = commission_id, .unit_ids = unit_ids, .org_id = org_id};
  return db_run(db, &units_check, &p, res);
}

enum db_status db_agreement_units_set(struct db *db, const char *commission_id, const char *id,
                                      const char *unit_ids, bool replace) {
  if (replace) {
    struct agreement_units_clear_params c = {.commission_id = commission_id, .id = id};
    enum db_status s = db_run_discard(db, &units_clear, &c);
    if (s < 0)
      return s;
  }
  struct agreement_units_add_params p = {.commission_id = commission_id, .id = id, .unit_ids = unit_ids};
  enum db_status s = db_run_discard(db, &units_add, &p);
  return s < 0 ? s : DB_ROW;
}

enum db_status db_agreement_renew(struct db *db, const char *commission_id, const char *id,
                                  const char *new_end_date, const char *signatory, const char *token_id) {
  struct agreement_renew_params p = {.commission_id = commission_id, .id = id, .new_end_date = new_end_date,
                                     .signatory = signatory, .token_id = token_id};
  return db_run_discard(db, &renew, &p);
}

enum db_status db_agreement_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                                 const char *org_id, const char *within_days, const char *after_end,
                                 const char *after_id, const char *limit, PGresult **res) {
  struct agreement_list_params p = {.commission_id = commission_id, .scope = scope, .org = org, .org_id = org_id,
                                    .within_days = within_days,
                                    .after_end = after_end != NULL ? after_end : DB_FIRST_DATE,
                                    .after_id = after_end != NULL ? after_id : DB_FIRST_ID, .limit = limit};
  bool within = within_days != NULL;
  if (org_id != NULL)
    return db_run(db, within ? &list_org_within : &list_org, &p, res);
  if (org != NULL && strcmp(scope, "landlord") == 0)
    return db_run(db, within ? &list_own_within : &list_own, &p, res);
  return db_run(db, within ? &list_within : &list, &p, res);
}
