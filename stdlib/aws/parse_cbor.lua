-- Responses of the smithy-rpc-v2-cbor protocol: the CBOR body read by the
-- output shape in one pass, in C (runtime/aws/shape_cbor.c; see aws.lua for
-- the value conventions). Errors name themselves as the json protocol's
-- do (__type in the body, x-amzn-query-error for query-compatible services).
local json = require "json"
local shapecbor = require "aws.shape_cbor"

local M = {}

-- The output of a body read as a structure shape (nil: no output). Raises
-- when the body is not one CBOR map.
function M.output(model, shape, body)
  if not shape then return setmetatable({}, json.object_mt) end
  return shapecbor.output(model, shape, body)
end

-- The body as generic Lua values, or nil and why.
function M.decode(body)
  local ok, v = pcall(shapecbor.value, body)
  if not ok then return nil, tostring(v) end
  return v
end

-- code, message of an error answer from its decoded body.
M.error_code = require("aws.parse_json").error_fields

return M
