-- What a deployment tells its user: one line per step, then a summary
-- (text, or JSON with --json for pipelines).
local fgrun = require "fgrun"
local json = require "json"
local escape = require("fgrun.text").escape

local report = {}
report.__index = report

function report.new(deployment, env)
  return setmetatable({ deployment = deployment, env = env, lines = {}, counts = {},
                        started = fgrun.monotonic() }, report)
end

-- Step lines go to standard output, or to standard error when standard
-- output carries the JSON summary; -q keeps them back.
local function out()
  return fgrun.options.json and io.stderr or io.stdout
end

-- report.line(fmt, ...): one line for the user, as the step lines go.
function report.line(fmt, ...)
  if fgrun.quiet then return end
  out():write(escape(fmt:format(...), true), "\n")
  out():flush()
end

function report:say(fmt, ...)
  report.line(fmt, ...)
end

-- report:step("created", "ecr_repository", "fargate-demo-x1", 0.42)
function report:step(action, name, id, seconds)
  self.counts[action] = (self.counts[action] or 0) + 1
  self.lines[#self.lines + 1] = { step = name, action = action, id = id, seconds = seconds }
  self:say("  %-10s %-24s %s%s", action, name, id or "",
    seconds and seconds >= 0.05 and ("  (%.1f s)"):format(seconds) or "")
end

local ORDER = { "created", "adopted", "updated", "unchanged", "reverted", "removed", "gone", "kept", "left" }

function report:summary(outcome, outputs)
  local elapsed = fgrun.monotonic() - self.started
  if fgrun.options.json then
    io.stdout:write(json.encode({
      deployment = self.deployment, env = self.env or json.null, outcome = outcome,
      elapsed_seconds = math.floor(elapsed * 10 + 0.5) / 10,
      counts = json.object(self.counts), steps = json.array(self.lines),
      outputs = json.object(outputs or {}),
    }, { indent = 2, sort_keys = true }), "\n")
    return
  end
  local parts = {}
  for _, a in ipairs(ORDER) do
    if self.counts[a] then parts[#parts + 1] = ("%d %s"):format(self.counts[a], a) end
  end
  local label = self.deployment .. (self.env and (" (env " .. self.env .. ")") or "")
  io.stdout:write(escape(("%s %s: %s in %.1f s"):format(label, outcome,
    #parts > 0 and table.concat(parts, ", ") or "nothing to do", elapsed)), "\n")
  local keys = {}
  for k in pairs(outputs or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = outputs[k]
    io.stdout:write(escape(("  %s: %s"):format(k, type(v) == "table" and json.encode(v) or tostring(v))), "\n")
  end
  io.stdout:flush()
end

return report
