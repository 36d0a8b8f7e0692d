/* Where in a JSON body a parse error lies, as a JSON pointer (RFC 6901): jansson says at which byte it stopped,
 * not in which member, and a client needs the member ("/name") to fix its request. */
#include <stdio.h>
#include <string.h>

#include "http_internal.h"

#define DEPTH_MAX 64 /* deeper members are named by their ancestor at this depth */
#define KEY_MAX 128  /* longer keys are cut (at a character boundary) */

struct frame {
  bool object;
  bool has_key;       /* object: a key was read and its value not yet ended by a comma */
  size_t index;       /* array: the current element */
  char key[KEY_MAX];  /* object: the current key, decoded */
};

/* Appends the code point CP to KEY (of length *LEN) as UTF-8, when it fits. */
static void key_put(char *key, size_t *len, unsigned long cp) {
  char buf[4];
  size_t n;
  if (cp < 0x80) {
    buf[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    buf[0] = (char)(0xC0 | (cp >> 6));
    buf[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    buf[0] = (char)(0xE0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  if (*len + n < KEY_MAX) {
    memcpy(key + *len, buf, n);
    *len += n;
    key[*len] = '\0';
  }
}

static int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1000);
  }
  return v < 0 ? -1 : v;
}

/* Scans the string starting after its opening quote at TEXT[*I]; decodes it into KEY when KEY is not NULL.
 * Returns false when the string does not end before END (the error lies inside it), or is a key holding \u0000. */
static bool scan_string(const char *text, size_t *i, size_t end, char *key) {
  size_t len = 0;
  if (key != NULL)
    key[0] = '\0';
  while (*i < end) {
    unsigned char c = (unsigned char)text[*i];
    if (c == '"') {
      (*i)++;
      return true;
    }
    if (c == '\\' && *i + 1 < end) {
      char e = text[*i + 1];
      *i += 2;
      if (e == 'u' && *i + 4 <= end) {
        int cp = hex4(text + *i);
        *i += 4;
        if (key != NULL && cp == 0)
          return false; /* a key no pointer can name (jansson refuses it): its object is named */
        if (key != NULL && cp > 0 && (cp < 0xD800 || cp > 0xDFFF))
          key_put(key, &len, (unsigned long)cp);
        else if (key != NULL && cp >= 0xD800 && cp <= 0xDBFF && *i + 6 <= end && text[*i] == '\\' &&
                 text[*i + 1] == 'u') {
          int lo = hex4(text + *i + 2);
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            key_put(key, &len, 0x10000 + (((unsigned long)cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00));
            *i += 6;
          }
        }
      } else if (key != NULL) {
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *at = strchr(from, e);
        if (at != NULL && e != '\0')
          key_put(key, &len, (unsigned char)to[at - from]);
      }
      continue;
    }
    if (key != NULL && len + 1 < KEY_MAX) {
      /* A raw byte: kept only while a whole character fits, so that the key stays valid UTF-8. */
      size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      if (len + n < KEY_MAX && *i + n <= end) {
        memcpy(key + len, text + *i, n);
        len += n;
        key[len] = '\0';
        *i += n;
        continue;
      }
    }
    (*i)++;
  }
  return false;
}

/* Writes the pointer of FRAMES[0..DEPTH) into OUT: "/a/0/b", "" for the document itself. */
static void pointer_write(const struct frame *frames, size_t depth, char *out, size_t n) {
  size_t o = 0;
  out[0] = '\0';
  for (size_t d = 0; d < depth; d++) {
    const struct frame *f = &frames[d];
    if (f->object && !f->has_key)
      break;
    char segment[2 * KEY_MAX + 2];
    size_t s = 0;
    segment[s++] = '/';
    if (f->object) {
      for (const char *k = f->key; *k != '\0' && s + 3 < sizeof segment; k++) {
        if (*k == '~' || *k == '/') { /* RFC 6901 escapes */
          segment[s++] = '~';
          segment[s++] = *k == '~' ? '0' : '1';
        } else {
          segment[s++] = *k;
        }
      }
      segment[s] = '\0';
    } else {
      snprintf(segment + s, sizeof segment - s, "%zu", f->index);
      s = strlen(segment);
    }
    if (o + s + 1 > n)
      break;
    memcpy(out + o, segment, s + 1);
    o += s;
  }
}

void json_error_pointer(const char *text, size_t len, size_t position, char *out, size_t n) {
  struct frame frames[DEPTH_MAX];
  size_t depth = 0, skipped = 0; /* frames past DEPTH_MAX are counted, not kept */
  size_t end = position < len ? position : len;
  bool want_key = false;
  size_t i = 0;
  while (i < end) {
    char c = text[i];
    if (c == '{' || c == '[') {
      if (depth < DEPTH_MAX) {
        frames[depth] = (struct frame){.object = c == '{'};
        depth++;
      } else {
        skipped++;
      }
      want_key = c == '{';
      i++;
    } else if (c == '}' || c == ']') {
      if (skipped > 0)
        skipped--;
      else if (depth > 0)
        depth--;
      want_key = false;
      i++;
    } else if (c == ',') {
      if (skipped == 0 && depth > 0) {
        struct frame *f = &frames[depth - 1];
        if (f->object)
          f->has_key = false;
        else
          f->index++;
        want_key = f->object;
      }
      i++;
    } else if (c == '"') {
      i++;
      bool is_key = want_key && skipped == 0 && depth > 0 && frames[depth - 1].object;
      if (!scan_string(text, &i, end, is_key ? frames[depth - 1].key : NULL))
        break; /* the error is inside this string: a key names its object, a value its member */
      if (is_key)
        frames[depth - 1].has_key = true;
      want_key = false;
    } else {
      i++; /* whitespace, colons, literals and numbers */
    }
  }
  pointer_write(frames, depth, out, n);
}
