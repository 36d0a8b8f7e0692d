/* Queries on a commission's partner organisations. */
#include <stdio.h>

#include "queries.h"

#define ORG_INSERT(P) P(commission_id) P(kind) P(name) P(town) P(address) P(email) P(phone)
DB_STATEMENT(insert, {"organisation_insert",
                      "INSERT INTO organisations (commission_id, kind, name, town, address, email, phone) "
                      "VALUES (:commission_id, :kind, :name, :town, :address, :email, :phone) "
                      "RETURNING " DB_COLUMNS(ORGANISATION_ROW),
                      DB_PARAMS(ORG_INSERT)});
DB_PARAMS_STRUCT(org_insert_params, ORG_INSERT);

#define ORG_GET(P) P(commission_id) P(id)
DB_STATEMENT(get, {"organisation_get",
                   "SELECT " DB_COLUMNS(ORGANISATION_ROW) " FROM organisations "
                   "WHERE commission_id = :commission_id AND id = :id",
                   DB_PARAMS(ORG_GET)});
DB_STATEMENT(get_for_update, {"organisation_get_for_update",
                              "SELECT " DB_COLUMNS(ORGANISATION_ROW) " FROM organisations "
                              "WHERE commission_id = :commission_id AND id = :id FOR UPDATE",
                              DB_PARAMS(ORG_GET)});
DB_PARAMS_STRUCT(org_get_params, ORG_GET);

#define ORG_UPDATE(P) P(commission_id) P(id) P(name) P(town) P(address) P(email) P(phone) P(archived)
DB_STATEMENT(update, {"organisation_update",
                      "UPDATE organisations SET name = :name, town = :town, address = :address, email = :email, "
                      "phone = :phone, archived = :archived, version = version + 1, updated_at = now() "
                      "WHERE commission_id = :commission_id AND id = :id RETURNING " DB_COLUMNS(ORGANISATION_ROW),
                      DB_PARAMS(ORG_UPDATE)});
DB_PARAMS_STRUCT(org_update_params, ORG_UPDATE);

#define ORG_LIST(P) P(commission_id) P(kind) P(after_name) P(after_id) P(limit)
DB_STATEMENT(list, {"organisation_list",
                    "SELECT " DB_COLUMNS(ORGANISATION_ROW) " FROM organisations "
                    "WHERE commission_id = :commission_id AND (:kind::text IS NULL OR kind = :kind) "
                    "AND (:after_name::text IS NULL OR (name, id) > (:after_name, :after_id::uuid)) "
                    "ORDER BY name, id LIMIT :limit::integer",
                    DB_PARAMS(ORG_LIST)});
DB_PARAMS_STRUCT(org_list_params, ORG_LIST);

enum db_status db_organisation_insert(struct db *db, const char *commission_id, const struct organisation_fields *f,
                                      PGresult **res) {
  struct org_insert_params p = {.commission_id = commission_id, .kind = f->kind, .name = f->name, .town = f->town,
                                .address = f->address, .email = f->email, .phone = f->phone};
  return db_run(db, &insert, &p, res);
}

enum db_status db_organisation_get(struct db *db, const char *commission_id, const char *id, bool for_update,
                                   PGresult **res) {
  struct org_get_params p = {.commission_id = commission_id, .id = id};
  return db_run(db, for_update ? &get_for_update : &get, &p, res);
}

enum db_status db_organisation_kind(struct db *db, const char *commission_id, const char *id, char kind[32]) {
  PGresult *res;
  kind[0] = '\0';
  enum db_status s = db_organisation_get(db, commission_id, id, false, &res);
  if (s == DB_ROW) {
    struct organisation_row row;
    if (!db_row(res, 0, &row) || row.kind == NULL)
      s = DB_HARD_ERROR;
    else
      snprintf(kind, 32, "%s", row.kind);
  }
  PQclear(res);
  return s;
}

enum db_status db_organisation_update(struct db *db, const char *commission_id, const char *id,
                                      const struct organisation_fields *f, PGresult **res) {
  struct org_update_params p = {.commission_id = commission_id, .id = id, .name = f->name, .town = f->town,
                                .address = f->address, .email = f->email, .phone = f->phone,
                                .archived = f->archived};
  return db_run(db, &update, &p, res);
}

enum db_status db_organisation_list(struct db *db, const char *commission_id, const char *kind,
                                    const char *after_name, const char *after_id, const char *limit, PGresult **res) {
  struct org_list_params p = {.commission_id = commission_id, .kind = kind, .after_name = after_name,
                              .after_id = after_id, .limit = limit};
  return db_run(db, &list, &p, res);
}
