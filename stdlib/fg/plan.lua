-- A plan (fgrun --plan): what a run would do to each step, worked out by
-- running the recipe with no call that changes anything (fgrun.read_only
-- refuses them) and no write to the journal or its lock. Per step one of
-- create / update (field by field: old -> new) / replace (and the field
-- that forces it) / remove (in the journal, no longer declared) /
-- unchanged, then a summary; with --json one object for CI. Its exit
-- status is 0 without changes and 2 with (fgrun.exit_status).
local fgrun = require "fgrun"
local json = require "json"
local escape = require("fgrun.text").escape

local plan = {}
plan.__index = plan

-- What a value that only a run can tell shows (the ARN of a resource not
-- yet made); it travels inside strings ("http://" .. UNKNOWN), so that a
-- recipe can go on computing with it.
local UNKNOWN = "(known after apply)"
plan.UNKNOWN = UNKNOWN

-- plan.unknown(v) -> whether v holds a value known only after the run.
function plan.unknown(v)
  if type(v) == "string" then return v:find(UNKNOWN, 1, true) ~= nil end
  if type(v) == "table" then
    for k, x in pairs(v) do
      if plan.unknown(k) or plan.unknown(x) then return true end
    end
  end
  return false
end

-- The result of a step a run would make: what its inputs say where the
-- result has the same key (a name), UNKNOWN otherwise (an ARN, an id).
function plan.unknown_result(inputs)
  return setmetatable({}, {
    __index = function(_, k)
      local v = inputs and inputs[k]
      if v ~= nil and type(v) ~= "table" then return v end
      return UNKNOWN
    end,
    __name = "fg.plan.unknown_result",
  })
end

-- plan.new(d, {destroy=}) -> the plan of deployment d.
function plan.new(d, opts)
  return setmetatable({ d = d, destroy = opts and opts.destroy or false, steps = {}, by_name = {} }, plan)
end

local ACTIONS = { create = true, update = true, replace = true, remove = true, unchanged = true }

-- plan:add{name=, action=, id=, changes={{field, old, new, forces_replacement, drift, owned_by}}, note=, diff=}
function plan:add(step)
  assert(ACTIONS[step.action], "plan: unknown action " .. tostring(step.action))
  step.changes = step.changes or {}
  self.steps[#self.steps + 1] = step
  self.by_name[step.name] = step
  return step
end

-- The changes of a step without field declarations: one per top-level
-- input that differs.
function plan.input_changes(old, new)
  local keys, seen = {}, {}
  for k in pairs(new) do keys[#keys + 1], seen[k] = k, true end
  for k in pairs(old or {}) do if not seen[k] then keys[#keys + 1] = k end end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local changes = {}
  for _, k in ipairs(keys) do
    local a, b = (old or {})[k], new[k]
    if json.encode(a == nil and json.null or a, { sort_keys = true })
        ~= json.encode(b == nil and json.null or b, { sort_keys = true }) then
      changes[#changes + 1] = { field = tostring(k), old = a, new = b, forces_replacement = false }
    end
  end
  return changes
end

-- The first field of changes that forces a replacement, or nil.
function plan.forced_field(changes)
  for _, c in ipairs(changes or {}) do
    if c.forces_replacement then return c.field end
  end
end

function plan:counts()
  local counts = { create = 0, update = 0, replace = 0, remove = 0, unchanged = 0 }
  for _, s in ipairs(self.steps) do counts[s.action] = counts[s.action] + 1 end
  return counts
end

function plan:has_changes()
  local c = self:counts()
  return c.create + c.update + c.replace + c.remove > 0
end

-- A value as the plan shows it: JSON, except a value known only after the
-- run, shown as the words (no quotes).
local function shown(v)
  if v == nil then return "(none)" end
  if type(v) == "string" and v == UNKNOWN then return UNKNOWN end
  local ok, text = pcall(json.encode, v, { sort_keys = true })
  return ok and text or tostring(v)
end

local MARK = { create = "+", update = "~", replace = "-/+", remove = "-", unchanged = " " }

function plan:summary_text()
  local c = self:counts()
  if not self:has_changes() then return "no changes" end
  return ("%d to create, %d to update, %d to replace, %d to remove"):format(c.create, c.update, c.replace, c.remove)
end

local function write_text(self)
  local d = self.d
  local label = d.name .. (d.env and (" (env " .. d.env .. ")") or "")
  local lines = { ("%s: plan%s"):format(label, self.destroy and " of --destroy" or "") }
  for _, s in ipairs(self.steps) do
    local what = s.id and tostring(s.id) or ""
    local forced = plan.forced_field(s.changes)
    if s.action == "replace" and forced then what = what .. (" (%s forces replacement)"):format(forced) end
    if s.note then what = what .. (what ~= "" and "; " or "") .. s.note end
    lines[#lines + 1] = ("%3s %-10s %-24s %s"):format(MARK[s.action], s.action, s.name, what)
    for _, c in ipairs(s.changes) do
      lines[#lines + 1] = s.action == "create" and ("        %s = %s"):format(c.field, shown(c.new)) or
        ("        %s: %s -> %s%s%s%s"):format(c.field, shown(c.old), shown(c.new),
        c.forces_replacement and "  (forces replacement)" or "", c.drift and "  (drift: changed outside fgrun)" or "",
        c.owned_by and ("  (recorded only: %s owns it)"):format(c.owned_by) or "")
    end
    for _, line in ipairs(s.diff or {}) do lines[#lines + 1] = "        " .. line end
  end
  if self.note then lines[#lines + 1] = "  " .. self.note end
  lines[#lines + 1] = ("%s: %s"):format(label, self:summary_text())
  io.stdout:write(escape(table.concat(lines, "\n"), true), "\n")
  io.stdout:flush()
end

-- The plan as one JSON object (--json): deployment, env, destroy, changes
-- (true/false), summary (counts per action), steps ({name, action, id,
-- note, changes = {{field, old, new, forces_replacement, drift, owned_by}}, diff}).
function plan:json()
  local steps = {}
  for i, s in ipairs(self.steps) do
    local changes = {}
    for j, c in ipairs(s.changes) do
      changes[j] = { field = c.field, old = c.old == nil and json.null or c.old,
                     new = c.new == nil and json.null or c.new,
                     forces_replacement = c.forces_replacement and true or false, drift = c.drift and true or nil,
                     owned_by = c.owned_by }
    end
    steps[i] = { name = s.name, action = s.action, id = s.id, note = s.note,
                 changes = json.array(changes), diff = s.diff and json.array(s.diff) or nil }
  end
  local d = self.d
  return {
    deployment = d.name, env = d.env or json.null, destroy = self.destroy, changes = self:has_changes(), note = self.note,
    summary = json.object(self:counts()), steps = json.array(steps),
  }
end

-- Prints the plan (text, or JSON with --json) and sets the exit status.
function plan:finish()
  if fgrun.options.json then
    io.stdout:write(json.encode(self:json(), { indent = 2, sort_keys = true }), "\n")
    io.stdout:flush()
  else
    write_text(self) -- even with -q: the plan is the result
  end
  fgrun.exit_status(self:has_changes() and 2 or 0)
end

return plan
