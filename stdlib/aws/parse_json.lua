-- Responses of the json protocol. decode() parses the body; output() builds
-- the Lua values of a structure shape from it in one pass, in C
-- (runtime/aws/shape_json.c: see aws.lua for the value conventions).
local shapejson = require "aws.shape_json"
local json = require "json"

local M = {}

local setmetatable, type = setmetatable, type
local object_mt = json.object_mt

-- The output of a parsed body (from decode) read as a structure shape.
function M.output(model, shape, tree)
  if not shape then return setmetatable({}, object_mt) end
  return shapejson.output(model, shape, tree)
end

-- The parsed body (a blank one is an empty object), or nil and why.
function M.decode(body)
  return shapejson.parse(body)
end

-- code, message of an error answer whose body decodes to body (botocore's
-- rules: x-amzn-ErrorType, then __type or code in the body; "ns#Name:uri"
-- becomes "Name"); the smithy-rpc-v2-cbor protocol's errors follow them too.
function M.error_fields(headers, body)
  local code = headers["x-amzn-errortype"]
  if (code == nil or code == "") and type(body) == "table" then
    code = body.__type or body.code
  end
  local query_error = headers["x-amzn-query-error"]
  if query_error and query_error:find(";", 1, true) then
    code = query_error:match("^([^;]*)")
  end
  if type(code) == "string" then
    code = code:match("^([^:]*)")
    code = code:match("#([^#]*)$") or code
  else
    code = nil
  end
  local message
  if type(body) == "table" then
    message = body.message or body.Message or body.errorMessage
  end
  return code, type(message) == "string" and message or ""
end

-- code, message of an error answer from its parsed body (decode's tree).
function M.error_code(headers, tree)
  return M.error_fields(headers, tree and shapejson.value(tree))
end

return M
