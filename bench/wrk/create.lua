-- POST /clusters with a unique name per request (thread number + counter + a per-run tag).
-- env: BENCH_TAG (short lowercase tag that keeps names unique across runs)
local tag = os.getenv("BENCH_TAG") or "w"
local threads = 0
local body_prefix = '{"kind":"Cluster","name":"'
local body_suffix = '","labels":{"env":"bench","team":"platform"},' ..
  '"spec":{"region":"us-east-1","version":"4.15","nodes":3}}'

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local name = tag .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"},
    body_prefix .. name .. body_suffix)
end
