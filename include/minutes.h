/* The procès-verbal of a session: its document model (JSON, built from the agenda rows), what a reader may see of
 * it, and its printable French page. src/api/minutes.c builds and serves it; src/api/minutes_html.c renders it. */
#ifndef COMMISSIOND_MINUTES_H
#define COMMISSIOND_MINUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "db.h"

struct db;
struct request;
struct session_row;

/* The document model of the session SESSION (its row, read on DB, in a transaction or not): the commission, the
 * session, its attendance, every agenda line numbered 1..n in agenda order (whole: nothing hidden), the counts
 * and the days its decisions were recorded; *FLAGS what RQ's reader may see of each line ({item_id: [person,
 * placement, incident]}). The caller owns both. */
enum db_status minutes_model(struct db *db, struct request *rq, const struct session_row *session, json_t **model,
                             json_t **flags);
/* What a reader sees of MODEL: a copy with each line hidden as FLAGS say (minutes_line_redact()) and the
 * `decisions` member (the decided applications); NULL when out of memory. */
json_t *minutes_for_reader(json_t *model, json_t *flags);

/* In the closing transaction: renders the minutes of SESSION (just closed, read on DB) once, and stores the model,
 * the page and the BLAKE2b-256 hash of both (session_minutes). RQ is the closing coordinator's (who sees every
 * line). */
enum db_status minutes_seal(struct db *db, struct request *rq, const struct session_row *session);
/* In the transaction of a correction of decision DECISION_ID on agenda item ITEM_ID of SESSION, just recorded:
 * when the session's minutes are sealed, seals the next annex of corrections (the decision BEFORE, the whole model
 * read before the correction, held for the item; the decision now; why, when, and the label of the token that
 * corrects), stored with its hash, which enters the audit chain. DB_ROW also when there is nothing to annex. */
enum db_status minutes_annex_seal(struct db *db, struct request *rq, const struct session_row *session,
                                  json_t *before, const char *item_id, const char *decision_id);

/* The printable page (HTML5, French, A4 print CSS) of MINUTES, the document model of minutes_model(): malloc'ed,
 * *LEN its length; NULL when out of memory. ANNEXES (an array of annex models, possibly empty, or NULL) are
 * printed after the signature block, each as a sealed annex of corrections. The same model always gives the same
 * bytes. */
char *minutes_html(json_t *minutes, json_t *annexes, size_t *len);

/* The HTML of one annex of corrections (a <section>), as sealed and served after the minutes; malloc'ed, NULL
 * when out of memory. */
char *minutes_annex_html(json_t *annex, size_t *len);

/* What a reader may see of line LINE of the model (in place): a person the reader may not see becomes
 * "Dossier n° N" (and the decision's id, comment and the corrected decision's id are removed), a placement or an
 * incident the reader may not see is removed with its person. */
void minutes_line_redact(json_t *line, bool person_visible, bool placement_visible, bool incident_visible);

#endif
