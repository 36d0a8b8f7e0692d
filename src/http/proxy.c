/* Trusted reverse proxies and the client address of a request (see include/proxy.h). The list is set once at
 * start (before any worker thread) and only read afterwards. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

struct proxy_net {
  int family; /* AF_INET or AF_INET6 */
  unsigned char bytes[16];
  unsigned int prefix;
};

static struct proxy_net nets[PROXY_NETS_MAX];
static size_t n_nets;
static enum proxy_header header_kind = PROXY_X_FORWARDED_FOR;

void proxy_trust_clear(void) { n_nets = 0; }
void proxy_header_use(enum proxy_header header) { header_kind = header; }
enum proxy_header proxy_header_used(void) { return header_kind; }
const char *proxy_header_name(void) { return header_kind == PROXY_FORWARDED ? "Forwarded" : "X-Forwarded-For"; }
bool proxy_any_trusted(void) { return n_nets > 0; }

uint64_t proxy_key(const char *text) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
    h = (h ^ *p) * 1099511628211ull;
  return h ? h : 1;
}

/* TEXT (LEN bytes, no port, no brackets) as an address: IPv4, or IPv6 (an IPv4-mapped one becomes IPv4). */
static bool address_parse(const char *text, size_t len, int *family, unsigned char bytes[16]) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (len == 0 || len >= sizeof buf)
    return false;
  memcpy(buf, text, len);
  buf[len] = '\0';
  if (inet_pton(AF_INET, buf, bytes) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, buf, bytes) != 1)
    return false;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(bytes, mapped, sizeof mapped) == 0) {
    memmove(bytes, bytes + 12, 4);
    *family = AF_INET;
  } else {
    *family = AF_INET6;
  }
  return true;
}

static bool net_contains(const struct proxy_net *net, int family, const unsigned char *bytes) {
  if (net->family != family)
    return false;
  unsigned int full = net->prefix / 8, rest = net->prefix % 8;
  if (memcmp(net->bytes, bytes, full) != 0)
    return false;
  if (rest == 0)
    return true;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (net->bytes[full] & mask) == (bytes[full] & mask);
}

static bool trusted(int family, const unsigned char *bytes) {
  for (size_t i = 0; i < n_nets; i++)
    if (net_contains(&nets[i], family, bytes))
      return true;
  return false;
}

int proxy_trust_parse(const char *list, char *err, size_t n) {
  size_t added = n_nets;
  const char *p = list;
  for (;;) {
    while (*p == ' ' || *p == ',')
      p++;
    if (*p == '\0')
      break;
    const char *end = p;
    while (*end != '\0' && *end != ',' && *end != ' ')
      end++;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    struct proxy_net net = {0};
    bool ok = added < PROXY_NETS_MAX && address_parse(p, (size_t)((slash ? slash : end) - p), &net.family, net.bytes);
    unsigned int max = net.family == AF_INET ? 32 : 128;
    net.prefix = max;
    if (ok && slash != NULL) {
      char *stop;
      unsigned long prefix = strtoul(slash + 1, &stop, 10);
      ok = stop == end && slash + 1 != end && prefix <= max;
      net.prefix = (unsigned int)prefix;
    }
    if (!ok) {
      snprintf(err, n, "\"%.*s\" is not an address or a network (CIDR such as 10.0.0.0/8 or fd00::/8)%s",
               (int)(end - p > 60 ? 60 : end - p), p, added >= PROXY_NETS_MAX ? ", or too many of them" : "");
      return -1;
    }
    nets[added++] = net;
    p = end;
  }
  n_nets = added;
  return 0;
}

static bool sockaddr_bytes(const struct sockaddr *sa, int *family, unsigned char bytes[16]) {
  if (sa == NULL)
    return false;
  if (sa->sa_family == AF_INET) {
    memcpy(bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    *family = AF_INET;
    return true;
  }
  if (sa->sa_family != AF_INET6)
    return false;
  const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(b, mapped, sizeof mapped) == 0) {
    memcpy(bytes, b + 12, 4);
    *family = AF_INET;
  } else {
    memcpy(bytes, b, 16);
    *family = AF_INET6;
  }
  return true;
}

bool proxy_peer_trusted(const struct sockaddr *sa) {
  int family;
  unsigned char bytes[16];
  return n_nets > 0 && sockaddr_bytes(sa, &family, bytes) && trusted(family, bytes);
}

bool proxy_address_text(const struct sockaddr *sa, char out[CLIENT_ADDRESS_MAX]) {
  int family;
  unsigned char bytes[16];
  out[0] = '\0';
  return sockaddr_bytes(sa, &family, bytes) && inet_ntop(family, bytes, out, CLIENT_ADDRESS_MAX) != NULL;
}

static bool blank(char c) { return c == ' ' || c == '\t'; }

/* One node of the chain (S, LEN bytes): an address, optionally quoted, bracketed ([v6]) and with a port. */
static bool node_parse(const char *s, size_t len, int *family, unsigned char bytes[16]) {
  while (len > 0 && blank(*s))
    s++, len--;
  while (len > 0 && blank(s[len - 1]))
    len--;
  if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
    s++, len -= 2;
  if (len > 0 && s[0] == '[') {
    const char *close = memchr(s, ']', len);
    if (close == NULL)
      return false;
    size_t after = len - (size_t)(close + 1 - s);
    if (after > 0 && close[1] != ':')
      return false;
    return address_parse(s + 1, (size_t)(close - s - 1), family, bytes) && *family == AF_INET6;
  }
  const char *colon = memchr(s, ':', len);
  if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL) /* IPv4:port */
    return address_parse(s, (size_t)(colon - s), family, bytes) && *family == AF_INET;
  return address_parse(s, len, family, bytes);
}

/* The for= value of one Forwarded element (S, LEN bytes: pairs separated by ';'), or false when it has none. */
static bool forwarded_for(const char *s, size_t len, const char **value, size_t *value_len) {
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    bool quoted = false;
    while (i < len && (quoted || s[i] != ';')) {
      if (s[i] == '"')
        quoted = !quoted;
      i++;
    }
    const char *pair = s + start;
    size_t pair_len = i - start;
    while (pair_len > 0 && blank(*pair))
      pair++, pair_len--;
    if (pair_len > 4 && strncasecmp(pair, "for", 3) == 0) {
      size_t k = 3;
      while (k < pair_len && blank(pair[k]))
        k++;
      if (k < pair_len && pair[k] == '=') {
        *value = pair + k + 1;
        *value_len = pair_len - k - 1;
        return true;
      }
    }
    i++; /* past the ';' */
  }
  return false;
}

void proxy_client_address(const char *peer, bool peer_trusted, const char *header, enum proxy_header kind,
                          char out[CLIENT_ADDRESS_MAX]) {
  snprintf(out, CLIENT_ADDRESS_MAX, "%s", peer);
  if (!peer_trusted || header == NULL)
    return;
  /* Walk the elements (separated by commas outside quotes) from the right. */
  size_t end = strlen(header);
  while (end > 0) {
    size_t start = end;
    bool quoted = false;
    while (start > 0 && (quoted || header[start - 1] != ',')) {
      if (header[start - 1] == '"')
        quoted = !quoted;
      start--;
    }
    const char *node = header + start;
    size_t node_len = end - start;
    if (kind == PROXY_FORWARDED && !forwarded_for(header + start, end - start, &node, &node_len))
      return;
    int family;
    unsigned char bytes[16];
    if (!node_parse(node, node_len, &family, bytes))
      return; /* not an address: nothing to its left can be trusted; the last trusted hop stays the client */
    if (inet_ntop(family, bytes, out, CLIENT_ADDRESS_MAX) == NULL)
      return;
    if (!trusted(family, bytes))
      return;
    end = start > 0 ? start - 1 : 0;
  }
}
