-- Units by kind in O(limit · log n). GET /v1/units?kind= tested the kind on the rows of the walk in the order
-- (town, label, id), so a page of a rare kind (transitional places among a commission's apartments) read every unit
-- of the other kinds ahead of it: tests/db (lists.c) found 1 868 rows read for a page of 20 at 1 000 people and
-- 6 670 at 4 000 (now 118 and 120). Each walk (units, vacant periods; the commission or a landlord's) gets an index
-- with the kind after its lead, in the list's order, so that src/db/units.c's statements with ?kind= read that
-- kind's units alone (with ?town= too: the town follows the kind). Units are written rarely; a move-in or an exit
-- rewrites its unit's vacancy periods, two more index entries each.
CREATE INDEX units_kind_idx ON units (commission_id, kind, town, label, id);
CREATE INDEX units_landlord_kind_idx ON units (commission_id, landlord_org_id, kind, town, label, id);
CREATE INDEX unit_vacancies_kind_idx ON unit_vacancies (commission_id, kind, town, label, unit_id);
CREATE INDEX unit_vacancies_landlord_kind_idx ON unit_vacancies (commission_id, landlord_org_id, kind, town, label,
  unit_id);
