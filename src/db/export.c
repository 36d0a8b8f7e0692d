/* Right of access: everything held about one person, as one JSON document built by PostgreSQL in one statement
 * — identity, care notes, applications with their history and decisions, placements with their deposit
 * ledger and provision, reviews, incidents and their repayment plans, notices to the prefect, and the audit entries about the person (those about the files linked into this
 * one included: the trail is append-only, its entries keep the ids they named). */
#include "queries.h"

/* A row's own columns without its commission and the copies kept for the lists' indexes (migrations/0024: the
 * person's care team and curator, the unit's landlord, the next review's date, the waiting list's order, each given
 * elsewhere or derived). */
#define J_OWN(row) "(to_jsonb(" row ") - ARRAY['commission_id', 'care_team_id', 'curator_org_id', 'landlord_org_id', " \
  "'next_review_on', 'queued_at'])"
#define J_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The document (PERSON_EXPORT_ROW). */
#define PERSON_EXPORT_DOCUMENT  \
  "json_build_object("  \
  "'person', (SELECT to_jsonb(p) - ARRAY['commission_id', 'family_key', 'given_key'] FROM people p "  \
  "WHERE p.id = :person_id::uuid), "  \
  "'care_notes', coalesce((SELECT json_agg(json_build_object('id', c.id, 'body', c.body, 'author_role', "  \
  "c.author_role, 'created_at', " J_TS("c.created_at") ") ORDER BY c.created_at) FROM care_notes c "  \
  "WHERE c.commission_id = :commission_id AND c.person_id = :person_id::uuid), '[]'), "  \
  "'applications', coalesce((SELECT json_agg(" J_OWN("a") " || jsonb_build_object("  \
  "'history', (SELECT coalesce(json_agg(to_jsonb(e) - 'commission_id' ORDER BY e.id), '[]') FROM application_events e "  \
  "WHERE e.commission_id = a.commission_id AND e.application_id = a.id), "  \
  "'decisions', (SELECT coalesce(json_agg(to_jsonb(d) - 'commission_id' ORDER BY d.decided_at), '[]') "  \
  "FROM decisions d WHERE d.commission_id = a.commission_id AND d.application_id = a.id)) ORDER BY a.created_at) "  \
  "FROM applications a WHERE a.commission_id = :commission_id AND a.person_id = :person_id::uuid), '[]'), "  \
  "'placements', coalesce((SELECT json_agg(" J_OWN("pl") " || jsonb_build_object("  \
  "'deposit_entries', (SELECT coalesce(json_agg(to_jsonb(x) - 'commission_id' ORDER BY x.created_at), '[]') "  \
  "FROM deposit_entries x WHERE x.commission_id = pl.commission_id AND x.placement_id = pl.id), "  \
  "'reviews', (SELECT coalesce(json_agg(to_jsonb(r) - 'commission_id' ORDER BY r.review_date), '[]') FROM reviews r "  \
  "WHERE r.commission_id = pl.commission_id AND r.placement_id = pl.id), "  \
  "'incidents', (SELECT coalesce(json_agg(" J_OWN("i") " ORDER BY i.created_at), '[]') "  \
  "FROM incidents i WHERE i.commission_id = pl.commission_id AND i.placement_id = pl.id), "  \
  "'deposit_provision', (SELECT to_jsonb(v) - 'commission_id' FROM deposit_provisions v "  \
  "WHERE v.commission_id = pl.commission_id AND v.placement_id = pl.id), "  \
  "'prefect_notices', (SELECT coalesce(json_agg(to_jsonb(n) - 'commission_id' ORDER BY n.period_end), '[]') "  \
  "FROM prefect_notices n WHERE n.commission_id = pl.commission_id AND n.placement_id = pl.id), "  \
  "'arrears_plans', (SELECT coalesce(json_agg(to_jsonb(ap) - 'commission_id' || jsonb_build_object("  \
  "'instalments', (SELECT json_agg(to_jsonb(x) - 'commission_id' ORDER BY x.due_on, x.position) "  \
  "FROM arrears_instalments x WHERE x.commission_id = ap.commission_id AND x.plan_id = ap.id), "  \
  "'payments', (SELECT coalesce(json_agg(to_jsonb(y) - 'commission_id' ORDER BY y.paid_on, y.created_at), '[]') "  \
  "FROM arrears_payments y WHERE y.commission_id = ap.commission_id AND y.plan_id = ap.id)) ORDER BY ap.created_at), "  \
  "'[]') FROM arrears_plans ap JOIN incidents j ON j.commission_id = ap.commission_id AND j.id = ap.incident_id "  \
  "WHERE j.commission_id = pl.commission_id AND j.placement_id = pl.id)) ORDER BY pl.move_in_date) "  \
  "FROM placements pl WHERE pl.commission_id = :commission_id AND pl.person_id = :person_id::uuid), '[]'), "  \
  "'audit', coalesce((SELECT json_agg(json_build_object('at', " J_TS("l.at") ", 'token_id', l.token_id, 'role', "  \
  "l.role, 'action', l.action, 'method', l.method, 'route', l.route, 'object_type', l.object_type, 'object_id', "  \
  "l.object_id, 'request_id', l.request_id, 'status', l.status) ORDER BY l.at, l.id) FROM audit_log l "  \
  "WHERE l.commission_id = :commission_id AND (" SQL_AUDIT_ABOUT("l", ":person_id::uuid") " "  \
  "OR l.person_id IN (SELECT m.merged_id FROM person_merges m WHERE m.commission_id = :commission_id "  \
  "AND m.into_id = :person_id::uuid) OR (l.object_id IN (SELECT m.merged_id FROM person_merges m "  \
  "WHERE m.commission_id = :commission_id AND m.into_id = :person_id::uuid) "  \
  "AND l.person_id IS DISTINCT FROM l.object_id))), '[]'), "  \
  "'information', (SELECT to_jsonb(i) - 'commission_id' - 'recorded_by_token_id' FROM person_information i "  \
  "WHERE i.commission_id = :commission_id AND i.person_id = :person_id::uuid), "  \
  "'exported_at', " J_TS("now()") ") "

#define PERSON_EXPORT(P) P(commission_id) P(person_id)
DB_STATEMENT(export_person, {
  "person_export",
  "SELECT " DB_COLUMNS(PERSON_EXPORT_ROW) " FROM people p WHERE p.commission_id = :commission_id "
  "AND p.id = :person_id::uuid",
  DB_PARAMS(PERSON_EXPORT)
});
DB_PARAMS_STRUCT(person_export_params, PERSON_EXPORT);

enum db_status db_person_export(struct db *db, const char *commission_id, const char *person_id, PGresult **res) {
  struct person_export_params p = {.commission_id = commission_id, .person_id = person_id};
  return db_run(db, &export_person, &p, res);
}
