/* Connections that cannot be held hostage. libmicrohttpd's own timeout counts inactivity only (one byte every few
 * seconds keeps a connection forever) and, at its connection limit, it stops accepting (new clients get no answer at
 * all). So every connection is registered here (MHD_OPTION_NOTIFY_CONNECTION) with a deadline for its current phase:
 * the request line and headers within --header-timeout of the connection's start (or of the end of its previous
 * request), the body within --body-timeout of the headers; a watchdog thread shuts down the socket of a connection
 * past its deadline (libmicrohttpd then closes it as a client that went away). And the daemon lets libmicrohttpd
 * accept a reserve of connections past --max-connections, or past --per-ip-connections for one address, only to
 * answer their request 503 at once (Connection: close) instead of leaving them unanswered. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_internal.h"
#include "log.h"

#define OVER_LIMIT_HEADER_MS 2000 /* a connection past a limit must send its request within this, to get its 503 */
#define WATCH_EVERY_MS 200

struct tracked {
  MHD_socket fd;
  uint64_t address; /* FNV-1a of the client's address (not its port); 0 when unknown */
  enum connection_refusal refusal;
  _Atomic uint64_t deadline_ns; /* monotonic; 0: none (a request is being handled) */
  struct tracked *prev, *next;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked *registry;
static unsigned long registered;
static atomic_ulong timed_out, refused;

static pthread_t watchdog;
static bool watchdog_running;
static atomic_bool watchdog_stop;

uint64_t http_client_address_key(struct MHD_Connection *connection) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == NULL || info->client_addr == NULL)
    return 0;
  const struct sockaddr *sa = info->client_addr;
  const unsigned char *bytes;
  size_t n;
  if (sa->sa_family == AF_INET) {
    bytes = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
    n = 4;
  } else if (sa->sa_family == AF_INET6) {
    bytes = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
    n = 16;
  } else {
    return 0;
  }
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ bytes[i]) * 1099511628211ull;
  return h ? h : 1;
}

static uint64_t seconds_ns(unsigned int seconds) { return (uint64_t)seconds * 1000000000u; }

void http_connection_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                            enum MHD_ConnectionNotificationCode toe) {
  (void)cls;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    struct tracked *t = calloc(1, sizeof *t);
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (t == NULL || info == NULL) {
      free(t); /* untracked: only libmicrohttpd's idle timeout applies to it */
      *socket_context = NULL;
      return;
    }
    t->fd = info->connect_fd;
    /* A trusted proxy carries many clients: --per-ip-connections does not apply to it. */
    const union MHD_ConnectionInfo *peer = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    t->address = peer != NULL && proxy_peer_trusted(peer->client_addr) ? 0 : http_client_address_key(connection);
    pthread_mutex_lock(&registry_lock);
    unsigned long same_address = 0;
    for (struct tracked *o = registry; o != NULL && t->address != 0; o = o->next)
      if (o->address == t->address && o->refusal == CONNECTION_ACCEPTED)
        same_address++;
    if (registered >= http_config.max_connections)
      t->refusal = CONNECTION_OVER_LIMIT;
    else if (http_config.per_ip_connections != 0 && same_address >= http_config.per_ip_connections)
      t->refusal = CONNECTION_OVER_ADDRESS_LIMIT;
    if (t->refusal == CONNECTION_ACCEPTED)
      registered++;
    t->next = registry;
    if (registry != NULL)
      registry->prev = t;
    registry = t;
    pthread_mutex_unlock(&registry_lock);
    uint64_t allowed = t->refusal == CONNECTION_ACCEPTED ? seconds_ns(http_config.header_timeout)
                                                          : (uint64_t)OVER_LIMIT_HEADER_MS * 1000000u;
    atomic_store(&t->deadline_ns, now_ns() + allowed);
    if (t->refusal != CONNECTION_ACCEPTED)
      atomic_fetch_add_explicit(&refused, 1, memory_order_relaxed);
    *socket_context = t;
    return;
  }
  struct tracked *t = *socket_context;
  if (toe != MHD_CONNECTION_NOTIFY_CLOSED || t == NULL)
    return;
  /* Unlinked before libmicrohttpd closes the socket: the watchdog never shuts down a descriptor reused since. */
  pthread_mutex_lock(&registry_lock);
  if (t->prev != NULL)
    t->prev->next = t->next;
  else
    registry = t->next;
  if (t->next != NULL)
    t->next->prev = t->prev;
  if (t->refusal == CONNECTION_ACCEPTED)
    registered--;
  pthread_mutex_unlock(&registry_lock);
  free(t);
  *socket_context = NULL;
}

static struct tracked *tracked_of(struct MHD_Connection *connection) {
  const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info != NULL ? info->socket_context : NULL;
}

enum connection_refusal http_connection_headers_received(struct MHD_Connection *connection) {
  struct tracked *t = tracked_of(connection);
  if (t == NULL)
    return CONNECTION_ACCEPTED;
  atomic_store(&t->deadline_ns, now_ns() + seconds_ns(http_config.body_timeout));
  return t->refusal;
}

void http_connection_handling(struct MHD_Connection *connection) {
  struct tracked *t = tracked_of(connection);
  if (t != NULL)
    atomic_store(&t->deadline_ns, 0);
}

void http_connection_request_done(struct MHD_Connection *connection) {
  struct tracked *t = tracked_of(connection);
  if (t != NULL) /* a kept-alive connection has the same time for its next request line and headers */
    atomic_store(&t->deadline_ns, now_ns() + seconds_ns(http_config.header_timeout));
}

static void *watchdog_main(void *arg) {
  (void)arg;
  struct timespec pause = {0, WATCH_EVERY_MS * 1000000L};
  while (!atomic_load(&watchdog_stop)) {
    nanosleep(&pause, NULL);
    uint64_t now = now_ns();
    unsigned long cut = 0;
    pthread_mutex_lock(&registry_lock);
    for (struct tracked *t = registry; t != NULL; t = t->next) {
      uint64_t deadline = atomic_load(&t->deadline_ns);
      if (deadline != 0 && now > deadline) {
        atomic_store(&t->deadline_ns, 0);
        shutdown(t->fd, SHUT_RDWR); /* libmicrohttpd sees the end of the stream and closes the connection */
        cut++;
      }
    }
    pthread_mutex_unlock(&registry_lock);
    if (cut > 0) {
      atomic_fetch_add_explicit(&timed_out, cut, memory_order_relaxed);
      log_event(LOG_WARN, "connections closed: request not received in time", ",\"connections\":%lu", cut);
    }
  }
  return NULL;
}

int http_watchdog_start(void) {
  atomic_store(&watchdog_stop, false);
  if (pthread_create(&watchdog, NULL, watchdog_main, NULL) != 0)
    return -1;
  watchdog_running = true;
  return 0;
}

void http_watchdog_stop(void) {
  if (!watchdog_running)
    return;
  atomic_store(&watchdog_stop, true);
  pthread_join(watchdog, NULL);
  watchdog_running = false;
}

unsigned long http_connections_timed_out(void) { return atomic_load_explicit(&timed_out, memory_order_relaxed); }
unsigned long http_connections_open(void) {
  pthread_mutex_lock(&registry_lock);
  unsigned long n = registered;
  pthread_mutex_unlock(&registry_lock);
  return n;
}

unsigned long http_connections_refused(void) { return atomic_load_explicit(&refused, memory_order_relaxed); }
