-- One single-request scenario for wrk, configured by environment variables set by bench/run.py:
--   BENCH_METHOD, BENCH_PATH, BENCH_BODY, BENCH_HEADERS ("Name: value" lines),
--   BENCH_TOKENS (a file, one token a line), BENCH_RANDOM_MAX.
-- Placeholders in the path, body and header values: {t} the next token (each thread starts at a
-- different one), {r} a random user number (%06d below BENCH_RANDOM_MAX), {u} a unique suffix.
-- done() prints one line "BENCH {json}" with counts and p50/p95/p99 latency in microseconds.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local random_max = tonumber(os.getenv("BENCH_RANDOM_MAX") or "1")
local run_id = tostring(os.time())

local header_templates = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then header_templates[name] = value end
end

local tokens = {}
local token_file = os.getenv("BENCH_TOKENS")
if token_file and token_file ~= "" then
  for line in io.lines(token_file) do
    if line ~= "" then tokens[#tokens + 1] = line end
  end
end

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

local counter = 0
function init(args)
  counter = (thread_number or 0) * 7919
  math.randomseed(os.time() + (thread_number or 0))
end

local function fill(text, token)
  if text == nil then return nil end
  text = string.gsub(text, "{t}", token)
  text = string.gsub(text, "{r}", string.format("%06d", math.random(0, random_max - 1)))
  text = string.gsub(text, "{u}", run_id .. "-" .. (thread_number or 0) .. "-" .. counter)
  return text
end

function request()
  counter = counter + 1
  local token = ""
  if #tokens > 0 then token = tokens[(counter % #tokens) + 1] end
  local headers = {}
  for name, value in pairs(header_templates) do headers[name] = fill(value, token) end
  return wrk.format(method, fill(path, token), headers, fill(body, token))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%.0f,"p95_us":%.0f,"p99_us":%.0f,"max_us":%.0f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
