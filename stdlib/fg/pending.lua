-- The result of a step that runs in the background: d:step returns it at
-- once, and it reads like the result itself (fields, ipairs, pairs, #).
-- Reading before the step has made its resource blocks until it has (in a
-- task: the task waits; in the recipe: the loop runs the other steps
-- meanwhile); a step that failed raises its error at the read. Each read
-- is reported to on_read(step name), which is how a deployment learns
-- what each step depends on. It cannot be written to.
local M = {}

local Pending = {}
Pending.__name = "fg.Pending"

local state = setmetatable({}, { __mode = "k" }) -- proxy -> {name, future, on_read, stop}

local function value(proxy)
  local s = state[proxy]
  if s.on_read then s.on_read(s.name) end
  if s.stop then error(s.stop, 0) end
  return s.future:get()
end

Pending.__index = function(proxy, key) return value(proxy)[key] end
Pending.__len = function(proxy) return #value(proxy) end
Pending.__pairs = function(proxy) return next, value(proxy), nil end
Pending.__newindex = function(proxy)
  error(("the result of step %s cannot be changed"):format(state[proxy].name), 2)
end
Pending.__tostring = function(proxy)
  local s = state[proxy]
  if s.future and s.future.done and s.future.ok then return tostring(s.future.value) end
  return "result of step " .. s.name
end

-- new(name, future, on_read) -> the proxy of a result to come.
function M.new(name, future, on_read)
  local proxy = setmetatable({}, Pending)
  state[proxy] = { name = name, future = future, on_read = on_read }
  return proxy
end

-- missing(name, err) -> a proxy whose every read raises err (a step that
-- destroy mode finds never started: nothing that reads it can exist).
function M.missing(name, err)
  local proxy = setmetatable({}, Pending)
  state[proxy] = { name = name, stop = err }
  return proxy
end

function M.is_pending(v)
  return type(v) == "table" and getmetatable(v) == Pending
end

-- name(proxy) -> the step's name.
function M.name(proxy)
  return state[proxy].name
end

-- resolve(v) -> v with every proxy inside replaced by its result (blocking
-- for those not known yet); tables holding none are returned as they are,
-- others copied with their metatables (JSON's array/object marks).
function M.resolve(v)
  if type(v) ~= "table" then return v end
  if M.is_pending(v) then return M.resolve(value(v)) end
  local copy
  for k, x in next, v do
    local r = M.resolve(x)
    if r ~= x then
      if not copy then
        copy = {}
        for k2, x2 in next, v do copy[k2] = x2 end
        setmetatable(copy, getmetatable(v))
      end
      copy[k] = r
    end
  end
  return copy or v
end

-- wait(proxy): blocks until the step has its result (raises its error);
-- not a read: the step's removal does not wait for it.
function M.wait(proxy)
  local s = state[proxy]
  if s.stop then error(s.stop, 0) end
  s.future:get()
end

return M
