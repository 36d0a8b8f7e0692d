/* libFuzzer target: the client address behind trusted proxies (proxy_client_address() of src/http/proxy.c), on an
 * X-Forwarded-For or Forwarded value a client can write most of (a proxy appends to what the client sent). The
 * first byte picks the header; the rest is its value, up to its first NUL as MHD hands it over. */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "proxy.h"

#define PEER "10.0.0.2" /* a trusted proxy */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  char err[160];
  FUZZ_CHECK(proxy_trust_parse("10.0.0.0/8,2001:db8:1::/48", err, sizeof err) == 0, "%s", err);
  return 0;
}

/* Whether TEXT is an address in its canonical text (what inet_ntop writes), IPv4-mapped ones excluded. */
static bool canonical(const char *text) {
  unsigned char bytes[16];
  char again[CLIENT_ADDRESS_MAX];
  int family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return inet_pton(family, text, bytes) == 1 && inet_ntop(family, bytes, again, sizeof again) != NULL &&
         strcmp(again, text) == 0 && (family == AF_INET || memcmp(bytes, mapped, sizeof mapped) != 0);
}

static bool trusted_text(const char *text) {
  struct sockaddr_storage ss = {0};
  if (strchr(text, ':') != NULL) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1)
      return false;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1)
      return false;
  }
  return proxy_peer_trusted((struct sockaddr *)&ss);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  enum proxy_header kind = data[0] & 1 ? PROXY_FORWARDED : PROXY_X_FORWARDED_FOR;
  size_t n = strnlen((const char *)data + 1, size - 1);
  char *header = malloc(n + 64), *longer = malloc(n + 64);
  FUZZ_CHECK(header != NULL && longer != NULL, "out of memory");
  memcpy(header, data + 1, n);
  header[n] = '\0';

  char out[CLIENT_ADDRESS_MAX], again[CLIENT_ADDRESS_MAX];
  /* From a peer that is not trusted, the header is never read. */
  proxy_client_address("192.0.2.1", false, header, kind, out);
  FUZZ_CHECK(strcmp(out, "192.0.2.1") == 0, "an untrusted peer's header was read: %s -> %s", header, out);

  proxy_client_address(PEER, true, header, kind, out);
  /* Always an address in canonical text: the peer, or a hop of the header. */
  FUZZ_CHECK(canonical(out), "not a canonical address: %s -> %s", header, out);

  /* The walk starts at the right: a client hop appended by the trusted proxy is the client, whatever came before. */
  snprintf(longer, n + 64, "%s%s%s", header, n ? ", " : "",
           kind == PROXY_FORWARDED ? "for=198.51.100.77" : "198.51.100.77");
  proxy_client_address(PEER, true, longer, kind, again);
  if (strchr(header, '"') == NULL) /* an unbalanced quote may swallow the separator */
    FUZZ_CHECK(strcmp(again, "198.51.100.77") == 0, "the right-most untrusted hop is not the client: %s -> %s",
               longer, again);

  /* Once an untrusted hop is found, what a client wrote to its left does not matter. */
  if (strchr(header, '"') == NULL && strcmp(out, PEER) != 0 && !trusted_text(out)) {
    snprintf(longer, n + 64, "%s%s", kind == PROXY_FORWARDED ? "for=203.0.113.9, " : "203.0.113.9, ", header);
    proxy_client_address(PEER, true, longer, kind, again);
    FUZZ_CHECK(strcmp(again, out) == 0, "a hop to the left changed the client: %s -> %s, not %s", longer, again,
               out);
  }
  free(longer);
  free(header);
  return 0;
}
