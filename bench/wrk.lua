-- wrk script for bench/run.sh. Environment:
--   BENCH_TOKEN   bearer token (optional)
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    request body (POST)
--   BENCH_TYPE    Content-Type of the body (default application/json)
--   BENCH_PATHS   file with one path per line; each request picks one at random
--                 (default: the path of the URL given to wrk)
-- At the end it prints one line: "BENCH <requests> <duration µs> <p50 µs> <p99 µs> <errors>",
-- errors counting non-2xx/3xx answers, timeouts and socket errors.
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local headers = {}
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end
if body then
  headers["Content-Type"] = os.getenv("BENCH_TYPE") or "application/json"
end
local paths = {}
local file = os.getenv("BENCH_PATHS")
if file and file ~= "" then
  for line in io.lines(file) do
    if line ~= "" then paths[#paths + 1] = line end
  end
end

init = function(args)
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 1000)
end

request = function()
  local path = wrk.path
  if #paths > 0 then path = paths[math.random(#paths)] end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
