-- help(value): what a value of fgrun's library is and how to call it, in
-- scripts (`local help = require "help"`) as at the prompt (help(...)).
-- The deployment library's texts are in fg/docs.lua; AWS clients and
-- operations are described from their models (the REPL's help).
--
--   local help = require "help"
--   help(fg.deployment)          -- prints
--   help.text(d.step)            -- the text, or nil
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

-- help.text(value) -> the library's text for value, or nil. A deployment
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

-- help.names() -> the documented names, sorted.
function M.names()
  local names = {}
  for _, entry in ipairs(require "fg.docs") do names[#names + 1] = entry.name end
  table.sort(names)
  return names
end

local function show(value)
  local text = M.text(value)
  if text then return print(text) end
  -- clients, operations, other tables: as the prompt describes them
  return require("repl").help(value)
end

return setmetatable(M, { __call = function(_, value) return show(value) end })
