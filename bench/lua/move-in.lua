-- POST /v1/placements: a move-in, today, of an approved application onto a free place; each line of BENCH_IDS is
-- "APPLICATION_ID UNIT_ID" and is used once (pool.lua).
pool_body = '{"application_id":"{1}","unit_id":"{2}","move_in_date":"{date}","lease":"direct_lease"}'
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pool.lua")
