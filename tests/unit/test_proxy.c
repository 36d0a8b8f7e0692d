/* Unit tests of the client address behind trusted proxies (include/proxy.h): which hop of X-Forwarded-For or
 * Forwarded is the client, and that an untrusted peer's headers are never read. */
#include <arpa/inet.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

static const char *client(const char *peer, bool trusted, const char *header, enum proxy_header kind) {
  static char out[CLIENT_ADDRESS_MAX];
  proxy_client_address(peer, trusted, header, kind, out);
  return out;
}

static void test_trust_parse(void) {
  char err[160];
  proxy_trust_clear();
  CHECK(proxy_trust_parse("10.0.0.0/8, 192.168.1.7,fd00::/8,::1", err, sizeof err) == 0);
  CHECK(proxy_any_trusted());
  struct sockaddr_in v4 = {.sin_family = AF_INET};
  inet_pton(AF_INET, "10.200.3.4", &v4.sin_addr);
  CHECK(proxy_peer_trusted((struct sockaddr *)&v4));
  inet_pton(AF_INET, "11.0.0.1", &v4.sin_addr);
  CHECK(!proxy_peer_trusted((struct sockaddr *)&v4));
  inet_pton(AF_INET, "192.168.1.7", &v4.sin_addr);
  CHECK(proxy_peer_trusted((struct sockaddr *)&v4));
  inet_pton(AF_INET, "192.168.1.8", &v4.sin_addr);
  CHECK(!proxy_peer_trusted((struct sockaddr *)&v4));
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
  inet_pton(AF_INET6, "fd12:3456::1", &v6.sin6_addr);
  CHECK(proxy_peer_trusted((struct sockaddr *)&v6));
  inet_pton(AF_INET6, "fe80::1", &v6.sin6_addr);
  CHECK(!proxy_peer_trusted((struct sockaddr *)&v6));
  inet_pton(AF_INET6, "::ffff:10.1.2.3", &v6.sin6_addr); /* an IPv4 client of a dual-stack socket */
  CHECK(proxy_peer_trusted((struct sockaddr *)&v6));
  char text[CLIENT_ADDRESS_MAX];
  CHECK(proxy_address_text((struct sockaddr *)&v6, text) && strcmp(text, "10.1.2.3") == 0);

  /* A bad list is refused whole, naming the part. */
  proxy_trust_clear();
  CHECK(proxy_trust_parse("10.0.0.0/8,10.0.0.0/33", err, sizeof err) == -1 && strstr(err, "10.0.0.0/33") != NULL);
  CHECK(!proxy_any_trusted());
  CHECK(proxy_trust_parse("proxy.example", err, sizeof err) == -1);
  CHECK(proxy_trust_parse("10.0.0.1/", err, sizeof err) == -1);
  CHECK(proxy_trust_parse("::1/129", err, sizeof err) == -1);
  CHECK(proxy_trust_parse("10.0.0.1/8x", err, sizeof err) == -1);
  CHECK(!proxy_any_trusted());
}

static void test_client_address(void) {
  char err[160];
  proxy_trust_clear();
  CHECK(proxy_trust_parse("10.0.0.0/8,2001:db8:1::/48", err, sizeof err) == 0);
  enum proxy_header xff = PROXY_X_FORWARDED_FOR, fwd = PROXY_FORWARDED;
  /* An untrusted peer: its header is never read. */
  CHECK(strcmp(client("203.0.113.9", false, "198.51.100.1", xff), "203.0.113.9") == 0);
  /* A trusted peer without the header: the peer. */
  CHECK(strcmp(client("10.0.0.2", true, NULL, xff), "10.0.0.2") == 0);
  /* The right-most untrusted address: what the client wrote on the left is ignored. */
  CHECK(strcmp(client("10.0.0.2", true, "1.2.3.4, 198.51.100.7", xff), "198.51.100.7") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "1.2.3.4, 198.51.100.7, 10.9.9.9", xff), "198.51.100.7") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "198.51.100.7,10.9.9.9 ,10.1.1.1", xff), "198.51.100.7") == 0);
  /* Every hop trusted: the left-most. */
  CHECK(strcmp(client("10.0.0.2", true, "10.3.3.3, 10.4.4.4", xff), "10.3.3.3") == 0);
  /* Garbage stops the walk at the last trusted hop. */
  CHECK(strcmp(client("10.0.0.2", true, "198.51.100.7, nonsense", xff), "10.0.0.2") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "198.51.100.7, garbage, 10.4.4.4", xff), "10.4.4.4") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "", xff), "10.0.0.2") == 0);
  CHECK(strcmp(client("10.0.0.2", true, " , ", xff), "10.0.0.2") == 0);
  /* IPv6, bracketed, with a port; canonical text. */
  CHECK(strcmp(client("10.0.0.2", true, "2001:DB8:2::0001", xff), "2001:db8:2::1") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "[2001:db8:2::1]:4711", xff), "2001:db8:2::1") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "198.51.100.7:5555", xff), "198.51.100.7") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "198.51.100.7, 2001:db8:1::5", xff), "198.51.100.7") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "::ffff:198.51.100.7", xff), "198.51.100.7") == 0);
  /* RFC 7239 Forwarded. */
  CHECK(strcmp(client("10.0.0.2", true, "for=192.0.2.60;proto=http;by=203.0.113.43", fwd), "192.0.2.60") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "for=192.0.2.43, For=\"[2001:db8:cafe::17]:4711\"", fwd),
               "2001:db8:cafe::17") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "for=192.0.2.43, for=10.5.5.5;proto=https", fwd), "192.0.2.43") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "for=unknown", fwd), "10.0.0.2") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "for=192.0.2.43, for=_hidden", fwd), "10.0.0.2") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "proto=https;by=10.0.0.1", fwd), "10.0.0.2") == 0);
  CHECK(strcmp(client("10.0.0.2", true, "by=\"a;b,c\";for=198.51.100.9", fwd), "198.51.100.9") == 0);
  /* The other header's syntax is not read as this one. */
  CHECK(strcmp(client("10.0.0.2", true, "for=192.0.2.60", xff), "10.0.0.2") == 0);
  /* Too long to be an address. */
  CHECK(strcmp(client("10.0.0.2", true, "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa", xff), "10.0.0.2") == 0);
  proxy_trust_clear();
}

int main(void) {
  test_trust_parse();
  test_client_address();
  return check_exit();
}
