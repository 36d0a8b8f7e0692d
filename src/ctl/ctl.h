/* commissionctl's subcommands. Each returns the process exit status. */
#ifndef COMMISSIONCTL_CTL_H
#define COMMISSIONCTL_CTL_H

#include <libpq-fe.h>

int ctl_migrate(PGconn *conn, const char *dir);

#endif
