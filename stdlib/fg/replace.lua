-- Replacement: a step whose change cannot be made in place gets a new
-- resource beside the old one. The old one is "retired": it stays in the
-- journal (entry.retired, oldest first) until the run has moved every
-- dependent onto the new one (later steps see the new ARN in their inputs
-- and update), and is removed when the run succeeds. Journal states of an
-- entry being replaced:
--   status "replacing"  the old one is in retired; the new one may or may
--                       not exist (its create was interrupted): find tells
--   status "done" with retired   the new one is recorded; the old ones are
--                       removed at the end of a successful run
-- A failure before the end rolls back: dependents are reverted first
-- (newest first), then the new resource is removed and the old restored.
-- A kill at any point leaves one of these states; the next run resumes
-- (finds or drops the new one, then carries on) and --destroy removes
-- both. While replacing, create and find get ctx.generation (1, 2, ...)
-- and ctx.replacing (the old {inputs, result}), so that a type can give
-- the new resource a name of its own (fg.deployment's context).
local fgrun = require "fgrun"
local actions = require "fg.actions"

local replace = {}

local function now() return os.date("!%Y-%m-%dT%H:%M:%SZ") end

-- Moves the recorded resource into entry.retired and writes the intent.
local function retire_current(d, entry, inputs)
  entry.retired = entry.retired or {}
  entry.retired[#entry.retired + 1] = { inputs = entry.inputs, result = entry.result, undo = entry.undo,
                                        token = entry.token, retired_at = now() }
  entry.inputs, entry.result, entry.undo = inputs, nil, nil
  entry.status, entry.token = "replacing", fgrun.uuid4()
  entry.generation = (entry.generation or 0) + 1
  entry.replaced_run = d.run_id
  d.journal:save()
end

-- Puts the newest retired resource back as the step's resource.
local function restore_old(d, entry)
  local old = table.remove(entry.retired)
  entry.inputs, entry.result, entry.undo, entry.token = old.inputs, old.result, old.undo, old.token
  entry.status, entry.replaced_run = "done", nil
  entry.generation = (entry.generation or 1) - 1
  if #entry.retired == 0 then entry.retired = nil end
  d.journal:save()
end

-- replace.run(d, entry, spec, inputs) -> the new resource.
function replace.run(d, entry, spec, inputs)
  retire_current(d, entry, inputs)
  local result = d:create(entry.name, spec, inputs, d:context(entry.name))
  d:record(entry, spec, result)
  return result
end

-- An entry left "replacing" by an interrupted run: the new resource is
-- recorded when find sees it; otherwise the old one is restored. Returns
-- true when the new one was found.
function replace.recover(d, entry, spec)
  local found = spec and spec.find and spec.find(entry.inputs, d:context(entry.name))
  if found ~= nil then
    d:record(entry, spec, d:converge(entry.name, spec, entry.inputs, found))
    return true
  end
  restore_old(d, entry)
  return false
end

-- Rollback of this run's replacement: remove the new resource (if it was
-- made), restore the old one.
function replace.rollback(d, entry, spec)
  if entry.status == "replacing" then
    local found = spec and spec.find and spec.find(entry.inputs, d:context(entry.name))
    if found ~= nil then actions.run(spec.undo(found)) end
  else
    actions.run(entry.undo or {})
  end
  restore_old(d, entry)
end

-- Removes the retired resources of every step, newest step first (a step's
-- dependents come after it), by the recipe's own undo. Each one leaves the journal once it is gone;
-- a failure stops here with the rest still recorded for the next run.
function replace.retire_all(d)
  local steps = d.journal:steps()
  for i = #steps, 1, -1 do
    local entry = steps[i]
    -- declared steps only (their spec's own undo); the undeclared ones are
    -- removed whole afterwards, retired resources included
    local spec = d.seen[entry.name] and d.specs[entry.name]
    while spec and entry.retired and #entry.retired > 0 and entry.status == "done" do
      local old = entry.retired[#entry.retired]
      local started = fgrun.monotonic()
      local ok, outcome = pcall(actions.run, spec.undo(old.result))
      if not ok then
        error(("removing the replaced resource of step %s failed: %s. The new one is in use; the journal %s "
          .. "keeps the old one, and the next run (or --destroy) removes it"):format(entry.name, tostring(outcome),
          d.journal.path), 0)
      end
      table.remove(entry.retired)
      if #entry.retired == 0 then entry.retired, entry.replaced_run = nil, nil end
      d.journal:save()
      d.report:step(outcome == "gone" and "gone" or "retired", entry.name,
        d:describe(entry.name, old.result), fgrun.monotonic() - started)
    end
  end
end

-- Journal-only --destroy of an entry left "replacing": removes the old
-- resources; the new one stays recorded as interrupted mid-create.
function replace.remove_retired(d, entry)
  actions.run(replace.retired_undo(entry))
  entry.retired, entry.status = nil, "pending"
  d.journal:save()
end

-- The removal actions of an entry's retired resources, newest first (for
-- --destroy, after the entry's own).
function replace.retired_undo(entry)
  local list = {}
  for i = #(entry.retired or {}), 1, -1 do
    for _, a in ipairs(entry.retired[i].undo or {}) do list[#list + 1] = a end
  end
  return list
end

return replace
