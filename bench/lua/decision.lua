-- POST /v1/sessions/{id}/decisions (BENCH_PATH): an approval of one scheduled item of the open session; each line of
-- BENCH_IDS is an agenda item's id and is used once (pool.lua).
pool_body = '{"agenda_item_id":"{1}","outcome":"approve"}'
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "pool.lua")
