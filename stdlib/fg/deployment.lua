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
local plan_mod = require "fg.plan"
local replace = require "fg.replace"
local escape = require("fgrun.text").escape
local async = require "async"
local pending = require "fg.pending"
local order = require "fg.order"
local ui = require "ui"

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

-- deployment.new(name, {state=, env=, destroy=, keep=, inspect=, plan=}) ->
-- deployment. state: where journals live (fg/state.lua: a folder, default
-- ./.fgrun, or s3://bucket/prefix). Takes the deployment's lock (the second
-- run says who holds it) and reads its journal. With inspect, it only
-- reads: no lock, no steps, no summary (a recipe's status and logs actions).
-- With plan (fgrun --plan), the steps are worked out and not run
-- (fg/planner.lua): no lock, and the journal is never written.
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
    planning = opts.plan or false,
    run_id = fgrun.uuid4():sub(1, 8), specs = {}, seen = {}, outputs = {},
    reads = {}, task_reads = {}, settled = {}, step_of_task = setmetatable({}, { __mode = "k" }),
  }, deployment)
  if self.planning then self.plan = plan_mod.new(self, { destroy = self.destroying }) end
  if self.destroying and not store:exists(self.id) then
    self.nothing_to_destroy = store:where(self.id)
    return self
  end
  if self.inspecting then
    self.journal = journal_mod.open(store, self.id)
    return self
  end
  if self.planning then
    self.journal = journal_mod.open(store, self.id)
    self.journal:keep_in_memory()
    self.report = report_mod.new(name, env)
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

function deployment:describe(step, result)
  return describe(self.specs[step], result)
end

-- The error of a step whose inputs changed when it has no update.
function deployment:cannot_update(name, old, new)
  error(("step %s: its inputs changed (%s) and it has no update, so it cannot change in place; "
    .. "restore the inputs, or run --destroy and deploy again"):format(name, changed_keys(old, new)), 0)
end

local function check_spec(name, spec)
  if type(name) ~= "string" or name == "" then error("d:step: the step needs a name", 3) end
  if type(spec) ~= "table" then error(("step %s: the spec must be a table"):format(name), 3) end
  for _, f in ipairs({ "create", "undo" }) do
    if type(spec[f]) ~= "function" then
      error(("step %s: spec.%s must be a function"):format(name, f), 3)
    end
  end
  for _, f in ipairs({ "update", "find", "id", "diff", "converge", "planned", "drift", "document", "live_document" }) do
    if spec[f] ~= nil and type(spec[f]) ~= "function" then
      error(("step %s: spec.%s must be a function"):format(name, f), 3)
    end
  end
  if spec.wait ~= nil and type(spec.wait) ~= "function" then
    error(("step %s: spec.wait must be a function"):format(name), 3)
  end
  for _, f in ipairs({ "after", "ready" }) do
    if spec[f] ~= nil and type(spec[f]) ~= "table" then
      error(("step %s: spec.%s must be a list of steps"):format(name, f), 3)
    end
  end
end

local function check_inputs(name, inputs)
  local ok, err = pcall(json.encode, inputs)
  if not ok then error(("step %s: inputs must be plain data (%s)"):format(name, err), 3) end
  journal_mod.check_no_secrets(inputs, ("step %s: inputs"):format(name))
end

-- A step's result was read (pending.lua): by another step's task, or by
-- the recipe, where it counts for the next step it declares.
function deployment:on_read(step)
  local task = async.current()
  local reader = task and self.step_of_task[task]
  local reads = reader and self.task_reads[reader] or self.reads
  if step ~= reader then reads[step] = true end
end

local function sorted_keys(set)
  local list = {}
  for k in pairs(set) do list[#list + 1] = k end
  table.sort(list)
  return list
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
  -- what its own find/create/update read counts too
  local after = {}
  for _, name in ipairs(entry.after or {}) do after[name] = true end
  for name in pairs(self.task_reads[entry.name] or {}) do after[name] = true end
  if entry.after or next(after) then entry.after = json.array(sorted_keys(after)) end
  if spec.wait and not self.destroying then entry.unsettled = true end
  self.journal:save()
end

-- d:step(name, spec) -> the resource (create's, update's or find's
-- result), as a pending result (fg/pending.lua): the step runs in a task of
-- its own, and reading a field before the resource exists waits for it.
-- spec: inputs (plain data; other steps' results may be in it), create(inputs,
-- ctx), undo(result) -> actions, and optionally update(inputs,
-- previous_result, ctx), find(inputs, ctx), id(result) -> text for the
-- report, diff(old_inputs, new_inputs) -> the changes ({field, old, new,
-- forces_replacement}; one that forces replacement makes a new resource,
-- see fg/replace.lua), wait(inputs, result, ctx) (runs after the result is
-- known, in the background: a load balancer becoming active), after =
-- {steps} (created after those, which it does not read, without its
-- removal waiting for them), ready = {steps} (the same, and created only
-- once their wait has ended too: an HTTPS listener and its certificate's
-- ISSUED). ctx has token (an idempotency token kept
-- across a crash), tags in the three shapes AWS APIs use, and for update
-- previous_inputs and changes.
function deployment:step(name, spec)
  check_spec(name, spec)
  if self.seen[name] then error(("step %s: a step name can be used once per run"):format(name), 2) end
  self.seen[name] = true
  -- a new step goes into the journal after the step the recipe declared
  -- before it, so that removals (newest first) follow the recipe's order
  -- even for a step that comes back in a later run (a strategy switched back)
  local declared_after = self.last_declared
  self.last_declared = name
  self.specs[name] = spec
  if self.inspecting then error(("step %s: this run only inspects the deployment"):format(name), 2) end
  if self.nothing_to_destroy then error(STOP, 0) end
  local inputs = pending.resolve(spec.inputs or {})
  check_inputs(name, inputs)
  local entry = self.journal:find(name)
  if self.destroying then return self:recover_for_destroy(name, spec, entry) end
  if self.planning then return require("fg.planner").step(self, name, spec, entry) end
  for _, other in ipairs(spec.after or {}) do
    if pending.is_pending(other) then pending.wait(other) end
  end
  local after = json.array(sorted_keys(self.reads))
  self.reads = {}
  self.task_reads[name] = {}
  local result = async.future()
  self.settled[name] = async.future()
  local task = async.spawn(function() self:run_step(name, spec, inputs, after, result, declared_after) end, name)
  self.step_of_task[task] = name
  return pending.new(name, result, function(step) self:on_read(step) end)
end

-- The task of a step: the waits of the steps in spec.ready, its
-- find/create/update (run_step_now), its result published, then its wait
-- (self.settled[name] when it has ended); the failure of any fails the run.
function deployment:run_step(name, spec, inputs, after, result, declared_after)
  local settled = self.settled[name]
  local p <close> = ui.progress(name, { mode = ui.mode() == "tty" and "tty" or "quiet" })
  local function failed(err)
    self.failed_step = self.failed_step or name
    if not result.done then result:fail(err) end
    settled:fail(err)
    error(err, 0)
  end
  local settled_after = {}
  for _, other in ipairs(spec.ready or {}) do
    if pending.is_pending(other) then
      local waited_for = pending.name(other)
      settled_after[#settled_after + 1] = waited_for
      p:update("waiting for " .. waited_for)
      local ok, err = pcall(self.settled[waited_for].get, self.settled[waited_for])
      if not ok then failed(err) end
    end
  end
  local started = fgrun.monotonic()
  local ready
  -- its span in the timeline, however the task ends (failed, cancelled)
  local _ <close> = setmetatable({}, { __close = function()
    self.report:span(name, started, ready or fgrun.monotonic(), fgrun.monotonic(), after, settled_after)
  end })
  local ok, value = pcall(self.run_step_now, self, name, spec, inputs, after, function(what) p:update(what) end,
    declared_after)
  if not ok then failed(value) end
  ready = fgrun.monotonic()
  result:set(value)
  local entry = self.journal:find(name)
  if spec.wait and entry and entry.unsettled then
    p:update("waiting")
    local waited, err = pcall(spec.wait, inputs, value, self:context(name))
    if not waited then failed(err) end
    entry.unsettled = nil
    self.journal:save()
  end
  settled:set(true)
end

-- Finds, creates or updates the step's resource; returns it.
-- doing(text): what it is doing, for its progress line.
function deployment:run_step_now(name, spec, inputs, after, doing, declared_after)
  doing("looking up")
  local entry = self.journal:find(name)
  local started = fgrun.monotonic()
  local function elapsed() return fgrun.monotonic() - started end
  -- the steps it read before this run: a rollback of its update puts them
  -- back, so that its removal waits again for what it names again
  local read_before = entry and entry.after
  if entry then entry.after = after end

  if entry and entry.status == "replacing" then
    -- an earlier run stopped while replacing: keep the new one if it was made
    local found = replace.recover(self, entry, spec)
    self.report:step(found and "recovered" or "restored", name, describe(spec, entry.result), elapsed())
  end
  if entry and entry.status == "updating" then
    -- an earlier run stopped inside update: the resource is there, in
    -- its old or new form; start again from the old one
    entry.status, entry.inputs, entry.result = "done", entry.previous.inputs, entry.previous.result
    read_before = entry.previous.after
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

  local changes, drifted
  if entry then
    changes, drifted = self:changes_of(name, spec, entry, inputs)
    if changes and #changes == 0 then
      self.report:step("unchanged", name, describe(spec, entry.result))
      return entry.result
    end
    if not changes then
      -- removed behind fgrun's back: make it again
      self.journal:drop(name)
      self.journal:save()
      entry = nil
    end
  end
  local forced = entry and plan_mod.forced_field(changes)
  if forced then
    doing("replacing")
    local result = replace.run(self, entry, spec, inputs)
    self.report:step("replaced", name, ("%s (%s changed)"):format(describe(spec, result), forced), elapsed())
    return result
  end
  if entry then
    if not spec.update then self:cannot_update(name, entry.inputs, inputs) end
    local ctx = self:context(name)
    ctx.previous_inputs, ctx.changes = entry.inputs, changes
    entry.previous = { inputs = entry.inputs, result = entry.result, after = read_before }
    -- the inputs being applied: a rollback of an update cut short (its
    -- task cancelled by another step's failure) reverts from them
    entry.status, entry.updated_run, entry.inputs = "updating", self.run_id, inputs
    self.journal:save()
    doing("updating")
    local result = spec.update(inputs, entry.result, ctx)
    entry.inputs = inputs
    self:record(entry, spec, result)
    local fields = {}
    for _, c in ipairs(drifted and changes or {}) do fields[#fields + 1] = c.field end
    self.report:step("updated", name, (describe(spec, result) or "")
      .. (drifted and (" (changed outside fgrun: %s)"):format(table.concat(fields, ", ")) or ""), elapsed())
    return result
  end

  local ctx = self:context(name)
  local found = spec.find and spec.find(inputs, ctx)
  entry = { name = name, inputs = inputs, created_run = self.run_id, after = after,
            token = fgrun.uuid4(), started_at = os.date("!%Y-%m-%dT%H:%M:%SZ") }
  -- after the step declared before it, and never before a step it read
  local anchor, at = declared_after, declared_after and select(2, self.journal:find(declared_after)) or 0
  local needs = { table.unpack(after) }
  for _, list in ipairs({ spec.after or {}, spec.ready or {} }) do
    for _, other in ipairs(list) do
      if pending.is_pending(other) then needs[#needs + 1] = pending.name(other) end
    end
  end
  for _, dep in ipairs(needs) do
    local _, i = self.journal:find(dep)
    if i and i > at then anchor, at = dep, i end
  end
  self.journal:add(entry, anchor)
  if found ~= nil then
    -- there before this run: kept in the journal, never removed by rollback
    entry.adopted = true
    found = self:converge(name, spec, inputs, found)
    self:record(entry, spec, found)
    self.report:step("adopted", name, describe(spec, found), elapsed())
    return found
  end
  entry.status = "pending" -- the intent, on disk before the create call
  self.journal:save()
  ctx.token = entry.token
  doing("creating")
  local result = self:create(name, spec, inputs, ctx)
  self:record(entry, spec, result)
  self.report:step("created", name, describe(spec, result), elapsed())
  return result
end

-- What a run changes in a recorded step: the inputs that changed
-- (spec.diff, else the inputs as a whole) and, where the step reads what
-- AWS holds (spec.drift), the fields changed outside fgrun, marked drift.
-- -> changes ({} when none; nil when the resource is gone), drifted (some
-- change is drift only). Read calls only: a plan asks the same.
function deployment:changes_of(name, spec, entry, inputs)
  local same = canonical(entry.inputs) == canonical(inputs)
  local live, owned = {}, nil
  if spec.drift then
    live, owned = spec.drift(inputs, entry.result, self:context(name))
  elseif same and spec.find then
    live = spec.find(inputs, self:context(name)) ~= nil and {} or nil
  end
  if live == nil then return nil end
  if same then return live, #live > 0 end
  local changes = spec.diff and spec.diff(entry.inputs, inputs) or plan_mod.input_changes(entry.inputs, inputs)
  local seen = {}
  for _, c in ipairs(changes) do
    seen[c.field] = true
    c.owned_by = owned and owned[c.field] -- recorded; AWS's value is left to its owner
  end
  for _, c in ipairs(live) do
    if not seen[c.field] then changes[#changes + 1] = c end
  end
  return changes, false
end

-- Destroy mode: the recipe runs to learn its steps; recorded results are
-- returned without calls, a step interrupted mid-create is looked up with
-- find, and a step never started gives a result whose first read ends the
-- recipe (STOP): nothing that reads it can exist. (Steps that ran at the
-- same time may be recorded after one that never started.)
function deployment:recover_for_destroy(name, spec, entry)
  if not entry then return pending.missing(name, STOP) end
  if entry.status == "replacing" then replace.recover(self, entry, spec) end
  if entry.status == "updating" then
    entry.status, entry.inputs, entry.result = "done", entry.previous.inputs, entry.previous.result
    entry.after = entry.previous.after
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
  return pending.missing(name, STOP)
end

-- d:wait(): waits until every step has its resource and every step's wait
-- has ended (before checks of the whole deployment); raises the first
-- failure.
function deployment:wait()
  async.wait_all()
end

-- d:value(name, make) -> a value made once per deployment and kept in the
-- journal (a random suffix for resource names, say).
function deployment:value(name, make)
  if self.nothing_to_destroy then error(STOP, 0) end
  local v = self.journal.data.values[name]
  if v ~= nil or self.inspecting then return v end
  if self.destroying then error(STOP, 0) end
  if self.planning then return plan_mod.UNKNOWN end -- made by the run
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
    if self.journal.exists and not self.planning then self.journal:save() end
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
  self.outputs[name] = pending.resolve(value) -- a step's result itself, once it is known
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
-- journal still holding the step. waited_for: the steps removed first (for
-- the timeline).
function deployment:remove_step(entry, undo, waited_for)
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
  -- a rollback's removals follow the run's own steps in the timeline
  local label = self.rolling_back and function(name) return "undo " .. name end or function(name) return name end
  local after = {}
  for i, name in ipairs(waited_for or {}) do after[i] = label(name) end
  self.report:span(label(entry.name), started, fgrun.monotonic(), fgrun.monotonic(), after)
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

-- Undoes every recorded step in reverse dependency order (fg/order.lua),
-- tolerating what is already gone; removes the journal once nothing is left.
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
  order.reverse({ table.unpack(steps) }, function(entry, waited_for)
    if entry.status == "replacing" then
      -- the old resource is known; the new one only the recipe's find can tell
      replace.remove_retired(self, entry)
    end
    if entry.status == "pending" or entry.status == "replacing" then
      left[#left + 1] = entry.name
      self.report:step("left", entry.name, "interrupted before its result was recorded")
    else
      self:remove_step(entry, undo[entry], waited_for)
    end
  end)
  table.sort(left)
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

-- Undoes what this run did, in reverse dependency order (fg/order.lua):
-- removes what it created, reverts what it updated where the step can
-- (update with the previous inputs), and names what it leaves.
function deployment:rollback()
  self.report:say("rolling back %s", self.id)
  self.rolling_back = true
  order.reverse({ table.unpack(self.journal:steps()) }, function(entry, waited_for)
    self:roll_back_step(entry, waited_for)
  end)
  self:close(true)
end

function deployment:roll_back_step(entry, waited_for)
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
      self:remove_step(entry, nil, waited_for)
    else
      self.journal:drop(entry.name)
      self.journal:save()
    end
  elseif entry.created_run == self.run_id then
    self:remove_step(entry, nil, waited_for)
  elseif entry.updated_run == self.run_id then
    local previous = entry.previous
    if spec and spec.update and spec.revert ~= false and previous then
      ctx.previous_inputs = entry.inputs
      ctx.changes = spec.diff and spec.diff(entry.inputs, previous.inputs) or nil
      local result = spec.update(previous.inputs, entry.result, ctx)
      -- recorded before its wait, which may fail: AWS has the previous
      -- inputs now, and the removal waits again for what they name (a
      -- service back on a test listener rule this run's inputs dropped)
      entry.inputs, entry.previous, entry.updated_run = previous.inputs, nil, nil
      self:record(entry, spec, result)
      entry.after = previous.after
      self.journal:save()
      -- a revert is waited for as the update would have been (the service
      -- back on its previous revision)
      if spec.wait then spec.wait(previous.inputs, result, ctx) end
      entry.unsettled = nil
      self.journal:save()
      self.report:step("reverted", entry.name, describe(spec, result))
    else
      if previous then entry.inputs, entry.status = previous.inputs, "done" end
      self.journal:save()
      self.report:step("left", entry.name, "changed by this run; no way to revert it")
    end
  end
end

-- The end of the script (registered with fgrun.atexit): the summary on
-- success; rollback (or --keep) on failure; the removal in destroy mode.
-- Returns true when it has dealt with the error (destroy mode's STOP).
function deployment:finish(ok, err, message)
  if self.finished then return end
  self.finished = true
  if self.planning then return self:finish_plan(ok, err) end
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
  local late -- a step that failed after the script's end: the run's error
  if ok then
    -- the steps still in flight, and their waits, belong to the run
    local waited, failure = pcall(async.wait_all)
    if not waited then ok, message, late = false, tostring(failure), failure end
  end
  if not ok then async.cancel_all() end
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
  local where = self.failed_step and (" in step " .. self.failed_step) or ""
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
    if late ~= nil then error(late, 0) end
    return
  end
  self:rollback()
  self.report:summary("rolled back", {})
  if late ~= nil then error(late, 0) end
end

-- A plan's end: the steps the run would remove, then the plan printed
-- (fg/plan.lua). A failure is the run's error (exit 1), with no plan.
function deployment:finish_plan(ok, err)
  local planner = require "fg.planner"
  if self.nothing_to_destroy then
    self.plan.note = "nothing to destroy: no journal at " .. self.nothing_to_destroy
    self.plan:finish()
    return err == STOP
  end
  if self.destroying and (ok or err == STOP) then
    planner.destroy(self)
  elseif ok then
    planner.undeclared(self)
  else
    return
  end
  self.plan:finish()
  return err == STOP
end

-- deployment.from_journal(address) -> a deployment in destroy mode, built
-- from the journal alone (a path, or s3://bucket/prefix/NAME.json).
function deployment.from_journal(address, opts)
  local location, name_env = state.journal_address(address)
  if not state.open(location):exists(name_env) then error("no journal at " .. address, 0) end
  local name, env = name_env:match("^([^.]+)%.(.+)$")
  return deployment.new(name or name_env, { state = location, env = env, destroy = true, plan = opts and opts.plan })
end

return deployment
