-- wrk script: POSTs the pre-signed pushes in bodies.txt, each once across all threads and
-- connections (thread t sends lines t, t+T, t+2T, ...), and counts answers that are not the ack.
local threads = {}
local bodies = {}
for line in io.lines(os.getenv("BODIES") or "bodies.txt") do bodies[#bodies + 1] = line end
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  next_i = id + 1
  not_acked = 0
  sent = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
end

function request()
  local body = bodies[next_i]
  if body == nil then
    -- Out of distinct pushes: resend the first (a duplicate, acked without storing again).
    body = bodies[id + 1]
  end
  next_i = next_i + nthreads
  sent = sent + 1
  return wrk.format(nil, "/notify", nil, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"1001"', 1, true) then
    not_acked = not_acked + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  local distinct = 0
  for _, t in ipairs(threads) do
    total = total + t:get("not_acked")
    local s = t:get("sent")
    distinct = distinct + math.min(s, math.floor((#bodies - t:get("id") + nthreads - 1) / nthreads))
  end
  io.write(string.format("not acknowledged: %d; distinct pushes sent (at most): %d\n", total, distinct))
end
