-- The writes that use up what they write on (loaded by move-in.lua and decision.lua, which set pool_body): a
-- move-in takes an approved application and a free place, a decision a scheduled agenda item. Each line of BENCH_IDS
-- is sent at most once (wrk may call request() once for a request it never sends: that line goes unused). wrk
-- thread t of BENCH_THREADS takes lines t, t + BENCH_THREADS, ...; once they are sent, its connections wait (delay)
-- instead of sending anything else. BENCH_PATH and pool_body are templates where {1}, {2}... stand for the line's
-- space-separated fields and {date} for BENCH_DATE; the method is POST. Each request has a fresh Idempotency-Key.
-- wrk counts its whole -d duration although the lines run out earlier: the time taken is measured here, from the
-- first request to the last answer over all threads (lib.lua reports it).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local headers = lib.auth({["Content-Type"] = "application/json"})
local mine, path, body, prefix
local sent = 0

local function fill(template, fields)
  return (template:gsub("{(%w+)}", function(k)
    if k == "date" then return os.getenv("BENCH_DATE") end
    return fields[tonumber(k)]
  end))
end

function init(args)
  local all = lib.ids()
  local n = tonumber(os.getenv("BENCH_THREADS") or "1")
  mine = {}
  for i = tid or 1, #all, n do
    local fields = {}
    for f in all[i]:gmatch("%S+") do table.insert(fields, f) end
    table.insert(mine, fields)
  end
  path = os.getenv("BENCH_PATH")
  body = pool_body or ""
  prefix = (os.getenv("BENCH_RUN") or tostring(os.time())) .. "-" .. tostring(tid or 0) .. "-"
end

-- wrk asks delay() before each request of a connection but its first: a line is promised here, so that two
-- connections of a thread waiting at once never both get the last one (the second sent a request without a line,
-- a 4xx in the figures); request() takes the line promised.
local promised = 0
function delay()
  if sent + promised >= #mine then return 3600000 end
  promised = promised + 1
  return 0
end

function request()
  sent = sent + 1
  if promised > 0 then promised = promised - 1 end
  if t_first == nil then t_first = lib.now_us() end
  local fields = mine[sent] or {}
  headers["Idempotency-Key"] = prefix .. sent
  return wrk.format("POST", fill(path, fields), headers, body ~= "" and fill(body, fields) or nil)
end

local base_response = response
function response(status, headers, body)
  base_response(status, headers, body)
  t_last = lib.now_us()
end
