-- POST /v1/placements/{id}/deposit/entries: a 'paid' entry of a small amount on a placement drawn at random from
-- BENCH_IDS, dated BENCH_DATE, each with a fresh Idempotency-Key (BENCH_RUN, the wrk thread and a counter).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local ids, body, prefix
local counter = 0
local headers = lib.auth({["Content-Type"] = "application/json"})

function init(args)
  ids = lib.ids()
  body = string.format('{"kind":"paid","amount_cents":100,"entry_date":"%s"}', os.getenv("BENCH_DATE"))
  prefix = (os.getenv("BENCH_RUN") or tostring(os.time())) .. "-" .. tostring(tid or 0) .. "-"
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  counter = counter + 1
  headers["Idempotency-Key"] = prefix .. counter
  return wrk.format("POST", "/v1/placements/" .. ids[math.random(#ids)] .. "/deposit/entries", headers, body)
end
