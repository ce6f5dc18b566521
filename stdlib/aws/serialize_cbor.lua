-- Requests of the smithy-rpc-v2-cbor protocol: a POST to
-- /service/<targetPrefix>/operation/<Operation>, the input as CBOR written
-- by its shape in one pass, in C (runtime/aws/cbor_write.c).
local shapecbor = require "aws.shape_cbor"

local M = {}

-- The request (before signing) of an operation with validated params.
function M.request(model, op, params)
  local meta = model.metadata
  local body = op.input and shapecbor.encode(model, model:target(op.input), params) or ""
  return {
    method = "POST",
    path = "/service/" .. tostring(meta.targetPrefix) .. "/operation/" .. op.name,
    query = "",
    headers = {
      ["smithy-protocol"] = "rpc-v2-cbor",
      ["Accept"] = "application/cbor",
      ["Content-Type"] = body ~= "" and "application/cbor" or nil,
      -- a service moved from query: its errors keep their query codes
      ["x-amzn-query-mode"] = meta.awsQueryCompatible and "true" or nil,
    },
    body = body,
  }
end

return M
