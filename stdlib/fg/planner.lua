-- Works out, step by step, what a run would do (fgrun --plan), with only
-- read calls (the find a run makes) and nothing written: the deployment
-- (fg/deployment.lua) hands each d:step here in plan mode and the plan
-- (fg/plan.lua) collects the answers.
local json = require "json"
local plan = require "fg.plan"

local planner = {}

local function canonical(v)
  return json.encode(v, { sort_keys = true })
end

local function describe(d, name, result)
  return d:describe(name, result)
end

-- What the recipe gets from a step a run would create or replace:
-- spec.planned(inputs) when the step says, else what its inputs tell.
local function planned(spec, inputs, previous)
  if spec.planned then return spec.planned(inputs, previous) end
  return plan.unknown_result(inputs)
end

local function create(d, name, spec, inputs, note)
  local result, extra = planned(spec, inputs, nil)
  d.plan:add{ name = name, action = "create", id = describe(d, name, result), note = note or extra,
              changes = plan.input_changes({}, inputs) }
  return result
end

-- planner.step(d, name, spec, entry) -> what the recipe gets back: the
-- recorded result where a run would keep it, else a result whose values
-- a run tells (plan.UNKNOWN).
function planner.step(d, name, spec, entry)
  local inputs = spec.inputs or {}
  local base = entry
  if entry and entry.status == "updating" then
    -- a run starts again from the inputs before the interrupted update
    base = { inputs = entry.previous.inputs, result = entry.previous.result }
  elseif entry and entry.status == "pending" then
    -- interrupted mid-create: a run keeps what find sees, else creates it
    local found = spec.find and spec.find(entry.inputs, d:context(name))
    base = found ~= nil and { inputs = entry.inputs, result = found } or nil
  end
  if not base then return create(d, name, spec, inputs) end

  if canonical(base.inputs) == canonical(inputs) then
    if spec.find and spec.find(inputs, d:context(name)) == nil then
      return create(d, name, spec, inputs, ("%s is gone (deleted outside fgrun): a run makes it again")
        :format(describe(d, name, base.result) or "it"))
    end
    d.plan:add{ name = name, action = "unchanged", id = describe(d, name, base.result) }
    return base.result
  end

  local changes = spec.diff and spec.diff(base.inputs, inputs) or plan.input_changes(base.inputs, inputs)
  local forced
  for _, c in ipairs(changes) do
    if c.forces_replacement then forced = forced or c.field end
  end
  if forced then
    d.plan:add{ name = name, action = "replace", id = describe(d, name, base.result), changes = changes }
    return (planned(spec, inputs, nil))
  end
  if not spec.update then d:cannot_update(name, base.inputs, inputs) end
  local result, note = base.result, nil
  if spec.planned then result, note = spec.planned(inputs, base.result) end
  d.plan:add{ name = name, action = "update", id = describe(d, name, base.result), changes = changes, note = note }
  return result
end

-- The journal's steps that the recipe did not declare this time: a run
-- removes them, newest first (after the steps it runs).
function planner.undeclared(d)
  local steps = d.journal:steps()
  local gone = {}
  for i = #steps, 1, -1 do
    local entry = steps[i]
    if not d.seen[entry.name] then gone[#gone + 1] = entry end
  end
  planner.removals(d, gone, "no longer declared by the recipe")
end

-- The removal of entries in the order given, as --destroy would make it:
-- each step's own undo where the recipe declared it, else the journal's,
-- which must pass the same checks as for a run (read calls only).
function planner.removals(d, entries, note)
  local from_journal = {}
  for _, entry in ipairs(entries) do
    if entry.status ~= "pending" and not d.specs[entry.name] then from_journal[#from_journal + 1] = entry end
  end
  require("fg.journal_undo").check(from_journal, d.id, d.journal.path)
  for _, entry in ipairs(entries) do
    if entry.status == "pending" then
      d.plan:add{ name = entry.name, action = "unchanged",
                  note = "interrupted before its result was recorded: left as it is" }
    else
      d.plan:add{ name = entry.name, action = "remove", id = d:describe(entry.name, entry.result), note = note }
    end
  end
end

-- --plan --destroy: every recorded step, newest first.
function planner.destroy(d)
  local steps = d.journal:steps()
  local order = {}
  for i = #steps, 1, -1 do order[#order + 1] = steps[i] end
  planner.removals(d, order)
end

return planner
