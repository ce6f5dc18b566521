-- Removal in reverse dependency order, independent removals at once: the
-- journal's entries each record `after` (the steps whose results they
-- read), so an entry may go once every entry that read it has gone. An
-- entry without `after` (a journal from before concurrency) depends on
-- every entry before it, which is the old newest-first order.
local async = require "async"

local M = {}

-- reverse(entries, fn): runs fn(entry, waited_for) for each entry in its
-- own task, an entry only after fn has ended for every entry that depends
-- on it (waited_for: their names). After
-- a failure no more are started; once the running ones end, the first
-- error is raised (the entries not done are still in the journal).
function M.reverse(entries, fn)
  local index, dependents = {}, {}
  for i, e in ipairs(entries) do
    index[e.name] = i
    dependents[i] = 0
  end
  local deps = {} -- deps[i]: the indexes entry i depends on
  for i, e in ipairs(entries) do
    deps[i] = {}
    if e.after == nil then
      for j = 1, i - 1 do deps[i][#deps[i] + 1] = j end
    else
      for _, name in ipairs(e.after) do
        local j = index[name]
        if j and j ~= i then deps[i][#deps[i] + 1] = j end
      end
    end
    for _, j in ipairs(deps[i]) do dependents[j] = dependents[j] + 1 end
  end
  local all = async.future()
  local running, left, first_error = 0, #entries, nil
  local start

  local function ended(i, task)
    running, left = running - 1, left - 1
    if not task.ok then
      first_error = first_error or task.err
    elseif not first_error then
      for _, j in ipairs(deps[i]) do
        dependents[j] = dependents[j] - 1
        if dependents[j] == 0 then start(j) end
      end
    end
    if running == 0 and not all.done then all:set() end
  end

  local waited_for = {}
  for i = 1, #entries do waited_for[i] = {} end
  for i = 1, #entries do
    for _, j in ipairs(deps[i]) do table.insert(waited_for[j], entries[i].name) end
  end

  function start(i)
    running = running + 1
    async.spawn(function() return fn(entries[i], waited_for[i]) end, "remove " .. entries[i].name,
      { quiet = true, on_done = function(task) ended(i, task) end })
  end

  if left == 0 then return end
  for i = #entries, 1, -1 do
    if dependents[i] == 0 then start(i) end
  end
  all:get()
  if first_error ~= nil then error(first_error, 0) end
  if left > 0 then error("the journal's steps depend on each other in a circle; nothing more was removed", 0) end
end

return M
