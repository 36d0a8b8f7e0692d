-- An audit entry's canonical text covers both what 0012 added (the hash of a document it seals) and what 0017
-- added (the client's address): each only when present, so the text of every other entry is unchanged. 0017
-- redefined the text without the document hash; this puts it back, after the address.
CREATE OR REPLACE FUNCTION audit_entry_text(e audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', audit_entry_text(e.id, e.at, e.commission_id, e.token_id, e.role, e.action, e.method, e.route,
                                         e.object_type, e.object_id, e.person_id, e.request_id, e.status,
                                         e.client_address),
                   e.document_hash)
$$;
