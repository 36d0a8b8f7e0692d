/* What the database-layer tests share (tests/db/test_db.c). */
#ifndef COMMISSIOND_DB_TEST_H
#define COMMISSIOND_DB_TEST_H

#include "db.h"

/* Runs SQL on DB and returns the first value of the first row, malloc'ed ("" when none). */
char *value(struct db *db, const char *sql);
/* An ordinary role (no superuser: row-level security applies) named after the test database and SUFFIX, with
 * the daemon's privileges, into ROLE (80 bytes); a connection of that role, or NULL. Drop it with drop_role(). */
struct db *ordinary_role(struct db *db, const char *suffix, char role[80]);
/* The same, the connection started with OPTIONS (the conninfo's options: "-c name=value"): the session's defaults,
 * which a RESET returns to. */
struct db *ordinary_role_options(struct db *db, const char *suffix, char role[80], const char *options);
void drop_role(struct db *db, const char *role);

/* lists.c (its checks counted there: each returns how many failed). Every list page reads O(limit) rows whatever
 * the commission's size and the caller's scope; the copies the lists' indexes read (migrations/0024) agree with
 * their sources after every kind of write that moves them. */
int test_lists_do_not_grow(void);
int test_list_columns_follow(void);
/* A deposit entry that leaves its account in its status class updates the totals row in place (HOT: no index
 * entry written), one that moves it to another class does not need to (migrations/0041). */
int test_totals_written_in_place(void);
/* The duplicate check of a new person, and the import's look-ups of a person, read O(log n) rows however many
 * people share the birth date (0042, 0043). */
int test_duplicate_check_does_not_grow(void);
/* A first import of units into a new database reads O(log n) rows a unit (0044); run first. */
int test_import_lookups_fresh(void);

#endif
