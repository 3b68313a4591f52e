-- wrk script for the shop benchmark (bench/run.py writes the data files and passes the args).
--
--   wrk -t N -c N -d 10s -s bench/wrk/shop.lua http://127.0.0.1:PORT -- SCENARIO DATADIR N SHIPPING_ID
--
-- One connection per wrk thread, so each thread is one sequential shopper and the stateful
-- flows (add to cart, checkout, mixed) can follow their own redirects and hidden fields.
-- ARGS after the shipping method: session offset, "close" | "keep".
-- Scenarios: list (GET paths from DATADIR/paths_<name>.txt, name = args after "list:"),
-- cart, add, checkout, mixed. All traffic goes to the URL given on the command line
-- (127.0.0.1 only). X-Forwarded-For carries an address from 198.18.0.0/15 (RFC 2544, reserved for
-- benchmarks) so the shop's per-client rate limits see many clients, as behind nginx in
-- production (TRUSTED_PROXY_COUNT=1); it is a header value, never a destination.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("tid", counter)
   table.insert(threads, thread)
end

-- ---------------------------------------------------------------------------------------------
-- per-thread state

local scenario, datadir, nthreads, shipping_id, offset, close
local origin
local csrf = "benchcsrf0123456789abcdefghijklm"   -- 32 chars: a valid CSRF secret we choose
status_counts = {}
orders_ok = 0          -- placed, redirected to the confirmation page
orders_rejected = 0    -- refused correctly: sold out (at add to cart or at placing)
flows_failed = 0       -- any other unexpected answer inside a flow
flows_started = 0
paths_by_kind = {}

local function read_lines(name)
   local out = {}
   local f = io.open(datadir .. "/" .. name, "r")
   if not f then return out end
   for line in f:lines() do
      if line ~= "" then table.insert(out, line) end
   end
   f:close()
   return out
end

local function pick(list)
   return list[math.random(1, #list)]
end

local function client_ip()
   return "198.18." .. math.random(0, 255) .. "." .. math.random(1, 254)
end

local function ip_for(n)
   n = n % 65000
   return "198.19." .. math.floor(n / 254) .. "." .. (n % 254 + 1)
end

-- Pages are asked for as browsers ask (nginx passes their Accept-Encoding on), except those
-- whose HTML this script reads (encoding "identity"): wrk does not decompress.
local function get(path, cookie, ip, encoding)
   local headers = {
      ["X-Forwarded-For"] = ip or client_ip(),
      ["Accept-Encoding"] = encoding or "gzip, deflate",
   }
   if cookie then headers["Cookie"] = cookie end
   if close then headers["Connection"] = "close" end
   return wrk.format("GET", path, headers)
end

local function post(path, cookie, ip, body)
   local headers = {
      ["X-Forwarded-For"] = ip,
      ["Cookie"] = cookie,
      ["Origin"] = origin,
      ["Content-Type"] = "application/x-www-form-urlencoded",
   }
   if close then headers["Connection"] = "close" end
   return wrk.format("POST", path, headers, "csrfmiddlewaretoken=" .. csrf .. "&" .. body)
end

local function cookie_for(session)
   return "sessionid=" .. session .. "; csrftoken=" .. csrf
end

local function location(headers)
   return headers["Location"] or headers["location"] or ""
end

-- ---------------------------------------------------------------------------------------------
-- the checkout flow: add to cart, the details page (contact, address, delivery, payment in one
-- POST), review, place: 4 requests per order (7 until the one-page checkout)

local flow = nil   -- {session=, cookie=, ip=, step=, variant=, key=}
local checkout_sessions, checkout_variants, scarce_variants
local checkout_next = 0

local function start_flow()
   -- sessions are split between threads: thread t uses every nthreads-th one
   local idx = (offset + checkout_next * nthreads + (tid - 1)) % #checkout_sessions + 1
   checkout_next = checkout_next + 1
   local session = checkout_sessions[idx]
   local variant
   local scarce = #scarce_variants > 0 and math.random() < 0.2
   if scarce then
      variant = pick(scarce_variants)
   else
      variant = pick(checkout_variants)
   end
   flow = { session = session, cookie = cookie_for(session), ip = ip_for(idx), step = 0,
            variant = variant, key = nil, n = idx, scarce = scarce }
   flows_started = flows_started + 1
end

local function flow_request()
   local s = flow.step
   if s == 0 then
      return post("/cart/add/", flow.cookie, flow.ip, "variant=" .. flow.variant .. "&quantity=1")
   elseif s == 1 then
      -- every field of the details page, as a browser sends it
      return post("/checkout/", flow.cookie, flow.ip,
                  "email=shopper" .. flow.n .. "%40bench.example&phone=%2B49+30+1234567" ..
                  "&full_name=Bench+Shopper&line1=Teststrasse+1&line2=&postcode=10115" ..
                  "&city=Berlin&country=Germany" ..
                  "&shipping_method=" .. shipping_id .. "&payment_method=cod")
   elseif s == 2 then
      return get("/checkout/review/", flow.cookie, flow.ip, "identity")
   else
      return post("/checkout/place/", flow.cookie, flow.ip, "idempotency_key=" .. flow.key)
   end
end

-- returns true when the flow is over (either way)
local function flow_response(status, headers, body)
   local s = flow.step
   if s == 0 then
      if status == 302 then flow.step = 1 return false end
   elseif s == 1 then
      local loc = location(headers)
      if status == 302 and loc:find("/checkout/review/", 1, true) then
         flow.step = 2
         return false
      end
      if flow.scarce and status == 302 and loc:find("/cart/", 1, true) then
         -- sold out: the add was refused (empty cart) or the last unit went to another
         -- shopper meanwhile (the cart needs attention); checkout sends us back to the cart
         orders_rejected = orders_rejected + 1
         return true
      end
   elseif s == 2 then
      if flow.scarce and status == 302 and location(headers):find("/cart/", 1, true) then
         orders_rejected = orders_rejected + 1
         return true
      end
      if status == 200 then
         local key = body:match('name="idempotency_key" value="([^"]+)"')
         if key then
            flow.key = key
            flow.step = 3
            return false
         end
      end
   else
      local loc = location(headers)
      if status == 302 and loc:find("/orders/confirmation/", 1, true) then
         orders_ok = orders_ok + 1
         return true
      end
      if status == 302 and loc:find("/cart/", 1, true) then
         orders_rejected = orders_rejected + 1   -- out of stock at placing: refused, not oversold
         return true
      end
   end
   flows_failed = flows_failed + 1
   return true
end

-- ---------------------------------------------------------------------------------------------
-- scenarios

local list_paths
local cart_sessions
local add_pool        -- {session, {v1, v2, v3}}
local visitor         -- mixed: the visitor this thread is now (session cookie, address)
local visitors        -- mixed: this thread's visitors, one after the other
local visitor_requests = 0
-- A visitor browses this many requests, then the thread goes on as the next one: one visitor
-- per thread for the whole run made ~10 searches a second from one address at today's speed,
-- which the shop's per-client limit (120 a minute) rightly refuses as a bot.
local VISIT_REQUESTS = 30
local mixed_add_variants

function init(args)
   scenario = args[1]
   datadir = args[2]
   nthreads = tonumber(args[3])
   shipping_id = args[4]
   offset = tonumber(args[5] or "0")
   -- "close": a new connection per request, as nginx -> gunicorn in deploy/ (no upstream
   -- keepalive); "keep": HTTP/1.1 keep-alive
   close = (args[6] or "close") == "close"
   tid = wrk.thread:get("tid")
   math.randomseed(tid * 7919 + 17)
   for _ = 1, 10 do math.random() end
   origin = "http://" .. wrk.host .. ":" .. wrk.port
   if scenario:sub(1, 5) == "list:" then
      list_paths = read_lines("paths_" .. scenario:sub(6) .. ".txt")
   elseif scenario == "cart" then
      cart_sessions = read_lines("cart_sessions.txt")
   elseif scenario == "add" then
      add_pool = {}
      for _, line in ipairs(read_lines("add_pool.txt")) do
         local session, vs = line:match("^(%S+)%s+(%S+)$")
         local variants = {}
         for v in vs:gmatch("[^,]+") do table.insert(variants, v) end
         table.insert(add_pool, { session = session, variants = variants })
      end
   end
   if scenario == "checkout" or scenario == "mixed" then
      checkout_sessions = read_lines(scenario .. "_checkout_sessions.txt")
      checkout_variants = read_lines("checkout_variants.txt")
      scarce_variants = scenario == "checkout" and read_lines("scarce_variants.txt") or {}
   end
   if scenario == "mixed" then
      for _, kind in ipairs({ "home", "category", "product", "search", "suggest" }) do
         paths_by_kind[kind] = read_lines("paths_" .. kind .. ".txt")
      end
      -- the visitors prepared for this run, split between the threads
      visitors = {}
      for i, session in ipairs(read_lines("mixed_visitors.txt")) do
         if (i - 1) % nthreads == tid - 1 then
            visitors[#visitors + 1] = { cookie = cookie_for(session), ip = ip_for(50000 + i) }
         end
      end
      visitor = visitors[1]
      mixed_add_variants = read_lines("checkout_variants.txt")
   end
end

-- mixed: browse 70% (home 10, category 25, product 35), search 20% (results 14, autocomplete 6),
-- cart 7% (view 4, add 3), checkout 3% (a whole checkout flow, 4 requests)
local function mixed_request()
   if flow then return flow_request() end
   visitor_requests = visitor_requests + 1
   if visitor_requests > VISIT_REQUESTS then  -- the next visitor of this thread
      visitor_requests = 1
      table.insert(visitors, table.remove(visitors, 1))
      visitor = visitors[1]
   end
   local r = math.random() * 100
   if r < 10 then
      return get(pick(paths_by_kind.home), visitor.cookie, visitor.ip)
   elseif r < 35 then
      return get(pick(paths_by_kind.category), visitor.cookie, visitor.ip)
   elseif r < 70 then
      return get(pick(paths_by_kind.product), visitor.cookie, visitor.ip)
   elseif r < 84 then
      return get(pick(paths_by_kind.search), visitor.cookie, visitor.ip)
   elseif r < 90 then
      return get(pick(paths_by_kind.suggest), visitor.cookie, visitor.ip)
   elseif r < 94 then
      return get("/cart/", visitor.cookie, visitor.ip)
   elseif r < 97 then
      return post("/cart/add/", visitor.cookie, visitor.ip,
                  "variant=" .. pick(mixed_add_variants) .. "&quantity=1")
   else
      start_flow()
      return flow_request()
   end
end

function request()
   if list_paths then
      return get(pick(list_paths))
   elseif scenario == "cart" then
      local i = math.random(1, #cart_sessions)
      return get("/cart/", cookie_for(cart_sessions[i]), ip_for(i))
   elseif scenario == "add" then
      local i = math.random(1, #add_pool)
      local entry = add_pool[i]
      return post("/cart/add/", cookie_for(entry.session), ip_for(i),
                  "variant=" .. pick(entry.variants) .. "&quantity=1")
   elseif scenario == "checkout" then
      if not flow then start_flow() end
      return flow_request()
   else
      return mixed_request()
   end
end

function response(status, headers, body)
   status_counts[status] = (status_counts[status] or 0) + 1
   if flow and flow_response(status, headers, body) then
      flow = nil
   end
end

-- ---------------------------------------------------------------------------------------------
-- one JSON line for bench/run.py

function done(summary, latency, requests)
   local statuses, ok, rejected, failed, started, most = {}, 0, 0, 0, 0, 0
   for _, t in ipairs(threads) do
      local sc = t:get("status_counts") or {}
      for code, n in pairs(sc) do
         statuses[tostring(code)] = (statuses[tostring(code)] or 0) + n
      end
      ok = ok + (t:get("orders_ok") or 0)
      rejected = rejected + (t:get("orders_rejected") or 0)
      failed = failed + (t:get("flows_failed") or 0)
      started = started + (t:get("flows_started") or 0)
      most = math.max(most, t:get("flows_started") or 0)
   end
   local parts = {}
   for code, n in pairs(statuses) do table.insert(parts, string.format('"%s": %d', code, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"statuses": {%s}, "orders_ok": %d, "orders_rejected": %d, "flows_failed": %d, ' ..
      '"flows_started": %d, "flows_max_per_thread": %d}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95),
      latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ", "), ok, rejected, failed, started, most))
end
