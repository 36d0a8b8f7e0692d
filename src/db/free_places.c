/* The places free today per unit kind (GET /v1/units/free-places): an aggregate of the units a token sees, no
 * person and no unit named. The same count as the units list's `status=vacant`: the units available or occupied
 * (not out of service, not withdrawn), each with its places not taken today (UTC). */
#include "free_places.h"
#include "queries.h"

#define FREE_PLACES(P) P(commission_id) P(scope) P(org)
DB_STATEMENT(free_places, {
  "units_free_places",
  "WITH u AS (SELECT u.kind, u.places, " UNIT_OCCUPIED " AS occupied FROM units u "
  "WHERE u.commission_id = :commission_id AND " SQL_LANDLORD_SCOPE("u.landlord_org_id", ":scope", ":org")
  " AND u.status IN ('available', 'occupied')) "
  "SELECT " DB_COLUMNS(FREE_PLACES_ROW) " FROM (VALUES (1, 'hlm_apartment'), (2, 'foyer_place'), "
  "(3, 'transitional_place'), (4, 'residence_place')) k(ord, key) LEFT JOIN u ON u.kind = k.key "
  "GROUP BY GROUPING SETS ((k.ord, k.key), ()) ORDER BY k.ord NULLS LAST",
  DB_PARAMS(FREE_PLACES)
});
DB_PARAMS_STRUCT(free_places_params, FREE_PLACES);

enum db_status db_units_free_places(struct db *db, const char *commission_id, const char *scope, const char *org,
                                    PGresult **res) {
  struct free_places_params p = {.commission_id = commission_id, .scope = scope, .org = org};
  return db_run(db, &free_places, &p, res);
}
