-- Works out, step by step, what a run would do (fgrun --plan), with only
-- read calls (the reads a run makes) and nothing written: the deployment
-- (fg/deployment.lua) hands each d:step here in plan mode and the plan
-- (fg/plan.lua) collects the answers.
local json = require "json"
local plan = require "fg.plan"
local unified_diff = require "fg.unified_diff"

local planner = {}

-- What the recipe gets from a step a run would create: spec.planned(inputs)
-- when the step says, else what its inputs tell.
local function planned(spec, inputs, previous)
  if spec.planned then return spec.planned(inputs, previous) end
  return previous or plan.unknown_result(inputs)
end

local function create(d, name, spec, inputs, note, id)
  local result, extra = planned(spec, inputs, nil)
  -- a name where the inputs give one; an id function would read unknown values
  id = id or (type(inputs.name) == "string" and inputs.name or nil)
  d.plan:add{ name = name, action = "create", id = id, note = note or extra,
              changes = plan.input_changes({}, inputs) }
  return result
end

-- The JSON of a value, keys sorted, one member a line.
local function pretty(v)
  return json.encode(v == nil and json.null or v, { indent = 2, sort_keys = true })
end

-- Only what `shape` has: the keys of the live document that fgrun sets.
local function project(live, shape)
  if type(live) ~= "table" or type(shape) ~= "table" then return live end
  if json.is_array(shape) or (#shape > 0 and next(shape, #shape) == nil) then
    local out = json.array{}
    for i, v in ipairs(live) do out[i] = project(v, shape[i] or shape[1]) end
    return out
  end
  local out = json.object{}
  for k, v in pairs(live) do
    if shape[k] ~= nil then out[k] = project(v, shape[k]) end
  end
  return out
end

-- Merges b's keys into a (the shape of two documents).
local function union(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a ~= nil and a or b end
  local out = setmetatable({}, getmetatable(a)) -- an empty list stays a list
  for k, v in pairs(a) do out[k] = v end
  for k, v in pairs(b) do out[k] = union(out[k], v) end
  return out
end

-- A step whose type describes the resource as AWS holds it (a task
-- definition, a service): the unified diff of the JSON, as AWS holds it
-- now (only the keys fgrun sets, so AWS's defaults make no noise) against
-- what the run would make it.
local function document_diff(spec, old_inputs, inputs, result)
  if not spec.document then return nil end
  local new = spec.document(inputs)
  local old = spec.document(old_inputs)
  if spec.live_document then
    local live, owned = spec.live_document(result)
    if live ~= nil then old = project(live, union(old, new)) end
    -- keys something else owns (the count under auto scaling): not compared
    for _, k in ipairs(owned or {}) do old[k], new[k] = nil, nil end
  end
  local lines = unified_diff.lines(pretty(old), pretty(new), { from = "AWS now", to = "after the run" })
  return #lines > 0 and lines or nil
end

-- What a run starts from for an entry: {inputs, result}, or nil when it
-- would create the resource.
local function base_of(d, name, spec, entry)
  if not entry then return nil end
  if entry.status == "updating" then
    -- a run starts again from the inputs before the interrupted update
    return { inputs = entry.previous.inputs, result = entry.previous.result }
  end
  if entry.status == "pending" or entry.status == "replacing" then
    -- interrupted mid-create or mid-replacement: a run keeps what find sees
    local found = spec.find and spec.find(entry.inputs, d:context(name))
    if found ~= nil then return { inputs = entry.inputs, result = found } end
    local old = entry.retired and entry.retired[#entry.retired]
    return old and { inputs = old.inputs, result = old.result } or nil
  end
  return { inputs = entry.inputs, result = entry.result }
end

-- planner.step(d, name, spec, entry) -> what the recipe gets back: the
-- recorded result where a run would keep it, else a result whose values
-- a run tells (plan.UNKNOWN).
function planner.step(d, name, spec, entry)
  local inputs = spec.inputs or {}
  local base = base_of(d, name, spec, entry)
  if not base then return create(d, name, spec, inputs) end
  local id = d:describe(name, base.result)
  -- resources an earlier replacement left: a run removes them at its end
  for i = #(entry.retired or {}), 1, -1 do
    if entry.status == "done" then
      d.plan:add{ name = name, action = "remove", id = d:describe(name, entry.retired[i].result),
                  note = "the resource it replaced in an earlier run" }
    end
  end

  local changes, drifted = d:changes_of(name, spec, base, inputs)
  if changes == nil then
    return create(d, name, spec, inputs, "gone (deleted outside fgrun): a run makes it again", id)
  end
  if #changes == 0 then
    d.plan:add{ name = name, action = "unchanged", id = id }
    return base.result
  end
  if plan.forced_field(changes) then
    d.plan:add{ name = name, action = "replace", id = id, changes = changes,
                diff = document_diff(spec, base.inputs, inputs, base.result) }
    return plan.unknown_result(nil) -- a new resource: every value is the run's
  end
  if not spec.update then d:cannot_update(name, base.inputs, inputs) end
  local result, note = planned(spec, inputs, base.result)
  d.plan:add{ name = name, action = "update", id = id, changes = changes,
              note = drifted and "changed outside fgrun" or note,
              diff = document_diff(spec, base.inputs, inputs, base.result) }
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
