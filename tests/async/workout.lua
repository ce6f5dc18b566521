-- Exercises every path of the task loop and its HTTP transfers once, for
-- the memory checks of tests/cli/async.sh (ASan's leak checker, valgrind):
-- overlapping calls, a refused connection, a cancelled transfer, a task's
-- error, tasks closed mid-call. Prints "done" at the end.
local async = require "async"
local base = assert(os.getenv("STUB_URL"))

local function get(path)
  return async.request{ method = "GET", url = base .. path, headers = { ["X-Test"] = "1" } }
end

local tasks = {}
for i = 1, 5 do tasks[i] = async.spawn(function() return get("/__do/stall:0.1") end, "call " .. i) end
for _, t in ipairs(tasks) do assert(async.await(t) == 200) end

local refused = async.spawn(function()
  return async.request{ method = "POST", url = "http://127.0.0.1:9/", headers = {}, body = "x" }
end)
assert(async.await(refused) == nil)

local failing = async.spawn(function() get("/__do/ok") error("failed on purpose", 0) end, "failing", { quiet = true })
assert(not pcall(async.await, failing))

for i = 1, 3 do async.spawn(function() return get("/__do/stall:5") end, "abandoned " .. i) end
async.sleep(0.2)
async.cancel_all()

local m = require("aws.http.multi").new()
m:start{ method = "GET", url = base .. "/__do/stall:5", headers = {} }
m:poll(0.1)
-- left running: closing the state must free it
print("done")
