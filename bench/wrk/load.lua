-- wrk script of the shop benchmark: one request shape per run, set by environment
-- variables, exact non-2xx counting, and a JSON summary line printed by done().
--   BENCH_METHOD    GET (default) or POST
--   BENCH_BODY      a fixed request body (login)
--   BENCH_TOKEN     a JWT access token, sent as "Authorization: Bearer ..."
--   BENCH_PRODUCTS  comma-separated product ids: every request then POSTs a new
--                   order with a random mix of 1-3 of them, 1-3 units each
--   BENCH_SHIPPING  the JSON object those orders ship to (their shipping_address)
-- wrk counts only status >= 400 as an error; response() counts every non-2xx
-- (a redirect would be an error here: nothing in the bench should redirect).

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")
local product_list = os.getenv("BENCH_PRODUCTS")
local shipping = os.getenv("BENCH_SHIPPING")

wrk.method = method
wrk.headers["Accept"] = "application/json"
if body then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  math.randomseed(os.time() * 1000 + (thread_number or 0))
  products = {}
  if product_list then
    for id in string.gmatch(product_list, "[^,]+") do
      table.insert(products, id)
    end
  end
end

function response(status, headers, response_body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

if product_list then
  function request()
    -- A different mix each time: 1-3 distinct products, 1-3 units each.
    local picked, items = {}, {}
    local count = math.random(1, 3)
    while #items < count do
      local id = products[math.random(1, #products)]
      if not picked[id] then
        picked[id] = true
        table.insert(items, string.format('{"product": "%s", "quantity": %d}', id, math.random(1, 3)))
      end
    end
    local order_body = '{"shipping_address": ' .. shipping .. ', "items": [' .. table.concat(items, ", ") .. ']}'
    -- wrk.format replaces wrk.headers with the table it is given: copy them.
    local headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", nil, headers, order_body)
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "status_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, non2xx_total,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max, latency.mean))
end
