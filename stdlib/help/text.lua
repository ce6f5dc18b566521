-- The deployment library's help texts (fg/docs.lua) looked up by value:
-- text(value) and names(), for help.lua in scripts and repl.lua at the
-- prompt.
local M = {}

local by_value -- value -> entry, built on first use

local function index()
  if by_value then return by_value end
  by_value = {}
  for _, entry in ipairs(require "fg.docs") do
    local ok, v = pcall(entry.value)
    if ok and v ~= nil then by_value[v] = entry end
  end
  return by_value
end

-- text(value) -> the library's text for value, or nil. A deployment
-- (fg.deployment's result) is described as fg.deployment.
function M.text(value)
  if value == nil then return nil end
  local deployment = package.loaded["fg.deployment"]
  if deployment and type(value) == "table" and getmetatable(value) == deployment then
    value = require("fg").deployment
  end
  local entry = index()[value]
  return entry and entry.text or nil
end

-- names() -> the documented names, sorted.
function M.names()
  local names = {}
  for _, entry in ipairs(require "fg.docs") do names[#names + 1] = entry.name end
  table.sort(names)
  return names
end

return M
