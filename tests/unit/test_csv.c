/* Unit tests of the CSV reader: files as spreadsheets save them, and the French values they hold. */
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "check.h"

static bool parse(const char *text, struct csv *c, struct csv_error *e) {
  struct csv_limits lim = {.max_file = 1 << 20, .max_field = 100, .max_rows = 10};
  return csv_parse(text, strlen(text), &lim, c, e);
}

static void test_separator_and_quotes(void) {
  struct csv c;
  struct csv_error e;
  CHECK(parse("nom;ville\r\n\"Dupont; Jean\";Lille\r\n", &c, &e));
  CHECK(c.separator == ';');
  CHECK(c.nrows == 2);
  CHECK(strcmp(csv_field(&c, 1, 0), "Dupont; Jean") == 0);
  CHECK(strcmp(csv_field(&c, 1, 1), "Lille") == 0);
  csv_free(&c);

  CHECK(parse("name,town,note\n\"He said \"\"hi\"\"\",Lille,\"two\r\nlines\"\n\nx,y,z", &c, &e));
  CHECK(c.separator == ',');
  CHECK(c.nrows == 3);
  CHECK(strcmp(csv_field(&c, 1, 0), "He said \"hi\"") == 0);
  CHECK(strcmp(csv_field(&c, 1, 2), "two\nlines") == 0);
  CHECK(c.rows[1].line == 2);
  CHECK(c.rows[2].line == 5); /* the quoted line break and the blank line count */
  CHECK(strcmp(csv_field(&c, 2, 2), "z") == 0);
  csv_free(&c);

  /* Blank lines, separator-only lines and trailing empty columns (header and rows) are tolerated. */
  CHECK(parse("a;b;;\n1;2;;\n;;;\n\n3;4\n5;6;;;;\n", &c, &e));
  CHECK(c.nrows == 4);
  CHECK(c.rows[0].nfields == 2);
  CHECK(strcmp(csv_field(&c, 3, 1), "6") == 0);
  CHECK(c.rows[3].line == 6);
  csv_free(&c);

  /* An empty field before the end, and an old Mac line break (CR alone). */
  CHECK(parse("a;b;c\r1;;3\r", &c, &e));
  CHECK(c.nrows == 2 && strcmp(csv_field(&c, 1, 1), "") == 0 && strcmp(csv_field(&c, 1, 2), "3") == 0);
  csv_free(&c);
}

static void test_errors(void) {
  struct csv c;
  struct csv_error e;
  CHECK(!parse("a;b\n1;2\n1;2;3\n", &c, &e));
  CHECK(e.problem == CSV_RAGGED && e.line == 3 && e.column == 3);
  CHECK(strstr(e.reason, "line 3") != NULL);
  CHECK(!parse("a;b;c\n1;2\n", &c, &e));
  CHECK(e.problem == CSV_RAGGED && e.line == 2);
  CHECK(!parse("a;b\n\"open;2\n", &c, &e));
  CHECK(e.problem == CSV_QUOTE && e.line == 2 && e.column == 1);
  CHECK(!parse("a;b\n\"x\"y;2\n", &c, &e));
  CHECK(e.problem == CSV_QUOTE);
  CHECK(!parse("", &c, &e));
  CHECK(e.problem == CSV_EMPTY);
  CHECK(!parse("\n;;\n", &c, &e));
  CHECK(e.problem == CSV_EMPTY);

  char big[300];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  char *text = malloc(400);
  snprintf(text, 400, "a;b\n1;%s\n", big);
  CHECK(!parse(text, &c, &e));
  CHECK(e.problem == CSV_FIELD_TOO_LONG && e.line == 2 && e.column == 2);
  snprintf(text, 400, "a;b\n1;\"%s\"\n", big);
  CHECK(!parse(text, &c, &e));
  CHECK(e.problem == CSV_FIELD_TOO_LONG && e.line == 2 && e.column == 2);
  free(text);

  struct csv_limits lim = {.max_file = 10, .max_field = 100, .max_rows = 2};
  CHECK(!csv_parse("a;b\n1;2\n3;4\n", 13, &lim, &c, &e));
  CHECK(e.problem == CSV_TOO_LARGE);
  lim.max_file = 100;
  CHECK(!csv_parse("a;b\n1;2\n3;4\n5;6\n", 16, &lim, &c, &e));
  CHECK(e.problem == CSV_TOO_MANY_ROWS && e.line == 4);
  CHECK(csv_parse("a;b\n1;2\n3;4\n\n", 13, &lim, &c, &e));
  csv_free(&c);
}

static void test_encodings(void) {
  struct csv c;
  struct csv_error e;
  /* UTF-8 with a byte order mark: the mark is not part of the first header. */
  CHECK(parse("\xEF\xBB\xBFnom;pr\xC3\xA9nom\nA;\xC3\x89lise\n", &c, &e));
  CHECK(c.encoding == CSV_UTF8_BOM);
  CHECK(strcmp(csv_field(&c, 0, 0), "nom") == 0);
  CHECK(strcmp(csv_field(&c, 1, 1), "\xC3\x89lise") == 0);
  csv_free(&c);
  /* Windows-1252: é, €, œ and ’ become UTF-8. */
  CHECK(parse("nom;loyer\nL\xE9on \x9C\x92;450,00 \x80\n", &c, &e));
  CHECK(c.encoding == CSV_WINDOWS_1252);
  CHECK(strcmp(csv_field(&c, 1, 0), "L\xC3\xA9on \xC5\x93\xE2\x80\x99") == 0);
  CHECK(strcmp(csv_field(&c, 1, 1), "450,00 \xE2\x82\xAC") == 0);
  csv_free(&c);
  /* Plain ASCII is UTF-8. */
  CHECK(parse("a\n1\n", &c, &e));
  CHECK(c.encoding == CSV_UTF8);
  csv_free(&c);
  /* Not unambiguous: a byte Windows-1252 leaves undefined, UTF-8 mixed with something else, a broken file that
   * says it is UTF-8, UTF-16, NUL bytes. */
  CHECK(!parse("a\n\x81x\n", &c, &e));
  CHECK(e.problem == CSV_ENCODING && e.line == 2);
  CHECK(!parse("a;b\n\xC3\xA9;\xE9\n", &c, &e));
  CHECK(e.problem == CSV_ENCODING && strstr(e.reason, "mixes") != NULL);
  CHECK(!parse("\xEF\xBB\xBF" "a\n\xE9\n", &c, &e));
  CHECK(e.problem == CSV_ENCODING);
  CHECK(!csv_parse("\xFF\xFE" "a\0\n\0", 6, NULL, &c, &e));
  CHECK(e.problem == CSV_BINARY);
  CHECK(!csv_parse("a\n\0b", 4, NULL, &c, &e));
  CHECK(e.problem == CSV_BINARY);
}

static void test_header_keys(void) {
  char k[64];
  csv_header_key("Date d'entrée", k, sizeof k);
  CHECK(strcmp(k, "date_d_entree") == 0);
  csv_header_key("  DÉPÔT de GARANTIE (€) ", k, sizeof k);
  CHECK(strcmp(k, "depot_de_garantie") == 0);
  csv_header_key("family_name", k, sizeof k);
  CHECK(strcmp(k, "family_name") == 0);
  csv_header_key("Prénom(s)", k, sizeof k);
  CHECK(strcmp(k, "prenom_s") == 0);
  csv_header_key("Cœur", k, sizeof k);
  CHECK(strcmp(k, "coeur") == 0);
  csv_header_key("abcdefgh", k, 4);
  CHECK(strcmp(k, "abc") == 0);
}

static void check_date(const char *text, const char *iso) {
  struct date d;
  char buf[16];
  bool ok = csv_parse_date(text, &d);
  CHECK(ok);
  if (!ok) {
    fprintf(stderr, "  date '%s' refused\n", text);
    return;
  }
  date_format(d, buf, sizeof buf);
  CHECK(strcmp(buf, iso) == 0);
}

static void test_dates(void) {
  struct date d;
  check_date("12/03/2026", "2026-03-12");
  check_date(" 1/2/1980 ", "1980-02-01");
  check_date("12.03.2026", "2026-03-12");
  check_date("12-03-2026", "2026-03-12");
  check_date("2026-03-12", "2026-03-12");
  check_date("29/02/2024", "2024-02-29");
  CHECK(!csv_parse_date("29/02/2026", &d));
  CHECK(!csv_parse_date("12/03/26", &d));
  CHECK(!csv_parse_date("2026/03/12", &d));
  CHECK(!csv_parse_date("13/13/2026", &d));
  CHECK(!csv_parse_date("12/03/2026 x", &d));
  CHECK(!csv_parse_date("", &d));
  CHECK(!csv_parse_date("12/03-2026", &d));
}

static long long cents(const char *text) {
  long long v = -1;
  const char *why = NULL;
  if (!csv_parse_cents(text, &v, &why)) {
    fprintf(stderr, "  amount '%s' refused: %s\n", text, why);
    return -1;
  }
  return v;
}

static void test_cents(void) {
  CHECK(cents("450") == 45000);
  CHECK(cents("450,00 \xE2\x82\xAC") == 45000);
  CHECK(cents("450.00") == 45000);
  CHECK(cents("1 234,56") == 123456);
  CHECK(cents("1\xC2\xA0" "234,56\xC2\xA0\xE2\x82\xAC") == 123456); /* no-break spaces */
  CHECK(cents("1\xE2\x80\xAF" "234,56") == 123456);                 /* narrow no-break space */
  CHECK(cents("1.234,56") == 123456);
  CHECK(cents("1,234.56") == 123456);
  CHECK(cents("1.234.567") == 123456700);
  CHECK(cents("1 234") == 123400);
  CHECK(cents("12,5") == 1250);
  CHECK(cents("0,05") == 5);
  CHECK(cents("\xE2\x82\xAC 12,50") == 1250);
  CHECK(cents("12 EUR") == 1200);
  CHECK(cents("0.1") == 10); /* exactly: 0.1 has no floating-point rounding here */
  CHECK(cents("999999999,99") == 99999999999LL);
  long long v;
  const char *why = NULL;
  CHECK(!csv_parse_cents("1.234", &v, &why) && strstr(why, "ambiguous") != NULL);
  CHECK(!csv_parse_cents("1,234", &v, &why));
  CHECK(!csv_parse_cents("12,345", &v, NULL));
  CHECK(!csv_parse_cents("-5", &v, &why) && strstr(why, "negative") != NULL);
  CHECK(!csv_parse_cents("", &v, NULL));
  CHECK(!csv_parse_cents("abc", &v, NULL));
  CHECK(!csv_parse_cents("12,5,6", &v, NULL));
  CHECK(!csv_parse_cents("1 23,00", &v, NULL));
  CHECK(!csv_parse_cents("12,", &v, NULL));
  CHECK(!csv_parse_cents("1.234,5.6", &v, NULL));
  CHECK(!csv_parse_cents("12 $", &v, NULL));
  CHECK(!csv_parse_cents("99999999999999999999", &v, NULL));
}

static void test_writing(void) {
  char *s = csv_cell_neutralise("=HYPERLINK(\"http://x\")");
  CHECK(s && strcmp(s, "'=HYPERLINK(\"http://x\")") == 0);
  CHECK(strcmp(csv_cell_restore(s), "=HYPERLINK(\"http://x\")") == 0);
  free(s);
  s = csv_cell_neutralise("Dupont");
  CHECK(s && strcmp(s, "Dupont") == 0);
  free(s);

  struct csv_out out = {0};
  CHECK(csv_out_field(&out, "a;b", ';', true));
  CHECK(csv_out_field(&out, "say \"hi\"", ';', false));
  CHECK(csv_out_field(&out, "+33 1 23", ';', false));
  CHECK(csv_out_field(&out, "@cmd", ';', false));
  CHECK(csv_out_field(&out, "-2", ';', false));
  CHECK(csv_out_field(&out, "two\nlines", ';', false));
  CHECK(csv_out_field(&out, NULL, ';', false));
  CHECK(csv_out_text(&out, "\r\n"));
  CHECK(strcmp(out.data, "\"a;b\";\"say \"\"hi\"\"\";'+33 1 23;'@cmd;'-2;\"two\nlines\";\r\n") == 0);
  /* What is written reads back the same (apostrophes taken off by csv_cell_restore). */
  struct csv c;
  struct csv_error e;
  CHECK(csv_parse(out.data, out.len, NULL, &c, &e));
  CHECK(c.nrows == 1 && c.rows[0].nfields == 6);
  char *f = strdup(csv_field(&c, 0, 2));
  CHECK(strcmp(csv_cell_restore(f), "+33 1 23") == 0);
  free(f);
  CHECK(strcmp(csv_field(&c, 0, 5), "two\nlines") == 0);
  csv_free(&c);
  csv_out_free(&out);
}

int main(void) {
  test_separator_and_quotes();
  test_errors();
  test_encodings();
  test_header_keys();
  test_dates();
  test_cents();
  test_writing();
  return check_exit();
}
