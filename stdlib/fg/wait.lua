-- Waiting for a condition a deployment needs beyond the official waiters
-- (fg exposes it as fg.wait_until):
--
--   wait_until(check, opts): check(attempt) returns true (done), false or
--     nil (not yet) or "failed", then a status text (and, when done, a
--     value to return). opts: what (label), timeout (seconds, default 300),
--     delay (first pause, default 2), backoff (factor, default 1.5),
--     max_delay (default 15), max_attempts, params (shown in errors),
--     progress (false: none). Returns the value (or the status text).
--
-- It raises the waiters' WaitError (code "WaiterFailure"/"WaiterTimeout").
-- The wait for an ECS deployment is fg/ecs/wait.lua.
local poll = require "aws.waiter.poll"

local M = {}

function M.wait_until(check, opts)
  opts = opts or {}
  if type(check) ~= "function" then error("wait_until: check must be a function", 2) end
  local what = opts.what or "condition"
  return poll.poll{
    waiter = what,
    what = what,
    params = opts.params,
    check = function(attempt)
      local done, text, value = check(attempt)
      if done == true then
        if value == nil then value = text end
        return {state = "success", status = text, value = value}
      elseif done == "failed" then
        return {state = "failure", status = text, reason = text or "the check failed"}
      elseif done == false or done == nil then
        return {state = "retry", status = text}
      end
      error("wait_until: check returned " .. tostring(done) .. " (true, false, nil or \"failed\")", 0)
    end,
    delay = opts.delay or 2,
    backoff = opts.backoff or 1.5,
    max_delay = opts.max_delay or 15,
    timeout = opts.timeout or (opts.max_attempts == nil and 300 or nil),
    max_attempts = opts.max_attempts,
    progress = opts.progress,
  }
end

return M
