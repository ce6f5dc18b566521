-- The one error object of every AWS failure: validation, remote errors,
-- answers that are not the protocol's, connection failures. Raised with
-- error(); fields: service, operation, code, message, status, request_id,
-- retryable (and data: the modeled error's members, when the model has them;
-- attempts: how many times the request was sent).
local escape = require("fgrun.text").escape

local M = {}

local Error = {}
Error.__index = Error
M.Error = Error

-- One line; the code, message and request id come from the server, so
-- their control bytes are escaped (the fields themselves stay as sent).
Error.__tostring = function(e)
  local where = (e.service or "aws") .. "." .. (e.operation or "?")
  if e.code == "ValidationError" and not e.status then
    return where .. ": " .. escape(e.message)
  end
  local line = where .. ": " .. escape(e.code)
  if e.message and e.message ~= "" then line = line .. ": " .. escape(e.message) end
  local extra = {}
  if e.status then extra[#extra + 1] = "HTTP " .. e.status end
  if e.request_id then extra[#extra + 1] = "request " .. escape(e.request_id) end
  if #extra > 0 then line = line .. " (" .. table.concat(extra, ", ") .. ")" end
  return line
end

function M.new(fields)
  return setmetatable(fields, Error)
end

function M.is_error(e)
  return getmetatable(e) == Error
end

-- A short excerpt of an unexpected answer, control bytes escaped, for messages.
function M.excerpt(body, limit)
  limit = limit or 120
  if not body or body == "" then return "(empty body)" end
  local text = escape((body:sub(1, limit):gsub("[\r\n\t]", " "))):gsub("  +", " ")
  if #body > limit then text = text .. "..." end
  return text
end

-- Raises the error of a rejected parameter: code ValidationError, nothing sent.
function M.raise_validation(service, operation, message)
  error(M.new{service = service, operation = operation, code = "ValidationError",
              message = message, retryable = false}, 0)
end

return M
