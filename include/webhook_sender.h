/* The webhook delivery workers (src/daemon/webhook_sender.c). */
#ifndef COMMISSIOND_WEBHOOK_SENDER_H
#define COMMISSIOND_WEBHOOK_SENDER_H

/* Starts webhook_config.workers threads on CONNINFO (none when webhooks are not configured); 0 or -1. */
int webhook_sender_start(const char *conninfo);
/* Stops them (an attempt in progress ends first: at most the send timeout). */
void webhook_sender_stop(void);
/* The delay in seconds before the next attempt of a delivery that failed ATTEMPTS times, for a BASE delay. */
long webhook_retry_delay(long attempts, long base);

#endif
