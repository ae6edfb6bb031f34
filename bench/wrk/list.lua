-- GET <path>?search=...&size=100&page=N with N random in 1..BENCH_PAGES (the pages a ticker or
-- UI walks first). The query string without the page comes from BENCH_QUERY.
local query = os.getenv("BENCH_QUERY")
local pages = tonumber(os.getenv("BENCH_PAGES") or "1")

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
end

function request()
  return wrk.format("GET", wrk.path .. "?" .. query .. "&page=" .. math.random(pages))
end
