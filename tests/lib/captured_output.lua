-- For the specs of deployments: the report's lines and the summary would
-- go into the TAP stream, so between start() and stop() what the library
-- writes to io.stdout and io.stderr is kept instead (with fgrun.quiet on),
-- in a fresh state folder.
--   local output = dofile("tests/lib/captured_output.lua")
--   before_each(output.start)  after_each(output.stop)
--   output.dir (the state folder), output.text() (what was written)
local fgrun = require "fgrun"

local M = {}
local saved, printed

local function sink()
  return { write = function(_, ...) for _, s in ipairs({ ... }) do printed[#printed + 1] = s end end,
           flush = function() end }
end

function M.start()
  M.dir = os.tmpname()
  os.remove(M.dir)
  saved, printed = { fgrun.quiet, io.stdout, io.stderr }, {}
  fgrun.quiet, io.stdout, io.stderr = true, sink(), sink() -- luacheck: ignore 122
end

function M.stop()
  fgrun.quiet, io.stdout, io.stderr = saved[1], saved[2], saved[3] -- luacheck: ignore 122
  os.execute("rm -rf " .. M.dir)
end

function M.text() return table.concat(printed) end

return M
