/* Queries on placements: starting one from an approved application, reading them within the caller's scope,
 * and the exit. The capacity and one-home-at-a-time rules are the database's (migrations/0003). */
#include <stdio.h>
#include <string.h>

#include "queries.h"

#define PLACEMENT_FROM                                                                                           \
  " FROM placements pl JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "            \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

/* The application a placement starts from, locked until the placement is recorded: its status and the UTC day
 * of its decision. */
/* The application a placement starts from (locked) and, in the same look-up, the status of the unit it would be in
 * (NULL when not a unit of the commission). */
#define PLACEMENT_APPLICATION_ROW(FIRST, NEXT)                                                                 \
  FIRST(status, "a.status") NEXT(decided_on, "to_char(coalesce(a.decided_on, (a.decided_at AT TIME ZONE 'UTC')::date), 'YYYY-MM-DD')") \
  NEXT(unit_status, "(SELECT u.status FROM units u WHERE u.commission_id = :commission_id AND u.id = :unit_id)")
DB_ROW_STRUCT(placement_application_row, PLACEMENT_APPLICATION_ROW);
#define PLACEMENT_APPLICATION(P) P(commission_id) P(id) P(unit_id)
DB_STATEMENT(application, {"placement_application",
                           "SELECT " DB_COLUMNS(PLACEMENT_APPLICATION_ROW) " FROM applications a "
                           "WHERE a.commission_id = :commission_id AND a.id = :id FOR UPDATE OF a",
                           DB_PARAMS(PLACEMENT_APPLICATION)});
DB_PARAMS_STRUCT(placement_application_params, PLACEMENT_APPLICATION);

/* The person comes from the application; the deciding session from its latest approval. */
/* A sliding lease starts with the move-in unless told otherwise. */
/* The id is the daemon's (a random UUID), so that the statements which follow need not wait for the insert. */
#define PLACEMENT_INSERT(P)                                                                                      \
  P(id) P(commission_id) P(application_id) P(unit_id) P(move_in_date) P(lease) P(refund_to_association)         \
  P(sliding_start_date) P(planned_slide_on)
DB_STATEMENT(insert, {
  "placement_insert",
  "INSERT INTO placements (id, commission_id, application_id, person_id, unit_id, session_id, move_in_date, lease, "
  "refund_to_association, sliding_start_date, planned_slide_on) "
  "SELECT :id::uuid, :commission_id, a.id, a.person_id, :unit_id, (SELECT d.session_id FROM decisions d "
  "WHERE d.commission_id = a.commission_id AND d.application_id = a.id AND d.outcome = 'approve' "
  "ORDER BY d.decided_at DESC LIMIT 1), :move_in_date, :lease, :refund_to_association::boolean, "
  "CASE WHEN :lease = 'sliding_lease' THEN coalesce(:sliding_start_date::date, :move_in_date::date) END, "
  ":planned_slide_on::date "
  "FROM applications a WHERE a.commission_id = :commission_id AND a.id = :application_id",
  DB_PARAMS(PLACEMENT_INSERT)
});
DB_PARAMS_STRUCT(placement_insert_params, PLACEMENT_INSERT);

#define PLACEMENT_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {
  "placement_get",
  "SELECT " DB_COLUMNS(PLACEMENT_ROW) PLACEMENT_FROM "WHERE pl.commission_id = :commission_id AND pl.id = :id AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org"),
  DB_PARAMS(PLACEMENT_GET)
});
DB_STATEMENT(get_for_update, {
  "placement_get_for_update",
  "SELECT " DB_COLUMNS(PLACEMENT_ROW) PLACEMENT_FROM "WHERE pl.commission_id = :commission_id AND pl.id = :id AND "
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") " FOR UPDATE OF pl",
  DB_PARAMS(PLACEMENT_GET)
});
DB_PARAMS_STRUCT(placement_get_params, PLACEMENT_GET);

/* A page of placements, oldest move-in first: a keyset page (SQL_KEYSET_PAGE) of placements alone, by a statement
 * of its shape: its leading filter (COND: the whole commission, a landlord, the caller's own landlord, care team or
 * curator, read from the placement's own copies of its person's and unit's, migrations/0024; or one person's or
 * one unit's placements, with every other filter) and, but for one person or unit, the active filter (any,
 * running, ended) written out, so that the page is a range of the list's index and no "parameter IS NULL OR" guess
 * hides it. Running placements (exit_date IS NULL, partial indexes) are merged with the few whose exit date is
 * still ahead. The page is then joined, row by row, to its people and units, where every filter is checked again
 * (each statement names every parameter). The cursor is always given (the first page's is the lowest key). */
#define PLACEMENT_LIST(P)                                                                                        \
  P(commission_id) P(scope) P(org) P(active) P(unit_id) P(person_id) P(landlord_org_id) P(after_date) P(after_id) \
  P(limit)
#define PLACEMENT_SCOPED                                                                                         \
  "(:scope = 'all' OR (:scope = 'care_team' AND pl.care_team_id = :org::uuid) OR (:scope = 'curator' AND "       \
  "pl.curator_org_id = :org::uuid) OR (:scope = 'landlord' AND pl.landlord_org_id = :org::uuid))"
#define PLACEMENT_FILTERS                                                                                        \
  PLACEMENT_SCOPED " AND (:active::boolean IS NULL OR (pl.exit_date IS NULL OR pl.exit_date > current_date) = "   \
  ":active::boolean) AND (:unit_id::uuid IS NULL OR pl.unit_id = :unit_id::uuid) "                              \
  "AND (:person_id::uuid IS NULL OR pl.person_id = :person_id::uuid) "                                          \
  "AND (:landlord_org_id::uuid IS NULL OR pl.landlord_org_id = :landlord_org_id::uuid)"
/* The placements of COND after the cursor; PLACEMENT_ROWS in the list's order. */
#define PLACEMENT_AFTER(COND)                                                                                    \
  "SELECT pl.* FROM placements pl WHERE pl.commission_id = :commission_id " COND                                 \
  " AND (pl.move_in_date, pl.id) > (:after_date::date, :after_id::uuid)"
#define PLACEMENT_ROWS(COND) PLACEMENT_AFTER(COND) " ORDER BY pl.move_in_date, pl.id"
#define PLACEMENT_LIST_SQL(PAGE)                                                                                 \
  "SELECT " DB_COLUMNS(PLACEMENT_ROW) " FROM " PAGE " pl" SQL_PAGE_JOIN("people", "p", "pl", "person_id")        \
  SQL_PAGE_JOIN("units", "u", "pl", "unit_id") " WHERE " PLACEMENT_FILTERS " AND "                            \
  SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org") " ORDER BY pl.move_in_date, pl.id"
#define PLACEMENT_LIST_ONE(COND) PLACEMENT_LIST_SQL(SQL_KEYSET_PAGE(PLACEMENT_ROWS(COND)))
/* Running placements: those without an exit date (partial indexes) and the few whose exit date is ahead. */
#define PLACEMENT_LIST_RUNNING(COND)                                                                             \
  PLACEMENT_LIST_SQL(SQL_KEYSET_PAGE_AND(PLACEMENT_ROWS(COND " AND pl.exit_date IS NULL"),                       \
                                         PLACEMENT_AFTER(COND " AND pl.exit_date > current_date"),               \
                                         "m.move_in_date, m.id"))
/* A leading filter's three statements: VAR (any), VAR_active (active=true) and VAR_ended (active=false). */
#define PLACEMENT_LIST_STATEMENTS(var, name, COND)                                                               \
  DB_STATEMENT(var, {name, PLACEMENT_LIST_ONE(COND), DB_PARAMS(PLACEMENT_LIST), .generic_plan = true});       \
  DB_STATEMENT(var##_active, {name "_active", PLACEMENT_LIST_RUNNING(COND), DB_PARAMS(PLACEMENT_LIST),           \
                              .generic_plan = true});                                                          \
  DB_STATEMENT(var##_ended, {name "_ended", PLACEMENT_LIST_ONE(COND " AND pl.exit_date <= current_date"),        \
                             DB_PARAMS(PLACEMENT_LIST), .generic_plan = true})
DB_STATEMENT(list_by_person, {"placement_list_person",
                              PLACEMENT_LIST_ONE("AND pl.person_id = :person_id::uuid AND "
                                                 SQL_UNESTIMATED(PLACEMENT_FILTERS)),
                              DB_PARAMS(PLACEMENT_LIST)});
DB_STATEMENT(list_by_unit, {"placement_list_unit",
                            PLACEMENT_LIST_ONE("AND pl.unit_id = :unit_id::uuid AND "
                                               SQL_UNESTIMATED(PLACEMENT_FILTERS)),
                            DB_PARAMS(PLACEMENT_LIST)});
PLACEMENT_LIST_STATEMENTS(list_all, "placement_list", "");
PLACEMENT_LIST_STATEMENTS(list_landlord, "placement_list_landlord",
                          "AND pl.landlord_org_id = :landlord_org_id::uuid AND " SQL_UNESTIMATED(PLACEMENT_SCOPED));
PLACEMENT_LIST_STATEMENTS(list_own_landlord, "placement_list_own_landlord", "AND pl.landlord_org_id = :org::uuid");
PLACEMENT_LIST_STATEMENTS(list_care_team, "placement_list_care_team", "AND pl.care_team_id = :org::uuid");
PLACEMENT_LIST_STATEMENTS(list_curator, "placement_list_curator", "AND pl.curator_org_id = :org::uuid");
/* [lead][active: any, true, false]: every list of placements but one person's or one unit's. */
enum placement_lead { LEAD_ALL, LEAD_LANDLORD, LEAD_OWN_LANDLORD, LEAD_CARE_TEAM, LEAD_CURATOR, LEAD_COUNT };
static const struct db_statement *const list_by_lead[LEAD_COUNT][3] = {
  [LEAD_ALL] = {&list_all, &list_all_active, &list_all_ended},
  [LEAD_LANDLORD] = {&list_landlord, &list_landlord_active, &list_landlord_ended},
  [LEAD_OWN_LANDLORD] = {&list_own_landlord, &list_own_landlord_active, &list_own_landlord_ended},
  [LEAD_CARE_TEAM] = {&list_care_team, &list_care_team_active, &list_care_team_ended},
  [LEAD_CURATOR] = {&list_curator, &list_curator_active, &list_curator_ended},
};
DB_PARAMS_STRUCT(placement_list_params, PLACEMENT_LIST);

#define PLACEMENT_EXIT(P) P(commission_id) P(id) P(exit_date) P(exit_reason) P(exit_comment) P(inspection_matches)
DB_STATEMENT(exit_placement, {
  "placement_exit",
  "UPDATE placements SET exit_date = :exit_date, exit_reason = :exit_reason, exit_comment = :exit_comment, "
  "exit_inspection_matches = :inspection_matches, version = version + 1, updated_at = now() "
  "WHERE commission_id = :commission_id AND id = :id AND exit_date IS NULL",
  DB_PARAMS(PLACEMENT_EXIT)
});
DB_PARAMS_STRUCT(placement_exit_params, PLACEMENT_EXIT);

enum db_status db_placement_application(struct db *db, const char *commission_id, const char *application_id,
                                        const char *unit_id, char status[16], char decided_on[11],
                                        char unit_status[32]) {
  struct placement_application_params p = {.commission_id = commission_id, .id = application_id, .unit_id = unit_id};
  PGresult *res;
  status[0] = decided_on[0] = unit_status[0] = '\0';
  enum db_status s = db_run(db, &application, &p, &res);
  struct placement_application_row row;
  if (s == DB_ROW && (!db_row(res, 0, &row) || row.status == NULL))
    s = DB_HARD_ERROR;
  if (s == DB_ROW) {
    snprintf(status, 16, "%s", row.status);
    snprintf(decided_on, 11, "%s", row.decided_on != NULL ? row.decided_on : "");
    snprintf(unit_status, 32, "%s", row.unit_status != NULL ? row.unit_status : "");
  }
  PQclear(res);
  return s;
}

enum db_status db_placement_insert_ahead(struct db *db, const char *commission_id, const char *id,
                                         const struct placement_fields *f, enum db_status *inserted) {
  struct placement_insert_params p = {.id = id, .commission_id = commission_id, .application_id = f->application_id,
                                      .unit_id = f->unit_id, .move_in_date = f->move_in_date, .lease = f->lease,
                                      .refund_to_association = f->refund_to_association,
                                      .sliding_start_date = f->sliding_start_date,
                                      .planned_slide_on = f->planned_slide_on};
  return db_run_ahead(db, &insert, &p, inserted);
}

enum db_status db_placement_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                                bool for_update, PGresult **res) {
  struct placement_get_params p = {.commission_id = commission_id, .id = id, .scope = access_scope_param(scope),
                                   .org = access_org_param(scope)};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_placement_list(struct db *db, const char *commission_id, const struct access *scope,
                                 const char *active, const char *unit_id, const char *person_id,
                                 const char *landlord_org_id, const char *after_date, const char *after_id,
                                 const char *limit, PGresult **res) {
  const char *scope_name = access_scope_param(scope);
  struct placement_list_params p = {.commission_id = commission_id, .scope = scope_name,
                                    .org = access_org_param(scope), .active = active, .unit_id = unit_id,
                                    .person_id = person_id, .landlord_org_id = landlord_org_id,
                                    .after_date = after_date != NULL ? after_date : DB_FIRST_DATE,
                                    .after_id = after_date != NULL ? after_id : DB_FIRST_ID, .limit = limit};
  if (person_id != NULL)
    return db_run(db, &list_by_person, &p, res);
  if (unit_id != NULL)
    return db_run(db, &list_by_unit, &p, res);
  /* The whole commission's statement only for a caller who sees it; any other scope leads by its own column (a
   * denied one, "none", by the landlord filter's statement, whose scope predicate refuses every row). */
  const char *org = p.org != NULL ? scope_name : "";
  enum placement_lead lead = landlord_org_id != NULL            ? LEAD_LANDLORD
                             : strcmp(scope_name, "all") == 0   ? LEAD_ALL
                             : strcmp(org, "landlord") == 0     ? LEAD_OWN_LANDLORD
                             : strcmp(org, "care_team") == 0    ? LEAD_CARE_TEAM
                             : strcmp(org, "curator") == 0      ? LEAD_CURATOR
                                                                : LEAD_LANDLORD;
  return db_run(db, list_by_lead[lead][active == NULL ? 0 : strcmp(active, "t") == 0 ? 1 : 2], &p, res);
}

enum db_status db_placement_exit(struct db *db, const char *commission_id, const char *id,
                                 const struct placement_exit_fields *f) {
  struct placement_exit_params p = {.commission_id = commission_id, .id = id, .exit_date = f->exit_date,
                                    .exit_reason = f->exit_reason, .exit_comment = f->exit_comment,
                                    .inspection_matches = f->inspection_matches};
  PGresult *res;
  enum db_status s = db_run(db, &exit_placement, &p, &res);
  PQclear(res);
  return s;
}

/* The lease's terms a coordinator may change after the start: the deposit clause and the planned slide. */
#define PLACEMENT_LEASE_UPDATE(P) P(commission_id) P(id) P(refund_to_association) P(planned_slide_on)
DB_STATEMENT(lease_update, {
  "placement_lease_update",
  "UPDATE placements SET refund_to_association = :refund_to_association::boolean, "
  "planned_slide_on = :planned_slide_on::date, version = version + 1, updated_at = now() "
  "WHERE commission_id = :commission_id AND id = :id",
  DB_PARAMS(PLACEMENT_LEASE_UPDATE)
});
DB_PARAMS_STRUCT(placement_lease_update_params, PLACEMENT_LEASE_UPDATE);

/* The slide: the association's lease ends, the placement runs on (no exit, the place stays taken). */
#define PLACEMENT_SLIDE(P) P(commission_id) P(id) P(slid_on)
DB_STATEMENT(slide, {
  "placement_slide",
  "UPDATE placements SET slid_on = :slid_on::date, version = version + 1, updated_at = now() "
  "WHERE commission_id = :commission_id AND id = :id AND lease = 'sliding_lease' AND slid_on IS NULL",
  DB_PARAMS(PLACEMENT_SLIDE)
});
DB_PARAMS_STRUCT(placement_slide_params, PLACEMENT_SLIDE);

#define PREFECT_NOTICE_INSERT(P)                                                                                 \
  P(commission_id) P(placement_id) P(period_end) P(sent_on) P(proposes_lease) P(comment) P(role) P(token_id)
DB_STATEMENT(notice_insert, {
  "prefect_notice_insert",
  "INSERT INTO prefect_notices (commission_id, placement_id, period_end, sent_on, proposes_lease, comment, role, "
  "token_id) VALUES (:commission_id, :placement_id, :period_end::date, :sent_on::date, :proposes_lease::boolean, "
  ":comment, :role, :token_id::uuid) RETURNING id",
  DB_PARAMS(PREFECT_NOTICE_INSERT)
});
DB_PARAMS_STRUCT(prefect_notice_insert_params, PREFECT_NOTICE_INSERT);

/* The running sliding leases the caller sees, by their next step's date; STATUS narrows to those whose notice,
 * tripartite review or planned slide falls within 30 days or is past (the notice only while not sent). */
#define SLIDING_LIST(P) P(commission_id) P(scope) P(org) P(status) P(after_date) P(after_id) P(limit)
DB_STATEMENT(sliding_list, {
  "sliding_lease_list",
  "SELECT " DB_COLUMNS(SLIDING_LEASE_ROW) " FROM sliding_schedule ss "
  "JOIN people p ON p.commission_id = ss.commission_id AND p.id = ss.person_id "
  "JOIN units u ON u.commission_id = ss.commission_id AND u.id = ss.unit_id "
  "WHERE ss.commission_id = :commission_id AND " SQL_PLACEMENT_SCOPE("p", "u", ":scope", ":org")
  " AND (:status::text IS NULL "
  "OR (:status = 'notice_due' AND ss.prefect_notice_sent_on IS NULL AND ss.prefect_notice_due_on <= current_date + 30) "
  "OR (:status = 'review_due' AND ss.tripartite_review_on <= current_date + 30) "
  "OR (:status = 'slide_due' AND ss.planned_slide_on <= current_date + 30)) "
  "AND (:after_date::date IS NULL OR (" SLIDING_NEXT_ON ", ss.placement_id) > (:after_date::date, :after_id::uuid)) "
  "ORDER BY " SLIDING_NEXT_ON ", ss.placement_id LIMIT :limit::integer",
  DB_PARAMS(SLIDING_LIST)
});
DB_PARAMS_STRUCT(sliding_list_params, SLIDING_LIST);

enum db_status db_placement_lease_update(struct db *db, const char *commission_id, const char *id,
                                         const char *refund_to_association, const char *planned_slide_on) {
  struct placement_lease_update_params p = {.commission_id = commission_id, .id = id,
                                            .refund_to_association = refund_to_association,
                                            .planned_slide_on = planned_slide_on};
  return db_run_discard(db, &lease_update, &p);
}

enum db_status db_placement_slide(struct db *db, const char *commission_id, const char *id, const char *slid_on) {
  struct placement_slide_params p = {.commission_id = commission_id, .id = id, .slid_on = slid_on};
  return db_run_discard(db, &slide, &p);
}

enum db_status db_prefect_notice_insert(struct db *db, const char *commission_id, const char *placement_id,
                                        const struct prefect_notice_fields *f, const char *token_id, const char *role,
                                        char id[UUID_STR_LEN]) {
  struct prefect_notice_insert_params p = {.commission_id = commission_id, .placement_id = placement_id,
                                           .period_end = f->period_end, .sent_on = f->sent_on,
                                           .proposes_lease = f->proposes_lease, .comment = f->comment, .role = role,
                                           .token_id = token_id};
  return db_run_text(db, &notice_insert, &p, id, UUID_STR_LEN);
}

enum db_status db_sliding_lease_list(struct db *db, const char *commission_id, const struct access *scope,
                                     const char *status, const char *after_date, const char *after_id,
                                     const char *limit, PGresult **res) {
  struct sliding_list_params p = {.commission_id = commission_id, .scope = access_scope_param(scope),
                                  .org = access_org_param(scope), .status = status, .after_date = after_date,
                                  .after_id = after_id, .limit = limit};
  return db_run(db, &sliding_list, &p, res);
}
