/* The person informed (src/db/information.c, src/api/information.c): PUT /v1/people/{id}/information. */
#ifndef COMMISSIOND_INFORMATION_H
#define COMMISSIOND_INFORMATION_H

#include "db.h"

/* The record, as the spec's PersonInformation. */
#define PERSON_INFORMATION_ROW(FIRST, NEXT)                                                                    \
  FIRST(person_id, "i.person_id") NEXT(informed_on, "to_char(i.informed_on, 'YYYY-MM-DD')")                     \
  NEXT(informed_by, "i.informed_by") NEXT(means, "i.means") NEXT(sharing_agreement, "i.sharing_agreement")      \
  NEXT(recorded_by_role, "i.recorded_by_role")                                                                  \
  NEXT(recorded_at, "to_char(i.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
DB_ROW_STRUCT(person_information_row, PERSON_INFORMATION_ROW);
struct person_information_fields {
  const char *informed_on, *informed_by, *means, *sharing_agreement;
};
/* Records (or replaces) the information of PERSON_ID, a person SCOPE / ORG see: no row otherwise. */
enum db_status db_person_information_put(struct db *db, const char *commission_id, const char *person_id,
                                         const char *scope, const char *org, const struct person_information_fields *f,
                                         const char *role, const char *token_id, PGresult **res);

#endif
