-- wrk script for `make bench`: POST /api/v1/payments with a fresh payment
-- code and Idempotency-Key per request, counting statuses.
-- Arguments (after `--`): codes file, wrk thread count, terminal key, key salt.

local threads = {}
local codes = {}
local counter = 0
statuses = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  key, salt = args[3], args[4]
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == thread_index then
      table.insert(codes, line)
    end
    i = i + 1
  end
end

function request()
  counter = counter + 1
  -- Past the prepared stock, an unknown code: counted as an error, never a payment.
  local code = codes[counter] or "900000000000000000"
  local body = '{"payment_code":"' .. code .. '","amount":12000,"reference":"bench"}'
  return wrk.format("POST", "/api/v1/payments", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = salt .. "-" .. thread_index .. "-" .. counter,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      parts[status] = (parts[status] or 0) + n
    end
  end
  local out = {}
  for status, n in pairs(parts) do
    table.insert(out, '"' .. status .. '":' .. n)
  end
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"errors_socket":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(out, ",")))
end
