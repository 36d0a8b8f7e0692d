/* Queries on incidents reported on placements (SQL_INCIDENT_SCOPE decides who sees which). */
#include "queries.h"

#define INCIDENT_COLS                                                                                            \
  "i.id, i.placement_id, i.kind, i.description, i.arrears_cents, i.occurred_on, i.status, i.reported_by_role, "  \
  SQL_TS("i.acknowledged_at") ", " SQL_TS("i.closed_at") ", i.closing_note, i.version, " SQL_TS("i.created_at")  \
  ", " SQL_TS("i.updated_at") ", p.family_name, p.given_names, u.label, u.town, "                                 \
  "to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"

#define INCIDENT_FROM                                                                                            \
  " FROM incidents i JOIN placements pl ON pl.commission_id = i.commission_id AND pl.id = i.placement_id "      \
  "JOIN people p ON p.commission_id = pl.commission_id AND p.id = pl.person_id "                               \
  "JOIN units u ON u.commission_id = pl.commission_id AND u.id = pl.unit_id "

DB_STATEMENT(insert, {
  "incident_insert",
  "INSERT INTO incidents (commission_id, placement_id, kind, description, arrears_cents, occurred_on, "
  "reported_by_role, reported_by_token) VALUES ($1, $2, $3, $4, $5::bigint, $6, $7, $8) RETURNING id",
  8, NULL
});

DB_STATEMENT(get, {
  "incident_get",
  "SELECT " INCIDENT_COLS INCIDENT_FROM "WHERE i.commission_id = $1 AND i.id = $2 AND "
  SQL_INCIDENT_SCOPE("i", "p", "u", "$3", "$4"),
  4, NULL
});

DB_STATEMENT(get_for_update, {
  "incident_get_for_update",
  "SELECT " INCIDENT_COLS INCIDENT_FROM "WHERE i.commission_id = $1 AND i.id = $2 AND "
  SQL_INCIDENT_SCOPE("i", "p", "u", "$3", "$4") " FOR UPDATE OF i",
  4, NULL
});

DB_STATEMENT(list, {
  "incident_list",
  "SELECT " INCIDENT_COLS INCIDENT_FROM "WHERE i.commission_id = $1 AND " SQL_INCIDENT_SCOPE("i", "p", "u", "$2", "$3")
  " AND ($4::text IS NULL OR i.status = $4) AND ($5::uuid IS NULL OR i.placement_id = $5::uuid) "
  "AND ($6::text IS NULL OR (i.created_at, i.id) > ($6::timestamp AT TIME ZONE 'UTC', $7::uuid)) "
  "ORDER BY i.created_at, i.id LIMIT $8::integer",
  8, NULL
});

DB_STATEMENT(set_status, {
  "incident_set_status",
  "UPDATE incidents SET status = $3, acknowledged_at = coalesce(acknowledged_at, now()), "
  "closed_at = CASE WHEN $3 = 'closed' THEN now() ELSE closed_at END, "
  "closing_note = CASE WHEN $3 = 'closed' THEN $4 ELSE closing_note END, version = version + 1, updated_at = now() "
  "WHERE commission_id = $1 AND id = $2",
  4, NULL
});

enum db_status db_incident_insert(struct db *db, const char *const f[8], PGresult **res) {
  return db_exec(db, &insert, f, res);
}

enum db_status db_incident_get(struct db *db, const char *commission_id, const char *id, const struct access *scope,
                               bool for_update, PGresult **res) {
  const char *params[] = {commission_id, id, access_scope_param(scope), access_org_param(scope)};
  return db_exec(db, for_update ? &get_for_update : &get, params, res);
}

enum db_status db_incident_list(struct db *db, const char *commission_id, const struct access *scope,
                                const char *status, const char *placement_id, const char *after_key,
                                const char *after_id, const char *limit, PGresult **res) {
  const char *params[] = {commission_id, access_scope_param(scope), access_org_param(scope), status, placement_id,
                          after_key, after_id, limit};
  return db_exec(db, &list, params, res);
}

enum db_status db_incident_set_status(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *note) {
  const char *params[] = {commission_id, id, status, note};
  PGresult *res;
  enum db_status s = db_exec(db, &set_status, params, &res);
  PQclear(res);
  return s;
}
