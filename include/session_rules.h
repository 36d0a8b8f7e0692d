/* The rules of a session's life and of its decisions: what a session's status allows, what a decision's members
 * must agree on, which unit a decision may name, which decision may be corrected. Pure rules, no I/O
 * (src/domain/session_rules.c); which application status an outcome leads to is app_status_after_decision(). */
#ifndef COMMISSIOND_SESSION_RULES_H
#define COMMISSIOND_SESSION_RULES_H

#include <stdbool.h>

#include "application_state.h"

/*   planned ─open─▶ open ─close─▶ closed (frozen: only corrections of its decisions)
 *   planned ─cancel─▶ cancelled (never held: nothing more happens to it) */
enum session_status { SESSION_INVALID = -1, SESSION_PLANNED, SESSION_OPEN, SESSION_CLOSED, SESSION_CANCELLED };

/* What the coordinator does with a session. */
enum session_work {
  WORK_EDIT,    /* change its date, place, chair; record its attendance */
  WORK_AGENDA,  /* build the agenda, add, reorder, annotate or remove an item */
  WORK_DECIDE,  /* record a decision */
  WORK_CORRECT, /* correct a decision */
  WORK_OPEN,    /* planned → open */
  WORK_CLOSE,   /* open → closed */
  WORK_CANCEL,  /* planned → cancelled */
};

enum session_status session_status_parse(const char *name);
/* True when a session in STATUS allows WORK. */
bool session_allows(enum session_status status, enum session_work work);

/* A session opens on its date or later (TODAY: YYYY-MM-DD, UTC): the session's date is the date of its acts, so
 * a session held on the 17th and typed in on the 31st opens on the 31st, but none opens before its day. */
bool session_opens_on(const char *session_date, const char *today);

/* The date of a session in STATUS may change from STORED to SENT: freely while it is planned; once it is open or
 * closed, its decisions carry it, so it is fixed (sending the same date is no change). */
bool session_date_changeable(enum session_status status, const char *stored, const char *sent);

/* A decision's members must agree: a refusal reason exactly when OUTCOME refuses, a unit only when it approves.
 * NULL when they do; otherwise the member at fault (a JSON pointer) and, in *REASON, why. */
const char *decision_members_check(const char *outcome, bool has_refusal_reason, bool has_unit, const char **reason);

/* A unit a decision may name: in service (STATUS available or occupied). */
bool unit_in_service(const char *status);

/* A decision of OUTCOME can be corrected while it stands (not corrected yet) and its application is still where
 * it put it (CURRENT). */
bool decision_correctable(const char *outcome, bool standing, enum app_status current);

#endif
