-- Shared by the scenario scripts (loaded with dofile): counts non-2xx responses in every wrk thread and, when the
-- run is done, prints one line "BENCH_RESULT {json}" with requests, duration, errors and latency percentiles
-- (microseconds). Each wrk thread runs its own Lua state; setup() runs in the main state once per thread.
local lib = {}

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 and os.getenv("BENCH_DEBUG") then
      io.stderr:write("non-2xx " .. status .. ": " .. tostring(body) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local n = 0
  local first, last
  for _, t in ipairs(threads) do
    n = n + (t:get("non2xx") or 0)
    local f, l = t:get("t_first"), t:get("t_last")
    if f and (first == nil or f < first) then first = f end
    if l and (last == nil or l > last) then last = l end
  end
  -- pool.lua's threads stop when their lines are used up: the run took from the first request to the last answer.
  local duration = summary.duration
  if first and last and last > first then duration = last - first end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"non2xx":%d,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_timeout":%d,"errors_status":%d,"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,' ..
    '"p99":%d,"max":%d}}\n',
    summary.requests, duration, summary.bytes, n, e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end

-- Wall-clock time in microseconds (LuaJIT's FFI: os.time() counts whole seconds).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
function lib.now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

-- The Authorization header from BENCH_TOKEN, if any.
function lib.auth(headers)
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  return headers
end

-- The lines of the file named by BENCH_IDS.
function lib.ids()
  local file = os.getenv("BENCH_IDS")
  assert(file, "BENCH_IDS is not set")
  local ids = {}
  for line in io.lines(file) do
    if line ~= "" then
      table.insert(ids, line)
    end
  end
  assert(#ids > 0, "no ids in " .. file)
  return ids
end

return lib
