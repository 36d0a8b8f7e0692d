/* Importing a commission's spreadsheet, and exporting its lists in the same format: the columns of each kind
 * (French and English header names), and each CSV row read into a JSON object of checked values for the
 * database (src/domain/import_rows.c, pure); the database half, which resolves names, finds duplicates and writes,
 * is src/db/imports.c (include/import_db.h). README "Importing a spreadsheet" lists the columns. */
#ifndef COMMISSIOND_IMPORT_H
#define COMMISSIOND_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "csv.h"

enum import_kind {
  IMPORT_ORGANISATIONS,
  IMPORT_UNITS,
  IMPORT_PEOPLE,
  IMPORT_APPLICATIONS,
  IMPORT_PLACEMENTS,
  IMPORT_DEPOSITS,
  IMPORT_KIND_COUNT
};

enum import_type {
  COL_TEXT,      /* one line */
  COL_MULTILINE, /* line breaks kept */
  COL_EMAIL,
  COL_DATE,      /* dd/mm/yyyy or yyyy-mm-dd in; ISO to the database; dd/mm/yyyy out */
  COL_CENTS,     /* euros in ("450,00 €"); integer cents to the database; "450,00" out */
  COL_INT,
  COL_ENUM,      /* a code or its French label in; the code to the database; the label out */
  COL_BOOL,      /* oui/non, yes/no, vrai/faux, true/false, 1/0 */
  COL_LIST,      /* values separated by ',' or ';' in a cell; a JSON array */
  COL_ENUM_LIST,
};

struct import_label {
  const char *code, *fr;
};

struct import_column {
  const char *field;   /* the JSON member, and what the database function reads */
  const char *english; /* the English header */
  const char *french;  /* the French header (what exports write) */
  const char *aliases; /* other accepted headers as csv_header_key() makes them, '|'-separated, or NULL */
  enum import_type type;
  bool required;
  long min, max; /* a text's length in characters, an integer's or an amount's bounds (cents) */
  const struct import_label *labels; /* COL_ENUM, COL_ENUM_LIST: ended by {NULL, NULL} */
  const char *fallback; /* the value of an empty optional cell, or NULL (JSON null) */
};

struct import_kind_def {
  const char *name; /* "units": ?kind=, --kind, the kind import_rows() is given (migrations/0016) */
  const struct import_column *columns;
  size_t ncolumns;
};

/* The definition of KIND; the kind named NAME (-1 when none). */
const struct import_kind_def *import_kind_def(enum import_kind kind);
int import_kind_parse(const char *name);

/* Where each column of a kind is in a file: HEADER's cells matched to the kind's columns (case, accents and
 * punctuation left out, French or English names or an alias). POSITION[i] is the file's column (0-based) holding
 * column i of the kind, or -1. */
struct import_layout {
  long position[16];
};
/* Reads the header (row 0 of CSV). False with *ERRORS (a new JSON array of {column, header, reason}) when a cell
 * names no column of the kind, two cells name one column, or a required column is missing. */
bool import_layout_read(const struct import_kind_def *def, const struct csv *csv, struct import_layout *layout,
                        json_t **errors);

/* Reads data row ROW (>= 1) of CSV: a new JSON object {line, <field>: value...} of checked values, or NULL when a
 * cell is not acceptable, with each problem appended to ERRORS as {line, column, field, header, reason}. NULL and
 * nothing appended means out of memory. */
json_t *import_row_read(const struct import_kind_def *def, const struct import_layout *layout,
                        const struct csv *csv, size_t row, json_t *errors);

/* The French cell for a stored VALUE (as the database gives it: ISO date, cents, code, "t"/"f", a JSON array) of
 * column COL, into a new string: "12/03/2026", "450,00", "Appartement HLM", "oui". NULL when out of memory. */
char *import_cell_text(const struct import_column *col, const char *value);

#endif
