/* Endpoint handlers, one file per resource in src/api/. */
#ifndef COMMISSIOND_API_H
#define COMMISSIOND_API_H

#include "http.h"

/* health.c */
enum MHD_Result api_healthz(struct request *rq);
enum MHD_Result api_readyz(struct request *rq);
enum MHD_Result api_metrics(struct request *rq);
/* me.c */
enum MHD_Result api_me_get(struct request *rq);
/* organisations.c */
enum MHD_Result api_organisations_list(struct request *rq);
enum MHD_Result api_organisations_create(struct request *rq);
enum MHD_Result api_organisations_get(struct request *rq);
enum MHD_Result api_organisations_update(struct request *rq);
/* tokens.c */
enum MHD_Result api_tokens_list(struct request *rq);
enum MHD_Result api_tokens_create(struct request *rq);
enum MHD_Result api_tokens_revoke(struct request *rq);

#endif
