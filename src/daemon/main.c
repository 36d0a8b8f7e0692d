/* commissiond: the daemon. Reads its options (flags or COMMISSIOND_* variables), refuses a database whose
 * schema is not the one it was built for, serves HTTP from an MHD thread pool, and on SIGTERM/SIGINT stops
 * accepting, lets requests in flight finish (bounded wait), and exits 0. It keeps no state of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "build_config.h"
#include "acceptor.h"
#include "audit.h"
#include "db.h"
#include "http_internal.h"
#include "log.h"
#include "proxy.h"
#include "queries.h"
#include "schema.h"
#include "webhook_sender.h"
#include "webhooks.h"

struct options {
  const char *db;
  const char *listen;
  unsigned int shutdown_timeout;
  unsigned int statement_timeout_ms, lock_timeout_ms, import_timeout_ms;
  bool per_ip_set; /* --per-ip-connections given: else a quarter of --max-connections */
  const char *webhook_key_file;
};

static void usage(FILE *out) {
  fprintf(out,
          "Usage: commissiond [OPTIONS]\n"
          "The case-tracking server of a housing commission (commission appartement).\n\n"
          "Each option can also be set by the environment variable in brackets.\n"
          "  --db CONNINFO            PostgreSQL conninfo or URI [COMMISSIOND_DB]; empty: libpq's PG* defaults\n"
          "  --listen HOST:PORT       address to serve [COMMISSIOND_LISTEN], default 127.0.0.1:8080;\n"
          "                           port 0 picks a free port (logged)\n"
          "  --threads N              worker threads, one database connection each [COMMISSIOND_THREADS],\n"
          "                           default: number of cores\n"
          "  --max-body BYTES         largest request body [COMMISSIOND_MAX_BODY], default 1048576\n"
          "  --max-import-body BYTES  largest CSV file POST /v1/imports takes [COMMISSIOND_MAX_IMPORT_BODY],\n"
          "                           default 16777216\n"
          "  --timeout SECONDS        idle connection timeout [COMMISSIOND_TIMEOUT], default 30\n"
          "  --header-timeout SECONDS  time in all for a request line and its headers, from the connection's\n"
          "                           start or the end of its previous request [COMMISSIOND_HEADER_TIMEOUT],\n"
          "                           default 10\n"
          "  --body-timeout SECONDS   time in all for a request body, once its headers arrived\n"
          "                           [COMMISSIOND_BODY_TIMEOUT], default 30\n"
          "  --shutdown-timeout SECONDS  wait for requests in flight on SIGTERM [COMMISSIOND_SHUTDOWN_TIMEOUT],\n"
          "                           default 10\n"
          "  --max-connections N      concurrent connections; past it a new connection is answered 503\n"
          "                           [COMMISSIOND_MAX_CONNECTIONS], default 1024\n"
          "  --per-ip-connections N   concurrent connections per client address (past it: 503), 0 = unlimited\n"
          "                           (behind a reverse proxy every connection comes from its address)\n"
          "                           [COMMISSIOND_PER_IP_CONNECTIONS], default a quarter of --max-connections\n"
          "  --auth-failure-limit N   failed authentications per client address (and per token) and clock\n"
          "                           minute, counted in the database for every instance, before it is\n"
          "                           answered 429 until the minute is over; 0 = no limit\n"
          "                           [COMMISSIOND_AUTH_FAILURE_LIMIT], default 30\n"
          "  --trusted-proxy CIDR[,CIDR...]  reverse proxies (addresses or networks, IPv4 or IPv6) whose\n"
          "                           X-Forwarded-For (or Forwarded) names the client [COMMISSIOND_TRUSTED_PROXY];\n"
          "                           default none: the headers are ignored and the client is the peer\n"
          "  --proxy-header NAME      x-forwarded-for or forwarded (RFC 7239): the header the trusted proxies\n"
          "                           set [COMMISSIOND_PROXY_HEADER], default x-forwarded-for\n"
          "  --statement-timeout MS   longest statement of a request; past it the request answers 503\n"
          "                           [COMMISSIOND_STATEMENT_TIMEOUT], default 10000; 0 = the server's setting\n"
          "  --lock-timeout MS        longest wait for a row or table lock; past it the request answers 503\n"
          "                           [COMMISSIOND_LOCK_TIMEOUT], default 5000; 0 = the server's setting\n"
          "  --import-timeout MS      longest statement of an import's dry run or commit (a file of up to\n"
          "                           50 000 rows is one statement) [COMMISSIOND_IMPORT_TIMEOUT], default\n"
          "                           600000; 0 = the server's setting\n"
          "  --audit-backlog N        read audit entries a worker thread may hold unwritten before its\n"
          "                           requests wait for the audit thread [COMMISSIOND_AUDIT_BACKLOG],\n"
          "                           default 1024; past it a request waits up to 2 s, then answers 503\n"
          "  --audit-reads MODE       async: a read's audit entry is written by the audit thread within about\n"
          "                           100 ms of its answer; sync: committed before its answer is sent\n"
          "                           [COMMISSIOND_AUDIT_READS], default async\n"
          "  --webhook-key-file PATH  the key that seals webhook secrets in the database: 64 hex digits, in a\n"
          "                           file only its owner (and group) read [COMMISSIOND_WEBHOOK_KEY_FILE];\n"
          "                           without it, webhooks are off\n"
          "  --webhook-workers N      delivery threads, each with a database connection; 0: this instance\n"
          "                           sends none [COMMISSIOND_WEBHOOK_WORKERS], default 2\n"
          "  --webhook-timeout SECONDS  longest wait for a receiver's answer [COMMISSIOND_WEBHOOK_TIMEOUT],\n"
          "                           default 10\n"
          "  --webhook-retry-base SECONDS  first retry delay; later ones grow to every 4 hours\n"
          "                           [COMMISSIOND_WEBHOOK_RETRY_BASE], default 5\n"
          "  --webhook-allow-http     allow plain http endpoints [COMMISSIOND_WEBHOOK_ALLOW_HTTP]\n"
          "  --webhook-allow-private  allow endpoints on loopback and private addresses\n"
          "                           [COMMISSIOND_WEBHOOK_ALLOW_PRIVATE]\n"
          "  --web-idle-timeout SECONDS  a web front session unused this long ends\n"
          "                           [COMMISSIOND_WEB_IDLE_TIMEOUT], default 1800 (30 minutes)\n"
          "  --web-secure-cookie      always mark the web session cookie Secure (else: when the request came\n"
          "                           over TLS, as a proxy says with X-Forwarded-Proto: https)\n"
          "                           [COMMISSIOND_WEB_SECURE_COOKIE]\n"
          "  --log-level LEVEL        error, warn, info or debug [COMMISSIOND_LOG_LEVEL], default info\n"
          "  --routes                 print the routes served (METHOD PATH) and exit\n"
          "  --describe               print the route table (access per role, body fields, audit type) as JSON\n"
          "  --version                print the version and exit\n"
          "  --help                   print this help and exit\n");
}

/* Parses a positive integer option; exits with a message when it is not one. */
static unsigned long parse_count(const char *name, const char *value, unsigned long min, unsigned long max) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(value, &end, 10);
  if (errno != 0 || *value == '\0' || *end != '\0' || v < min || v > max) {
    fprintf(stderr, "commissiond: %s must be an integer from %lu to %lu, not \"%s\"\n", name, min, max, value);
    exit(2);
  }
  return v;
}

static void set_option(struct options *o, int key, const char *value) {
  switch (key) {
  case 'd': o->db = value; break;
  case 'l': o->listen = value; break;
  case 't': http_config.threads = (unsigned)parse_count("--threads", value, 1, 256); break;
  case 'b': http_config.max_body = parse_count("--max-body", value, 1024, 64ul * 1024 * 1024); break;
  case 'I':
    http_config.max_import_body = parse_count("--max-import-body", value, 1024, 256ul * 1024 * 1024);
    break;
  case 'T': http_config.connection_timeout = (unsigned)parse_count("--timeout", value, 1, 3600); break;
  case 'H': http_config.header_timeout = (unsigned)parse_count("--header-timeout", value, 1, 3600); break;
  case 'Y': http_config.body_timeout = (unsigned)parse_count("--body-timeout", value, 1, 3600); break;
  case 'S': o->shutdown_timeout = (unsigned)parse_count("--shutdown-timeout", value, 0, 3600); break;
  case 'c': http_config.max_connections = (unsigned)parse_count("--max-connections", value, 1, 100000); break;
  case 'p':
    http_config.per_ip_connections = (unsigned)parse_count("--per-ip-connections", value, 0, 100000);
    o->per_ip_set = true;
    break;
  case 'A': http_config.auth_failure_limit = (unsigned)parse_count("--auth-failure-limit", value, 0, 1000000); break;
  case 'P': {
    char err[160];
    proxy_trust_clear();
    if (proxy_trust_parse(value, err, sizeof err) != 0) {
      fprintf(stderr, "commissiond: --trusted-proxy: %s\n", err);
      exit(2);
    }
    break;
  }
  case 'F':
    if (strcasecmp(value, "x-forwarded-for") == 0)
      proxy_header_use(PROXY_X_FORWARDED_FOR);
    else if (strcasecmp(value, "forwarded") == 0)
      proxy_header_use(PROXY_FORWARDED);
    else {
      fprintf(stderr, "commissiond: --proxy-header must be x-forwarded-for or forwarded, not \"%s\"\n", value);
      exit(2);
    }
    break;
  case 's': o->statement_timeout_ms = (unsigned)parse_count("--statement-timeout", value, 0, 3600000); break;
  case 'k': o->lock_timeout_ms = (unsigned)parse_count("--lock-timeout", value, 0, 3600000); break;
  case 1004: o->import_timeout_ms = (unsigned)parse_count("--import-timeout", value, 0, 3600000); break;
  case 'B': audit_queue_backlog = (unsigned)parse_count("--audit-backlog", value, 1, 60000); break;
  case 1001: http_config.web_idle_timeout = (unsigned)parse_count("--web-idle-timeout", value, 1, 86400); break;
  case 1002: http_config.web_secure_cookie = value == NULL || strcmp(value, "0") != 0; break;
  case 'R':
    if (strcmp(value, "sync") != 0 && strcmp(value, "async") != 0) {
      fprintf(stderr, "commissiond: --audit-reads must be sync or async, not \"%s\"\n", value);
      exit(2);
    }
    audit_reads_sync = strcmp(value, "sync") == 0;
    break;
  case 'K': o->webhook_key_file = value; break;
  case 'W': webhook_config.workers = (unsigned)parse_count("--webhook-workers", value, 0, 16); break;
  case 'O': webhook_config.timeout_seconds = (unsigned)parse_count("--webhook-timeout", value, 1, 120); break;
  case 'E': webhook_config.retry_base_seconds = (long)parse_count("--webhook-retry-base", value, 1, 3600); break;
  case 1003: webhook_config.allow_http = value == NULL || strcmp(value, "1") == 0; break;
  case 'Q': webhook_config.allow_private = value == NULL || strcmp(value, "1") == 0; break;
  case 'L': {
    int level = log_level_parse(value);
    if (level < 0) {
      fprintf(stderr, "commissiond: --log-level must be error, warn, info or debug\n");
      exit(2);
    }
    log_threshold = (enum log_level)level;
    break;
  }
  default: break;
  }
}

static const struct option long_options[] = {
  {"db", required_argument, NULL, 'd'},
  {"listen", required_argument, NULL, 'l'},
  {"threads", required_argument, NULL, 't'},
  {"max-body", required_argument, NULL, 'b'},
  {"max-import-body", required_argument, NULL, 'I'},
  {"timeout", required_argument, NULL, 'T'},
  {"header-timeout", required_argument, NULL, 'H'},
  {"body-timeout", required_argument, NULL, 'Y'},
  {"shutdown-timeout", required_argument, NULL, 'S'},
  {"max-connections", required_argument, NULL, 'c'},
  {"per-ip-connections", required_argument, NULL, 'p'},
  {"auth-failure-limit", required_argument, NULL, 'A'},
  {"trusted-proxy", required_argument, NULL, 'P'},
  {"proxy-header", required_argument, NULL, 'F'},
  {"statement-timeout", required_argument, NULL, 's'},
  {"lock-timeout", required_argument, NULL, 'k'},
  {"import-timeout", required_argument, NULL, 1004},
  {"audit-backlog", required_argument, NULL, 'B'},
  {"audit-reads", required_argument, NULL, 'R'},
  {"webhook-key-file", required_argument, NULL, 'K'},
  {"webhook-workers", required_argument, NULL, 'W'},
  {"webhook-timeout", required_argument, NULL, 'O'},
  {"webhook-retry-base", required_argument, NULL, 'E'},
  {"webhook-allow-http", no_argument, NULL, 1003},
  {"webhook-allow-private", no_argument, NULL, 'Q'},
  {"log-level", required_argument, NULL, 'L'},
  {"web-idle-timeout", required_argument, NULL, 1001},
  {"web-secure-cookie", no_argument, NULL, 1002},
  {"routes", no_argument, NULL, 'r'},
  {"describe", no_argument, NULL, 'D'},
  {"version", no_argument, NULL, 'V'},
  {"help", no_argument, NULL, 'h'},
  {NULL, 0, NULL, 0},
};

/* Environment first, flags override. */
static void read_options(int argc, char **argv, struct options *o) {
  static const struct { const char *env; int key; } envs[] = {
    {"COMMISSIOND_DB", 'd'}, {"COMMISSIOND_LISTEN", 'l'}, {"COMMISSIOND_THREADS", 't'},
    {"COMMISSIOND_MAX_BODY", 'b'}, {"COMMISSIOND_MAX_IMPORT_BODY", 'I'}, {"COMMISSIOND_TIMEOUT", 'T'}, {"COMMISSIOND_SHUTDOWN_TIMEOUT", 'S'},
    {"COMMISSIOND_MAX_CONNECTIONS", 'c'}, {"COMMISSIOND_PER_IP_CONNECTIONS", 'p'}, {"COMMISSIOND_LOG_LEVEL", 'L'},
    {"COMMISSIOND_HEADER_TIMEOUT", 'H'}, {"COMMISSIOND_BODY_TIMEOUT", 'Y'},
    {"COMMISSIOND_AUTH_FAILURE_LIMIT", 'A'}, {"COMMISSIOND_AUDIT_BACKLOG", 'B'}, {"COMMISSIOND_AUDIT_READS", 'R'},
    {"COMMISSIOND_WEBHOOK_KEY_FILE", 'K'}, {"COMMISSIOND_WEBHOOK_WORKERS", 'W'}, {"COMMISSIOND_WEBHOOK_TIMEOUT", 'O'},
    {"COMMISSIOND_WEBHOOK_RETRY_BASE", 'E'}, {"COMMISSIOND_WEBHOOK_ALLOW_HTTP", 1003},
    {"COMMISSIOND_WEBHOOK_ALLOW_PRIVATE", 'Q'},
    {"COMMISSIOND_WEB_IDLE_TIMEOUT", 1001}, {"COMMISSIOND_WEB_SECURE_COOKIE", 1002},
    {"COMMISSIOND_TRUSTED_PROXY", 'P'}, {"COMMISSIOND_PROXY_HEADER", 'F'},
    {"COMMISSIOND_STATEMENT_TIMEOUT", 's'}, {"COMMISSIOND_LOCK_TIMEOUT", 'k'}, {"COMMISSIOND_IMPORT_TIMEOUT", 1004},
  };
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  http_config.threads = cores > 0 ? (unsigned)cores : 2;
  o->db = "";
  o->listen = "127.0.0.1:8080";
  o->shutdown_timeout = 10;
  o->statement_timeout_ms = 10000;
  o->lock_timeout_ms = 5000;
  o->import_timeout_ms = 600000;
  o->per_ip_set = false;
  o->webhook_key_file = NULL;
  webhook_config.retry_base_seconds = 5;
  for (size_t i = 0; i < sizeof envs / sizeof *envs; i++) {
    const char *v = getenv(envs[i].env);
    if (v != NULL && *v != '\0')
      set_option(o, envs[i].key, v);
  }
  int c;
  while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
    switch (c) {
    case 'h': usage(stdout); exit(0);
    case 'V': printf("commissiond %s (schema %d)\n", COMMISSIOND_VERSION, SCHEMA_VERSION); exit(0);
    case 'r':
      for (const struct route *r = http_routes; r->method != NULL; r++)
        printf("%s %s\n", r->method, r->pattern);
      exit(0);
    case 'D': exit(http_describe(stdout) == 0 ? 0 : 1);
    case '?': usage(stderr); exit(2);
    default: set_option(o, c, optarg); break;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "commissiond: unexpected argument \"%s\"\n", argv[optind]);
    exit(2);
  }
  /* One address may hold a quarter of the connections: a client (or a slowloris) alone cannot take them all. */
  if (!o->per_ip_set)
    http_config.per_ip_connections = http_config.max_connections >= 4 ? http_config.max_connections / 4 : 1;
}

/* Resolves HOST:PORT (or [V6]:PORT) into ADDR. */
static int resolve_listen(const char *listen, struct sockaddr_storage *addr) {
  char host[256];
  const char *colon = strrchr(listen, ':');
  if (colon == NULL || colon == listen || (size_t)(colon - listen) >= sizeof host)
    return -1;
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  char *h = host;
  if (h[0] == '[' && h[strlen(h) - 1] == ']') {
    h[strlen(h) - 1] = '\0';
    h++;
  }
  struct addrinfo hints = {.ai_flags = AI_NUMERICSERV | AI_PASSIVE, .ai_socktype = SOCK_STREAM}, *ai;
  if (getaddrinfo(h, colon + 1, &hints, &ai) != 0)
    return -1;
  memcpy(addr, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  return 0;
}

/* Opens the listening socket on ADDR, so that a failure says why (libmicrohttpd's own would not): the socket, or
 * -1 with errno set and *STEP naming the call that failed. */
static int open_listener(const struct sockaddr_storage *addr, const char **step) {
  socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  *step = "socket";
  int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  int on = 1;
  *step = "setsockopt";
  /* As libmicrohttpd did with its own socket: an IPv6 address serves IPv6 only. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
      (addr->ss_family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) == 0)) {
    *step = "bind";
    if (bind(fd, (const struct sockaddr *)addr, len) == 0) {
      *step = "listen";
      if (listen(fd, 1024) == 0)
        return fd;
    }
  }
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

/* Stops what a start that failed had started (the watchdog, the audit thread, the listener, the connections):
 * main()'s exit status. */
static int start_failed(void) {
  http_watchdog_stop();
  audit_chainer_stop();
  auth_listener_stop();
  db_global_shutdown();
  return 1;
}

/* Refuses to serve a database whose schema this build does not know. */
static int check_schema(const char *conninfo) {
  struct db *db = db_open(conninfo);
  if (db == NULL) {
    fprintf(stderr, "commissiond: cannot connect to the database (see the log line above)\n");
    return -1;
  }
  int version = -1;
  enum db_status s = db_schema_version(db, &version);
  const char *superuser = PQparameterStatus(db_pgconn(db), "is_superuser");
  if (superuser != NULL && strcmp(superuser, "on") == 0)
    log_event(LOG_WARN, "connected as a PostgreSQL superuser: row-level security between commissions is bypassed; "
                        "run commissiond as an ordinary role", NULL);
  db_close(db);
  if (s < 0) {
    fprintf(stderr, "commissiond: cannot read the schema version\n");
    return -1;
  }
  if (version < SCHEMA_VERSION) {
    fprintf(stderr,
            "commissiond: the database schema is version %d, older than this build's %d: "
            "run `commissionctl migrate` first\n", version, SCHEMA_VERSION);
    return -1;
  }
  if (version > SCHEMA_VERSION) {
    fprintf(stderr,
            "commissiond: the database schema is version %d, newer than this build's %d: "
            "run a newer commissiond\n", version, SCHEMA_VERSION);
    return -1;
  }
  return 0;
}

/* Refuses a pooler that hands server sessions around between transactions (README: Database timeouts and poolers). */
static int check_pooler(const char *conninfo) {
  bool pooled = false;
  if (db_pooled_per_transaction(conninfo, &pooled) != 0) {
    fprintf(stderr, "commissiond: cannot check how the database connections are pooled (see the log line above)\n");
    return -1;
  }
  if (pooled) {
    fprintf(stderr,
            "commissiond: the database is reached through a pooler in transaction (or statement) mode, such as "
            "PgBouncer with pool_mode=transaction: commissiond needs a server session per connection (prepared "
            "statements, the commission setting of row-level security, LISTEN for token revocations). Use "
            "pool_mode=session for its database, or connect to PostgreSQL directly; each instance holds --threads "
            "+ 2 sessions.\n");
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  struct options o;
  read_options(argc, argv, &o);
  if (sodium_init() < 0) {
    fprintf(stderr, "commissiond: libsodium failed to initialise\n");
    return 1;
  }
  struct sockaddr_storage addr;
  if (resolve_listen(o.listen, &addr) != 0) {
    fprintf(stderr, "commissiond: --listen must be HOST:PORT, not \"%s\"\n", o.listen);
    return 2;
  }
  if (check_schema(o.db) != 0 || check_pooler(o.db) != 0)
    return 1;
  if (o.webhook_key_file != NULL && *o.webhook_key_file != '\0') {
    char why[300];
    if (!webhook_key_load(o.webhook_key_file, webhook_config.key, why, sizeof why)) {
      fprintf(stderr, "commissiond: --webhook-key-file: %s\n", why);
      return 2;
    }
    webhook_config.enabled = true;
  }

  /* Workers inherit this mask; only the main thread takes the signals, in sigwait(). */
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  db_request_timeouts(o.statement_timeout_ms, o.lock_timeout_ms, o.import_timeout_ms);
  if (db_global_init(o.db) != 0 || auth_listener_start(o.db) != 0 || audit_chainer_start(o.db) != 0) {
    fprintf(stderr, "commissiond: out of memory\n");
    return 1;
  }
  /* The listening socket is ours (src/daemon/acceptor.c): libmicrohttpd 0.9.75's MHD_quiesce_daemon() removes it
   * from each epoll worker's set while the worker may be doing the same, and aborts the process when it loses that
   * race (seen about once in 150 stops with connections closing at the moment of SIGTERM). */
  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
  /* libmicrohttpd accepts a reserve past --max-connections (and past --per-ip-connections for one address): those
   * connections are answered 503 at once (src/http/connections.c) instead of waiting unanswered in the backlog. */
  unsigned int reserve = http_config.max_connections / 4 > 32 ? http_config.max_connections / 4 : 32;
  unsigned int mhd_limit = http_config.max_connections + reserve;
  if (http_watchdog_start() != 0) {
    fprintf(stderr, "commissiond: cannot start the connection watchdog\n");
    audit_chainer_stop();
    auth_listener_stop();
    db_global_shutdown();
    return 1;
  }
  const char *step;
  int listen_fd = open_listener(&addr, &step);
  if (listen_fd < 0) {
    fprintf(stderr, "commissiond: cannot listen on %s: %s (%s)\n", o.listen, strerror(errno), step);
    return start_failed();
  }
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, NULL, NULL, http_access_handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, http_config.threads,
      MHD_OPTION_NOTIFY_COMPLETED, http_request_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
      http_config.connection_timeout, MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_NOTIFY_CONNECTION,
      http_connection_notify, NULL, MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "commissiond: cannot start the HTTP server on %s: %s\n", o.listen,
            errno != 0 ? strerror(errno) : "libmicrohttpd refused its options");
    close(listen_fd);
    return start_failed();
  }
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  unsigned int port = 0;
  if (getsockname(listen_fd, (struct sockaddr *)&bound, &bound_len) == 0)
    port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                             : ((struct sockaddr_in *)&bound)->sin_port);
  if (acceptor_start(listen_fd, d, mhd_limit) != 0) {
    fprintf(stderr, "commissiond: cannot start the accept loop: %s\n", strerror(errno));
    MHD_stop_daemon(d);
    close(listen_fd);
    return start_failed();
  }
  char host[256];
  snprintf(host, sizeof host, "%.*s", (int)(strrchr(o.listen, ':') - o.listen), o.listen);
  if (webhook_sender_start(o.db) != 0)
    log_event(LOG_ERROR, "cannot start the webhook delivery workers", NULL);
  log_event(LOG_INFO, "listening", ",\"address\":\"%s:%u\",\"threads\":%u,\"schema_version\":%d", host, port,
            http_config.threads, SCHEMA_VERSION);

  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0)
    ;
  log_event(LOG_INFO, "stopping", ",\"signal\":%d,\"in_flight\":%ld", sig, http_in_flight());
  acceptor_stop(); /* no new connection: the socket is closed, what arrives is refused */
  struct timespec deadline, now, pause = {0, 20 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += o.shutdown_timeout;
  while (http_in_flight() > 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec || (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
      log_event(LOG_WARN, "shutdown timeout: abandoning requests in flight", ",\"in_flight\":%ld", http_in_flight());
      break;
    }
    nanosleep(&pause, NULL);
  }
  MHD_stop_daemon(d);
  webhook_sender_stop();
  http_watchdog_stop();
  audit_chainer_stop(); /* after the last request: writes what is still queued, and the tokens' last use */
  audit_queue_shutdown();
  token_used_shutdown();
  auth_listener_stop();
  db_global_shutdown();
  log_event(LOG_INFO, "stopped", NULL);
  return 0;
}
