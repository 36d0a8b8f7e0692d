/* Unit tests of the iCalendar writing rules (RFC 5545): TEXT escaping (3.3.11) and content lines folded at 75
 * octets (3.1) without splitting a UTF-8 character, each physical line ending in CRLF. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "letters.h"

/* LINE folded, as one string; the caller frees it. */
static char *folded(const char *line) {
  char *out = NULL;
  size_t len = 0, cap = 0;
  return ics_line(&out, &len, &cap, line) ? out : NULL;
}

/* True when every physical line of TEXT ends in CRLF, is at most 75 octets, starts (but the first) with one
 * space, does not begin with a UTF-8 continuation byte after that space, and the unfolded text is WANT. */
static bool folds_to(const char *text, const char *want) {
  char unfolded[4096];
  size_t u = 0;
  const char *p = text;
  for (bool first = true; *p != '\0'; first = false) {
    const char *end = strstr(p, "\r\n");
    if (end == NULL || end - p > 75)
      return false;
    const char *from = p;
    if (!first) {
      if (*from != ' ')
        return false;
      from++;
    }
    if (from < end && ((unsigned char)*from & 0xC0) == 0x80)
      return false;
    memcpy(unfolded + u, from, (size_t)(end - from));
    u += (size_t)(end - from);
    p = end + 2;
  }
  unfolded[u] = '\0';
  return strcmp(unfolded, want) == 0;
}

static bool escapes(const char *in, const char *want) {
  char out[256];
  return ics_text_escape(in, out, sizeof out) && strcmp(out, want) == 0;
}

int main(void) {
  CHECK(escapes("Salle du conseil, hôtel de ville", "Salle du conseil\\, hôtel de ville"));
  CHECK(escapes("a;b\\c", "a\\;b\\\\c"));
  CHECK(escapes("ligne 1\nligne 2", "ligne 1\\nligne 2"));
  CHECK(escapes("ligne 1\r\nligne 2", "ligne 1\\nligne 2"));
  CHECK(escapes("", ""));
  char small[4];
  CHECK(!ics_text_escape("a,b", small, sizeof small)); /* "a\,b" and its NUL need 5 */

  char line[400];
  /* 75 octets: one line; 76: folded into 75 + " " and 1 */
  memset(line, 'x', 75);
  line[75] = '\0';
  char *f = folded(line);
  CHECK(f != NULL && strlen(f) == 77 && folds_to(f, line));
  free(f);
  memset(line, 'x', 76);
  line[76] = '\0';
  f = folded(line);
  CHECK(f != NULL && strlen(f) == 75 + 2 + 1 + 1 + 2 && folds_to(f, line));
  free(f);
  /* a two-byte character across octet 75 moves whole to the next line */
  memset(line, 'x', 74);
  strcpy(line + 74, "é and more text");
  f = folded(line);
  CHECK(f != NULL && strncmp(f, line, 74) == 0 && memcmp(f + 74, "\r\n é", 5) == 0 && folds_to(f, line));
  free(f);
  /* long runs of three- and four-byte characters: every line valid, the text whole */
  line[0] = '\0';
  for (int i = 0; i < 30; i++)
    strcat(line, i % 2 ? "œ€" : "😀");
  f = folded(line);
  CHECK(f != NULL && folds_to(f, line));
  free(f);
  f = folded("");
  CHECK(f != NULL && strcmp(f, "\r\n") == 0);
  free(f);
  return check_exit();
}
