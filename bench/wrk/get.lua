-- GET <path>/{id} for ids picked at random from the file named by BENCH_IDS (one id a line).
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do
  ids[#ids + 1] = line
end

-- BENCH_TOKEN, when set, is sent as a bearer token (from the environment, not the command line).
local token = os.getenv("BENCH_TOKEN")
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
end

function request()
  return wrk.format("GET", wrk.path .. "/" .. ids[math.random(#ids)])
end
