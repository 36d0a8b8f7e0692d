/* CSV files as spreadsheets save them: encoding and separator detection, RFC 4180 quoting, French dates and euro
 * amounts read exactly, and cells written back so that no spreadsheet runs them as formulas. */
#include "csv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* Windows-1252's 0x80..0x9F (0 where the code page defines nothing); 0xA0..0xFF are Latin-1's code points. */
static const uint16_t cp1252_high[32] = {
  0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
  0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
  0x0153, 0,      0x017E, 0x0178,
};

static unsigned cp1252_code_point(unsigned char c) {
  if (c < 0x80 || c >= 0xA0) return c;
  return cp1252_high[c - 0x80];
}

static size_t utf8_put(unsigned cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  out[0] = (char)(0xE0 | (cp >> 12));
  out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[2] = (char)(0x80 | (cp & 0x3F));
  return 3;
}

/* True when S holds at least one well-formed multi-byte UTF-8 sequence (a sign the file was meant as UTF-8). */
static bool has_utf8_sequence(const unsigned char *s, size_t n) {
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] < 0xC2 || s[i] > 0xF4) continue;
    size_t len = s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
    if (i + len > n) continue;
    if (utf8_valid((const char *)s + i, len)) return true;
  }
  return false;
}

static bool fail(struct csv_error *err, enum csv_problem problem, size_t line, size_t column, const char *fmt,
                 ...) __attribute__((format(printf, 5, 6)));
static bool fail(struct csv_error *err, enum csv_problem problem, size_t line, size_t column, const char *fmt,
                 ...) {
  err->problem = problem;
  err->line = line;
  err->column = column;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->reason, sizeof err->reason, fmt, ap);
  va_end(ap);
  return false;
}

/* Decodes the file into a new NUL-terminated UTF-8 buffer (*TEXT, *LEN), the byte order mark removed. */
static bool decode(const char *data, size_t n, enum csv_encoding *enc, char **text, size_t *len,
                   struct csv_error *err) {
  const unsigned char *s = (const unsigned char *)data;
  if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF)))
    return fail(err, CSV_BINARY, 0, 0, "the file is UTF-16 (Unicode text): save it as CSV in UTF-8 or Windows-1252");
  if (memchr(data, '\0', n))
    return fail(err, CSV_BINARY, 0, 0, "the file holds NUL bytes: it is not a CSV text file (an .xlsx or .ods?)");
  bool bom = n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF;
  if (bom) {
    s += 3;
    n -= 3;
  }
  if (utf8_valid((const char *)s, n)) {
    *enc = bom ? CSV_UTF8_BOM : CSV_UTF8;
    *text = malloc(n + 1);
    if (!*text) return fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
    memcpy(*text, s, n);
    (*text)[n] = '\0';
    *len = n;
    return true;
  }
  /* Not UTF-8: where is the first offending byte, for the message? */
  size_t line = 1, bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') line++;
    if (s[i] >= 0x80) {
      size_t len1 = s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
      if (s[i] < 0xC2 || s[i] > 0xF4 || i + len1 > n || !utf8_valid((const char *)s + i, len1)) {
        bad = i;
        break;
      }
      i += len1 - 1;
    }
  }
  if (bom)
    return fail(err, CSV_ENCODING, line, 0, "the file says it is UTF-8 (byte order mark) but byte 0x%02X at line %zu "
                "is not UTF-8", s[bad], line);
  if (has_utf8_sequence(s, n))
    return fail(err, CSV_ENCODING, line, 0, "the file mixes UTF-8 and another encoding (byte 0x%02X at line %zu): "
                "save it again as CSV UTF-8", s[bad], line);
  size_t out_len = 0;
  line = 1;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\n') line++;
    if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
      return fail(err, CSV_ENCODING, line, 0, "control character 0x%02X at line %zu: not a text file", s[i], line);
    unsigned cp = cp1252_code_point(s[i]);
    if (cp == 0)
      return fail(err, CSV_ENCODING, line, 0, "byte 0x%02X at line %zu is neither UTF-8 nor Windows-1252", s[i],
                  line);
    out_len += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
  }
  char *out = malloc(out_len + 1);
  if (!out) return fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += utf8_put(cp1252_code_point(s[i]), out + k);
  out[k] = '\0';
  *enc = CSV_WINDOWS_1252;
  *text = out;
  *len = k;
  return true;
}

/* The separator: the more frequent of ';' and ',' outside quotes on the first non-blank line. */
static char detect_separator(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && (s[i] == '\r' || s[i] == '\n')) i++;
  size_t semi = 0, comma = 0;
  bool quoted = false;
  for (; i < n; i++) {
    if (s[i] == '"') quoted = !quoted;
    else if (!quoted && (s[i] == '\n' || s[i] == '\r')) break;
    else if (!quoted && s[i] == ';') semi++;
    else if (!quoted && s[i] == ',') comma++;
  }
  return comma > semi ? ',' : ';';
}

struct builder {
  struct csv *csv;
  size_t text_len;
  size_t fields_cap, rows_cap;
};

static bool push_field(struct builder *b, size_t offset) {
  struct csv *c = b->csv;
  if (c->nfields == b->fields_cap) {
    size_t cap = b->fields_cap ? b->fields_cap * 2 : 64;
    size_t *f = realloc(c->fields, cap * sizeof *f);
    if (!f) return false;
    c->fields = f;
    b->fields_cap = cap;
  }
  c->fields[c->nfields++] = offset;
  return true;
}

static bool push_row(struct builder *b, size_t line, size_t first, size_t nfields) {
  struct csv *c = b->csv;
  if (c->nrows == b->rows_cap) {
    size_t cap = b->rows_cap ? b->rows_cap * 2 : 64;
    struct csv_row *r = realloc(c->rows, cap * sizeof *r);
    if (!r) return false;
    c->rows = r;
    b->rows_cap = cap;
  }
  c->rows[c->nrows++] = (struct csv_row){.line = line, .nfields = nfields, .first = first};
  return true;
}

const char *csv_field(const struct csv *csv, size_t row, size_t column) {
  if (row >= csv->nrows || column >= csv->rows[row].nfields) return "";
  return csv->text + csv->fields[csv->rows[row].first + column];
}

void csv_free(struct csv *csv) {
  if (!csv) return;
  free(csv->text);
  free(csv->fields);
  free(csv->rows);
  memset(csv, 0, sizeof *csv);
}

/* Checks the record just read (fields FIRST..end) against the header, drops blank records and trailing empty
 * fields. */
static bool end_record(struct builder *b, size_t line, size_t first, struct csv_error *err,
                       const struct csv_limits *lim) {
  struct csv *c = b->csv;
  size_t n = c->nfields - first;
  size_t used = n;
  while (used > 0 && c->text[c->fields[first + used - 1]] == '\0') used--;
  if (used == 0) { /* a blank line, or separators only */
    c->nfields = first;
    return true;
  }
  if (c->nrows == 0) { /* the header: its trailing empty names are not columns */
    c->nfields = first + used;
    return push_row(b, line, first, used) || fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
  }
  size_t width = c->rows[0].nfields;
  if (used > width)
    return fail(err, CSV_RAGGED, line, used, "line %zu has %zu fields, the header %zu: a value in column %zu has no "
                "header", line, used, width, used);
  if (n < width)
    return fail(err, CSV_RAGGED, line, n, "line %zu has %zu fields, the header %zu", line, n, width);
  if (lim && lim->max_rows && c->nrows - 1 >= lim->max_rows)
    return fail(err, CSV_TOO_MANY_ROWS, line, 0, "the file has more than %zu rows (line %zu): split it",
                lim->max_rows, line);
  c->nfields = first + width;
  return push_row(b, line, first, width) || fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
}

/* Splits the decoded text (in place: fields are rewritten over it, never longer than their source) into records. */
static bool split(struct builder *b, const struct csv_limits *lim, struct csv_error *err) {
  struct csv *c = b->csv;
  char *s = c->text;
  size_t n = b->text_len;
  char sep = c->separator;
  size_t max_field = lim && lim->max_field ? lim->max_field : (size_t)-1;
  size_t i = 0, w = 0, line = 1;
  while (i < n) {
    size_t record_line = line, first = c->nfields, column = 1;
    char end;
    for (;;) { /* one field */
      size_t start = w;
      size_t field_line = line;
      if (!push_field(b, start)) return fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
      if (i < n && s[i] == '"') {
        i++;
        for (;;) {
          if (i >= n)
            return fail(err, CSV_QUOTE, field_line, column, "the quote opened at line %zu, column %zu is never "
                        "closed", field_line, column);
          if (s[i] == '"') {
            if (i + 1 < n && s[i + 1] == '"') {
              s[w++] = '"';
              i += 2;
            } else {
              i++;
              break;
            }
          } else if (s[i] == '\r') { /* a quoted line break is kept as "\n" */
            if (i + 1 < n && s[i + 1] == '\n') i++;
            s[w++] = '\n';
            i++;
            line++;
          } else {
            if (s[i] == '\n') line++;
            s[w++] = s[i++];
          }
          if (w - start > max_field)
            return fail(err, CSV_FIELD_TOO_LONG, field_line, column, "the field at line %zu, column %zu is longer "
                        "than %zu bytes", field_line, column, max_field);
        }
        if (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r')
          return fail(err, CSV_QUOTE, line, column, "text after the closing quote at line %zu, column %zu", line,
                      column);
      } else {
        while (i < n && s[i] != sep && s[i] != '\n' && s[i] != '\r') {
          s[w++] = s[i++];
          if (w - start > max_field)
            return fail(err, CSV_FIELD_TOO_LONG, field_line, column, "the field at line %zu, column %zu is longer "
                        "than %zu bytes", field_line, column, max_field);
        }
      }
      /* The field's NUL may overwrite the separator or line break that ends it (w <= i always): read it first. */
      end = i < n ? s[i] : '\0';
      s[w++] = '\0';
      if (end == sep) {
        i++;
        column++;
        continue;
      }
      break;
    }
    if (end == '\r') {
      i++;
      if (i < n && s[i] == '\n') i++;
    } else if (end == '\n')
      i++;
    line++;
    if (!end_record(b, record_line, first, err, lim)) return false;
  }
  return true;
}

bool csv_parse(const char *data, size_t n, const struct csv_limits *limits, struct csv *out, struct csv_error *err) {
  memset(out, 0, sizeof *out);
  memset(err, 0, sizeof *err);
  if (limits && limits->max_file && n > limits->max_file)
    return fail(err, CSV_TOO_LARGE, 0, 0, "the file has %zu bytes, more than the %zu allowed: split it", n,
                limits->max_file);
  struct builder b = {.csv = out};
  if (!decode(data, n, &out->encoding, &out->text, &b.text_len, err)) return false;
  out->separator = detect_separator(out->text, b.text_len);
  /* The written text stays behind the read position, except the one NUL a field without a terminator adds at
   * the very end: room for it. */
  char *grown = realloc(out->text, b.text_len + 2);
  if (!grown) {
    csv_free(out);
    return fail(err, CSV_NO_MEMORY, 0, 0, "out of memory");
  }
  out->text = grown;
  if (!split(&b, limits, err)) {
    csv_free(out);
    return false;
  }
  if (out->nrows == 0) {
    csv_free(out);
    return fail(err, CSV_EMPTY, 0, 0, "the file is empty: it needs a header line naming its columns");
  }
  return true;
}

/* ---- header names ---- */

/* The ASCII letters of the Latin-1 Supplement and Latin Extended-A letters a French file uses (U+00C0..U+00FF),
 * lowercase; NULL for what is not a letter. */
static const char *fold_latin1(unsigned cp) {
  static const char *const table[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o",
    "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "ss", "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e",
    "e", "i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", NULL, "y",
  };
  if (cp >= 0xC0 && cp <= 0xFF) return table[cp - 0xC0];
  if (cp == 0x152 || cp == 0x153) return "oe";
  return NULL;
}

void csv_header_key(const char *name, char *out, size_t n) {
  if (n == 0) return;
  size_t k = 0;
  bool gap = false;
  const unsigned char *s = (const unsigned char *)name;
  while (*s) {
    unsigned cp;
    size_t len = 1;
    if (*s < 0x80) cp = *s;
    else if ((*s & 0xE0) == 0xC0 && (s[1] & 0xC0) == 0x80) {
      cp = ((unsigned)(*s & 0x1F) << 6) | (s[1] & 0x3F);
      len = 2;
    } else {
      cp = 0xFFFD; /* anything else separates words */
      while (s[len] & 0x80 && (s[len] & 0xC0) == 0x80) len++;
    }
    s += len;
    char ascii[3] = {0};
    const char *piece = NULL;
    if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
      ascii[0] = (char)cp;
      piece = ascii;
    } else if (cp >= 'A' && cp <= 'Z') {
      ascii[0] = (char)(cp - 'A' + 'a');
      piece = ascii;
    } else
      piece = fold_latin1(cp);
    if (!piece) {
      gap = k > 0;
      continue;
    }
    if (gap && k + 1 < n) out[k++] = '_';
    gap = false;
    for (; *piece && k + 1 < n; piece++) out[k++] = *piece;
  }
  out[k] = '\0';
}

/* ---- values ---- */

static const char *skip_spaces(const char *s) {
  for (;;) {
    if (*s == ' ' || *s == '\t') s++;
    else if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) s += 2; /* no-break space */
    else if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0xAF) s += 3;
    else return s;
  }
}

static int read_digits(const char **p, int min, int max, int *value) {
  int count = 0, v = 0;
  while (**p >= '0' && **p <= '9' && count < max + 1) {
    v = v * 10 + (**p - '0');
    (*p)++;
    count++;
  }
  if (count < min || count > max) return 0;
  *value = v;
  return count;
}

bool csv_parse_date(const char *text, struct date *out) {
  const char *p = skip_spaces(text);
  int a, b, c;
  int na = read_digits(&p, 1, 4, &a);
  if (!na) return false;
  char sep = *p;
  if (sep != '/' && sep != '-' && sep != '.') return false;
  p++;
  if (!read_digits(&p, 1, 2, &b)) return false;
  if (*p != sep) return false;
  p++;
  int nc = read_digits(&p, 1, 4, &c);
  if (!nc) return false;
  if (*skip_spaces(p) != '\0') return false;
  struct date d;
  if (na == 4 && sep == '-' && nc <= 2) d = (struct date){a, b, c};      /* ISO yyyy-mm-dd */
  else if (na <= 2 && nc == 4) d = (struct date){c, b, a};               /* dd/mm/yyyy */
  else return false;                                                     /* two-digit years: ambiguous */
  char iso[40];
  snprintf(iso, sizeof iso, "%04d-%02d-%02d", d.year, d.month, d.day);
  return date_parse(iso, out);
}

static bool refuse(const char **reason, const char *why) {
  if (reason) *reason = why;
  return false;
}

bool csv_parse_cents(const char *text, long long *cents, const char **reason) {
  /* First keep the digits and the '.' / ',' marks, dropping the currency and spaces, which may only surround or
   * group them. */
  char marks[64];
  size_t k = 0;
  const char *p = skip_spaces(text);
  bool currency = false;
  if (strncmp(p, "\xE2\x82\xAC", 3) == 0) {
    p = skip_spaces(p + 3);
    currency = true;
  }
  bool digits_seen = false, space_inside = false;
  while (*p) {
    if (*p >= '0' && *p <= '9') {
      if (space_inside && k > 0 && marks[k - 1] != ' ') marks[k++] = ' ';
      space_inside = false;
      marks[k++] = *p++;
      digits_seen = true;
    } else if (*p == '.' || *p == ',') {
      if (!digits_seen) return refuse(reason, "an amount starts with a digit");
      space_inside = false;
      marks[k++] = *p++;
    } else {
      const char *q = skip_spaces(p);
      if (q != p) {
        space_inside = true;
        p = q;
        continue;
      }
      break;
    }
    if (k + 2 >= sizeof marks) return refuse(reason, "too many digits for an amount");
  }
  marks[k] = '\0';
  p = skip_spaces(p);
  if (!currency && strncmp(p, "\xE2\x82\xAC", 3) == 0) p = skip_spaces(p + 3);
  else if (!currency && (strncmp(p, "EUR", 3) == 0 || strncmp(p, "eur", 3) == 0)) p = skip_spaces(p + 3);
  if (*p == '-') return refuse(reason, "an amount here is never negative");
  if (*p != '\0') return refuse(reason, "not an amount in euros (e.g. 450,00 or 1 234,56 €)");
  if (!digits_seen) return refuse(reason, "not an amount in euros (e.g. 450,00 or 1 234,56 €)");
  /* The decimal mark: the last '.' or ',' followed by one or two digits and nothing else. */
  char *last = NULL;
  for (char *m = marks; *m; m++)
    if (*m == '.' || *m == ',') last = m;
  size_t decimals = 0;
  char *decimal = NULL;
  if (last) {
    size_t after = strlen(last + 1);
    size_t same = 0;
    for (char *m = marks; *m; m++) same += *m == *last;
    bool other = strchr(marks, *last == '.' ? ',' : '.') != NULL;
    if (after == 0) return refuse(reason, "nothing after the decimal separator");
    if (after == 3 && same == 1 && !other && !strchr(marks, ' '))
      return refuse(reason, "ambiguous amount: is the separator a decimal one or does it group thousands? write "
                            "1234,00 or 1 234,00");
    if (after <= 2 && strchr(last + 1, ' ') == NULL) {
      if (same > 1) return refuse(reason, "the decimal separator appears twice");
      decimal = last;
      decimals = after;
    }
  }
  /* The integer part: digits grouped by three when there are group marks. */
  long long units = 0;
  char group = 0;
  size_t group_len = 0, groups = 0;
  for (char *m = marks; m != decimal && *m; m++) {
    if (*m >= '0' && *m <= '9') {
      if (units > 9999999999LL) return refuse(reason, "too large an amount");
      units = units * 10 + (*m - '0');
      group_len++;
      continue;
    }
    if (group && *m != group) return refuse(reason, "mixed separators for thousands");
    if (groups == 0 ? (group_len < 1 || group_len > 3) : group_len != 3)
      return refuse(reason, "thousands are grouped by three digits");
    group = *m;
    groups++;
    group_len = 0;
  }
  if (groups > 0 && group_len != 3) return refuse(reason, "thousands are grouped by three digits");
  long long fraction = 0;
  if (decimal) {
    fraction = (decimal[1] - '0') * 10;
    if (decimals == 2) fraction += decimal[2] - '0';
  }
  *cents = units * 100 + fraction;
  return true;
}

/* ---- writing ---- */

static bool formula_start(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

char *csv_cell_neutralise(const char *value) {
  size_t n = strlen(value);
  bool risky = n > 0 && formula_start(value[0]);
  char *out = malloc(n + 2);
  if (!out) return NULL;
  if (risky) out[0] = '\'';
  memcpy(out + risky, value, n + 1);
  return out;
}

char *csv_cell_restore(char *value) {
  if (value[0] == '\'' && formula_start(value[1])) memmove(value, value + 1, strlen(value));
  return value;
}

static bool out_reserve(struct csv_out *out, size_t more) {
  if (out->len + more + 1 <= out->cap) return true;
  size_t cap = out->cap ? out->cap : 4096;
  while (cap < out->len + more + 1) cap *= 2;
  char *d = realloc(out->data, cap);
  if (!d) return false;
  out->data = d;
  out->cap = cap;
  return true;
}

bool csv_out_text(struct csv_out *out, const char *text) {
  size_t n = strlen(text);
  if (!out_reserve(out, n)) return false;
  memcpy(out->data + out->len, text, n + 1);
  out->len += n;
  return true;
}

bool csv_out_field(struct csv_out *out, const char *value, char sep, bool first) {
  if (!value) value = "";
  bool risky = value[0] && formula_start(value[0]);
  bool quote = strchr(value, sep) || strchr(value, '"') || strchr(value, '\n') || strchr(value, '\r') ||
               value[0] == ' ';
  size_t n = strlen(value);
  if (!out_reserve(out, 2 * n + 4)) return false;
  char *d = out->data + out->len;
  if (!first) *d++ = sep;
  if (quote) *d++ = '"';
  if (risky) *d++ = '\'';
  for (const char *s = value; *s; s++) {
    if (*s == '"') *d++ = '"';
    *d++ = *s;
  }
  if (quote) *d++ = '"';
  *d = '\0';
  out->len = (size_t)(d - out->data);
  return true;
}

void csv_out_free(struct csv_out *out) {
  free(out->data);
  memset(out, 0, sizeof *out);
}
