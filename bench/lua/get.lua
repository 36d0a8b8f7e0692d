-- GET of the URL's path on every request (keep-alive), with BENCH_TOKEN as a bearer token when set.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(dir .. "lib.lua")
lib.auth(wrk.headers)
