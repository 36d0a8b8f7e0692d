/* The rules a person's record obeys whoever writes it (src/domain/person.c), pure: unit-tested without a database
 * (tests/unit/test_person.c). The handlers (src/api/people.c) apply them and answer 422 naming each field. */
#ifndef COMMISSIOND_PERSON_H
#define COMMISSIOND_PERSON_H

#include <stdbool.h>
#include <stddef.h>

#include "principal.h"

/* A person's values as stored, sent or about to be written (db_person_insert, db_person_update): NULL for SQL
 * NULL; dates YYYY-MM-DD; ids as UUID text. */
struct person_fields {
  const char *family_name, *given_names, *birth_date, *phone, *email, *address, *care_team_id, *protection,
      *curator_org_id, *protection_start, *protection_end;
};

/* Which members a request sent (on a creation: all it sent; on an update: what it changes), null included. */
struct person_sent {
  bool family_name, given_names, birth_date, phone, email, address, care_team_id, protection, curator_org_id,
      protection_start, protection_end;
};

/* The rules' findings: each a field (JSON pointer) and why, in the order they were found. */
#define PERSON_ERRORS_MAX 12
struct person_errors {
  size_t count;
  struct {
    const char *field, *reason;
  } at[PERSON_ERRORS_MAX];
};

/* A new person's values as the creation completes them: protection "none" when not sent, and a caregiver's own
 * care team when it names none (person_check() then refuses any other team). */
void person_complete_new(const struct principal *p, struct person_fields *v);

/* The rules a person's values V satisfy whoever writes them, and the limits of P's role, on TODAY (YYYY-MM-DD):
 * birth date not in the future, protection_end not before protection_start, a curator service exactly when there
 * is a protection measure; a caregiver names its own care team; a curator names its own service on a creation,
 * changes neither the care team nor the service on an update, and keeps a protection measure. CURRENT is NULL on
 * a creation (care_team_id is then required), else the stored values; SENT what the request named. */
void person_check(const struct principal *p, const char *today, const struct person_fields *v,
                  const struct person_fields *current, const struct person_sent *sent, struct person_errors *errors);

/* The rules an update breaks whatever the stored record (checked before If-Match and the database, as the body's
 * other checks): on the members sent alone, V (NULL for a member sent as null or not sent). person_check() then
 * checks the merged record. */
void person_check_change(const struct principal *p, const char *today, const struct person_fields *v,
                         const struct person_sent *sent, struct person_errors *errors);

/* Possible duplicates of a new person are the recorded people of the commission with the same birth date and
 * the same family name and given names, or the two swapped, compared without case, accents or punctuation; the
 * database finds them (db_person_duplicates, under a lock that serialises such creations). The caller is told the
 * details only of those its scope sees (IN_SCOPE): that someone is followed by another team must not leak. */
bool person_duplicate_shown(bool in_scope);
/* A creation is refused as a possible duplicate when there is any match, SHOWN to the caller or HIDDEN from it,
 * and the caller did not confirm it: one person, one file. A hidden match is recorded for the coordinator, who
 * sees every file (the duplicates queue); the refusal then sends the caller to the coordinator. */
bool person_duplicate_refuses(size_t shown, size_t hidden, bool confirmed);
/* The detail of that refusal: the candidates, or (none shown) a record the caller cannot see. */
const char *person_duplicate_detail(size_t shown);

/* The field a constraint of the people table is about (the checks above should have caught its refusal, but a
 * concurrent change may slip between): "/care_team_id", ...; "/" when none is known. */
const char *person_constraint_field(const char *constraint);

#endif
