/* The route table: every route the daemon serves, in one place, with who may call it, the fields of its body and
 * the object type of its audit entries. api/openapi.yaml must list exactly these (tests/spec checks it against
 * `commissiond --routes` and `commissiond --describe`). */
#include "access.h"
#include "api.h"
#include "http.h"

/* Who may call: the resource and action access_decide() is asked about, and the 403's words. */
#define ANY_ROLE {0, 0, NULL}
#define MAY(resource, action, forbidden) {resource, action, forbidden}

#define ORGS_READ MAY(RES_ORGANISATION, ACT_READ, "Only the coordinator manages organisations.")
#define ORGS_WRITE(action) MAY(RES_ORGANISATION, action, "Only the coordinator manages organisations.")
#define TOKENS(action) MAY(RES_TOKEN, action, "Only the coordinator manages tokens.")
#define APPLICATIONS(action) MAY(RES_APPLICATION, action, "This role has no access to applications.")
#define PEOPLE(action) MAY(RES_PERSON, action, "This role has no access to people.")
#define CARE_NOTES(action) \
  MAY(RES_CARE_NOTE, action, "Care notes are for the coordinator and the person's care team only.")
#define UNITS_READ MAY(RES_UNIT, ACT_READ, "This role does not read units.")
#define UNITS_WRITE(action) MAY(RES_UNIT, action, "Only the coordinator manages units.")
#define AGREEMENTS_READ MAY(RES_AGREEMENT, ACT_READ, "This role does not read agreements.")
#define AGREEMENTS_WRITE(action) MAY(RES_AGREEMENT, action, "Only the coordinator manages agreements.")
#define SESSIONS_READ MAY(RES_SESSION, ACT_READ, "This role has no access to sessions.")
#define SESSION_WORK MAY(RES_SESSION_WORK, ACT_UPDATE, "Only the coordinator runs sessions.")
#define AGENDAS MAY(RES_AGENDA, ACT_READ, "This role has no access to agendas and minutes.")
#define PLACEMENTS_READ MAY(RES_PLACEMENT, ACT_READ, "This role has no access to placements.")
#define PLACEMENTS_WRITE(action) MAY(RES_PLACEMENT, action, "Only the coordinator starts and ends placements.")
#define DEPOSITS(action) MAY(RES_DEPOSIT, action, "This role has no access to deposits.")
#define REVIEWS(action) MAY(RES_REVIEW, action, "This role has no access to reviews.")
#define INCIDENTS(action) MAY(RES_INCIDENT, action, "This role has no access to incidents.")
#define INCIDENTS_HANDLE MAY(RES_INCIDENT, ACT_UPDATE, "Only the coordinator handles incidents.")
#define REPORTS MAY(RES_REPORT, ACT_READ, "Reports are for the coordinator and observers.")
#define DUPLICATES(action) MAY(RES_DUPLICATE, action, "Only the coordinator handles duplicate files.")
#define WEBHOOKS(action) MAY(RES_WEBHOOK, action, "Only the coordinator manages webhooks.")
#define ARREARS_PLANS(action) \
  MAY(RES_ARREARS_PLAN, action, "Repayment plans are for the coordinator, the curator and the landlord.")
#define CALENDAR MAY(RES_CALENDAR, ACT_READ, "Only a calendar token reads the calendar feed.")
#define AUDIT MAY(RES_AUDIT, ACT_READ, "Only the coordinator reads the audit trail and exports files.")
#define IMPORTS(action) MAY(RES_IMPORT, action, "Only the coordinator imports and exports the commission's lists.")

#define PUBLIC (ROUTE_PUBLIC)
#define BODY ROUTE_JSON_BODY

const struct route http_routes[] = {
  {"GET", "/healthz", api_healthz, PUBLIC | ROUTE_NO_DB, ANY_ROLE, NULL, NULL},
  {"GET", "/readyz", api_readyz, PUBLIC, ANY_ROLE, NULL, NULL},
  {"GET", "/metrics", api_metrics, PUBLIC | ROUTE_NO_DB, ANY_ROLE, NULL, NULL},
  {"GET", "/v1/me", api_me_get, ROUTE_NO_AUDIT | ROUTE_NO_DB, ANY_ROLE, NULL, NULL},

  /* The web front (src/web, embedded): its page and files, and its sessions (README, "Web front"). */
  {"GET", "/", api_web_page, PUBLIC | ROUTE_NO_DB | ROUTE_NO_AUDIT, ANY_ROLE, NULL, NULL},
  {"GET", "/assets/{file}", api_web_asset, PUBLIC | ROUTE_NO_DB | ROUTE_NO_AUDIT | ROUTE_PATH_NAMES, ANY_ROLE, NULL,
   NULL},
  {"POST", "/v1/web/session", api_web_session_open, BODY | ROUTE_TOKEN_IN_BODY, ANY_ROLE, &web_session_create_body,
   "tokens"},
  {"GET", "/v1/web/session", api_web_session_get, ROUTE_NO_AUDIT | ROUTE_WEB_NAVIGABLE, ANY_ROLE, NULL, "tokens"},
  {"DELETE", "/v1/web/session", api_web_session_end, 0, ANY_ROLE, NULL, "tokens"},

  {"GET", "/v1/organisations", api_organisations_list, ROUTE_NO_AUDIT, ORGS_READ, NULL, "organisations"},
  {"POST", "/v1/organisations", api_organisations_create, BODY, ORGS_WRITE(ACT_CREATE), &organisation_create_body,
   "organisations"},
  {"GET", "/v1/organisations/{id}", api_organisations_get, ROUTE_NO_AUDIT, ORGS_READ, NULL, "organisations"},
  {"PATCH", "/v1/organisations/{id}", api_organisations_update, BODY, ORGS_WRITE(ACT_UPDATE),
   &organisation_update_body, "organisations"},

  {"GET", "/v1/tokens", api_tokens_list, ROUTE_NO_AUDIT, TOKENS(ACT_READ), NULL, "tokens"},
  {"POST", "/v1/tokens", api_tokens_create, BODY, TOKENS(ACT_CREATE), &token_create_body, "tokens"},
  {"GET", "/v1/tokens/{id}", api_tokens_get, ROUTE_NO_AUDIT, TOKENS(ACT_READ), NULL, "tokens"},
  {"POST", "/v1/tokens/{id}/revoke", api_tokens_revoke, 0, TOKENS(ACT_UPDATE), NULL, "tokens"},
  {"POST", "/v1/tokens/{id}/sign-in-links", api_web_link_create, 0, TOKENS(ACT_CREATE), NULL, "tokens"},

  {"GET", "/v1/webhooks", api_webhooks_list, ROUTE_NO_AUDIT, WEBHOOKS(ACT_READ), NULL, "webhooks"},
  {"POST", "/v1/webhooks", api_webhooks_create, BODY, WEBHOOKS(ACT_CREATE), &webhook_create_body, "webhooks"},
  {"GET", "/v1/webhooks/{id}", api_webhooks_get, ROUTE_NO_AUDIT, WEBHOOKS(ACT_READ), NULL, "webhooks"},
  {"PATCH", "/v1/webhooks/{id}", api_webhooks_update, BODY, WEBHOOKS(ACT_UPDATE), &webhook_update_body, "webhooks"},
  {"DELETE", "/v1/webhooks/{id}", api_webhooks_delete, 0, WEBHOOKS(ACT_UPDATE), NULL, "webhooks"},
  {"POST", "/v1/webhooks/{id}/rotate-secret", api_webhooks_rotate, BODY, WEBHOOKS(ACT_UPDATE), &webhook_rotate_body,
   "webhooks"},
  {"GET", "/v1/webhooks/{id}/deliveries", api_webhooks_deliveries, ROUTE_NO_AUDIT, WEBHOOKS(ACT_READ), NULL,
   "webhooks"},
  {"POST", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", api_webhooks_retry, 0, WEBHOOKS(ACT_UPDATE), NULL,
   "webhooks"},

  {"GET", "/v1/applications", api_applications_list, 0, APPLICATIONS(ACT_READ), NULL, "applications"},
  {"POST", "/v1/applications", api_applications_create, BODY | ROUTE_BODY_BY_HANDLER, APPLICATIONS(ACT_CREATE),
   &application_create_body, "applications"},
  {"GET", "/v1/applications/{id}", api_applications_get, 0, APPLICATIONS(ACT_READ), NULL, "applications"},
  {"PATCH", "/v1/applications/{id}", api_applications_update, BODY, APPLICATIONS(ACT_UPDATE),
   &application_update_body, "applications"},
  {"GET", "/v1/applications/{id}/history", api_applications_history, 0, APPLICATIONS(ACT_READ), NULL,
   "applications"},
  {"GET", "/v1/applications/{id}/decision-letter", api_decision_letter_get, 0, APPLICATIONS(ACT_READ), NULL,
   "applications"},
  {"POST", "/v1/applications/{id}/transitions", api_applications_transition, BODY, APPLICATIONS(ACT_UPDATE),
   &application_transition_body, "applications"},

  {"GET", "/v1/people", api_people_list, 0, PEOPLE(ACT_READ), NULL, "people"},
  {"POST", "/v1/people", api_people_create, BODY, PEOPLE(ACT_CREATE), &person_create_body, "people"},
  /* before /v1/people/{id}, which would take "duplicates" for an id */
  {"GET", "/v1/people/duplicates", api_people_duplicates, 0, DUPLICATES(ACT_READ), NULL, "people"},
  {"POST", "/v1/people/{id}/link", api_people_link, BODY, DUPLICATES(ACT_UPDATE), &duplicate_resolve_body, "people"},
  {"POST", "/v1/people/{id}/distinct", api_people_distinct, BODY, DUPLICATES(ACT_UPDATE), &duplicate_resolve_body,
   "people"},
  {"GET", "/v1/people/{id}", api_people_get, 0, PEOPLE(ACT_READ), NULL, "people"},
  {"PATCH", "/v1/people/{id}", api_people_update, BODY, PEOPLE(ACT_UPDATE), &person_update_body, "people"},
  {"PUT", "/v1/people/{id}/information", api_people_information_put, BODY, PEOPLE(ACT_UPDATE),
   &person_information_body, "people"},
  {"GET", "/v1/people/{id}/care-notes", api_care_notes_list, 0, CARE_NOTES(ACT_READ), NULL, "people"},
  {"POST", "/v1/people/{id}/care-notes", api_care_notes_create, BODY, CARE_NOTES(ACT_CREATE), &care_note_create_body,
   "people"},

  {"GET", "/v1/units", api_units_list, ROUTE_NO_AUDIT, UNITS_READ, NULL, "units"},
  {"POST", "/v1/units", api_units_create, BODY, UNITS_WRITE(ACT_CREATE), &unit_create_body, "units"},
  /* before /v1/units/{id}, which would take "free-places" for an id */
  {"GET", "/v1/units/free-places", api_units_free_places, ROUTE_NO_AUDIT, UNITS_READ, NULL, "units"},
  {"GET", "/v1/units/{id}", api_units_get, ROUTE_NO_AUDIT, UNITS_READ, NULL, "units"},
  {"PATCH", "/v1/units/{id}", api_units_update, BODY, UNITS_WRITE(ACT_UPDATE), &unit_update_body, "units"},
  {"GET", "/v1/units/{id}/history", api_units_history, ROUTE_NO_AUDIT, UNITS_READ, NULL, "units"},

  {"GET", "/v1/agreements", api_agreements_list, ROUTE_NO_AUDIT, AGREEMENTS_READ, NULL, "agreements"},
  {"POST", "/v1/agreements", api_agreements_create, BODY | ROUTE_BODY_BY_HANDLER, AGREEMENTS_WRITE(ACT_CREATE),
   &agreement_create_body, "agreements"},
  {"GET", "/v1/agreements/{id}", api_agreements_get, ROUTE_NO_AUDIT, AGREEMENTS_READ, NULL, "agreements"},
  {"PATCH", "/v1/agreements/{id}", api_agreements_update, BODY | ROUTE_BODY_BY_HANDLER, AGREEMENTS_WRITE(ACT_UPDATE),
   &agreement_update_body, "agreements"},
  {"POST", "/v1/agreements/{id}/renewals", api_agreements_renew, BODY, AGREEMENTS_WRITE(ACT_CREATE),
   &agreement_renew_body, "agreements"},

  {"GET", "/v1/sessions", api_sessions_list, ROUTE_NO_AUDIT, SESSIONS_READ, NULL, "sessions"},
  {"POST", "/v1/sessions", api_sessions_create, BODY, SESSION_WORK, &session_create_body, "sessions"},
  {"GET", "/v1/sessions/{id}", api_sessions_get, ROUTE_NO_AUDIT, SESSIONS_READ, NULL, "sessions"},
  {"PATCH", "/v1/sessions/{id}", api_sessions_update, BODY, SESSION_WORK, &session_update_body, "sessions"},
  {"POST", "/v1/sessions/{id}/open", api_sessions_open, 0, SESSION_WORK, NULL, "sessions"},
  {"POST", "/v1/sessions/{id}/close", api_sessions_close, ROUTE_JSON_OPTIONAL, SESSION_WORK, &session_close_body,
   "sessions"},
  {"POST", "/v1/sessions/{id}/cancel", api_sessions_cancel, 0, SESSION_WORK, NULL, "sessions"},
  {"PUT", "/v1/sessions/{id}/attendance", api_sessions_attendance, BODY, SESSION_WORK, &session_attendance_body,
   "sessions"},
  {"GET", "/v1/sessions/{id}/agenda", api_agenda_get, 0, AGENDAS, NULL, "sessions"},
  {"POST", "/v1/sessions/{id}/agenda/build", api_agenda_build, 0, SESSION_WORK, NULL, "sessions"},
  {"POST", "/v1/sessions/{id}/agenda/items", api_agenda_add, BODY, SESSION_WORK, &agenda_item_add_body, "sessions"},
  {"PATCH", "/v1/sessions/{id}/agenda/items/{item_id}", api_agenda_adjust, BODY, SESSION_WORK, &agenda_item_update_body,
   "sessions"},
  {"DELETE", "/v1/sessions/{id}/agenda/items/{item_id}", api_agenda_remove, 0, SESSION_WORK, NULL, "sessions"},
  {"POST", "/v1/sessions/{id}/decisions", api_decisions_create, BODY, SESSION_WORK, &decision_create_body, "sessions"},
  {"POST", "/v1/sessions/{id}/decisions/{decision_id}/corrections", api_decisions_correct, BODY, SESSION_WORK,
   &decision_correct_body, "sessions"},
  /* navigable: the web front opens the sealed minutes in a new tab, to print */
  {"GET", "/v1/sessions/{id}/minutes", api_minutes_get, ROUTE_WEB_NAVIGABLE, AGENDAS, NULL, "sessions"},
  {"GET", "/v1/calendar.ics", api_calendar_get, ROUTE_NO_AUDIT | ROUTE_TOKEN_IN_QUERY, CALENDAR, NULL, "sessions"},

  {"GET", "/v1/placements", api_placements_list, 0, PLACEMENTS_READ, NULL, "placements"},
  {"POST", "/v1/placements", api_placements_create, BODY, PLACEMENTS_WRITE(ACT_CREATE), &placement_create_body,
   "placements"},
  {"GET", "/v1/placements/{id}", api_placements_get, 0, PLACEMENTS_READ, NULL, "placements"},
  {"POST", "/v1/placements/{id}/exit", api_placements_exit, BODY, PLACEMENTS_WRITE(ACT_UPDATE), &placement_exit_body,
   "placements"},
  {"PATCH", "/v1/placements/{id}", api_placements_update, BODY, PLACEMENTS_WRITE(ACT_UPDATE), &placement_update_body,
   "placements"},
  {"POST", "/v1/placements/{id}/slide", api_placements_slide, BODY, PLACEMENTS_WRITE(ACT_UPDATE),
   &placement_slide_body, "placements"},
  {"POST", "/v1/placements/{id}/prefect-notices", api_placements_prefect_notice, BODY, PLACEMENTS_WRITE(ACT_UPDATE),
   &prefect_notice_body, "placements"},
  {"GET", "/v1/sliding-leases", api_sliding_leases_list, 0, PLACEMENTS_READ, NULL, "placements"},
  {"GET", "/v1/placements/{id}/deposit", api_deposit_get, 0, DEPOSITS(ACT_READ), NULL, "placements"},
  {"POST", "/v1/placements/{id}/deposit/entries", api_deposit_entry_create, BODY, DEPOSITS(ACT_CREATE),
   &deposit_entry_create_body, "placements"},
  {"PUT", "/v1/placements/{id}/deposit/provision", api_deposit_provision_put, BODY, DEPOSITS(ACT_UPDATE),
   &deposit_provision_body, "placements"},
  {"GET", "/v1/deposits", api_deposits_list, 0, DEPOSITS(ACT_READ), NULL, "deposits"},
  {"GET", "/v1/reports/deposits", api_report_deposits, ROUTE_NO_AUDIT, REPORTS, NULL, "reports"},
  {"GET", "/v1/people/{id}/status", api_people_status, 0, PEOPLE(ACT_READ), NULL, "people"},
  {"GET", "/v1/placements/{id}/reviews", api_reviews_list, 0, REVIEWS(ACT_READ), NULL, "placements"},
  {"POST", "/v1/placements/{id}/reviews", api_reviews_create, BODY, REVIEWS(ACT_CREATE), &review_create_body,
   "placements"},
  {"GET", "/v1/reviews", api_reviews_schedule, 0, REVIEWS(ACT_READ), NULL, "reviews"},
  {"GET", "/v1/reviews/{id}", api_reviews_get, 0, REVIEWS(ACT_READ), NULL, "reviews"},
  {"PATCH", "/v1/reviews/{id}", api_reviews_update, BODY, REVIEWS(ACT_UPDATE), &review_update_body, "reviews"},
  {"POST", "/v1/placements/{id}/incidents", api_incidents_create, BODY, INCIDENTS(ACT_CREATE), &incident_create_body,
   "placements"},
  {"GET", "/v1/incidents", api_incidents_list, 0, INCIDENTS(ACT_READ), NULL, "incidents"},
  {"GET", "/v1/incidents/{id}", api_incidents_get, 0, INCIDENTS(ACT_READ), NULL, "incidents"},
  {"POST", "/v1/incidents/{id}/acknowledge", api_incidents_acknowledge, 0, INCIDENTS_HANDLE, NULL, "incidents"},
  {"POST", "/v1/incidents/{id}/close", api_incidents_close, BODY, INCIDENTS_HANDLE, &incident_close_body, "incidents"},
  {"GET", "/v1/incidents/{id}/arrears-plan", api_arrears_plan_get, 0, ARREARS_PLANS(ACT_READ), NULL, "incidents"},
  {"POST", "/v1/incidents/{id}/arrears-plan", api_arrears_plan_create, BODY, ARREARS_PLANS(ACT_CREATE),
   &arrears_plan_create_body, "incidents"},
  {"POST", "/v1/incidents/{id}/arrears-plan/payments", api_arrears_payment_create, BODY, ARREARS_PLANS(ACT_CREATE),
   &arrears_payment_create_body, "incidents"},
  {"GET", "/v1/arrears-plans", api_arrears_plans_list, 0, ARREARS_PLANS(ACT_READ), NULL, "incidents"},
  {"GET", "/v1/reports/activity", api_report_activity, ROUTE_NO_AUDIT, REPORTS, NULL, "reports"},
  {"GET", "/v1/reports/occupancy", api_report_occupancy, ROUTE_NO_AUDIT, REPORTS, NULL, "reports"},
  {"GET", "/v1/reports/assembly", api_report_assembly, ROUTE_NO_AUDIT, REPORTS, NULL, "reports"},
  {"GET", "/v1/audit", api_audit_list, ROUTE_NO_AUDIT, AUDIT, NULL, "audit"},
  {"GET", "/v1/people/{id}/export", api_people_export, ROUTE_EXPORT, AUDIT, NULL, "people"},

  /* Share links: any role shares what it may read (the handler asks the document's route); opening one is public,
   * served and audited as the issuer (src/api/shares.c). */
  {"GET", "/v1/shares", api_shares_list, ROUTE_NO_AUDIT, ANY_ROLE, NULL, "shares"},
  {"POST", "/v1/shares", api_shares_create, BODY, ANY_ROLE, &share_create_body, "shares"},
  {"DELETE", "/v1/shares/{id}", api_shares_revoke, 0, ANY_ROLE, NULL, "shares"},
  {"GET", "/s/{capability}", api_share_open, PUBLIC | ROUTE_CAPABILITY, ANY_ROLE, NULL, NULL},
  {"POST", "/v1/imports", api_imports_create, ROUTE_CSV_BODY, IMPORTS(ACT_CREATE), NULL, "imports"},
  {"POST", "/v1/imports/{id}/commit", api_imports_commit, 0, IMPORTS(ACT_UPDATE), NULL, "imports"},
  {"GET", "/v1/exports", api_exports_get, ROUTE_EXPORT, IMPORTS(ACT_READ), NULL, "exports"},
  {NULL, NULL, NULL, 0, ANY_ROLE, NULL, NULL},
};
