/* Where a webhook may be sent: a public address, never the server's own network (no server-side request forgery
 * into a hospital's network), unless the operator allows private ranges. */
#ifndef COMMISSIOND_NETADDR_H
#define COMMISSIOND_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* True when SA (IPv4 or IPv6) is a public unicast address: false for loopback, private (RFC 1918, fc00::/7),
 * shared (100.64/10), link-local, multicast, unspecified, reserved, and IPv4-mapped or NAT64 forms of those. */
bool address_is_public(const struct sockaddr *sa);

/* Checks a webhook endpoint URL: https (http only when ALLOW_HTTP), a host name or address literal, an optional
 * port, no user information, no fragment, no white space; a host that is an address literal or "localhost" must
 * be public unless ALLOW_PRIVATE. False with WHY (a reason for the client) otherwise. Host names are checked again,
 * once resolved, when a delivery connects. */
bool webhook_url_check(const char *url, bool allow_http, bool allow_private, char *why, size_t why_len);

#endif
