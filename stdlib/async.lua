-- Tasks on one thread: coroutines multiplexed by one loop over HTTP
-- transfers (a libcurl multi handle, net.multi), timers and each
-- other. What blocks in a task (an AWS call, a sleep, waiting for another
-- task) yields to the loop; the main thread runs the loop whenever it
-- blocks itself. With no task alive, calls and sleeps take the plain
-- blocking path, so code that never spawns a task works as before.
--
--   local async = require "async"
--   local t = async.spawn(function() return aws.ecs.list_clusters{} end, "clusters")
--   async.sleep(1)            -- in a task: yields; elsewhere: runs the loop
--   local out = async.await(t) -- its results, or its error raised
--
-- A task's error that no one awaits is raised in the main thread at its
-- next blocking point (a failed step fails the run at once). SIGINT raises
-- "interrupted" in the loop. async.cancel_all() lets the calls in flight
-- end, then closes every task.
local fgrun = require "fgrun"

local M = {}

local Task = {}
Task.__index = Task
Task.__name = "async.Task"

function Task:__tostring()
  return "task " .. self.name
end

local by_coroutine = setmetatable({}, { __mode = "k" })
local live = {}          -- unfinished tasks, in order of creation
local ready = {}         -- tasks to resume, in order
local queued = {}        -- task -> true while in ready
local timers = {}        -- {at =, task =}
local waiting_on = setmetatable({}, { __mode = "k" }) -- transfer -> task waiting for it
local multi              -- created on the first concurrent call
local failures = {}      -- failed tasks no one awaited, oldest first
local serial = 0
local ticker, ticked = nil, 0 -- a function the loop calls about once a second

local function wake(task)
  if task and not task.done and not queued[task] then
    queued[task] = true
    ready[#ready + 1] = task
  end
end

-- The running task, or nil in the main thread (or in a coroutine that is
-- not a task).
function M.current()
  return by_coroutine[coroutine.running()]
end

-- True when a task is alive: blocking calls then go through the loop.
function M.active()
  return #live > 0
end

-- Can the running code yield to the loop? (A task inside a C function's
-- callback cannot; it then runs the loop itself until it may go on.)
local function in_task()
  local task = M.current()
  return task and coroutine.isyieldable() and task or nil
end

local function forget(task)
  for i, t in ipairs(live) do
    if t == task then table.remove(live, i) break end
  end
end

local function finish(task, ok, ...)
  task.done, task.ok = true, ok
  forget(task)
  if ok then
    task.values = table.pack(...)
  else
    task.err = ...
    if #task.waiters == 0 and not task.quiet then failures[#failures + 1] = task end
  end
  for _, w in ipairs(task.waiters) do wake(w) end
  task.waiters = {}
  if task.on_done then task.on_done(task) end
end

local function resume(task)
  local co = task.co
  local results = table.pack(coroutine.resume(co))
  if coroutine.status(co) == "dead" then
    finish(task, table.unpack(results, 1, results.n))
  end
end

-- spawn(fn, name [, opts]) -> task. fn runs in a new task at the loop's
-- next turn. opts.quiet: its error is only raised to whoever awaits it;
-- opts.on_done(task): called once it has ended (ok or not).
function M.spawn(fn, name, opts)
  serial = serial + 1
  local task = setmetatable({
    name = name or ("#" .. serial), waiters = {}, done = false,
    quiet = opts and opts.quiet, on_done = opts and opts.on_done,
  }, Task)
  task.co = coroutine.create(fn)
  by_coroutine[task.co] = task
  live[#live + 1] = task
  wake(task)
  return task
end

local function run_ready()
  local batch = ready
  ready = {}
  for _, task in ipairs(batch) do
    queued[task] = nil
    -- a task that runs a loop of its own (see in_task) is not suspended
    if not task.done and coroutine.status(task.co) == "suspended" then resume(task) end
  end
end

-- Waits up to max_wait seconds (less when a timer is due sooner) for a
-- transfer to end or a timer to fire, and wakes their tasks.
local function wait_for_events(max_wait)
  local now = fgrun.monotonic()
  local wait = #ready > 0 and 0 or max_wait
  for _, t in ipairs(timers) do wait = math.min(wait, t.at - now) end
  if wait < 0 then wait = 0 end
  if multi and multi:active() > 0 then
    for _, transfer in ipairs(multi:poll(wait)) do wake(waiting_on[transfer]) end
  elseif wait > 0 then
    fgrun.sleep(wait)
  end
  now = fgrun.monotonic()
  local kept = {}
  for _, t in ipairs(timers) do
    if t.at <= now then wake(t.task) else kept[#kept + 1] = t end
  end
  timers = kept
end

-- Raises, in the main thread, the error of a task no one awaited.
local function raise_failures()
  local task = table.remove(failures, 1)
  if task then error(task.err, 0) end
end

-- Runs the loop until done() is true. In the main thread a failed task's
-- error is raised here. until_time: a sleep's end (nothing else need
-- happen before it).
local function run_until(done, until_time)
  local main = M.current() == nil
  while true do
    if main then raise_failures() end
    if done() then return end
    run_ready()
    if main then raise_failures() end
    if done() then return end
    local busy = #ready > 0 or #timers > 0 or (multi and multi:active() > 0)
    if not busy and not until_time then
      error("async: waiting for something no task can bring (every task is blocked)", 0)
    end
    local now = fgrun.monotonic()
    if ticker and now - ticked >= 1 then
      ticked = now
      ticker()
    end
    local wait = until_time and math.max(0, until_time - now) or 1
    wait_for_events(ticker and math.min(wait, 1) or wait)
  end
end

-- every_second(fn): fn() runs about once a second while the loop runs
-- (a progress display's clock); nil stops it.
function M.every_second(fn)
  ticker = fn
end

-- sleep(seconds): in a task, yields until the time has passed; elsewhere
-- sleeps while the loop runs the tasks (or plainly when there are none).
-- Raises "interrupted" on SIGINT/SIGTERM.
function M.sleep(seconds)
  local at = fgrun.monotonic() + seconds
  local task = in_task()
  if task then
    repeat
      timers[#timers + 1] = { at = at, task = task }
      coroutine.yield()
    until fgrun.monotonic() >= at
  elseif M.active() then
    run_until(function() return fgrun.monotonic() >= at end, at)
  else
    fgrun.sleep(seconds)
  end
end

-- Blocks the running code until obj (a task or a future) is done.
local function block_on(obj)
  if obj.done then return end
  local me = in_task()
  if me then
    obj.waiters[#obj.waiters + 1] = me
    repeat coroutine.yield() until obj.done
  else
    run_until(function() return obj.done end)
  end
end

-- await(task) -> its results; raises its error.
function M.await(task)
  block_on(task)
  -- its error reaches this caller: the main thread need not see it again
  for i, t in ipairs(failures) do
    if t == task then table.remove(failures, i) break end
  end
  if task.ok then return table.unpack(task.values, 1, task.values.n) end
  error(task.err, 0)
end

-- map(items, fn, name) -> {fn(items[1], 1), ...}: each call in a task of
-- its own (independent calls made together); once all have ended, the
-- first error in items' order is raised. One item runs here, as it is.
function M.map(items, fn, name)
  local out = {}
  if #items < 2 then
    for i, item in ipairs(items) do out[i] = fn(item, i) end
    return out
  end
  local tasks = {}
  for i, item in ipairs(items) do
    tasks[i] = M.spawn(function() return fn(item, i) end, (name or "map") .. " " .. i, { quiet = true })
  end
  local failed
  for i, task in ipairs(tasks) do
    local ok, v = pcall(M.await, task)
    if ok then out[i] = v else failed = failed or { v } end
  end
  if failed then error(failed[1], 0) end
  return out
end

local Future = {}
Future.__index = Future
Future.__name = "async.Future"

-- future() -> a value to come: f:set(value) or f:fail(err) once; f:get()
-- blocks until then (yields in a task, runs the loop elsewhere) and
-- returns the value or raises the error.
function M.future()
  return setmetatable({ done = false, waiters = {} }, Future)
end

local function settle(f, ok, v)
  if f.done then error("async: a future is settled once", 2) end
  f.done, f.ok, f.value = true, ok, v
  for _, w in ipairs(f.waiters) do wake(w) end
  f.waiters = {}
end

function Future:set(value) settle(self, true, value) end
function Future:fail(err) settle(self, false, err) end

function Future:get()
  block_on(self)
  if self.ok then return self.value end
  error(self.value, 0)
end

-- request(req) -> what net.http's conn:request returns, as a transfer on
-- the shared multi handle; the caller yields (or runs the loop) meanwhile.
function M.request(req)
  multi = multi or require("net.multi").new()
  local transfer <close> = multi:start(req)
  local task = in_task()
  if task then
    waiting_on[transfer] = task
    repeat coroutine.yield() until transfer:done()
  else
    run_until(function() return transfer:done() end)
  end
  return transfer:result()
end

-- How long cancel_all lets the calls in flight end.
local DRAIN_SECONDS = 30

-- Closes every task and forgets their errors: after a failure, before
-- rollback. The calls in flight are let end first (for DRAIN_SECONDS at
-- most; SIGINT ends them at once): AWS acts on a request it has received
-- whatever becomes of its answer, and the rollback's look-ups must see
-- what those calls did. Their answers are dropped with the tasks.
function M.cancel_all()
  local deadline = fgrun.monotonic() + DRAIN_SECONDS
  while multi and multi:active() > 0 and fgrun.monotonic() < deadline do
    if not pcall(multi.poll, multi, 0.1) then break end
  end
  local tasks = live
  live, ready, queued, timers, failures = {}, {}, {}, {}, {}
  for _, task in ipairs(tasks) do
    task.done, task.ok, task.err = true, false, "cancelled"
    if coroutine.status(task.co) == "suspended" then coroutine.close(task.co) end
  end
end

-- settle(): before code that blocks the thread without the loop (the
-- Docker Engine's calls): runs the loop until no task has a call in flight
-- or can go on, so that what the tasks had to send has been sent and only
-- their timers wait (and AWS works meanwhile).
function M.settle()
  if M.current() or not M.active() then return end
  run_until(function()
    return #ready == 0 and not (multi and multi:active() > 0)
  end)
end

-- wait_all(): runs the loop until every task has ended; raises the first
-- error no one awaited.
function M.wait_all()
  run_until(function() return #live == 0 end)
  raise_failures()
end

return M
