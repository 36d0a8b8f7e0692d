/* What the placement and deposit handlers share. */
#ifndef COMMISSIOND_PLACEMENTS_H
#define COMMISSIOND_PLACEMENTS_H

#include <libpq-fe.h>

#include "http.h"
#include "principal.h"

/* Row ROW of a db_placement_*() result as the API's Placement as READER's role may see it: a landlord gets
 * names, unit and dates only; a curator no exit comment and no health-related exit reason. */
json_t *placement_json(const PGresult *res, int row, enum role reader);

#endif
