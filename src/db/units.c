/* Queries on the commission's units (apartments and places) and their status history. Reads take the scope
 * (:scope, :org: access_scope_param() / access_org_param()): a landlord's token sees its own units only. */
#include <stdbool.h>
#include <string.h>

#include "queries.h"

/* The unit and its first status, recorded in the same statement. */
#define UNIT_INSERT(P)                                                                                         \
  P(commission_id) P(kind) P(label) P(address) P(town) P(landlord_org_id) P(places) P(rent_cents)             \
  P(charges_cents) P(deposit_cents) P(currency) P(status) P(token_id) P(co_owned)
DB_STATEMENT(insert, {"unit_insert",
                      "WITH u AS (INSERT INTO units (commission_id, kind, label, address, town, landlord_org_id, "
                      "places, rent_cents, charges_cents, deposit_cents, currency, status, co_owned) VALUES (:commission_id, "
                      ":kind, :label, :address, :town, :landlord_org_id::uuid, :places::integer, :rent_cents::bigint, "
                      ":charges_cents::bigint, :deposit_cents::bigint, coalesce(:currency, 'EUR'), "
                      "coalesce(:status, 'available'), :co_owned::boolean) RETURNING *), "
                      "h AS (INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, "
                      "token_id) SELECT commission_id, id, NULL, status, :token_id::uuid FROM u) "
                      "SELECT " DB_COLUMNS(UNIT_ROW) " FROM u",
                      DB_PARAMS(UNIT_INSERT)});
DB_PARAMS_STRUCT(unit_insert_params, UNIT_INSERT);

#define UNIT_GET(P) P(commission_id) P(id) P(scope) P(org)
DB_STATEMENT(get, {"unit_get",
                   "SELECT " DB_COLUMNS(UNIT_ROW) " FROM units u WHERE u.commission_id = :commission_id "
                   "AND u.id = :id AND " SQL_LANDLORD_SCOPE("u.landlord_org_id", ":scope", ":org"),
                   DB_PARAMS(UNIT_GET)});
DB_STATEMENT(get_for_update, {"unit_get_for_update",
                              "SELECT " DB_COLUMNS(UNIT_ROW) " FROM units u WHERE u.commission_id = :commission_id "
                              "AND u.id = :id AND " SQL_LANDLORD_SCOPE("u.landlord_org_id", ":scope", ":org")
                              " FOR UPDATE",
                              DB_PARAMS(UNIT_GET)});
DB_PARAMS_STRUCT(unit_get_params, UNIT_GET);

#define UNIT_UPDATE(P)                                                                                         \
  P(commission_id) P(id) P(label) P(address) P(town) P(places) P(rent_cents) P(charges_cents) P(deposit_cents) \
  P(status) P(co_owned)
DB_STATEMENT(update, {"unit_update",
                      "UPDATE units u SET label = :label, address = :address, town = :town, "
                      "places = :places::integer, rent_cents = :rent_cents::bigint, "
                      "charges_cents = :charges_cents::bigint, deposit_cents = :deposit_cents::bigint, "
                      "status = :status, co_owned = :co_owned::boolean, version = version + 1, updated_at = now() "
                      "WHERE u.commission_id = :commission_id AND u.id = :id RETURNING " DB_COLUMNS(UNIT_ROW),
                      DB_PARAMS(UNIT_UPDATE)});
DB_PARAMS_STRUCT(unit_update_params, UNIT_UPDATE);

#define UNIT_STATUS_CHANGE(P) P(commission_id) P(unit_id) P(from_status) P(to_status) P(reason) P(token_id)
DB_STATEMENT(status_change, {"unit_status_change_insert",
                             "INSERT INTO unit_status_changes (commission_id, unit_id, from_status, to_status, "
                             "reason, token_id) VALUES (:commission_id, :unit_id, :from_status, :to_status, :reason, "
                             ":token_id::uuid)",
                             DB_PARAMS(UNIT_STATUS_CHANGE)});
DB_PARAMS_STRUCT(unit_status_change_params, UNIT_STATUS_CHANGE);

/* A page of units in the order (town, label, id) as a keyset page (SQL_KEYSET_PAGE), by a statement of its shape:
 * its leading filter (the commission, or one landlord's units: the caller's own when it is a landlord, else the
 * landlord asked for), whether it asks for one kind and for one town (equalities on the index's columns after the
 * lead, migrations/0047 for the kind: the walk reads that kind's and town's units alone, where a filter on the rows
 * would read every unit of the other kinds and towns ahead of them in the order) and whether it lists the vacant
 * units, which walk the periods kept by migrations/0035 (unit_vacancies: the units in service with a free place,
 * with the list's columns) instead of counting every unit's stays of today. A page's other filters (status,
 * scope) are tested on the rows of its index;
 * a vacant page also skips the periods that do not hold today (a period ahead, or one ended since). The cursor is
 * always given (the first page's is the lowest key). The page is then joined, row by row, to its units. */
#define UNIT_LIST(P)                                                                                           \
  P(commission_id) P(scope) P(org) P(status) P(kind) P(town) P(landlord_org_id) P(after_town) P(after_label)  \
  P(after_id) P(limit)
#define UNIT_LANDLORD(T) "AND " T ".landlord_org_id = :landlord_org_id::uuid "
#define UNIT_OWN_LANDLORD(T) "AND " T ".landlord_org_id = :org::uuid "
#define UNIT_ALL(T) ""
#define UNIT_TOWN(T) "AND " T ".town = :town "
#define UNIT_KIND(T) "AND " T ".kind = :kind "
#define UNIT_KIND_TOWN(T) UNIT_KIND(T) UNIT_TOWN(T)
#define UNIT_ROWS(FROM, T, ID, LEAD, COND)                                                                     \
  "SELECT " T ".* FROM " FROM " " T " WHERE " T ".commission_id = :commission_id " LEAD COND                    \
  " AND " SQL_UNESTIMATED(SQL_LANDLORD_SCOPE(T ".landlord_org_id", ":scope", ":org") " AND (:kind::text IS NULL " \
  "OR " T ".kind = :kind) AND (:town::text IS NULL OR " T ".town = :town) AND (:landlord_org_id::uuid IS NULL " \
  "OR " T ".landlord_org_id = :landlord_org_id::uuid)") " AND (" T ".town, " T ".label, " T "." ID ") > "       \
  "(:after_town, :after_label, :after_id::uuid) ORDER BY " T ".town, " T ".label, " T "." ID
#define UNIT_WALK_SQL(FROM, T, ID, LEAD, COND)                                                                 \
  "SELECT " DB_COLUMNS(UNIT_ROW) " FROM " SQL_KEYSET_PAGE(UNIT_ROWS(FROM, T, ID, LEAD, COND)) " w"              \
  SQL_PAGE_JOIN("units", "u", "w", "unit_id")                                                                  \
  "ORDER BY u.town, u.label, u.id"
/* The units' own walk names its key unit_id too, as the periods' does. */
#define UNIT_LIST_SQL(LEAD, FILTER)                                                                            \
  UNIT_WALK_SQL("(SELECT *, id AS unit_id FROM units)", "u", "unit_id", LEAD("u") FILTER("u"),                 \
                "AND " SQL_UNESTIMATED(":status::text IS NULL OR u.status = :status"))
#define UNIT_VACANT_SQL(LEAD, FILTER)                                                                          \
  UNIT_WALK_SQL("unit_vacancies", "v", "unit_id", LEAD("v") FILTER("v"),                                       \
                "AND :status::text = 'vacant' AND v.free_from <= current_date AND (v.free_until IS NULL OR "     \
                "v.free_until > current_date)")
/* Each walk (SQL: UNIT_LIST_SQL or UNIT_VACANT_SQL) by its lead (all, ?landlord_org_id=, a landlord's own), for
 * one shape of FILTER (none, ?town=, ?kind=, both; SUFFIX names it). */
#define UNIT_LIST_STATEMENT(NAME, SQL, LEAD, FILTER)                                                           \
  DB_STATEMENT(NAME, {"unit_" #NAME, SQL(LEAD, FILTER), DB_PARAMS(UNIT_LIST), .generic_plan = true})
#define UNIT_LISTS(NAME, SQL, SUFFIX, FILTER)                                                                  \
  UNIT_LIST_STATEMENT(NAME##SUFFIX, SQL, UNIT_ALL, FILTER);                                                    \
  UNIT_LIST_STATEMENT(NAME##_landlord##SUFFIX, SQL, UNIT_LANDLORD, FILTER);                                    \
  UNIT_LIST_STATEMENT(NAME##_own_landlord##SUFFIX, SQL, UNIT_OWN_LANDLORD, FILTER)
UNIT_LISTS(list, UNIT_LIST_SQL, , UNIT_ALL);
UNIT_LISTS(list, UNIT_LIST_SQL, _town, UNIT_TOWN);
UNIT_LISTS(list, UNIT_LIST_SQL, _kind, UNIT_KIND);
UNIT_LISTS(list, UNIT_LIST_SQL, _kind_town, UNIT_KIND_TOWN);
UNIT_LISTS(list_vacant, UNIT_VACANT_SQL, , UNIT_ALL);
UNIT_LISTS(list_vacant, UNIT_VACANT_SQL, _town, UNIT_TOWN);
UNIT_LISTS(list_vacant, UNIT_VACANT_SQL, _kind, UNIT_KIND);
UNIT_LISTS(list_vacant, UNIT_VACANT_SQL, _kind_town, UNIT_KIND_TOWN);
DB_PARAMS_STRUCT(unit_list_params, UNIT_LIST);

/* The unit (in scope) joined with its changes, oldest first; no row when the unit is not visible. */
DB_STATEMENT(history, {"unit_history",
                       "SELECT " DB_COLUMNS(UNIT_CHANGE_ROW) " FROM units u "
                       "LEFT JOIN unit_status_changes c ON c.commission_id = u.commission_id AND c.unit_id = u.id "
                       "WHERE u.commission_id = :commission_id AND u.id = :id AND "
                       SQL_LANDLORD_SCOPE("u.landlord_org_id", ":scope", ":org") " ORDER BY c.at, c.id",
                       DB_PARAMS(UNIT_GET)});

enum db_status db_unit_insert(struct db *db, const char *commission_id, const struct unit_fields *f,
                              const char *token_id, PGresult **res) {
  struct unit_insert_params p = {.commission_id = commission_id, .kind = f->kind, .label = f->label,
                                 .address = f->address, .town = f->town, .landlord_org_id = f->landlord_org_id,
                                 .places = f->places, .rent_cents = f->rent_cents, .charges_cents = f->charges_cents,
                                 .deposit_cents = f->deposit_cents, .currency = f->currency, .status = f->status,
                                 .token_id = token_id, .co_owned = f->co_owned};
  return db_run(db, &insert, &p, res);
}

enum db_status db_unit_get(struct db *db, const char *commission_id, const char *scope, const char *org,
                           const char *id, bool for_update, PGresult **res) {
  struct unit_get_params p = {.commission_id = commission_id, .id = id, .scope = scope, .org = org};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_unit_update(struct db *db, const char *commission_id, const char *id, const struct unit_fields *f,
                              PGresult **res) {
  struct unit_update_params p = {.commission_id = commission_id, .id = id, .label = f->label, .address = f->address,
                                 .town = f->town, .places = f->places, .rent_cents = f->rent_cents,
                                 .charges_cents = f->charges_cents, .deposit_cents = f->deposit_cents,
                                 .status = f->status, .co_owned = f->co_owned};
  return db_run(db, &update, &p, res);
}

enum db_status db_unit_status_change(struct db *db, const char *commission_id, const char *unit_id,
                                     const char *from, const char *to, const char *reason, const char *token_id) {
  struct unit_status_change_params p = {.commission_id = commission_id, .unit_id = unit_id, .from_status = from,
                                        .to_status = to, .reason = reason, .token_id = token_id};
  PGresult *res;
  enum db_status s = db_run(db, &status_change, &p, &res);
  PQclear(res);
  return s;
}

enum db_status db_unit_list(struct db *db, const char *commission_id, const char *scope, const char *org,
                            const struct unit_filters *f, const char *const after[3], const char *limit,
                            PGresult **res) {
  bool first = after[0] == NULL;
  struct unit_list_params p = {.commission_id = commission_id, .scope = scope, .org = org, .status = f->status,
                               .kind = f->kind, .town = f->town, .landlord_org_id = f->landlord_org_id,
                               .after_town = first ? DB_FIRST_TEXT : after[0],
                               .after_label = first ? DB_FIRST_TEXT : after[1],
                               .after_id = first ? DB_FIRST_ID : after[2], .limit = limit};
  /* the landlord asked for (whose rows the scope predicate still checks), else the caller's own, else all */
  int lead = f->landlord_org_id != NULL ? 1 : strcmp(scope, "landlord") == 0 ? 2 : 0;
  bool vacant = f->status != NULL && strcmp(f->status, "vacant") == 0;
  int filter = (f->town != NULL ? 1 : 0) + (f->kind != NULL ? 2 : 0);
  static const struct db_statement *const lists[2][4][3] = {
    {{&list, &list_landlord, &list_own_landlord},
     {&list_town, &list_landlord_town, &list_own_landlord_town},
     {&list_kind, &list_landlord_kind, &list_own_landlord_kind},
     {&list_kind_town, &list_landlord_kind_town, &list_own_landlord_kind_town}},
    {{&list_vacant, &list_vacant_landlord, &list_vacant_own_landlord},
     {&list_vacant_town, &list_vacant_landlord_town, &list_vacant_own_landlord_town},
     {&list_vacant_kind, &list_vacant_landlord_kind, &list_vacant_own_landlord_kind},
     {&list_vacant_kind_town, &list_vacant_landlord_kind_town, &list_vacant_own_landlord_kind_town}}};
  return db_run(db, lists[vacant][filter][lead], &p, res);
}

enum db_status db_unit_history(struct db *db, const char *commission_id, const char *scope, const char *org,
                               const char *id, PGresult **res) {
  struct unit_get_params p = {.commission_id = commission_id, .id = id, .scope = scope, .org = org};
  return db_run(db, &history, &p, res);
}
