-- Checks after a deploy: each one reports, none fails the deploy that AWS
-- says is healthy (a timeout, an answer of an unexpected shape, a host
-- that cannot be reached are lines in the report, not errors).
--
--   d:after_deploy(function()
--     fg.say("checks:")
--     fg.check("service", function() ... return "3/3 running" end)
--   end)
--
-- check.run(label, fn, ...) -> ok, value: fn(...) returns the text to show
-- after the label (or nothing); an error becomes "<label>: not checked
-- (<error>)". Only an interruption (Ctrl-C) is raised. Lines go where
-- the step lines go (standard error with --json; nothing with -q), with
-- control bytes escaped by the report: checks show text from the network.
local fgrun = require "fgrun"
local report = require "fg.report"

local check = {}

function check.run(label, fn, ...)
  local ok, value = pcall(fn, ...)
  if not ok and fgrun.interrupted() then error(value, 0) end
  if ok then
    if value ~= nil then report.line("  %s: %s", label, tostring(value)) end
  else
    local why = type(value) == "table" and (value.message or value.code) or value
    report.line("  %s: not checked (%s)", label, tostring(why))
  end
  return ok, value
end

return check
