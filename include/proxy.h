/* Trusted reverse proxies and the client address of a request (src/http/proxy.c). From a peer in
 * --trusted-proxy, the client is the right-most address of X-Forwarded-For (or of RFC 7239 Forwarded: for=) that
 * is not itself a trusted proxy; from any other peer those headers are ignored and the client is the peer. */
#ifndef COMMISSIOND_PROXY_H
#define COMMISSIOND_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define PROXY_NETS_MAX 64
#define CLIENT_ADDRESS_MAX INET6_ADDRSTRLEN /* the text of an address, its NUL included */

enum proxy_header { PROXY_X_FORWARDED_FOR, PROXY_FORWARDED };

/* Adds the networks of LIST ("CIDR[,CIDR...]", IPv4 or IPv6; an address alone is one host) to the trusted
 * proxies. 0, or -1 with the reason naming the bad part in ERR (size N); nothing is added then. */
int proxy_trust_parse(const char *list, char *err, size_t n);
/* Forgets every trusted proxy (tests). */
void proxy_trust_clear(void);
/* Which header carries the chain of addresses: X-Forwarded-For (the default) or Forwarded. */
void proxy_header_use(enum proxy_header header);
enum proxy_header proxy_header_used(void);
/* The header's name, for lookups ("X-Forwarded-For" or "Forwarded"). */
const char *proxy_header_name(void);
/* Whether any proxy is trusted at all (else no header is ever read). */
bool proxy_any_trusted(void);

/* Whether the socket address SA is a trusted proxy. */
bool proxy_peer_trusted(const struct sockaddr *sa);
/* The canonical text of SA's address into OUT (an IPv4-mapped IPv6 address as IPv4); false when SA is neither. */
bool proxy_address_text(const struct sockaddr *sa, char out[CLIENT_ADDRESS_MAX]);

/* The client address of a request from PEER (canonical text), whose HEADER (the configured header's lines joined
 * with ", ", or NULL) is read only when PEER_TRUSTED: walking its addresses right to left, the first that is not a
 * trusted proxy; the left-most when every one is; the last trusted hop when an element is not an address (garbage,
 * "unknown", an obfuscated name). Written into OUT. Pure: tests/unit/test_proxy.c. */
void proxy_client_address(const char *peer, bool peer_trusted, const char *header, enum proxy_header kind,
                          char out[CLIENT_ADDRESS_MAX]);

/* A 64-bit FNV-1a of TEXT, never 0: the key of per-address (and per-token) limits. */
uint64_t proxy_key(const char *text);

#endif
