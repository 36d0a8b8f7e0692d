/* The daemon's own accept loop: one thread takes the connections of the listening socket and hands each to
 * libmicrohttpd (MHD_add_connection), whose worker threads (started with MHD_USE_NO_LISTEN_SOCKET) serve them. At
 * the limit it leaves new connections in the kernel's backlog; stopped, it closes the socket, so that what arrives
 * next is refused at once (a proxy tries another instance). libmicrohttpd never touches the listening socket:
 * its own quiesce, racing its epoll workers, could abort the process at a stop. */
#ifndef COMMISSIOND_ACCEPTOR_H
#define COMMISSIOND_ACCEPTOR_H

#include <microhttpd.h>

/* Starts accepting on LISTEN_FD (listening, non-blocking; the acceptor owns it from now on, and closes it) for D,
 * keeping at most LIMIT connections open. 0, or -1 with errno set (LISTEN_FD then still the caller's). */
int acceptor_start(int listen_fd, struct MHD_Daemon *d, unsigned int limit);
/* Stops accepting and closes the listening socket; the connections already handed over stay served. */
void acceptor_stop(void);

#endif
