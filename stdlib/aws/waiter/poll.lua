-- The polling loop every wait shares (the official waiters, fg.wait_until,
-- fg.wait_for_deployment): check, show the status, sleep, again, until the
-- check settles or the deadline or the attempts run out. After the check
-- first succeeds nothing more is slept or polled.
local fgrun = require "fgrun"
local json = require "json"
local ui = require "ui"

local M = {}

-- The error of a wait that failed or ran out of time, raised with error():
-- code "WaiterFailure" or "WaiterTimeout"; waiter (name), params, elapsed
-- (seconds), attempts, message (why), last_state (text), diagnosis (text or
-- nil), response (the last answer), cause (the service's error when the
-- last answer was one), acceptor (the waiters-2 acceptor that decided, if
-- any). tostring() gives the whole story.
local WaitError = {}
WaitError.__index = WaitError
WaitError.__name = "aws.WaitError"
M.WaitError = WaitError

-- A compact one-line JSON view of parameters, cut at `limit` characters.
function M.show(value, limit)
  limit = limit or 300
  local ok, text = pcall(json.encode, value, {sort_keys = true})
  if not ok then text = tostring(value) end
  if #text > limit then text = text:sub(1, limit) .. "..." end
  return text
end

-- An ARN without its "arn:aws:service:region:account:" prefix.
local function short(v)
  v = tostring(v)
  return v:match("^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$") or v
end

-- "cluster=c services=web,api": parameters for a progress label, cut at limit.
function M.brief(params, limit)
  limit = limit or 60
  if type(params) ~= "table" then return "" end
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = params[k]
    if type(v) == "table" then
      local items = {}
      for i, x in ipairs(v) do items[i] = type(x) == "table" and M.show(x, 40) or short(x) end
      v = #items > 0 and table.concat(items, ",") or M.show(v, 40)
    end
    parts[#parts + 1] = k .. "=" .. short(v)
  end
  local text = table.concat(parts, " ")
  if #text > limit then text = text:sub(1, limit) .. "..." end
  return text
end

-- Every line after the first indented by two more spaces.
local function indent(text)
  return (tostring(text):gsub("\n", "\n  "))
end

WaitError.__tostring = function(e)
  local polls = e.attempts == 1 and "1 poll" or tostring(e.attempts or 0) .. " polls"
  local head = string.format("%s %s after %s (%s)", e.waiter,
    e.code == "WaiterTimeout" and "timed out" or "failed", ui.duration(e.elapsed or 0), polls)
  local lines = {head .. (e.message and ": " .. e.message or "")}
  if e.params ~= nil then lines[#lines + 1] = "  parameters: " .. M.show(e.params) end
  if e.last_state then lines[#lines + 1] = "  last state: " .. indent(e.last_state) end
  if e.diagnosis and e.diagnosis ~= "" then lines[#lines + 1] = "  " .. indent(e.diagnosis) end
  return table.concat(lines, "\n")
end

function M.is_wait_error(e)
  return getmetatable(e) == WaitError
end

-- A throttling error (the transport's retries spent): the wait polls
-- again, later, instead of failing.
function M.is_throttling(e)
  if type(e) ~= "table" then return false end
  if e.throttling ~= nil then return e.throttling == true end
  return require("aws.transport.retry").THROTTLING[e.code] == true
end

local MAX_THROTTLE = 8

-- pace() -> what every pause of a wait or a retry is multiplied by:
-- FGRUN_WAIT_SCALE, for runs against a simulator whose time is scaled
-- (tests/sim); 1 otherwise.
function M.pace()
  local v = tonumber(os.getenv("FGRUN_WAIT_SCALE") or "")
  return (v and v > 0) and v or 1
end

-- poll(spec) -> the successful check's value, attempts, elapsed seconds.
-- spec:
--   waiter       name in errors ("ecs services_stable")
--   what         progress label (default: waiter)
--   params       shown in errors
--   check(attempt) -> {state = "success"|"failure"|"retry", status = text,
--                 value = any, reason = text (failure), last_state = text,
--                 response, cause, acceptor (copied into errors),
--                 notes = {lines to show above the progress line}}
--                 expect_at = a fgrun.monotonic() instant at which the
--                 check expects success (known settings of AWS's, such as
--                 health checks' interval x threshold; never earlier
--                 than it can be).
--                 A throttling error it raises is a retry, and doubles the
--                 pauses from then on.
--   delay        the first pause, seconds (default 1); backoff multiplies
--                it after each poll (default 1)
--   share        each pause is at least this share of the time waited so
--                far (default 0.1): an ending wait is seen within about
--                that share of its length, and a long one polls gently.
--                0 with the default backoff: every pause is `delay`
--   max_delay    the longest pause, throttling aside (default: no cap)
--                (delay and max_delay are multiplied by pace())
--   timeout      seconds; max_attempts: polls (either, both or neither)
--   progress     false for none, else ui.progress options
-- An expected end (expect_at) that comes before the next poll is polled
-- at; from it on, for `share` of the time waited until it, polls are
-- `delay` apart (AWS's own bookkeeping may lag it a little). A prediction
-- counts once: a later one is new only `delay` or more after it. So the
-- API sees at most two polls a first pause, and that only around an end.
function M.poll(spec)
  local pace = M.pace()
  local delay = (spec.delay or 1) * pace
  local backoff = spec.backoff or 1
  local share = spec.share or 0.1
  local max_delay = (spec.max_delay or math.huge) * pace
  local timeout, max_attempts = spec.timeout, spec.max_attempts
  if type(delay) ~= "number" or delay < 0 then error("wait: delay must be a number >= 0", 3) end
  if timeout ~= nil and (type(timeout) ~= "number" or timeout < 0) then
    error("wait: timeout must be a number of seconds >= 0", 3)
  end
  if max_attempts ~= nil and (math.type(max_attempts) ~= "integer" or max_attempts < 1) then
    error("wait: max_attempts must be an integer >= 1", 3)
  end
  local progress_opts = spec.progress
  if progress_opts == false then progress_opts = {mode = "quiet"} end
  local p <close> = ui.progress(spec.what or spec.waiter, progress_opts)
  local started = fgrun.monotonic()
  local deadline = timeout and started + timeout
  local attempt, r = 0, nil
  local throttle = 1
  local first = delay
  local expected -- the expected end being polled at, or just passed

  -- the pause before the next poll, `normal` unless an end is expected
  local function around_expected_end(normal, now, expect_at)
    local pause = normal
    if expect_at and (not expected or expect_at >= expected + first) then
      if expect_at <= now then
        expected = expect_at
      elseif expect_at - now < pause then
        pause, expected = expect_at - now, expect_at
      end
    end
    if expected and now >= expected and now - expected < share * (expected - started) then
      pause = math.min(pause, first)
    end
    return pause
  end

  local function give_up(code, message)
    local e = setmetatable({
      code = code, waiter = spec.waiter, params = spec.params, message = message,
      elapsed = fgrun.monotonic() - started, attempts = attempt,
      last_state = r and (r.last_state or r.status), response = r and r.response,
      cause = r and r.cause, acceptor = r and r.acceptor,
    }, WaitError)
    p:fail(code == "WaiterTimeout" and "timed out" or message)
    error(e, 0)
  end

  while true do
    attempt = attempt + 1
    local ok, checked = pcall(spec.check, attempt)
    if ok then
      r = checked
    elseif M.is_throttling(checked) then
      throttle = math.min(throttle * 2, MAX_THROTTLE)
      r = {state = "retry", status = "throttled (" .. tostring(checked.code) .. "): polling less often",
           last_state = r and (r.last_state or r.status), cause = checked}
    else
      error(checked, 0)
    end
    for _, note in ipairs(r.notes or {}) do p:note(note) end
    p:update(r.status)
    if r.state == "success" then
      p:done(r.status)
      return r.value, attempt, fgrun.monotonic() - started
    elseif r.state == "failure" then
      give_up("WaiterFailure", r.reason or "reached a failure state")
    end
    local now = fgrun.monotonic()
    if max_attempts and attempt >= max_attempts then
      give_up("WaiterTimeout", string.format("gave up after %d attempts", attempt))
    elseif deadline and now >= deadline then
      give_up("WaiterTimeout", string.format("gave up after the %ss timeout", timeout))
    end
    local pause = around_expected_end(math.min(math.max(delay, share * (now - started)), max_delay), now,
                                      r.expect_at) * throttle
    if deadline then pause = math.min(pause, deadline - now) end
    p:sleep(pause)
    delay = delay * backoff
  end
end

return M
