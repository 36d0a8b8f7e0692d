-- GET of BENCH_PATH (a format with one %s) for an id drawn at random from the file BENCH_IDS on every request.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
local ids, template
local headers = lib.auth({})

function init(args)
  ids = lib.ids()
  template = os.getenv("BENCH_PATH")
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function request()
  return wrk.format("GET", string.format(template, ids[math.random(#ids)]), headers)
end
