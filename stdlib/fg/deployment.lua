-- A deployment: named steps that each create (or update) one resource and
-- record in the journal how to remove it, so that a failed or interrupted
-- run rolls back, a re-run resumes, and --destroy needs nothing but the
-- journal. See HACKING.md ("Deployments") for the journal's life cycle.
local fgrun = require "fgrun"
local json = require "json"
local journal_mod = require "fg.journal"
local state = require "fg.state"
local actions = require "fg.actions"
local journal_undo = require "fg.journal_undo"
local report_mod = require "fg.report"
local replace = require "fg.replace"
local escape = require("fgrun.text").escape

local deployment = {}
deployment.__index = deployment

-- Raised in destroy mode when the recipe reaches a step that was never
-- started: nothing after it exists, so the recipe need not run further.
local STOP = setmetatable({}, { __tostring = function() return "destroy: end of the recorded steps" end })
deployment.STOP = STOP

local function canonical(v)
  return json.encode(v, { sort_keys = true })
end

-- The names of top-level inputs that differ, for messages.
local function changed_keys(old, new)
  local keys, seen = {}, {}
  for k, v in pairs(new) do
    seen[k] = true
    if canonical(v) ~= canonical(old[k]) then keys[#keys + 1] = tostring(k) end
  end
  for k in pairs(old) do
    if not seen[k] then keys[#keys + 1] = tostring(k) end
  end
  table.sort(keys)
  return table.concat(keys, ", ")
end

local function describe(spec, result)
  if spec and spec.id then
    local ok, id = pcall(spec.id, result)
    if ok and id ~= nil then return tostring(id) end
  end
  if type(result) ~= "table" then return tostring(result) end
  return result.id or result.arn or result.name
end

-- deployment.new(name, {state=, env=, destroy=, keep=, inspect=}) ->
-- deployment. state: where journals live (fg/state.lua: a folder, default
-- ./.fgrun, or s3://bucket/prefix). Takes the deployment's lock (the second
-- run says who holds it) and reads its journal. With inspect, it only
-- reads: no lock, no steps, no summary (a recipe's status and logs actions).
function deployment.new(name, opts)
  if type(name) ~= "string" or not name:match("^[%w][%w%-_.]*$") then
    error("fg.deployment: the name must be letters, digits, '-', '_' or '.', got " .. tostring(name), 2)
  end
  opts = opts or {}
  local env = opts.env
  local store = state.open(opts.state)
  local self = setmetatable({
    name = name, env = env, id = name .. (env and ("." .. env) or ""),
    destroying = opts.destroy or false, keep = opts.keep or false, inspecting = opts.inspect or false,
    run_id = fgrun.uuid4():sub(1, 8), specs = {}, seen = {}, outputs = {},
  }, deployment)
  if self.destroying and not store:exists(self.id) then
    self.nothing_to_destroy = store:where(self.id)
    return self
  end
  if self.inspecting then
    self.journal = journal_mod.open(store, self.id)
    return self
  end
  self.lock = store:lock(self.id)
  local ok, j = pcall(journal_mod.open, store, self.id)
  if not ok then
    self.lock:release(false) -- an S3 lock would outlive the process
    error(j, 0)
  end
  self.journal = j
  self.report = report_mod.new(name, env)
  return self
end

-- ctx of create/update/find: besides the token and tags, generation (how
-- often the step was replaced), recorded (its recorded result, when done)
-- and replacing (the resource being replaced: {inputs, result}, and the
-- results of every one still to remove).
function deployment:context(step)
  local entry = self.journal:find(step)
  local old = entry and entry.retired and entry.retired[#entry.retired]
  local replacing
  if old then
    replacing = { inputs = old.inputs, result = old.result, results = {} }
    for i, r in ipairs(entry.retired) do replacing.results[i] = r.result end
  end
  return {
    deployment = self.id, step = step, token = entry and entry.token,
    generation = entry and entry.generation,
    recorded = entry and entry.status == "done" and entry.result or nil,
    replacing = replacing,
    tags = { { Key = "fgrun:deployment", Value = self.id }, { Key = "fgrun:step", Value = step } },
    tags_lower = { { key = "fgrun:deployment", value = self.id }, { key = "fgrun:step", value = step } },
    tag_map = { ["fgrun:deployment"] = self.id, ["fgrun:step"] = step },
  }
end

local function check_spec(name, spec)
  if type(name) ~= "string" or name == "" then error("d:step: the step needs a name", 3) end
  if type(spec) ~= "table" then error(("step %s: the spec must be a table"):format(name), 3) end
  for _, f in ipairs({ "create", "undo" }) do
    if type(spec[f]) ~= "function" then
      error(("step %s: spec.%s must be a function"):format(name, f), 3)
    end
  end
  for _, f in ipairs({ "update", "find", "id", "diff", "converge" }) do
    if spec[f] ~= nil and type(spec[f]) ~= "function" then
      error(("step %s: spec.%s must be a function"):format(name, f), 3)
    end
  end
  local ok, err = pcall(json.encode, spec.inputs or {})
  if not ok then error(("step %s: inputs must be plain data (%s)"):format(name, err), 3) end
  journal_mod.check_no_secrets(spec.inputs or {}, ("step %s: inputs"):format(name))
end

-- spec.create, where "already exists" right after find saw nothing means a
-- retried call whose first answer was lost made it: adopted as this run's.
function deployment:create(name, spec, inputs, ctx)
  local ok, result = pcall(spec.create, inputs, ctx)
  if ok then return result end
  local code = type(result) == "table" and result.code
  local found = code and (code:find("AlreadyExists", 1, true) or code:find("Duplicate", 1, true))
    and spec.find and spec.find(inputs, ctx)
  if found == nil or found == false then error(result, 0) end
  return self:converge(name, spec, inputs, found)
end

-- A resource found rather than made (a crash mid-create, an "already
-- exists" answer, one there before): spec.converge(inputs, found, ctx),
-- when the step has it, brings it to what the inputs say.
function deployment:converge(name, spec, inputs, found)
  if not spec.converge or self.destroying then return found end
  return spec.converge(inputs, found, self:context(name))
end

function deployment:describe(step, result)
  return describe(self.specs[step], result)
end

-- Completes an entry with the step's result and its removal, as data.
function deployment:record(entry, spec, result)
  if result == nil then
    error(("step %s: create/update/find must return the resource (later steps and undo use it)")
      :format(entry.name), 0)
  end
  local ok, err = pcall(json.encode, result)
  if not ok then error(("step %s: the result must be plain data (%s)"):format(entry.name, err), 0) end
  local undo = spec.undo(result)
  actions.check(undo, "step " .. entry.name)
  entry.status, entry.result, entry.undo = "done", result, undo
  entry.finished_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  self.journal:save()
end

-- d:step(name, spec) -> the resource (create's, update's or find's result).
-- spec: inputs (plain data), create(inputs, ctx), undo(result) -> actions,
-- and optionally update(inputs, previous_result, ctx), find(inputs, ctx),
-- id(result) -> text for the report, diff(old_inputs, new_inputs) -> the
-- changes ({field, old, new, forces_replacement}; one that forces
-- replacement makes a new resource, see fg/replace.lua). ctx has token (an
-- idempotency token kept across a crash), tags in the three shapes AWS
-- APIs use, and for update previous_inputs and changes.
function deployment:step(name, spec)
  check_spec(name, spec)
  if self.seen[name] then error(("step %s: a step name can be used once per run"):format(name), 2) end
  self.seen[name] = true
  -- a new step goes into the journal after the step the recipe declared
  -- before it, so that removals (newest first) follow the recipe's order
  -- even for a step that comes back in a later run (a strategy switched back)
  local after = self.last_declared
  self.last_declared = name
  self.specs[name] = spec
  if self.inspecting then error(("step %s: this run only inspects the deployment"):format(name), 2) end
  if self.nothing_to_destroy then error(STOP, 0) end
  local inputs = spec.inputs or {}
  local entry = self.journal:find(name)
  if self.destroying then return self:recover_for_destroy(name, spec, entry) end
  local started = fgrun.monotonic()
  local function elapsed() return fgrun.monotonic() - started end
  self.current_step = name

  if entry and entry.status == "replacing" then
    -- an earlier run stopped while replacing: keep the new one if it was made
    local found = replace.recover(self, entry, spec)
    self.report:step(found and "recovered" or "restored", name, describe(spec, entry.result), elapsed())
  end
  if entry and entry.status == "updating" then
    -- an earlier run stopped inside update: the resource is there, in
    -- its old or new form; start again from the old one
    entry.status, entry.inputs, entry.result = "done", entry.previous.inputs, entry.previous.result
  end
  if entry and entry.status == "pending" then
    -- an earlier run stopped inside create: find what it made, if anything
    local found = spec.find and spec.find(entry.inputs, self:context(name))
    if found ~= nil then
      entry.created_run = self.run_id
      found = self:converge(name, spec, entry.inputs, found)
      self:record(entry, spec, found)
      self.report:step("recovered", name, describe(spec, found), elapsed())
    else
      self.journal:drop(name)
      self.journal:save()
      entry = nil
    end
  end

  if entry then
    if canonical(entry.inputs) == canonical(inputs) then
      local found = true
      if spec.find then found = spec.find(inputs, self:context(name)) end
      if found ~= nil then
        self.report:step("unchanged", name, describe(spec, entry.result))
        self.current_step = nil
        return entry.result
      end
      -- removed behind fgrun's back: make it again
      self.journal:drop(name)
      self.journal:save()
    else
      local changes = spec.diff and spec.diff(entry.inputs, inputs) or nil
      local forced
      for _, c in ipairs(changes or {}) do
        if c.forces_replacement then forced = forced or c.field end
      end
      if forced then
        local result = replace.run(self, entry, spec, inputs)
        self.report:step("replaced", name, ("%s (%s changed)"):format(describe(spec, result), forced), elapsed())
        self.current_step = nil
        return result
      end
      if not spec.update then
        error(("step %s: its inputs changed (%s) and it has no update, so it cannot change in place; "
          .. "restore the inputs, or run --destroy and deploy again"):format(name, changed_keys(entry.inputs, inputs)), 0)
      end
      local ctx = self:context(name)
      ctx.previous_inputs, ctx.changes = entry.inputs, changes
      entry.previous = { inputs = entry.inputs, result = entry.result }
      entry.status, entry.updated_run = "updating", self.run_id
      self.journal:save()
      local result = spec.update(inputs, entry.result, ctx)
      entry.inputs = inputs
      self:record(entry, spec, result)
      self.report:step("updated", name, describe(spec, result), elapsed())
      self.current_step = nil
      return result
    end
  end

  local ctx = self:context(name)
  local found = spec.find and spec.find(inputs, ctx)
  entry = { name = name, inputs = inputs, created_run = self.run_id,
            token = fgrun.uuid4(), started_at = os.date("!%Y-%m-%dT%H:%M:%SZ") }
  self.journal:add(entry, after)
  if found ~= nil then
    -- there before this run: kept in the journal, never removed by rollback
    entry.adopted = true
    found = self:converge(name, spec, inputs, found)
    self:record(entry, spec, found)
    self.report:step("adopted", name, describe(spec, found), elapsed())
    self.current_step = nil
    return found
  end
  entry.status = "pending" -- the intent, on disk before the create call
  self.journal:save()
  ctx.token = entry.token
  local result = self:create(name, spec, inputs, ctx)
  self:record(entry, spec, result)
  self.report:step("created", name, describe(spec, result), elapsed())
  self.current_step = nil
  return result
end

-- Destroy mode: the recipe runs to learn its steps; recorded results are
-- returned without calls, a step interrupted mid-create is looked up with
-- find, and the first step never started ends the recipe (STOP).
function deployment:recover_for_destroy(name, spec, entry)
  if not entry then error(STOP, 0) end
  if entry.status == "replacing" then replace.recover(self, entry, spec) end
  if entry.status == "updating" then
    entry.status, entry.inputs, entry.result = "done", entry.previous.inputs, entry.previous.result
    self.journal:save()
  end
  if entry.status == "done" then return entry.result end
  local found = spec.find and spec.find(entry.inputs, self:context(name))
  if found ~= nil then
    self:record(entry, spec, found)
    return found
  end
  if spec.find then
    self.journal:drop(name) -- interrupted before anything was made
    self.journal:save()
  end
  error(STOP, 0)
end

-- d:value(name, make) -> a value made once per deployment and kept in the
-- journal (a random suffix for resource names, say).
function deployment:value(name, make)
  if self.nothing_to_destroy then error(STOP, 0) end
  local v = self.journal.data.values[name]
  if v ~= nil or self.inspecting then return v end
  if self.destroying then error(STOP, 0) end
  v = make()
  journal_mod.check_no_secrets({ [name] = v }, "value")
  self.journal.data.values[name] = v
  self.journal:save()
  return v
end

-- d:read(name, fn) -> what fn returns while deploying (a look-up: the
-- VPC, the caller's account, ...), kept in the journal; a destroy or an
-- action gets the recorded value without calling fn. Code between steps
-- so needs no `if d.destroying` (HACKING.md, "Deployments").
function deployment:read(name, fn)
  if self.nothing_to_destroy then error(STOP, 0) end
  local reads = self.journal.data.reads or json.object()
  self.journal.data.reads = reads
  if self.destroying or self.inspecting then
    local v = reads[name]
    if v == nil and self.destroying then error(STOP, 0) end
    return v
  end
  local v = fn()
  local ok, err = pcall(json.encode, v)
  if not ok then error(("d:read %s: the value must be plain data (%s)"):format(name, err), 2) end
  journal_mod.check_no_secrets({ [name] = v }, "read")
  if canonical(v) ~= canonical(reads[name]) then
    reads[name] = v
    if self.journal.exists then self.journal:save() end
  end
  return v
end

-- d:after_deploy(fn): fn() runs once a deploy has succeeded and is
-- recorded (never for --destroy or an action): checks, notes. Its errors
-- are reported and never roll anything back.
function deployment:after_deploy(fn)
  if type(fn) ~= "function" then error("d:after_deploy(fn): fn must be a function", 2) end
  self.after = self.after or {}
  self.after[#self.after + 1] = fn
end

-- d:output(name, value): shown in the summary and kept in the journal.
function deployment:output(name, value)
  self.outputs[name] = value
end

-- d:recorded_outputs() -> the outputs recorded by the last complete run.
function deployment:recorded_outputs()
  return self.journal and self.journal.data.outputs or {}
end

-- d:recorded(step) -> the journaled result of a completed step, or of one
-- being updated (its resource is there: the result before the update, which
-- the status, rollback and continue actions need while a deploy waits in
-- it), or nil.
function deployment:recorded(step)
  local entry = self.journal and self.journal:find(step)
  return entry and (entry.status == "done" or entry.status == "updating") and entry.result or nil
end

-- d:recorded_steps() -> the names of the journaled steps, oldest first.
function deployment:recorded_steps()
  local names = {}
  for _, entry in ipairs(self.journal and self.journal:steps() or {}) do names[#names + 1] = entry.name end
  return names
end

-- Removes one journaled step (by undo, default the journaled one and that
-- of its retired resources), reporting it; raises on failure with the
-- journal still holding the step.
function deployment:remove_step(entry, undo)
  local started = fgrun.monotonic()
  if not undo then
    undo = table.move(entry.undo or {}, 1, #(entry.undo or {}), 1, {})
    for _, a in ipairs(replace.retired_undo(entry)) do undo[#undo + 1] = a end
  end
  local ok, outcome = pcall(actions.run, undo)
  if not ok then
    error(("removing step %s failed: %s. The journal %s keeps what is left; fix the cause and run "
      .. "--destroy again"):format(entry.name, tostring(outcome), self.journal.path), 0)
  end
  self.journal:drop(entry.name)
  self.journal:save()
  self.report:step(outcome, entry.name, describe(self.specs[entry.name], entry.result),
    fgrun.monotonic() - started)
end

function deployment:close(remove_files)
  if remove_files and #self.journal:steps() == 0 then
    self.journal:remove()
  end
  if self.lock then
    self.lock:release(remove_files and not self.journal.exists)
    self.lock = nil
  end
end

-- Undoes every recorded step, newest first, tolerating what is already
-- gone; removes the journal once nothing is left.
function deployment:destroy_all()
  if self.nothing_to_destroy then
    self.report = report_mod.new(self.name, self.env)
    self.report:say("nothing to destroy: no journal at %s", self.nothing_to_destroy)
    return
  end
  self.report:say("destroying %s", self.id)
  local steps = self.journal:steps()
  -- the recipe's own undo where the recipe ran that step; the journal's
  -- otherwise, which must pass journal_undo's checks first
  local undo = self:removals(steps, function(entry) return entry.status ~= "pending" end)
  local left = {}
  for i = #steps, 1, -1 do
    local entry = steps[i]
    if entry.status == "replacing" then
      -- the old resource is known; the new one only the recipe's find can tell
      replace.remove_retired(self, entry)
    end
    if entry.status == "pending" or entry.status == "replacing" then
      left[#left + 1] = entry.name
      self.report:step("left", entry.name, "interrupted before its result was recorded")
    else
      self:remove_step(entry, undo[entry])
    end
  end
  if #left > 0 then
    self:close(false)
    error(("steps %s were interrupted mid-create and could not be looked up; run --destroy with "
      .. "the recipe (not the journal) so its find can locate them"):format(table.concat(left, ", ")), 0)
  end
  self:close(true)
  self.report:summary("destroyed", {})
end

-- The removal of each entry that wants(entry), with its retired resources:
-- the recipe's own undo where the recipe declared the step, the journal's
-- otherwise, which must pass journal_undo's checks first (all of them
-- before any removal: a refused journal changes nothing).
function deployment:removals(steps, wants)
  local undo, from_journal = {}, {}
  for _, entry in ipairs(steps) do
    local spec = self.specs[entry.name]
    if wants(entry) and spec then
      local list = entry.result ~= nil and spec.undo(entry.result) or {}
      for i = #(entry.retired or {}), 1, -1 do
        for _, a in ipairs(spec.undo(entry.retired[i].result)) do list[#list + 1] = a end
      end
      actions.check(list, "step " .. entry.name)
      undo[entry] = list
    elseif wants(entry) then
      from_journal[#from_journal + 1] = entry
      if entry.retired then from_journal[#from_journal + 1] = { name = entry.name, undo = replace.retired_undo(entry) } end
    end
  end
  journal_undo.check(from_journal, self.id, self.journal.path)
  return undo
end

-- After a successful run: steps in the journal that the recipe no longer
-- declares (a conditional step turned off, a step deleted from the recipe)
-- are removed, newest first, as --destroy would.
function deployment:remove_undeclared()
  local steps = self.journal:steps()
  self:removals(steps, function(entry) return entry.status == "done" and not self.seen[entry.name] end)
  for i = #steps, 1, -1 do
    local entry = steps[i]
    if not self.seen[entry.name] then
      if entry.status == "done" then
        self:remove_step(entry)
      else
        self.report:step("left", entry.name, "no longer declared, and interrupted before its result was recorded")
      end
    end
  end
end

-- Undoes what this run did, newest first: removes what it created,
-- reverts what it updated where the step can (update with the previous
-- inputs), and names what it leaves.
function deployment:rollback()
  local steps = self.journal:steps()
  self.report:say("rolling back %s", self.id)
  for i = #steps, 1, -1 do
    local entry = steps[i]
    local spec = self.specs[entry.name]
    if entry.replaced_run == self.run_id then
      replace.rollback(self, entry, spec)
      self.report:step("restored", entry.name, describe(spec, entry.result))
    end
    local ctx = self:context(entry.name)
    if entry.created_run == self.run_id and entry.adopted then
      self.report:step("left", entry.name, "existed before this run")
    elseif entry.created_run == self.run_id and entry.status == "pending" then
      local found = spec and spec.find and spec.find(entry.inputs, ctx)
      if found ~= nil then
        self:record(entry, spec, found)
        self:remove_step(entry)
      else
        self.journal:drop(entry.name)
        self.journal:save()
      end
    elseif entry.created_run == self.run_id then
      self:remove_step(entry)
    elseif entry.updated_run == self.run_id then
      local previous = entry.previous
      if spec and spec.update and spec.revert ~= false and previous then
        ctx.previous_inputs = entry.inputs
        ctx.changes = spec.diff and spec.diff(entry.inputs, previous.inputs) or nil
        local result = spec.update(previous.inputs, entry.result, ctx)
        entry.inputs, entry.previous, entry.updated_run = previous.inputs, nil, nil
        self:record(entry, spec, result)
        self.report:step("reverted", entry.name, describe(spec, result))
      else
        if previous then entry.inputs, entry.status = previous.inputs, "done" end
        self.journal:save()
        self.report:step("left", entry.name, "changed by this run; no way to revert it")
      end
    end
  end
  self:close(true)
end

-- The end of the script (registered with fgrun.atexit): the summary on
-- success; rollback (or --keep) on failure; the removal in destroy mode.
-- Returns true when it has dealt with the error (destroy mode's STOP).
function deployment:finish(ok, err, message)
  if self.finished then return end
  self.finished = true
  -- the lock goes however this ends (an S3 lock would outlive the process)
  local _ <close> = setmetatable({}, { __close = function() self:close(false) end })
  if self.journal and (self.destroying or not ok) then
    -- before anything is undone: is the journal still this run's? (S3 state)
    pcall(self.journal.verify, self.journal)
  end
  if self.journal and self.journal.stale then
    -- changed behind this run's back: another run owns it now
    io.stderr:write(("%s: nothing rolled back or removed: %s\n"):format(self.id, self.journal.stale))
    return
  end
  if self.destroying then
    if not ok and err ~= STOP then
      io.stderr:write(("the recipe stopped early (%s); destroying what the journal records\n"):format(escape(message, true)))
    end
    self:destroy_all()
    return err == STOP
  end
  if ok then
    replace.retire_all(self)
    self:remove_undeclared()
    if self.journal.exists or #self.journal:steps() > 0 then
      self.journal.data.outputs = json.object(self.outputs)
      self.journal:save()
    end
    self:close(false)
    local interrupted
    for _, fn in ipairs(self.after or {}) do
      local ran, problem = pcall(fn)
      if not ran and fgrun.interrupted() then interrupted = problem break end
      if not ran then io.stderr:write(("after the deploy: %s\n"):format(escape(tostring(problem), true))) end
    end
    self.report:summary("deployed", self.outputs)
    if interrupted then error(interrupted, 0) end
    return
  end
  local where = self.current_step and (" in step " .. self.current_step) or ""
  io.stderr:write(("%s failed%s: %s\n"):format(self.id, where, escape(message, true)))
  if self.keep then
    for _, entry in ipairs(self.journal:steps()) do
      if entry.created_run == self.run_id or entry.updated_run == self.run_id then
        self.report:step("kept", entry.name, describe(self.specs[entry.name], entry.result))
      end
    end
    self.journal:save()
    self:close(false)
    local location = self.journal.store.location
    self.report:say("kept for inspection (--keep); remove with: fgrun %s--destroy %s",
      state.is_s3(location) and ("--state " .. location .. " ") or "", arg and arg[0] or self.journal.path)
    return
  end
  self:rollback()
  self.report:summary("rolled back", {})
end

-- deployment.from_journal(address) -> a deployment in destroy mode, built
-- from the journal alone (a path, or s3://bucket/prefix/NAME.json).
function deployment.from_journal(address)
  local location, name_env = state.journal_address(address)
  if not state.open(location):exists(name_env) then error("no journal at " .. address, 0) end
  local name, env = name_env:match("^([^.]+)%.(.+)$")
  return deployment.new(name or name_env, { state = location, env = env, destroy = true })
end

return deployment
