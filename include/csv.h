/* Reading the CSV files people save from a spreadsheet (LibreOffice, a French Excel): the encoding and the
 * separator are detected, quoted fields may hold separators, quotes and line breaks, and French values (dates,
 * euros) are read exactly. Pure functions, no database: unit-tested in tests/unit/test_csv.c. */
#ifndef COMMISSIOND_CSV_H
#define COMMISSIOND_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "dates.h"

enum csv_encoding { CSV_UTF8, CSV_UTF8_BOM, CSV_WINDOWS_1252 };

struct csv_limits {
  size_t max_file;  /* bytes of the file as received */
  size_t max_field; /* bytes of one field once decoded to UTF-8 */
  size_t max_rows;  /* records after the header, blank ones not counted */
};

/* One record: the physical line it starts on (1-based, counting the line breaks inside quoted fields) and its
 * fields, which point into the parsed file's own buffer (NUL-terminated UTF-8). */
struct csv_row {
  size_t line;
  size_t nfields;
  size_t first; /* index of its first field in csv.fields */
};

struct csv {
  enum csv_encoding encoding;
  char separator;
  char *text;        /* every field, decoded, one after the other, each NUL-terminated */
  size_t *fields;    /* offsets into text */
  size_t nfields;
  struct csv_row *rows; /* rows[0] is the header; blank records are left out */
  size_t nrows;
};

/* What went wrong, and where: line and column are 1-based, 0 when they do not apply (the whole file). */
enum csv_problem {
  CSV_OK,
  CSV_TOO_LARGE,    /* the file is past max_file */
  CSV_TOO_MANY_ROWS,
  CSV_ENCODING,     /* neither UTF-8 nor unambiguously Windows-1252 */
  CSV_BINARY,       /* NUL bytes or a UTF-16 byte order mark: not a text CSV */
  CSV_EMPTY,        /* no header */
  CSV_FIELD_TOO_LONG,
  CSV_QUOTE,        /* a quote left open, or text after a closing quote */
  CSV_RAGGED,       /* a record with another number of fields than the header */
  CSV_NO_MEMORY,
};

struct csv_error {
  enum csv_problem problem;
  size_t line, column;
  char reason[240]; /* English, for the problem's detail */
};

/* Parses the N bytes of DATA into OUT. The encoding: a UTF-8 byte order mark means UTF-8 (and the file must be
 * valid UTF-8); otherwise valid UTF-8 is UTF-8; otherwise the file is read as Windows-1252 only when that is
 * unambiguous: no byte Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), no control character other
 * than tab and line breaks, and no well-formed multi-byte UTF-8 sequence anywhere (a file mixing both is
 * refused rather than guessed). The separator is the more frequent of ';' and ',' outside quotes on the header
 * line (';' on a tie). Blank records, records of empty fields only, and empty fields past the header's width are
 * tolerated; a record with fewer fields, or with non-empty fields past the header, is ragged. Returns true, or
 * false with ERR filled and OUT empty. The caller frees OUT with csv_free(). */
bool csv_parse(const char *data, size_t n, const struct csv_limits *limits, struct csv *out, struct csv_error *err);
void csv_free(struct csv *csv);

/* Field COLUMN (0-based) of row ROW: "" past the end of a short row. */
const char *csv_field(const struct csv *csv, size_t row, size_t column);

/* The name a header cell is matched by: lowercase, accents of Latin letters removed (é → e, ç → c, œ → oe), and
 * every run of other characters (spaces, apostrophes, hyphens, underscores, punctuation) one '_', none at either
 * end. "Date d'entrée" → "date_d_entree". OUT holds N bytes; the result is cut to fit. */
void csv_header_key(const char *name, char *out, size_t n);

/* A calendar date as people type it: dd/mm/yyyy (also d/m/yyyy, and '-' or '.' between the parts) or ISO
 * yyyy-mm-dd, with spaces around. Two-digit years are refused (1926 or 2026?). False when malformed or not a
 * date of the calendar. */
bool csv_parse_date(const char *text, struct date *out);

/* An amount in euros into integer cents, by reading the digits (never through a floating-point number):
 * "450", "450,00 €", "450.00", "1 234,56", "1.234,56", "1,234.56", "€ 12,5", "12 EUR". Spaces (also no-break and
 * narrow no-break ones) and '.' or ',' may group thousands by three; the decimal separator is the last of '.' or
 * ',' when followed by one or two digits. "1.234" or "1,234" alone is refused as ambiguous (thousands, or a
 * third decimal?). No sign: amounts here are never negative. Up to 999 999 999 999 cents. REASON (may be NULL)
 * gets why it was refused. */
bool csv_parse_cents(const char *text, long long *cents, const char **reason);

/* Cell text for a spreadsheet: a value starting with '=', '+', '-', '@' (or a tab or carriage return, which some
 * spreadsheets skip before reading a formula) is prefixed with an apostrophe so it is shown as text, never run as
 * a formula (OWASP, "CSV injection"). Returns a new string (malloc) or NULL when out of memory. */
char *csv_cell_neutralise(const char *value);
/* The inverse on import: a value that starts with an apostrophe followed by one of those characters loses the
 * apostrophe, so that an export re-imported gives back the stored text. Works in place; returns VALUE. */
char *csv_cell_restore(char *value);

/* Appends VALUE to a CSV line in OUT as one field (neutralised, quoted when it holds the separator, a quote or a
 * line break), preceded by SEP unless FIRST. Returns false when out of memory. */
struct csv_out {
  char *data;
  size_t len, cap;
};
bool csv_out_field(struct csv_out *out, const char *value, char sep, bool first);
bool csv_out_text(struct csv_out *out, const char *text);
void csv_out_free(struct csv_out *out);

#endif
