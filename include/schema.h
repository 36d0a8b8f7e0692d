/* The schema version this build expects: the number of the last file in migrations/. */
#ifndef COMMISSIOND_SCHEMA_H
#define COMMISSIOND_SCHEMA_H

#define SCHEMA_VERSION 53

#endif
