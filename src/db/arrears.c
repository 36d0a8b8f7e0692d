/* Queries on rent arrears repayment plans (migrations/0014): a plan of a rent arrears incident, its instalments
 * and payments, and its state by date (the arrears_plan_states view). Scope as for placements: through the
 * person (curator) or the unit (landlord). */
#include "queries.h"

#define PLAN_FROM                                                                                                \
  " FROM incidents i JOIN placements pl ON pl.commission_id = i.commission_id AND pl.id = i.placement_id "       \
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "                                 \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

/* The incident a plan is for, locked (a plan and its payments are serialized on it): its kind and its plan. */
#define ARREARS_INCIDENT(P) P(commission_id) P(incident_id) P(scope) P(org)
DB_STATEMENT(incident, {
  "arrears_incident",
  "SELECT " DB_COLUMNS(ARREARS_INCIDENT_ROW) PLAN_FROM "LEFT JOIN arrears_plans ap ON ap.commission_id = "
  "i.commission_id AND ap.incident_id = i.id WHERE i.commission_id = :commission_id AND i.id = :incident_id AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") " FOR UPDATE OF i",
  DB_PARAMS(ARREARS_INCIDENT)
});
DB_PARAMS_STRUCT(arrears_incident_params, ARREARS_INCIDENT);

#define ARREARS_PLAN_INSERT(P) P(commission_id) P(incident_id) P(total_cents) P(role) P(token_id)
DB_STATEMENT(plan_insert, {
  "arrears_plan_insert",
  "INSERT INTO arrears_plans (commission_id, incident_id, total_cents, created_by_role, token_id) "
  "VALUES (:commission_id, :incident_id, :total_cents::bigint, :role, :token_id::uuid) RETURNING id",
  DB_PARAMS(ARREARS_PLAN_INSERT)
});
DB_PARAMS_STRUCT(arrears_plan_insert_params, ARREARS_PLAN_INSERT);

/* The instalments in one statement: DUE_DATES and AMOUNTS are array literals of the same length. */
#define ARREARS_INSTALMENTS_INSERT(P) P(commission_id) P(plan_id) P(due_dates) P(amounts)
DB_STATEMENT(instalments_insert, {
  "arrears_instalments_insert",
  "INSERT INTO arrears_instalments (commission_id, plan_id, position, due_on, amount_cents) "
  "SELECT :commission_id, :plan_id, t.ord, t.due_on, t.amount FROM unnest(:due_dates::date[], :amounts::bigint[]) "
  "WITH ORDINALITY t(due_on, amount, ord)",
  DB_PARAMS(ARREARS_INSTALMENTS_INSERT)
});
DB_PARAMS_STRUCT(arrears_instalments_insert_params, ARREARS_INSTALMENTS_INSERT);

#define ARREARS_PAYMENT_INSERT(P) P(commission_id) P(plan_id) P(paid_on) P(amount_cents) P(role) P(token_id)
DB_STATEMENT(payment_insert, {
  "arrears_payment_insert",
  "INSERT INTO arrears_payments (commission_id, plan_id, paid_on, amount_cents, role, token_id) "
  "VALUES (:commission_id, :plan_id, :paid_on::date, :amount_cents::bigint, :role, :token_id::uuid) RETURNING id",
  DB_PARAMS(ARREARS_PAYMENT_INSERT)
});
DB_PARAMS_STRUCT(arrears_payment_insert_params, ARREARS_PAYMENT_INSERT);

#define ARREARS_PLAN_GET(P) P(commission_id) P(incident_id) P(scope) P(org)
DB_STATEMENT(plan_get, {
  "arrears_plan_get",
  "SELECT " DB_COLUMNS(ARREARS_PLAN_ROW) PLAN_FROM "JOIN arrears_plans ap ON ap.commission_id = i.commission_id "
  "AND ap.incident_id = i.id JOIN arrears_plan_states s ON s.commission_id = ap.commission_id AND s.plan_id = ap.id "
  "WHERE i.commission_id = :commission_id AND i.id = :incident_id AND " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org"),
  DB_PARAMS(ARREARS_PLAN_GET)
});
DB_PARAMS_STRUCT(arrears_plan_get_params, ARREARS_PLAN_GET);

/* The plans the caller sees, oldest first; STATE narrows. */
#define ARREARS_PLAN_LIST(P) P(commission_id) P(scope) P(org) P(state) P(after_at) P(after_id) P(limit)
DB_STATEMENT(plan_list, {
  "arrears_plan_list",
  "SELECT " DB_COLUMNS(ARREARS_PLAN_ROW) PLAN_FROM "JOIN arrears_plans ap ON ap.commission_id = i.commission_id "
  "AND ap.incident_id = i.id JOIN arrears_plan_states s ON s.commission_id = ap.commission_id AND s.plan_id = ap.id "
  "WHERE i.commission_id = :commission_id AND " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org")
  " AND (:state::text IS NULL OR s.state = :state) "
  "AND (:after_at::text IS NULL OR (ap.created_at, ap.id) > (:after_at::timestamp AT TIME ZONE 'UTC', :after_id::uuid)) "
  "ORDER BY ap.created_at, ap.id LIMIT :limit::integer",
  DB_PARAMS(ARREARS_PLAN_LIST)
});
DB_PARAMS_STRUCT(arrears_plan_list_params, ARREARS_PLAN_LIST);

enum db_status db_arrears_incident(struct db *db, const char *commission_id, const char *incident_id,
                                   const struct access *scope, PGresult **res) {
  struct arrears_incident_params p = {.commission_id = commission_id, .incident_id = incident_id,
                                      .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, &incident, &p, res);
}

enum db_status db_arrears_plan_insert(struct db *db, const char *commission_id, const char *incident_id,
                                      const struct arrears_plan_fields *f, const char *token_id, const char *role,
                                      char id[UUID_STR_LEN]) {
  struct arrears_plan_insert_params p = {.commission_id = commission_id, .incident_id = incident_id,
                                         .total_cents = f->total_cents, .role = role, .token_id = token_id};
  enum db_status s = db_run_text(db, &plan_insert, &p, id, UUID_STR_LEN);
  if (s <= 0)
    return s;
  struct arrears_instalments_insert_params q = {.commission_id = commission_id, .plan_id = id,
                                                .due_dates = f->due_dates, .amounts = f->amounts};
  return db_run_discard(db, &instalments_insert, &q);
}

enum db_status db_arrears_payment_insert(struct db *db, const char *commission_id, const char *plan_id,
                                         const char *paid_on, const char *amount_cents, const char *token_id,
                                         const char *role, char id[UUID_STR_LEN]) {
  struct arrears_payment_insert_params p = {.commission_id = commission_id, .plan_id = plan_id, .paid_on = paid_on,
                                            .amount_cents = amount_cents, .role = role, .token_id = token_id};
  return db_run_text(db, &payment_insert, &p, id, UUID_STR_LEN);
}

enum db_status db_arrears_plan_get(struct db *db, const char *commission_id, const char *incident_id,
                                   const struct access *scope, PGresult **res) {
  struct arrears_plan_get_params p = {.commission_id = commission_id, .incident_id = incident_id,
                                      .scope = access_scope_param(scope), .org = access_org_param(scope)};
  return db_run(db, &plan_get, &p, res);
}

enum db_status db_arrears_plan_list(struct db *db, const char *commission_id, const struct access *scope,
                                    const char *state, const char *after_at, const char *after_id, const char *limit,
                                    PGresult **res) {
  struct arrears_plan_list_params p = {.commission_id = commission_id, .scope = access_scope_param(scope),
                                       .org = access_org_param(scope), .state = state, .after_at = after_at,
                                       .after_id = after_id, .limit = limit};
  return db_run(db, &plan_list, &p, res);
}
