-- wrk script of bench/load.py: one thread and one connection per logged-in user.
-- The users file (first argument) has one line per user: the Cookie header, then the paths that user
-- may open, separated by tabs. Each user opens a random one of its pages, then thinks THINK_MIN to
-- THINK_MAX milliseconds (second and third arguments).
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

function init(args)
  local users = {}
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do
      table.insert(fields, field)
    end
    table.insert(users, fields)
  end
  local mine = users[((id - 1) % #users) + 1]
  cookie = mine[1]
  paths = {}
  for i = 2, #mine do
    table.insert(paths, mine[i])
  end
  think_min = tonumber(args[2])
  think_max = tonumber(args[3])
  math.randomseed(id * 7919)
  errors = 0
  answered = 0
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], { ["Cookie"] = cookie })
end

function delay()
  return math.random(think_min, think_max)
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 200 then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local errors, answered = 0, 0
  for _, thread in ipairs(threads) do
    errors = errors + thread:get("errors")
    answered = answered + thread:get("answered")
  end
  local socket = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.1f not200=%d connect=%d read=%d write=%d timeout=%d "
    .. "p50=%.1f p90=%.1f p95=%.1f p99=%.1f max=%.1f\n",
    answered, summary.duration / 1e6, errors, socket.connect, socket.read, socket.write, socket.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
