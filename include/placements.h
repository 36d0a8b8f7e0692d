/* What the placement handlers share with others. */
#ifndef COMMISSIOND_PLACEMENTS_H
#define COMMISSIOND_PLACEMENTS_H

#include <jansson.h>

#include "principal.h"

struct placement_row;

/* A placement row (PLACEMENT_ROW, include/queries.h) as the API's Placement as READER's role may see it: a landlord
 * gets names, unit and dates only; a curator no exit comment and no health-related exit reason. NULL when it
 * cannot be built. */
json_t *placement_json(const struct placement_row *r, enum role reader);

#endif
