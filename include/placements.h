/* What the placement and deposit handlers share. */
#ifndef COMMISSIOND_PLACEMENTS_H
#define COMMISSIOND_PLACEMENTS_H

#include <libpq-fe.h>

#include "http.h"

/* Row ROW of a db_placement_*() result as the API's Placement; LANDLORD_VIEW keeps names, unit and dates only. */
json_t *placement_json(const PGresult *res, int row, bool landlord_view);

#endif
