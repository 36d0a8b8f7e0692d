-- Which decisions were corrected: the reports (activity, assembly) keep a decision only when no later decision
-- corrects it (NOT EXISTS ... corrects_decision_id = d.id), and no index served that look-up: each decision of the
-- period read every decision of the commission (auto_explain on the large bench set: 3 368 decisions of the year,
-- 20 583 rows each; the assembly report of a commission of 20 000 people took 12 s and answered 503 past the
-- statement timeout). Corrections are few: a partial index of them makes each look-up one descent.
CREATE INDEX decisions_corrected_idx ON decisions (commission_id, corrects_decision_id)
  WHERE corrects_decision_id IS NOT NULL;
