/* /v1/webhooks: the coordinator's subscriptions to the commission's events (for the commission, or for one
 * organisation, which then hears only what a token of its role would see), their signing secrets (shown once,
 * kept sealed under the daemon's webhook key), and their delivery logs. The events themselves are recorded by the
 * database in the transaction of the change (migrations/0019) and sent by the delivery workers
 * (src/daemon/webhook_sender.c). */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "audit.h"
#include "fields.h"
#include "json_text.h"
#include "netaddr.h"
#include "params.h"
#include "queries.h"
#include "validate.h"
#include "webhook_sign.h"
#include "webhooks.h"
#include "write.h"

struct webhook_config webhook_config = {.workers = 2, .timeout_seconds = 10};

enum { F_URL, F_ORG, F_TYPES, F_DESCRIPTION, F_ACTIVE };

static const struct field_spec create_spec[] = {
  [F_URL] = {"url", FIELD_STRING, FIELD_REQUIRED, 8, 2000, NULL},
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_NULLABLE, 0, 0, NULL},
  [F_TYPES] = {"event_types", FIELD_ANY, FIELD_REQUIRED, 0, 0, NULL},
  [F_DESCRIPTION] = {"description", FIELD_STRING, FIELD_NULLABLE, 0, 500, NULL},
  [F_ACTIVE] = {"active", FIELD_BOOL, 0, 0, 0, NULL},
};
static const struct field_spec update_spec[] = {
  [F_URL] = {"url", FIELD_STRING, 0, 8, 2000, NULL},
  [F_ORG] = {"org_id", FIELD_UUID, FIELD_FIXED, 0, 0, NULL},
  [F_TYPES] = {"event_types", FIELD_ANY, 0, 0, 0, NULL},
  [F_DESCRIPTION] = {"description", FIELD_STRING, FIELD_NULLABLE, 0, 500, NULL},
  [F_ACTIVE] = {"active", FIELD_BOOL, 0, 0, 0, NULL},
};
static const struct field_spec rotate_spec[] = {
  {"overlap_seconds", FIELD_INT, 0, 0, 7 * 86400, NULL},
};

const struct body_spec webhook_create_body = {create_spec, FIELDS_COUNT(create_spec)};
const struct body_spec webhook_update_body = {update_spec, FIELDS_COUNT(update_spec)};
const struct body_spec webhook_rotate_body = {rotate_spec, FIELDS_COUNT(rotate_spec)};

static json_t *webhook_json(const struct webhook_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o}", "id", json_of_text(r->id),
                   "org_id", json_of_text(r->org_id), "url", json_of_text(r->url), "event_types",
                   json_of_json(r->event_types), "description", json_of_text(r->description), "active",
                   json_of_bool(r->active), "previous_secret_until", json_of_text(r->previous_until), "deliveries",
                   "pending", json_of_int(r->pending), "failed", json_of_int(r->failed), "version",
                   json_of_int(r->version), "created_at", json_of_text(r->created_at), "updated_at",
                   json_of_text(r->updated_at));
}

static bool webhook_out(const PGresult *res, int i, struct write_out *out) {
  struct webhook_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = webhook_json(&r);
  out->version = long_of_text(r.version);
  return out->body != NULL;
}

static json_t *delivery_json(const struct webhook_delivery_row *r) {
  return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", json_of_text(r->id),
                   "event_id", json_of_text(r->event_id), "event_type", json_of_text(r->event_type), "occurred_at",
                   json_of_text(r->occurred_at), "status", json_of_text(r->status), "attempts",
                   json_of_int(r->attempts), "next_attempt_at",
                   strcmp(r->status, "pending") == 0 ? json_of_text(r->next_attempt_at) : json_null(),
                   "last_attempt_at", json_of_text(r->last_attempt_at), "last_status_code",
                   json_of_int(r->last_status_code), "last_error", json_of_text(r->last_error), "last_latency_ms",
                   json_of_int(r->last_latency_ms), "delivered_at", json_of_text(r->delivered_at), "created_at",
                   json_of_text(r->created_at));
}

static bool delivery_out(const PGresult *res, int i, struct write_out *out) {
  struct webhook_delivery_row r;
  if (!db_row(res, i, &r))
    return false;
  out->body = delivery_json(&r);
  return out->body != NULL;
}

/* The event types sent (V, FIELD_ANY) as a JSON array text into *TYPES (malloc'ed), or a refusal in OUT. */
static bool event_types_check(const struct field_value *v, json_t *body, char **types, struct write_out *out) {
  (void)v;
  json_t *arr = json_object_get(body, "event_types");
  *types = NULL;
  if (!json_is_array(arr) || json_array_size(arr) < 1 || json_array_size(arr) > 32) {
    write_refuse_field(out, ERR_VALIDATION_FAILED, "/event_types", "must be an array of 1 to 32 event types");
    return false;
  }
  size_t i;
  json_t *t;
  json_array_foreach(arr, i, t) {
    const char *s = json_string_value(t);
    bool known = false;
    for (size_t k = 0; s != NULL && webhook_event_types[k] != NULL; k++)
      known |= strcmp(s, webhook_event_types[k]) == 0;
    for (size_t j = 0; known && j < i; j++)
      known = strcmp(s, json_string_value(json_array_get(arr, j))) != 0;
    if (!known) {
      char field[48];
      snprintf(field, sizeof field, "/event_types/%zu", i);
      write_refuse_field(out, ERR_VALIDATION_FAILED, field,
                         "must be an event type listed in the API description, each once");
      return false;
    }
  }
  *types = json_dumps(arr, JSON_COMPACT);
  return *types != NULL;
}

static bool url_ok(const char *url, struct write_out *out) {
  char why[200];
  if (webhook_url_check(url, webhook_config.allow_http, webhook_config.allow_private, why, sizeof why))
    return true;
  write_refuse_field(out, ERR_VALIDATION_FAILED, "/url", why);
  return false;
}

/* A new secret: its text for the client (TEXT) and, sealed under the webhook key, the hex the database stores. */
static void secret_make(char text[WEBHOOK_SECRET_TEXT_LEN], char box_hex[2 * WEBHOOK_BOX_BYTES + 1]) {
  unsigned char raw[WEBHOOK_SECRET_BYTES], box[WEBHOOK_BOX_BYTES];
  webhook_secret_new(raw, text);
  webhook_secret_seal(webhook_config.key, raw, box);
  sodium_bin2hex(box_hex, 2 * WEBHOOK_BOX_BYTES + 1, box, sizeof box);
  sodium_memzero(raw, sizeof raw);
}

static enum db_status not_configured(struct write_out *out) {
  return write_refuse(out, ERR_SERVICE_UNAVAILABLE,
                      "Webhooks are not configured on this server: it needs a webhook key (--webhook-key-file).");
}

/* ---- POST /v1/webhooks */

static enum db_status create_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  const struct field_value *v = rq->fields;
  if (!webhook_config.enabled)
    return not_configured(out);
  if (!url_ok(v[F_URL].s, out))
    return DB_REFUSED;
  const char *org = patch_pick(&v[F_ORG], NULL);
  if (org != NULL) {
    char kind[32];
    enum db_status s = db_organisation_kind(db, rq->principal.commission_id, org, kind);
    if (s < 0)
      return s;
    if (s == DB_NO_ROW || strcmp(kind, "partner") == 0)
      return write_refuse_field(out, ERR_VALIDATION_FAILED, "/org_id",
                                "must be a landlord, residence, curator service or care team of this commission");
  }
  char *types;
  if (!event_types_check(&v[F_TYPES], rq->json, &types, out))
    return DB_REFUSED;
  char text[WEBHOOK_SECRET_TEXT_LEN], box_hex[2 * WEBHOOK_BOX_BYTES + 1];
  secret_make(text, box_hex);
  struct webhook_fields f = {.org_id = org, .url = v[F_URL].s, .event_types = types,
                             .description = patch_pick(&v[F_DESCRIPTION], NULL),
                             .active = patch_pick_bool(&v[F_ACTIVE], NULL)};
  PGresult *res;
  enum db_status s = db_webhook_insert(db, rq->principal.commission_id, &f, box_hex, rq->principal.token_id, &res);
  free(types);
  if (s < 0) {
    sodium_memzero(text, sizeof text);
    return s;
  }
  struct webhook_row r;
  bool ok = db_row(res, 0, &r) && webhook_out(res, 0, out);
  if (ok) {
    snprintf(out->location, sizeof out->location, "/v1/webhooks/%s", r.id);
    audit_created(rq, "webhooks", r.id);
    /* The secret is in this answer only: the response stored for a replay never holds it. */
    out->reveal = json_pack("{s:s}", "secret", text);
    ok = out->reveal != NULL;
  }
  PQclear(res);
  sodium_memzero(text, sizeof text);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_webhooks_create(struct request *rq) { return creation_run(rq, create_body, NULL); }

/* ---- GET /v1/webhooks, /v1/webhooks/{id} */

enum MHD_Result api_webhooks_list(struct request *rq) {
  static const char *const query[] = {"limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  struct page page;
  if (!request_query_only(rq, query, &ret) || !param_page(rq, &page, 2, keys, &ret))
    return ret;
  PGresult *res;
  enum db_status s = db_webhook_list(rq->db, rq->principal.commission_id, page.after[0], page.after[1], page.limit,
                                     &res);
  return reply_list(rq, &page, s, res, webhook_out, (const char *const[]){"cursor_at", "id"}, 2);
}

enum MHD_Result api_webhooks_get(struct request *rq) {
  PGresult *res;
  enum db_status s = db_webhook_get(rq->db, rq->principal.commission_id, rq->args[0], false, &res);
  return reply_read(rq, s, res, "No such webhook subscription.", webhook_out);
}

/* ---- PATCH /v1/webhooks/{id} */

struct update_tx {
  PGresult *current;
};

static enum db_status update_lock(struct db *db, struct request *rq, void *cls, long *version) {
  struct update_tx *u = cls;
  PQclear(u->current);
  u->current = NULL;
  enum db_status s = db_webhook_get(db, rq->principal.commission_id, rq->args[0], true, &u->current);
  return patch_locked(s, u->current, version);
}

static enum db_status update_write(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  struct update_tx *u = cls;
  const struct field_value *v = rq->fields;
  struct webhook_row cur;
  if (!db_row(u->current, 0, &cur))
    return DB_HARD_ERROR;
  if (v[F_URL].present && !url_ok(v[F_URL].s, out))
    return DB_REFUSED;
  char *types = NULL;
  if (v[F_TYPES].present && !event_types_check(&v[F_TYPES], rq->json, &types, out))
    return DB_REFUSED;
  struct webhook_fields f = {.url = patch_pick(&v[F_URL], cur.url),
                             .event_types = types != NULL ? types : cur.event_types,
                             .description = patch_pick(&v[F_DESCRIPTION], cur.description),
                             .active = patch_pick_bool(&v[F_ACTIVE], cur.active)};
  PGresult *res;
  enum db_status s = db_webhook_update(db, rq->principal.commission_id, rq->args[0], &f, &res);
  free(types);
  if (s < 0)
    return s;
  bool ok = s == DB_ROW && webhook_out(res, 0, out);
  PQclear(res);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_webhooks_update(struct request *rq) {
  static const struct patch patch = {"webhook subscription", "No such webhook subscription.", update_lock,
                                     update_write};
  struct update_tx u = {NULL};
  enum MHD_Result ret = patch_run(rq, &patch, &u);
  PQclear(u.current);
  return ret;
}

/* ---- DELETE /v1/webhooks/{id}: answers the subscription as it was; its pending deliveries go with it. */

static enum db_status delete_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_webhook_get(db, rq->principal.commission_id, rq->args[0], true, &res);
  if (s < 0)
    return s;
  if (s == DB_NO_ROW) {
    PQclear(res);
    return write_refuse(out, ERR_NOT_FOUND, "No such webhook subscription.");
  }
  bool ok = webhook_out(res, 0, out);
  PQclear(res);
  if (!ok)
    return DB_HARD_ERROR;
  out->version = -1;
  s = db_webhook_delete(db, rq->principal.commission_id, rq->args[0]);
  return s < 0 ? s : DB_ROW;
}

enum MHD_Result api_webhooks_delete(struct request *rq) { return write_run(rq, MHD_HTTP_OK, delete_body, NULL); }

/* ---- POST /v1/webhooks/{id}/rotate-secret: a new secret, shown once; the old one signs too during the overlap
 * (default a day), so that receivers can switch without losing an event. */

static enum db_status rotate_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  if (!webhook_config.enabled)
    return not_configured(out);
  const struct field_value *v = rq->fields;
  long overlap = v[0].present ? (long)v[0].i : 86400;
  char text[WEBHOOK_SECRET_TEXT_LEN], box_hex[2 * WEBHOOK_BOX_BYTES + 1];
  secret_make(text, box_hex);
  PGresult *res;
  enum db_status s = db_webhook_rotate(db, rq->principal.commission_id, rq->args[0], box_hex, overlap, &res);
  if (s < 0 || s == DB_NO_ROW) {
    sodium_memzero(text, sizeof text);
    if (s == DB_NO_ROW)
      PQclear(res);
    return s < 0 ? s : write_refuse(out, ERR_NOT_FOUND, "No such webhook subscription.");
  }
  bool ok = webhook_out(res, 0, out);
  PQclear(res);
  if (ok) {
    out->reveal = json_pack("{s:s}", "secret", text);
    ok = out->reveal != NULL;
  }
  sodium_memzero(text, sizeof text);
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_webhooks_rotate(struct request *rq) { return write_run(rq, MHD_HTTP_OK, rotate_body, NULL); }

/* ---- GET /v1/webhooks/{id}/deliveries: the delivery log, newest first. */

enum MHD_Result api_webhooks_deliveries(struct request *rq) {
  static const char *const query[] = {"status", "limit", "cursor", NULL};
  static const enum cursor_key keys[] = {KEY_TIMESTAMP, KEY_UUID};
  enum MHD_Result ret;
  if (!request_query_only(rq, query, &ret))
    return ret;
  const char *status = request_query(rq, "status");
  if (status != NULL && strcmp(status, "pending") != 0 && strcmp(status, "delivered") != 0 &&
      strcmp(status, "failed") != 0)
    return reply_field_problem(rq, ERR_INVALID_QUERY, "query:status", "must be pending, delivered or failed");
  PGresult *res;
  enum db_status s = db_webhook_get(rq->db, rq->principal.commission_id, rq->args[0], false, &res);
  PQclear(res);
  if (s < 0)
    return reply_db_error(rq);
  if (s == DB_NO_ROW)
    return reply_problem(rq, ERR_NOT_FOUND, "No such webhook subscription.");
  struct page page;
  if (!param_page(rq, &page, 2, keys, &ret))
    return ret;
  s = db_webhook_deliveries(rq->db, rq->principal.commission_id, rq->args[0], status, page.after[0], page.after[1],
                            page.limit, &res);
  return reply_list(rq, &page, s, res, delivery_out, (const char *const[]){"cursor_at", "id"}, 2);
}

/* ---- POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry: sent again at once (a failed one included). */

static enum db_status retry_body(struct db *db, struct request *rq, void *cls, struct write_out *out) {
  (void)cls;
  PGresult *res;
  enum db_status s = db_webhook_retry(db, rq->principal.commission_id, rq->args[0], rq->args[1], &res);
  if (s < 0)
    return s;
  bool ok = s == DB_ROW && delivery_out(res, 0, out);
  PQclear(res);
  if (s == DB_NO_ROW)
    return write_refuse(out, ERR_NOT_FOUND, "No such delivery of this webhook subscription.");
  return ok ? DB_ROW : DB_HARD_ERROR;
}

enum MHD_Result api_webhooks_retry(struct request *rq) { return write_run(rq, MHD_HTTP_OK, retry_body, NULL); }
