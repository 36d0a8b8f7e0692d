/* What the session handlers (src/api/sessions.c, agenda.c, minutes.c) share. */
#ifndef COMMISSIOND_SESSIONS_H
#define COMMISSIOND_SESSIONS_H

#include <libpq-fe.h>

#include "http.h"

/* Row ROW of a session result as the API's Session. */
json_t *session_json(const PGresult *res, int row);
/* The agenda rows of db_agenda() as the API's agenda items; persons and situations only where the reader may
 * see them (SHOW_SITUATION: the reader's role may read situation texts at all). */
json_t *agenda_json(const PGresult *res, bool show_situation);
/* Refuses (403, queued) a role that may not change sessions. */
bool session_work_allowed(struct request *rq, enum MHD_Result *ret);

#endif
