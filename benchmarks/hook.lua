-- wrk script of benchmarks/load.py: POST the same body with a fresh bearer token per request.
-- Arguments (after --): body file, token file (one token a line), number of wrk threads, path.
-- Thread k uses tokens k+1, k+1+n, k+1+2n, ... so no token is sent twice; when a thread has used all of
-- its share it repeats its first token (the server then answers 401) and counts it in ran_out.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local fh = assert(io.open(args[1], "rb"))
   body = fh:read("*a")
   fh:close()
   local n = tonumber(args[3])
   tokens = {}
   local i = 0
   for line in io.lines(args[2]) do
      if i % n == id and #line > 0 then table.insert(tokens, line) end
      i = i + 1
   end
   path = args[4]
   next_token = 1
   non200 = 0
   ran_out = 0
end

function request()
   local token = tokens[next_token]
   if token == nil then
      ran_out = ran_out + 1
      token = tokens[1]
   else
      next_token = next_token + 1
   end
   return wrk.format("POST", path, {["Content-Type"] = "application/json",
                                    ["Authorization"] = "Bearer " .. token}, body)
end

function response(status, headers, body)
   if status ~= 200 then non200 = non200 + 1 end
end

function done(summary, latency, requests)
   local bad, out = 0, 0
   for _, t in ipairs(threads) do
      bad = bad + t:get("non200")
      out = out + t:get("ran_out")
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
      '"non200": %d, "socket_errors": %d, "ran_out": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      latency:percentile(99), bad, e.connect + e.read + e.write + e.timeout, out))
end
