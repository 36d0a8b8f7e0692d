/* One person, one file: possible duplicates of a person (src/db/duplicates.c), the coordinator's queue of them,
 * the pairs marked distinct and the files linked into another (src/api/duplicates.c). */
#ifndef COMMISSIOND_DUPLICATES_H
#define COMMISSIOND_DUPLICATES_H

#include "db.h"

/* Two names compared as person_name_key() (migrations/0011) compares them: case, accents and punctuation left
 * out. */
#define SQL_NAME_EQ(a, b) "(person_name_key(" a ") = person_name_key(" b "))"
/* The people (alias P) that may be the person of name keys FAMILY_KEY, GIVEN_KEY and BIRTH (SQL expressions): the
 * same birth date, and the same names or the names swapped (family name given as given names and the other way
 * round), compared by the keys the people's rows keep (migrations/0042). */
#define SQL_PERSON_MATCHES(p, family_key, given_key, birth)                                                    \
  "(" p ".birth_date = " birth " AND ((" p ".family_key = " family_key " AND " p ".given_key = " given_key       \
  ") OR (" p ".family_key = " given_key " AND " p ".given_key = " family_key ")))"
/* The people of COMMISSION that may be the person of FAMILY, GIVEN, BIRTH (SQL expressions: the names asked), as
 * a FROM item named ALIAS: one index look-up for the same names, one for the names swapped (a WHERE of both arms
 * was planned, generic, as a walk of everyone born that day). */
#define SQL_PERSON_CANDIDATE_ARM(commission, family, given, birth)                                             \
  "SELECT x.* FROM people x WHERE x.commission_id = " commission " AND x.birth_date = " birth                   \
  " AND x.family_key = person_name_key(" family ") AND x.given_key = person_name_key(" given ")"
#define SQL_PERSON_CANDIDATES(alias, commission, family, given, birth)                                         \
  "(" SQL_PERSON_CANDIDATE_ARM(commission, family, given, birth) " UNION "                                      \
  SQL_PERSON_CANDIDATE_ARM(commission, given, family, birth) ") " alias
/* Why two identities (aliases A and B, each with family_name, given_names) look like one person, as a JSON
 * array of the evidence codes of the spec (their birth dates are the same: the queue only pairs those). */
#define SQL_DUPLICATE_EVIDENCE(a, b)                                                                           \
  "array_to_json(array_remove(ARRAY['same_birth_date', "                                                        \
  "CASE WHEN " a ".family_name = " b ".family_name AND " a ".given_names = " b ".given_names "                  \
  "THEN 'same_names' END, "                                                                                     \
  "CASE WHEN " SQL_NAME_EQ(a ".family_name", b ".family_name") " AND " SQL_NAME_EQ(a ".given_names",            \
  b ".given_names") " AND NOT (" a ".family_name = " b ".family_name AND " a ".given_names = " b               \
  ".given_names) THEN 'same_names_ignoring_case_and_accents' END, "                                             \
  "CASE WHEN " SQL_NAME_EQ(a ".family_name", b ".given_names") " AND " SQL_NAME_EQ(a ".given_names",            \
  b ".family_name") " THEN 'swapped_names' END], NULL))"

/* One item of the coordinator's queue, built as JSON (the spec's DuplicateItem), with its keyset position: the
 * time it entered the queue (microseconds) and a key unique among the items. */
#define DUPLICATE_ITEM_ROW(FIRST, NEXT) FIRST(item, "q.item") NEXT(list_key, "q.list_key") NEXT(item_key, "q.item_key")
DB_ROW_STRUCT(duplicate_item_row, DUPLICATE_ITEM_ROW);
/* The queue of commission COMMISSION_ID, oldest first, after the keyset position AFTER_* (NULL: from the start). */
enum db_status db_duplicate_queue(struct db *db, const char *commission_id, const char *after_key,
                                  const char *after_id, const char *limit, PGresult **res);

/* A creation refused as a possible duplicate: records, for the coordinator, one request per matching file of the
 * commission that SCOPE / ORG (access_scope_param(), access_org_param()) do not see. */
struct duplicate_request_fields {
  const char *commission_id, *family_name, *given_names, *birth_date, *scope, *org, *role, *token_id;
};
enum db_status db_duplicate_request_record(struct db *db, const struct duplicate_request_fields *f);

/* A file of the commission, locked for a link or a distinct mark: its id and when it was created. */
#define DUPLICATE_FILE_ROW(FIRST, NEXT) \
  FIRST(id, "p.id") NEXT(created_key, "to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')")
DB_ROW_STRUCT(duplicate_file_row, DUPLICATE_FILE_ROW);
/* Rows: DUPLICATE_FILE_ROW of ID and OTHER_ID (those that exist), locked in id order. */
enum db_status db_duplicate_files_lock(struct db *db, const char *commission_id, const char *id,
                                       const char *other_id, PGresult **res);
/* An open request about PERSON_ID, locked: no row when there is none such (or it is resolved). */
enum db_status db_duplicate_request_lock(struct db *db, const char *commission_id, const char *request_id,
                                         const char *person_id);
/* Resolves REQUEST_ID as RESOLUTION ("linked", "distinct") by TOKEN_ID. */
enum db_status db_duplicate_request_resolve(struct db *db, const char *commission_id, const char *request_id,
                                            const char *resolution, const char *token_id);
/* Marks the files ID and OTHER_ID distinct (again: nothing changes); resolves the open requests between them. */
enum db_status db_duplicate_mark_distinct(struct db *db, const char *commission_id, const char *id,
                                          const char *other_id, const char *token_id);

/* A link's counts of what followed the kept file. */
#define DUPLICATE_LINK_ROW(FIRST, NEXT)                                                                        \
  FIRST(applications, "l.moved_applications") NEXT(placements, "l.moved_placements")                            \
  NEXT(care_notes, "l.moved_care_notes") NEXT(requests, "l.moved_requests")
DB_ROW_STRUCT(duplicate_link_row, DUPLICATE_LINK_ROW);
/* Links the file MERGED_ID into KEPT_ID (both locked): its applications, placements (with their deposits,
 * reviews and incidents), care notes and duplicate requests move to KEPT_ID, the empty contact details of KEPT_ID
 * are filled from it, MERGED_ID is removed and answers with a pointer to KEPT_ID (person_merges, earlier links
 * into MERGED_ID included). Two placements of the two files that overlap: SQLSTATE 23P01 (one home at a time). */
enum db_status db_duplicate_link(struct db *db, const char *commission_id, const char *kept_id,
                                 const char *merged_id, const char *token_id, PGresult **res);
/* The file a removed id was linked into, if the caller's SCOPE / ORG sees it: one row (into_id) or none. */
#define PERSON_MERGED_ROW(FIRST, NEXT) FIRST(into_id, "m.into_id")
DB_ROW_STRUCT(person_merged_row, PERSON_MERGED_ROW);
enum db_status db_person_merged_into(struct db *db, const char *commission_id, const char *id, const char *scope,
                                     const char *org, PGresult **res);

#endif
