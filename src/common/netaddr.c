/* Public and private addresses, and webhook endpoint URLs (see include/netaddr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "netaddr.h"

/* An IPv4 address in host order, against the ranges that are not public. */
static bool ipv4_public(uint32_t a) {
  static const struct { uint32_t net, mask; } blocked[] = {
    {0x00000000u, 0xff000000u}, /* 0/8 "this network" */
    {0x0a000000u, 0xff000000u}, /* 10/8 */
    {0x64400000u, 0xffc00000u}, /* 100.64/10 shared address space */
    {0x7f000000u, 0xff000000u}, /* 127/8 loopback */
    {0xa9fe0000u, 0xffff0000u}, /* 169.254/16 link-local (cloud metadata) */
    {0xac100000u, 0xfff00000u}, /* 172.16/12 */
    {0xc0000000u, 0xffffff00u}, /* 192.0.0/24 protocol assignments */
    {0xc0000200u, 0xffffff00u}, /* 192.0.2/24 documentation */
    {0xc0a80000u, 0xffff0000u}, /* 192.168/16 */
    {0xc6120000u, 0xfffe0000u}, /* 198.18/15 benchmarking */
    {0xc6336400u, 0xffffff00u}, /* 198.51.100/24 documentation */
    {0xcb007100u, 0xffffff00u}, /* 203.0.113/24 documentation */
    {0xe0000000u, 0xf0000000u}, /* 224/4 multicast */
    {0xf0000000u, 0xf0000000u}, /* 240/4 reserved, broadcast */
  };
  for (size_t i = 0; i < sizeof blocked / sizeof *blocked; i++)
    if ((a & blocked[i].mask) == blocked[i].net)
      return false;
  return true;
}

static bool ipv6_public(const unsigned char *b) {
  static const unsigned char zero[16] = {0};
  if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) /* :: and ::1 */
    return false;
  if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 site-local (deprecated) */
    return false;
  if (b[0] == 0xff) /* multicast */
    return false;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) /* 2001:db8::/32 documentation */
    return false;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0) /* v4 inside */
    return ipv4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
  return true;
}

bool address_is_public(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET)
    return ipv4_public(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
  if (sa->sa_family == AF_INET6)
    return ipv6_public(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
  return false;
}

static bool fail(char *why, size_t n, const char *reason) {
  snprintf(why, n, "%s", reason);
  return false;
}

bool webhook_url_check(const char *url, bool allow_http, bool allow_private, char *why, size_t why_len) {
  const char *p;
  if (strncmp(url, "https://", 8) == 0)
    p = url + 8;
  else if (strncmp(url, "http://", 7) == 0 && allow_http)
    p = url + 7;
  else
    return fail(why, why_len, allow_http ? "must be an http or https URL" : "must be an https URL");
  for (const char *c = url; *c != '\0'; c++)
    if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '#' || *c == '\\')
      return fail(why, why_len, "must not hold white space, control characters, backslashes or a fragment");
  size_t authority = strcspn(p, "/?");
  if (memchr(p, '@', authority) != NULL)
    return fail(why, why_len, "must not hold user information");
  char host[256];
  const char *port = NULL;
  if (*p == '[') { /* [IPv6] */
    const char *end = memchr(p, ']', authority);
    if (end == NULL || (size_t)(end - p - 1) >= sizeof host)
      return fail(why, why_len, "has a malformed IPv6 address");
    memcpy(host, p + 1, (size_t)(end - p - 1));
    host[end - p - 1] = '\0';
    if (end + 1 < p + authority) {
      if (end[1] != ':')
        return fail(why, why_len, "has a malformed host");
      port = end + 2;
    }
  } else {
    const char *colon = memchr(p, ':', authority);
    size_t len = colon != NULL ? (size_t)(colon - p) : authority;
    if (len == 0 || len >= sizeof host)
      return fail(why, why_len, "must name a host");
    memcpy(host, p, len);
    host[len] = '\0';
    for (size_t i = 0; i < len; i++) {
      char c = host[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
        return fail(why, why_len, "has a host that is not a name or an address");
    }
    if (colon != NULL)
      port = colon + 1;
  }
  if (port != NULL) {
    size_t digits = strspn(port, "0123456789");
    long v = 0;
    if (digits == 0 || digits > 5 || port + digits != p + authority ||
        (sscanf(port, "%ld", &v) != 1 || v < 1 || v > 65535))
      return fail(why, why_len, "has a port that is not a number from 1 to 65535");
  }
  if (allow_private)
    return true;
  size_t hl = strlen(host);
  if (strcasecmp(host, "localhost") == 0 || (hl > 10 && strcasecmp(host + hl - 10, ".localhost") == 0))
    return fail(why, why_len, "must not be a local or private address (the server refuses them unless configured "
                              "with --webhook-allow-private)");
  struct sockaddr_in v4 = {.sin_family = AF_INET};
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
  if ((inet_pton(AF_INET, host, &v4.sin_addr) == 1 && !address_is_public((struct sockaddr *)&v4)) ||
      (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 && !address_is_public((struct sockaddr *)&v6)))
    return fail(why, why_len, "must not be a local or private address (the server refuses them unless configured "
                              "with --webhook-allow-private)");
  return true;
}
