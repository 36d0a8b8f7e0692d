/* The person informed: one record per person, replaced by each PUT (include/information.h). */
#include "information.h"
#include "queries.h"

#define INFORMATION_PUT(P)                                                                                       \
  P(commission_id) P(person_id) P(scope) P(org) P(informed_on) P(informed_by) P(means) P(sharing_agreement)      \
  P(role) P(token_id)
DB_STATEMENT(put, {
  "person_information_put",
  "INSERT INTO person_information AS i (commission_id, person_id, informed_on, informed_by, means, "
  "sharing_agreement, recorded_by_role, recorded_by_token_id) "
  "SELECT p.commission_id, p.id, :informed_on::date, :informed_by, :means, :sharing_agreement, :role, "
  ":token_id::uuid FROM people p WHERE p.commission_id = :commission_id AND p.id = :person_id::uuid AND "
  SQL_PERSON_SCOPE("p", ":scope", ":org")
  " ON CONFLICT (commission_id, person_id) DO UPDATE SET informed_on = EXCLUDED.informed_on, "
  "informed_by = EXCLUDED.informed_by, means = EXCLUDED.means, sharing_agreement = EXCLUDED.sharing_agreement, "
  "recorded_by_role = EXCLUDED.recorded_by_role, recorded_by_token_id = EXCLUDED.recorded_by_token_id, "
  "recorded_at = now() RETURNING " DB_COLUMNS(PERSON_INFORMATION_ROW),
  DB_PARAMS(INFORMATION_PUT)
});
DB_PARAMS_STRUCT(information_put_params, INFORMATION_PUT);

enum db_status db_person_information_put(struct db *db, const char *commission_id, const char *person_id,
                                         const char *scope, const char *org, const struct person_information_fields *f,
                                         const char *role, const char *token_id, PGresult **res) {
  struct information_put_params p = {
    .commission_id = commission_id, .person_id = person_id, .scope = scope, .org = org,
    .informed_on = f->informed_on, .informed_by = f->informed_by, .means = f->means,
    .sharing_agreement = f->sharing_agreement, .role = role, .token_id = token_id};
  return db_run(db, &put, &p, res);
}
