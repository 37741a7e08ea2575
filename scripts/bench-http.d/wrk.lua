-- wrk script for scripts/bench-http.
--   wrk ... -s wrk.lua URL -- METHOD [BODY]
-- Sends METHOD (with BODY as JSON when given) and, when done, prints one line
--   BENCH {"requests":…,"duration_us":…,"errors":{…},"latency_us":{"p50":…,…}}
-- for the script to read: exact counts and microseconds, not wrk's rounded text.

function init(args)
  wrk.method = args[1] or "GET"
  if args[2] and args[2] ~= "" then
    wrk.body = args[2]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local p = function(q) return latency:percentile(q) end
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    p(50), p(75), p(90), p(99), latency.max))
end
