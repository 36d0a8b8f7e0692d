/* The route table: every route the daemon serves, in one place. api/openapi.yaml must list exactly these
 * (tests/spec checks it against `commissiond --routes`). */
#include "api.h"
#include "http.h"

const struct route http_routes[] = {
  {"GET", "/healthz", api_healthz, ROUTE_PUBLIC | ROUTE_NO_DB},
  {"GET", "/readyz", api_readyz, ROUTE_PUBLIC},
  {"GET", "/metrics", api_metrics, ROUTE_PUBLIC | ROUTE_NO_DB},
  {"GET", "/v1/me", api_me_get, 0},
  {"GET", "/v1/organisations", api_organisations_list, 0},
  {"POST", "/v1/organisations", api_organisations_create, ROUTE_JSON_BODY},
  {"GET", "/v1/organisations/{id}", api_organisations_get, 0},
  {"PATCH", "/v1/organisations/{id}", api_organisations_update, ROUTE_JSON_BODY},
  {"GET", "/v1/tokens", api_tokens_list, 0},
  {"POST", "/v1/tokens", api_tokens_create, ROUTE_JSON_BODY},
  {"POST", "/v1/tokens/{id}/revoke", api_tokens_revoke, 0},
  {NULL, NULL, NULL, 0},
};
