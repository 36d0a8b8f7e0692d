/* The places free per unit kind (src/db/free_places.c, src/api/free_places.c): an aggregate, no names. */
#ifndef COMMISSIOND_FREE_PLACES_H
#define COMMISSIOND_FREE_PLACES_H

#include "db.h"

/* One row per kind (hlm_apartment, foyer_place, transitional_place, residence_place), then the total (kind NULL):
 * the units offering places (available or occupied), their places, those taken today, those free today. */
#define FREE_PLACES_ROW(FIRST, NEXT)                                                                           \
  FIRST(kind, "k.key") NEXT(units, "count(u.kind)") NEXT(places, "coalesce(sum(u.places), 0)")                  \
  NEXT(occupied, "coalesce(sum(u.occupied), 0)")                                                               \
  NEXT(free, "coalesce(sum(greatest(u.places - u.occupied, 0)), 0)") NEXT(today, SQL_TODAY_TEXT)
#define SQL_TODAY_TEXT "to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD')"
DB_ROW_STRUCT(free_places_row, FREE_PLACES_ROW);
/* SCOPE / ORG: access_scope_param() / access_org_param() of the caller's access to units (a landlord: its own). */
enum db_status db_units_free_places(struct db *db, const char *commission_id, const char *scope, const char *org,
                                    PGresult **res);

#endif
