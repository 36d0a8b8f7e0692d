/* Queries on applications (demandes) and their history. Every read joins the person, so that the scope
 * predicate on people is the one that decides which applications a token sees. */
#include <stdbool.h>
#include <string.h>

#include "queries.h"

#define APP_FROM                                                                                                 \
  " FROM applications a JOIN people p ON p.commission_id = a.commission_id AND p.id = a.person_id "

#define APP_INSERT(P)                                                                                            \
  P(commission_id) P(person_id) P(scope) P(org) P(situation) P(wished_unit_kinds) P(wished_towns) P(urgency)      \
  P(referent_name) P(status) P(token_id) P(role)
DB_STATEMENT(insert, {
  "application_insert",
  "INSERT INTO applications (commission_id, person_id, situation, wished_unit_kinds, wished_towns, urgency, "
  "referent_name, status, submitted_at, created_by_token_id, created_by_role) "
  "SELECT :commission_id, p.id, :situation, ARRAY(SELECT jsonb_array_elements_text(:wished_unit_kinds::jsonb)), "
  "ARRAY(SELECT jsonb_array_elements_text(:wished_towns::jsonb)), :urgency, :referent_name, :status, "
  "CASE WHEN :status = 'submitted' THEN now() END, :token_id, :role FROM people p "
  "WHERE p.commission_id = :commission_id AND p.id = :person_id AND " SQL_PERSON_SCOPE("p", ":scope", ":org")
  " RETURNING " DB_COLUMNS(CREATED_ID_ROW),
  DB_PARAMS(APP_INSERT)
});
DB_PARAMS_STRUCT(app_insert_params, APP_INSERT);

#define APP_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {
  "application_get",
  "SELECT " DB_COLUMNS(APPLICATION_ROW) APP_FROM "WHERE a.commission_id = :commission_id AND a.id = :id AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org"),
  DB_PARAMS(APP_GET)
});
DB_STATEMENT(get_for_update, {
  "application_get_for_update",
  "SELECT " DB_COLUMNS(APPLICATION_ROW) APP_FROM "WHERE a.commission_id = :commission_id AND a.id = :id AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org") " FOR UPDATE OF a",
  DB_PARAMS(APP_GET)
});
DB_PARAMS_STRUCT(app_get_params, APP_GET);

/* The waiting list: oldest submission first. STATUSES is an array literal; REFERENT a part of the referent's name
 * (any case); UNIT_KIND one of the kinds wished; TOWN one of the towns wished (any case). The page is a keyset page
 * (SQL_KEYSET_PAGE) of the applications alone, by a statement of its shape: its leading filter (COND:
 * the whole commission, or the caller's care team or curator, read from the application's own copy of its
 * person's, migrations/0024) and its statuses written out, so that even a generic plan sees the list's index and no
 * "parameter IS NULL OR" guess hides it; when every status asked is an open one (the waiting list and the agenda's
 * candidates), the literal IN lets it use a partial index of open applications (migrations/0020, 0024), whose size
 * does not grow with the commission's history. A search by wished kind or town reads the wish rows of that kind or
 * town (below). One person's applications, and a search by referent alone, take the statement that tests every
 * filter on the rows of its leading index (the person's, or the commission's: a search by referent reads the
 * applications it skips). The page is then joined, row by row, to its people,
 * where every filter is checked again (each statement names every parameter). The cursor is always
 * given (the first page's is the lowest key). */
#define APP_LIST(P)                                                                                              \
  P(commission_id) P(scope) P(org) P(statuses) P(person_id) P(referent) P(unit_kind) P(town) P(after_key)       \
  P(after_id) P(limit)
#define APP_FILTERS                                                                                              \
  "(:statuses::text[] IS NULL OR a.status = ANY (:statuses::text[])) AND (:person_id::uuid IS NULL OR "           \
  "a.person_id = :person_id::uuid) "                                                                             \
  "AND (:referent::text IS NULL OR strpos(lower(a.referent_name), lower(:referent)) > 0) "                       \
  "AND (:unit_kind::text IS NULL OR :unit_kind = ANY (a.wished_unit_kinds)) "                                    \
  "AND (:town::text IS NULL OR EXISTS (SELECT 1 FROM unnest(a.wished_towns) w(town) "                            \
  "WHERE lower(w.town) = lower(:town))) AND (:scope = 'all' OR (:scope = 'care_team' AND a.care_team_id = "       \
  ":org::uuid) OR (:scope = 'curator' AND a.curator_org_id = :org::uuid))"
#define APP_ROWS(COND)                                                                                           \
  "SELECT a.* FROM applications a WHERE a.commission_id = :commission_id " COND                                  \
  " AND (a.queued_at, a.id) > (:after_key::timestamp AT TIME ZONE 'UTC', :after_id::uuid) "                      \
  "ORDER BY a.queued_at, a.id"
#define APP_PAGE_SQL(ROWS)                                                                                       \
  "SELECT " DB_COLUMNS(APPLICATION_ROW) " FROM " SQL_KEYSET_PAGE(ROWS) " a"                                      \
  SQL_PAGE_JOIN("people", "p", "a", "person_id") "WHERE " APP_FILTERS " AND " SQL_PERSON_SCOPE("p", ":scope", ":org") \
  " ORDER BY a.queued_at, a.id"
#define APP_LIST_SQL(COND) APP_PAGE_SQL(APP_ROWS(COND))
#define APP_STATUSES "AND " SQL_UNESTIMATED("a.status = ANY (:statuses::text[])") " "
#define APP_OPEN "AND a.status IN ('submitted', 'scheduled', 'deferred', 'approved') "
#define APP_WAITING "AND a.status IN ('submitted', 'deferred') "
/* A leading filter's four statements: VAR (any status), VAR_statuses, VAR_open (statuses all open) and
 * VAR_waiting (statuses all waiting: the waiting list's own index, migrations/0026, which skips no approved or
 * scheduled application). Each runs its generic plan from the first call: its scan is the same whatever the
 * parameters, but on a database of many commissions PostgreSQL estimated its custom plans a little cheaper and
 * kept planning the statement at every call (bench/run --scale large: 1.6 ms of planning for a 0.8 ms page). */
#define APP_LIST_STATEMENTS(var, name, COND)                                                                     \
  DB_STATEMENT(var, {name, APP_LIST_SQL(COND), DB_PARAMS(APP_LIST), .generic_plan = true});                     \
  DB_STATEMENT(var##_statuses, {name "_statuses", APP_LIST_SQL(COND APP_STATUSES), DB_PARAMS(APP_LIST),         \
                                .generic_plan = true});                                                          \
  DB_STATEMENT(var##_open, {name "_open", APP_LIST_SQL(COND APP_STATUSES APP_OPEN), DB_PARAMS(APP_LIST),        \
                            .generic_plan = true});                                                              \
  DB_STATEMENT(var##_waiting, {name "_waiting", APP_LIST_SQL(COND APP_STATUSES APP_WAITING), DB_PARAMS(APP_LIST), \
                               .generic_plan = true})
APP_LIST_STATEMENTS(list, "application_list", "");
APP_LIST_STATEMENTS(list_care_team, "application_list_care_team", "AND a.care_team_id = :org::uuid ");
APP_LIST_STATEMENTS(list_curator, "application_list_curator", "AND a.curator_org_id = :org::uuid ");
#define APP_FILTERED SQL_UNESTIMATED(APP_FILTERS)
DB_STATEMENT(list_person, {"application_list_person",
                           APP_LIST_SQL("AND a.person_id = :person_id::uuid AND " APP_FILTERED), DB_PARAMS(APP_LIST)});
DB_STATEMENT(list_search, {"application_list_search", APP_LIST_SQL("AND " APP_FILTERED), DB_PARAMS(APP_LIST)});
DB_STATEMENT(list_search_open, {"application_list_search_open", APP_LIST_SQL(APP_OPEN "AND " APP_FILTERED),
                                DB_PARAMS(APP_LIST)});
/* A search by a wished unit kind or town: a range of the application's wish rows (migrations/0053) for that wish,
 * under the leading filter LEAD (on w: the commission, or a care team's or a curator's), in the list's order, from
 * TABLE: every application's wishes, or the open applications' alone (the statuses asked all open); each
 * application joined by key and every filter tested on it (a page skips only applications of that wish that other
 * filters leave out). With both a kind and a town, the town leads. */
#define APP_WISH_ROWS(TABLE, LEAD, WISH, VALUE)                                                                 \
  "SELECT a.* FROM " TABLE " w" SQL_PAGE_JOIN("applications", "a", "w", "application_id")                       \
  "WHERE w.commission_id = :commission_id AND w.wish = '" WISH "' AND w.value = " VALUE " " LEAD                 \
  "AND (w.queued_at, w.application_id) > (:after_key::timestamp AT TIME ZONE 'UTC', :after_id::uuid) AND "      \
  APP_FILTERED " ORDER BY w.queued_at, w.application_id"
#define APP_WISH_STATEMENT(var, name, TABLE, LEAD, WISH, VALUE)                                                 \
  DB_STATEMENT(var, {name, APP_PAGE_SQL(APP_WISH_ROWS(TABLE, LEAD, WISH, VALUE)), DB_PARAMS(APP_LIST),           \
                     .generic_plan = true})
#define APP_WISH_STATEMENTS(var, name, LEAD)                                                                    \
  APP_WISH_STATEMENT(var##_kind, name "_kind", "application_wishes", LEAD, "unit_kind", ":unit_kind");          \
  APP_WISH_STATEMENT(var##_kind_open, name "_kind_open", "open_application_wishes", LEAD, "unit_kind",          \
                     ":unit_kind");                                                                              \
  APP_WISH_STATEMENT(var##_town, name "_town", "application_wishes", LEAD, "town", "lower(:town)");             \
  APP_WISH_STATEMENT(var##_town_open, name "_town_open", "open_application_wishes", LEAD, "town", "lower(:town)")
APP_WISH_STATEMENTS(wishes, "application_list_wish", "");
APP_WISH_STATEMENTS(wishes_care_team, "application_list_care_team_wish", "AND w.care_team_id = :org::uuid ");
APP_WISH_STATEMENTS(wishes_curator, "application_list_curator_wish", "AND w.curator_org_id = :org::uuid ");
/* [lead: all, care team, curator][wish: kind, town][open] */
static const struct db_statement *const wish_lists[3][2][2] = {
  {{&wishes_kind, &wishes_kind_open}, {&wishes_town, &wishes_town_open}},
  {{&wishes_care_team_kind, &wishes_care_team_kind_open}, {&wishes_care_team_town, &wishes_care_team_town_open}},
  {{&wishes_curator_kind, &wishes_curator_kind_open}, {&wishes_curator_town, &wishes_curator_town_open}},
};
/* [lead: all, care team, curator][statuses: enum statuses_kind] */
static const struct db_statement *const lists[3][4] = {
  {&list, &list_statuses, &list_open, &list_waiting},
  {&list_care_team, &list_care_team_statuses, &list_care_team_open, &list_care_team_waiting},
  {&list_curator, &list_curator_statuses, &list_curator_open, &list_curator_waiting},
};
DB_PARAMS_STRUCT(app_list_params, APP_LIST);

enum statuses_kind { STATUSES_ANY, STATUSES_SOME, STATUSES_OPEN, STATUSES_WAITING };

/* Which statuses the array literal STATUSES ("{a,b}", or NULL: any) holds: only waiting ones, only open ones, or
 * others. */
static enum statuses_kind statuses_kind(const char *statuses) {
  static const char *const open[] = {"submitted", "deferred", "scheduled", "approved"}; /* the waiting ones first */
  if (statuses == NULL)
    return STATUSES_ANY;
  if (*statuses != '{')
    return STATUSES_SOME;
  bool waiting = true;
  for (const char *p = statuses + 1;; p++) {
    size_t n = strcspn(p, ",}"), i = 0;
    while (i < sizeof open / sizeof *open && !(strlen(open[i]) == n && strncmp(open[i], p, n) == 0))
      i++;
    if (i == sizeof open / sizeof *open)
      return STATUSES_SOME;
    waiting &= i < 2;
    p += n;
    if (*p != ',')
      return *p != '}' ? STATUSES_SOME : waiting ? STATUSES_WAITING : STATUSES_OPEN;
  }
}

#define APP_UPDATE(P) P(commission_id) P(id) P(situation) P(wished_unit_kinds) P(wished_towns) P(urgency) P(referent_name)
DB_STATEMENT(update, {
  "application_update",
  "UPDATE applications SET situation = :situation, "
  "wished_unit_kinds = CASE WHEN :wished_unit_kinds::jsonb IS NULL THEN wished_unit_kinds "
  "ELSE ARRAY(SELECT jsonb_array_elements_text(:wished_unit_kinds::jsonb)) END, "
  "wished_towns = CASE WHEN :wished_towns::jsonb IS NULL THEN wished_towns "
  "ELSE ARRAY(SELECT jsonb_array_elements_text(:wished_towns::jsonb)) END, urgency = :urgency, "
  "referent_name = :referent_name, version = version + 1, updated_at = now() "
  "WHERE commission_id = :commission_id AND id = :id",
  DB_PARAMS(APP_UPDATE)
});
DB_PARAMS_STRUCT(app_update_params, APP_UPDATE);

/* Moves an application from FROM to TO and records the event, in one statement; no row when it was not in
 * FROM any more (a concurrent change). */
#define APP_MOVE(P) P(commission_id) P(id) P(to) P(from) P(reason) P(forced) P(session_id) P(token_id) P(role)
DB_STATEMENT(move, {
  "application_move",
  "WITH moved AS (UPDATE applications SET status = :to, version = version + 1, updated_at = now(), "
  "submitted_at = CASE WHEN :to = 'submitted' AND submitted_at IS NULL THEN now() ELSE submitted_at END, "
  "decided_at = CASE WHEN :to IN ('approved', 'refused', 'deferred') THEN now() ELSE decided_at END, "
  "decided_on = CASE WHEN :to IN ('approved', 'refused', 'deferred') THEN coalesce((SELECT s.session_date "
  "FROM sessions s WHERE s.commission_id = :commission_id AND s.id = :session_id::uuid), "
  "(now() AT TIME ZONE 'UTC')::date) ELSE decided_on END "
  "WHERE commission_id = :commission_id AND id = :id AND status = :from RETURNING commission_id, id) "
  "INSERT INTO application_events (commission_id, application_id, from_status, to_status, reason, forced, "
  "session_id, token_id, role) SELECT commission_id, id, :from, :to, :reason, :forced::boolean, :session_id::uuid, "
  ":token_id::uuid, :role FROM moved RETURNING application_id",
  DB_PARAMS(APP_MOVE)
});
DB_PARAMS_STRUCT(app_move_params, APP_MOVE);

#define APP_CREATED_EVENT(P) P(commission_id) P(id) P(status) P(token_id) P(role)
DB_STATEMENT(created_event, {
  "application_created_event",
  "INSERT INTO application_events (commission_id, application_id, from_status, to_status, token_id, role) "
  "VALUES (:commission_id, :id, NULL, :status, :token_id, :role)",
  DB_PARAMS(APP_CREATED_EVENT)
});
DB_PARAMS_STRUCT(app_created_event_params, APP_CREATED_EVENT);

#define APP_EVENTS(P) P(commission_id) P(id)
DB_STATEMENT(events, {
  "application_events",
  "SELECT " DB_COLUMNS(APPLICATION_EVENT_ROW) " FROM application_events e WHERE e.commission_id = :commission_id "
  "AND e.application_id = :id ORDER BY e.id",
  DB_PARAMS(APP_EVENTS)
});
DB_PARAMS_STRUCT(app_events_params, APP_EVENTS);

#define APP_LAPSE(P) P(commission_id)
DB_STATEMENT(lapse, {"applications_lapse", "SELECT applications_lapse(:commission_id::uuid)", DB_PARAMS(APP_LAPSE)});
DB_PARAMS_STRUCT(app_lapse_params, APP_LAPSE);

enum db_status db_application_insert(struct db *db, const char *commission_id, const char *person_id,
                                     const struct access *scope, const struct application_fields *f,
                                     const char *token_id, const char *role, PGresult **res) {
  struct app_insert_params p = {
    .commission_id = commission_id, .person_id = person_id, .scope = access_scope_param(scope),
    .org = access_org_param(scope), .situation = f->situation, .wished_unit_kinds = f->wished_unit_kinds,
    .wished_towns = f->wished_towns, .urgency = f->urgency, .referent_name = f->referent_name, .status = f->status,
    .token_id = token_id, .role = role};
  return db_run(db, &insert, &p, res);
}

enum db_status db_application_created(struct db *db, const char *commission_id, const char *id, const char *status,
                                      const char *token_id, const char *role) {
  struct app_created_event_params p = {.commission_id = commission_id, .id = id, .status = status,
                                       .token_id = token_id, .role = role};
  PGresult *res;
  enum db_status s = db_run(db, &created_event, &p, &res);
  PQclear(res);
  return s;
}

enum db_status db_application_get(struct db *db, const char *commission_id, const char *id,
                                  const struct access *scope, bool for_update, PGresult **res) {
  struct app_get_params p = {.commission_id = commission_id, .id = id, .scope = access_scope_param(scope),
                             .org = access_org_param(scope)};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_application_list(struct db *db, const char *commission_id, const struct access *scope,
                                   const struct application_filters *f, const char *after_key,
                                   const char *after_id, const char *limit, PGresult **res) {
  struct app_list_params p = {.commission_id = commission_id, .scope = access_scope_param(scope),
                              .org = access_org_param(scope), .statuses = f->statuses, .person_id = f->person_id,
                              .referent = f->referent, .unit_kind = f->unit_kind, .town = f->town,
                              .after_key = after_key != NULL ? after_key : DB_FIRST_TIMESTAMP,
                              .after_id = after_key != NULL ? after_id : DB_FIRST_ID, .limit = limit};
  enum statuses_kind kind = statuses_kind(f->statuses);
  bool open = kind >= STATUSES_OPEN;
  if (f->person_id != NULL)
    return db_run(db, &list_person, &p, res);
  const char *org = p.org != NULL ? p.scope : "";
  int lead = strcmp(p.scope, "all") == 0 ? 0 : strcmp(org, "care_team") == 0 ? 1 : strcmp(org, "curator") == 0 ? 2 : -1;
  if (lead >= 0 && (f->unit_kind != NULL || f->town != NULL))
    return db_run(db, wish_lists[lead][f->town != NULL][open], &p, res);
  if (lead < 0 || f->referent != NULL)
    return db_run(db, open ? &list_search_open : &list_search, &p, res);
  return db_run(db, lists[lead][kind], &p, res);
}

enum db_status db_application_update(struct db *db, const char *commission_id, const char *id,
                                     const struct application_fields *f) {
  struct app_update_params p = {.commission_id = commission_id, .id = id, .situation = f->situation,
                                .wished_unit_kinds = f->wished_unit_kinds, .wished_towns = f->wished_towns,
                                .urgency = f->urgency, .referent_name = f->referent_name};
  PGresult *res;
  enum db_status s = db_run(db, &update, &p, &res);
  PQclear(res);
  return s;
}

/* The parameters of a move, made at once or sent ahead. */
static struct app_move_params move_params(const char *commission_id, const char *id, const char *from,
                                          const char *to, const char *reason, bool forced, const char *session_id,
                                          const char *token_id, const char *role) {
  return (struct app_move_params){.commission_id = commission_id, .id = id, .to = to, .from = from,
                                  .reason = reason, .forced = forced ? "t" : "f", .session_id = session_id,
                                  .token_id = token_id, .role = role};
}

enum db_status db_application_move(struct db *db, const char *commission_id, const char *id, const char *from,
                                   const char *to, const char *reason, bool forced, const char *session_id,
                                   const char *token_id, const char *role) {
  struct app_move_params p = move_params(commission_id, id, from, to, reason, forced, session_id, token_id, role);
  PGresult *res;
  enum db_status s = db_run(db, &move, &p, &res);
  PQclear(res);
  return s;
}

enum db_status db_application_move_ahead(struct db *db, const char *commission_id, const char *id, const char *from,
                                         const char *to, const char *reason, bool forced, const char *session_id,
                                         const char *token_id, const char *role, enum db_status *moved) {
  struct app_move_params p = move_params(commission_id, id, from, to, reason, forced, session_id, token_id, role);
  return db_run_ahead(db, &move, &p, moved);
}

enum db_status db_application_events(struct db *db, const char *commission_id, const char *id, PGresult **res) {
  struct app_events_params p = {.commission_id = commission_id, .id = id};
  return db_run(db, &events, &p, res);
}

enum db_status db_applications_lapse(struct db *db, const char *commission_id) {
  struct app_lapse_params p = {.commission_id = commission_id};
  PGresult *res;
  enum db_status s = db_run(db, &lapse, &p, &res);
  PQclear(res);
  return s;
}
