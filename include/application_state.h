/* The application (demande) state machine: which transitions are legal, and by which path. Pure rules, no I/O.
 *
 *   draft ─submit─▶ submitted ─agenda─▶ scheduled ─decision─▶ approved ─placement─▶ placed
 *                       ▲                  │  │  └─decision─▶ refused          └─delay─▶ lapsed
 *                       └──off the agenda──┘  └──decision──▶ deferred ─agenda─▶ scheduled
 *   any open state (draft, submitted, scheduled, deferred, approved) ─withdraw─▶ withdrawn
 *
 * The coordinator can force any transition, with a mandatory reason, visible in the history. */
#ifndef COMMISSIOND_APPLICATION_STATE_H
#define COMMISSIOND_APPLICATION_STATE_H

#include <stdbool.h>
#include <stddef.h>

enum app_status {
  APP_INVALID = -1,
  APP_DRAFT,
  APP_SUBMITTED,
  APP_SCHEDULED,
  APP_APPROVED,
  APP_REFUSED,
  APP_DEFERRED,
  APP_PLACED,
  APP_WITHDRAWN,
  APP_LAPSED,
};

/* What causes a transition. */
enum app_path {
  PATH_CLIENT,    /* POST /v1/applications/{id}/transitions by someone who may act on the application */
  PATH_AGENDA,    /* put on, or taken off, a session's agenda */
  PATH_DECISION,  /* a session's decision */
  PATH_PLACEMENT, /* a placement starts */
  PATH_DELAY,     /* the approval lapsed */
};

enum app_status app_status_parse(const char *name);
const char *app_status_name(enum app_status status);
/* True for the states an application can still move on from (withdrawable). */
bool app_status_open(enum app_status status);
/* True when FROM → TO is legal through PATH (forcing aside). */
bool app_transition_legal(enum app_status from, enum app_status to, enum app_path path);
/* A list filter's statuses: TEXT is comma-separated statuses, where "waiting" stands for the waiting list
 * (submitted and deferred: a deferred application waits for a later session); no empty item. On success writes
 * the statuses, each once, as a PostgreSQL array literal ("{submitted,deferred}") into OUT (N bytes) and returns
 * true; false for anything else. */
bool app_status_list_parse(const char *text, char *out, size_t n);
/* The status a decision outcome ("approve", "refuse", "defer") leads to; APP_INVALID when unknown. */
enum app_status app_status_after_decision(const char *outcome);

#endif
