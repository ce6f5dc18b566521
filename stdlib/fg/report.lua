-- What a deployment tells its user: one line per step, then a summary
-- (text, or JSON with --json for pipelines) with the timeline of the
-- steps (each one's start and end) and the critical path through them.
local fgrun = require "fgrun"
local json = require "json"
local escape = require("fgrun.text").escape
local progress = require "ui.progress"

local report = {}
report.__index = report

function report.new(deployment, env)
  return setmetatable({ deployment = deployment, env = env, lines = {}, counts = {}, spans = {},
                        started = fgrun.monotonic() }, report)
end

-- Step lines go to standard output, or to standard error when standard
-- output carries the JSON summary; -q keeps them back. On a terminal they
-- go above the progress lines.
local function out()
  return fgrun.options.json and io.stderr or io.stdout
end

-- report.line(fmt, ...): one line for the user, as the step lines go.
function report.line(fmt, ...)
  if fgrun.quiet then return end
  progress.print(out(), escape(fmt:format(...), true) .. "\n")
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

-- report:span(name, started, ready, ended, after, settled): a step's times
-- (fgrun.monotonic values: its start, when its result was known, its end
-- after any wait), the steps whose results it waited for (after) and
-- those whose wait it waited for too (settled: its spec.ready), for the
-- timeline.
function report:span(name, started, ready, ended, after, settled)
  self.spans[#self.spans + 1] = { step = name, start = started - self.started, ready = ready - self.started,
                                  ["end"] = ended - self.started, after = after or {}, settled = settled or {} }
end

-- When a span let `s` start: its end when s waited for its wait, else
-- when its result was known.
local function gate_time(d, s)
  for _, name in ipairs(s.settled or {}) do
    if name == d.step then return d["end"] end
  end
  return d.ready or d["end"]
end

-- The critical path: from the step that ended last, back through the step
-- whose result (or, for a step's spec.ready, whose wait's end) each one
-- waited for last. Returns the spans, first to last.
function report.critical_path(spans)
  local by_name, last = {}, nil
  for _, s in ipairs(spans) do
    by_name[s.step] = s
    if not last or s["end"] > last["end"] then last = s end
  end
  local path, seen = {}, {}
  local s = last
  while s and not seen[s] do
    seen[s] = true
    table.insert(path, 1, s)
    local gate, gate_at
    local names = { table.unpack(s.after) }
    for _, name in ipairs(s.settled or {}) do names[#names + 1] = name end
    for _, name in ipairs(names) do
      local d = by_name[name]
      local at = d and gate_time(d, s)
      if d and at <= s.start + 1e-9 and (not gate or at > gate_at) then gate, gate_at = d, at end
    end
    s = gate
  end
  return path
end

local function rounded(t)
  return math.floor(t * 100 + 0.5) / 100
end

local BAR = 30

-- "  * load_balancer   0.3s → 3m01s  |  ████████      |"
local function timeline_lines(spans, path, elapsed)
  local on_path = {}
  for _, s in ipairs(path) do on_path[s] = true end
  local sorted = {}
  for _, s in ipairs(spans) do sorted[#sorted + 1] = s end
  table.sort(sorted, function(a, b)
    if a.start ~= b.start then return a.start < b.start end
    return a.step < b.step
  end)
  local width = 0
  for _, s in ipairs(sorted) do width = math.max(width, #s.step) end
  local total = math.max(elapsed, 1e-6)
  local lines = {}
  for _, s in ipairs(sorted) do
    local from = math.min(BAR - 1, math.floor(s.start / total * BAR))
    local to = math.max(from + 1, math.min(BAR, math.ceil(s["end"] / total * BAR)))
    local bar = string.rep(" ", from) .. string.rep("█", to - from) .. string.rep(" ", BAR - to)
    local when = progress.duration(s.start) .. " → " .. progress.duration(s["end"])
    lines[#lines + 1] = ("  %s %-" .. width .. "s  %-16s |%s|"):format(on_path[s] and "*" or " ", s.step, when, bar)
  end
  return lines
end

local ORDER = { "created", "adopted", "updated", "unchanged", "reverted", "removed", "gone", "kept", "left" }

function report:summary(outcome, outputs)
  local elapsed = fgrun.monotonic() - self.started
  local path = report.critical_path(self.spans)
  local path_names, path_seconds = {}, 0
  for _, s in ipairs(path) do
    path_names[#path_names + 1] = s.step
    path_seconds = path_seconds + (s["end"] - s.start)
  end
  if fgrun.options.json then
    local timeline = {}
    for i, s in ipairs(self.spans) do
      timeline[i] = { step = s.step, start = rounded(s.start), ready = rounded(s.ready or s["end"]),
                      ["end"] = rounded(s["end"]), after = json.array(s.after),
                      settled_after = json.array(s.settled or {}) }
    end
    io.stdout:write(json.encode({
      deployment = self.deployment, env = self.env or json.null, outcome = outcome,
      elapsed_seconds = math.floor(elapsed * 10 + 0.5) / 10,
      counts = json.object(self.counts), steps = json.array(self.lines),
      outputs = json.object(outputs or {}),
      timeline = json.array(timeline), critical_path = json.array(path_names),
      critical_path_seconds = rounded(path_seconds),
    }, { indent = 2, sort_keys = true }), "\n")
    return
  end
  local parts = {}
  for _, a in ipairs(ORDER) do
    if self.counts[a] then parts[#parts + 1] = ("%d %s"):format(self.counts[a], a) end
  end
  local label = self.deployment .. (self.env and (" (env " .. self.env .. ")") or "")
  local text = { escape(("%s %s: %s in %.1f s"):format(label, outcome,
    #parts > 0 and table.concat(parts, ", ") or "nothing to do", elapsed)) .. "\n" }
  local keys = {}
  for k in pairs(outputs or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = outputs[k]
    text[#text + 1] = escape(("  %s: %s"):format(k, type(v) == "table" and json.encode(v) or tostring(v))) .. "\n"
  end
  if #self.spans > 1 and not fgrun.quiet then
    text[#text + 1] = "timeline (* on the critical path):\n"
    for _, l in ipairs(timeline_lines(self.spans, path, elapsed)) do text[#text + 1] = l .. "\n" end
    text[#text + 1] = ("critical path: %s, %s of the %s\n"):format(table.concat(path_names, " → "),
      progress.duration(path_seconds), progress.duration(elapsed))
  end
  progress.print(io.stdout, table.concat(text))
end

return report
