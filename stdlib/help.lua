-- help(value): what a value of fgrun's library is and how to call it, in
-- scripts (`local help = require "help"`) as at the prompt (help(...)).
-- The deployment library's texts are in fg/docs.lua; AWS clients and
-- operations are described from their models (the REPL's help).
--
--   local help = require "help"
--   help(fg.deployment)          -- prints
--   help.text(d.step)            -- the text, or nil
local texts = require "help.text"

-- help.text(value) -> the text or nil; help.names() -> the documented
-- names, sorted (help/text.lua).
local M = { text = texts.text, names = texts.names }

local function show(value)
  local text = M.text(value)
  if text then return print(text) end
  -- clients, operations, other tables: as the prompt describes them
  return require("repl").help(value)
end

return setmetatable(M, { __call = function(_, value) return show(value) end })
