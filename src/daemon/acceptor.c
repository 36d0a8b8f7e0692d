/* The accept loop (see include/acceptor.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "acceptor.h"
#include "log.h"

static int listen_fd = -1, stop_fd = -1;
static struct MHD_Daemon *daemon_of;
static unsigned int connection_limit;
static pthread_t thread;

static unsigned int connections_open(void) {
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_of, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info != NULL ? info->num_connections : 0;
}

static void pause_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static void *acceptor_main(void *arg) {
  (void)arg;
  bool warned = false;
  for (;;) {
    /* At the limit the socket is not watched: new connections wait in the backlog until one closes (checked every
     * 20 ms), as libmicrohttpd did with its own socket. */
    bool full = connections_open() >= connection_limit;
    struct pollfd p[2] = {{.fd = listen_fd, .events = full ? 0 : POLLIN}, {.fd = stop_fd, .events = POLLIN}};
    int r = poll(p, 2, full ? 20 : -1);
    if (r < 0 && errno != EINTR) {
      log_event(LOG_ERROR, "accept loop: poll failed", ",\"error\":\"%s\"", strerror(errno));
      pause_ms(100);
      continue;
    }
    if (p[1].revents != 0)
      return NULL;
    if (r <= 0 || !(p[0].revents & POLLIN))
      continue;
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
        continue;
      /* out of descriptors or memory: the connection waits in the backlog while some close */
      if (!warned)
        log_event(LOG_WARN, "accept failed: new connections wait", ",\"error\":\"%s\"", strerror(errno));
      warned = true;
      pause_ms(100);
      continue;
    }
    warned = false;
    /* On failure libmicrohttpd has closed the socket (the client sees the connection closed). */
    (void)MHD_add_connection(daemon_of, fd, (const struct sockaddr *)&peer, len);
  }
}

int acceptor_start(int fd, struct MHD_Daemon *d, unsigned int limit) {
  stop_fd = eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0)
    return -1;
  listen_fd = fd;
  daemon_of = d;
  connection_limit = limit;
  int err = pthread_create(&thread, NULL, acceptor_main, NULL);
  if (err != 0) {
    close(stop_fd);
    stop_fd = listen_fd = -1;
    errno = err;
    return -1;
  }
  return 0;
}

void acceptor_stop(void) {
  if (stop_fd < 0)
    return;
  uint64_t one = 1;
  while (write(stop_fd, &one, sizeof one) < 0 && errno == EINTR)
    ;
  pthread_join(thread, NULL);
  close(listen_fd);
  close(stop_fd);
  listen_fd = stop_fd = -1;
}
