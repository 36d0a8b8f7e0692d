/* Choosing a representation for a request: one helper for every handler that serves more than one (or that must
 * refuse an Accept it cannot satisfy), so that `?format=` and Accept's q-values mean the same everywhere. */
#ifndef COMMISSIOND_NEGOTIATE_H
#define COMMISSIOND_NEGOTIATE_H

#include <stddef.h>

#include "http.h"

/* A representation a route serves: its name for `?format=` ("json", "html", "csv") and its media type. */
struct representation {
  const char *format;
  const char *media_type;
};

/* Which of OFFERS (N <= ACCEPT_MAX_OFFERS; the first is the default) RQ asks for: the one `?format=` names when the
 * query has it (a link cannot set Accept), else the Accept header's choice (accept_choose(): q-values, the most
 * specific range). Returns its index; -1 once a 406 not-acceptable is queued in *RET, naming `query:format` or
 * `header:Accept` and the formats there are. */
int negotiate(struct request *rq, const struct representation *offers, size_t n, enum MHD_Result *ret);

#endif
