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
/* The web front (src/api/web.c). */
extern const struct body_spec web_session_create_body;
enum MHD_Result api_web_page(struct request *rq);
enum MHD_Result api_web_asset(struct request *rq);
enum MHD_Result api_web_session_open(struct request *rq);
enum MHD_Result api_web_session_get(struct request *rq);
enum MHD_Result api_web_session_end(struct request *rq);
enum MHD_Result api_web_link_create(struct request *rq);
/* organisations.c */
/* The bodies of routes whose fields the route table checks before the handler runs. */
extern const struct body_spec organisation_create_body, organisation_update_body;
extern const struct body_spec token_create_body;
extern const struct body_spec webhook_create_body, webhook_update_body, webhook_rotate_body;
extern const struct body_spec unit_create_body, unit_update_body;
extern const struct body_spec agreement_create_body, agreement_update_body, agreement_renew_body;

enum MHD_Result api_organisations_list(struct request *rq);
enum MHD_Result api_organisations_create(struct request *rq);
enum MHD_Result api_organisations_get(struct request *rq);
enum MHD_Result api_organisations_update(struct request *rq);
/* shares.c */
extern const struct body_spec share_create_body;
enum MHD_Result api_shares_create(struct request *rq);
enum MHD_Result api_shares_list(struct request *rq);
enum MHD_Result api_shares_revoke(struct request *rq);
enum MHD_Result api_share_open(struct request *rq);
/* tokens.c */
enum MHD_Result api_tokens_list(struct request *rq);
enum MHD_Result api_tokens_create(struct request *rq);
enum MHD_Result api_tokens_get(struct request *rq);
enum MHD_Result api_tokens_revoke(struct request *rq);
enum MHD_Result api_webhooks_list(struct request *rq);
enum MHD_Result api_webhooks_create(struct request *rq);
enum MHD_Result api_webhooks_get(struct request *rq);
enum MHD_Result api_webhooks_update(struct request *rq);
enum MHD_Result api_webhooks_delete(struct request *rq);
enum MHD_Result api_webhooks_rotate(struct request *rq);
enum MHD_Result api_webhooks_deliveries(struct request *rq);
enum MHD_Result api_webhooks_retry(struct request *rq);
/* applications.c */
extern const struct body_spec application_create_body, application_update_body, application_transition_body;

enum MHD_Result api_applications_list(struct request *rq);
enum MHD_Result api_applications_create(struct request *rq);
enum MHD_Result api_applications_get(struct request *rq);
enum MHD_Result api_applications_update(struct request *rq);
enum MHD_Result api_applications_history(struct request *rq);
enum MHD_Result api_applications_transition(struct request *rq);
/* people.c */
extern const struct body_spec person_create_body, person_update_body;

enum MHD_Result api_people_list(struct request *rq);
enum MHD_Result api_people_create(struct request *rq);
enum MHD_Result api_people_get(struct request *rq);
enum MHD_Result api_people_update(struct request *rq);
/* duplicates.c */
extern const struct body_spec duplicate_resolve_body;

enum MHD_Result api_people_duplicates(struct request *rq);
enum MHD_Result api_people_distinct(struct request *rq);
enum MHD_Result api_people_link(struct request *rq);
/* information.c */
extern const struct body_spec person_information_body;

enum MHD_Result api_people_information_put(struct request *rq);
/* care_notes.c */
extern const struct body_spec care_note_create_body;

enum MHD_Result api_care_notes_list(struct request *rq);
enum MHD_Result api_care_notes_create(struct request *rq);
/* units.c */
enum MHD_Result api_units_list(struct request *rq);
enum MHD_Result api_units_create(struct request *rq);
enum MHD_Result api_units_get(struct request *rq);
enum MHD_Result api_units_update(struct request *rq);
/* free_places.c */
enum MHD_Result api_units_free_places(struct request *rq);
enum MHD_Result api_units_history(struct request *rq);
/* agreements.c */
enum MHD_Result api_agreements_list(struct request *rq);
enum MHD_Result api_agreements_create(struct request *rq);
enum MHD_Result api_agreements_get(struct request *rq);
enum MHD_Result api_agreements_update(struct request *rq);
enum MHD_Result api_agreements_renew(struct request *rq);
/* sessions.c */
extern const struct body_spec session_create_body, session_update_body, session_close_body,
    session_attendance_body;

enum MHD_Result api_sessions_list(struct request *rq);
enum MHD_Result api_sessions_create(struct request *rq);
enum MHD_Result api_sessions_get(struct request *rq);
enum MHD_Result api_sessions_update(struct request *rq);
enum MHD_Result api_sessions_open(struct request *rq);
enum MHD_Result api_sessions_close(struct request *rq);
enum MHD_Result api_sessions_cancel(struct request *rq);
enum MHD_Result api_sessions_attendance(struct request *rq);
/* agenda.c */
extern const struct body_spec agenda_item_add_body, agenda_item_update_body;

enum MHD_Result api_agenda_get(struct request *rq);
enum MHD_Result api_agenda_build(struct request *rq);
enum MHD_Result api_agenda_add(struct request *rq);
enum MHD_Result api_agenda_adjust(struct request *rq);
enum MHD_Result api_agenda_remove(struct request *rq);
/* decisions.c */
extern const struct body_spec decision_create_body, decision_correct_body;

enum MHD_Result api_decisions_create(struct request *rq);
enum MHD_Result api_decisions_correct(struct request *rq);
/* minutes.c */
enum MHD_Result api_minutes_get(struct request *rq);
/* decision_letter.c */
enum MHD_Result api_decision_letter_get(struct request *rq);
/* calendar.c */
enum MHD_Result api_calendar_get(struct request *rq);
/* placements.c */
extern const struct body_spec placement_create_body, placement_exit_body;
enum MHD_Result api_placements_list(struct request *rq);
enum MHD_Result api_placements_create(struct request *rq);
enum MHD_Result api_placements_get(struct request *rq);
enum MHD_Result api_placements_exit(struct request *rq);
/* deposits.c */
extern const struct body_spec deposit_entry_create_body;
extern const struct body_spec deposit_provision_body;
enum MHD_Result api_deposit_get(struct request *rq);
enum MHD_Result api_deposit_entry_create(struct request *rq);
enum MHD_Result api_deposit_provision_put(struct request *rq);
extern const struct body_spec placement_update_body;
extern const struct body_spec placement_slide_body;
extern const struct body_spec prefect_notice_body;
enum MHD_Result api_placements_update(struct request *rq);
enum MHD_Result api_placements_slide(struct request *rq);
enum MHD_Result api_placements_prefect_notice(struct request *rq);
enum MHD_Result api_sliding_leases_list(struct request *rq);
extern const struct body_spec arrears_plan_create_body;
extern const struct body_spec arrears_payment_create_body;
enum MHD_Result api_arrears_plan_create(struct request *rq);
enum MHD_Result api_arrears_plan_get(struct request *rq);
enum MHD_Result api_arrears_payment_create(struct request *rq);
enum MHD_Result api_arrears_plans_list(struct request *rq);
enum MHD_Result api_deposits_list(struct request *rq);
enum MHD_Result api_report_deposits(struct request *rq);
/* reviews.c */
extern const struct body_spec review_create_body, review_update_body;
enum MHD_Result api_reviews_list(struct request *rq);
enum MHD_Result api_reviews_create(struct request *rq);
enum MHD_Result api_reviews_get(struct request *rq);
enum MHD_Result api_reviews_update(struct request *rq);
enum MHD_Result api_reviews_schedule(struct request *rq);
/* incidents.c */
extern const struct body_spec incident_create_body, incident_close_body;
enum MHD_Result api_incidents_create(struct request *rq);
enum MHD_Result api_incidents_list(struct request *rq);
enum MHD_Result api_incidents_get(struct request *rq);
enum MHD_Result api_incidents_acknowledge(struct request *rq);
enum MHD_Result api_incidents_close(struct request *rq);
/* status.c */
enum MHD_Result api_people_status(struct request *rq);
/* reports.c */
enum MHD_Result api_report_activity(struct request *rq);
enum MHD_Result api_report_occupancy(struct request *rq);
enum MHD_Result api_report_assembly(struct request *rq);
/* audit.c */
enum MHD_Result api_audit_list(struct request *rq);
enum MHD_Result api_people_export(struct request *rq);
/* imports.c */
enum MHD_Result api_imports_create(struct request *rq);
enum MHD_Result api_imports_commit(struct request *rq);
enum MHD_Result api_exports_get(struct request *rq);

#endif
