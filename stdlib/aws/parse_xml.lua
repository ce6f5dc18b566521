-- Responses of the query and ec2 protocols: the XML document parsed and
-- walked by the output shape into Lua values in one pass, in C
-- (runtime/aws/shape_xml.c; see aws.lua for the conventions).
local json = require "json"
local shapexml = require "aws.shape_xml"

local M = {}

local setmetatable = setmetatable
local object_mt = json.object_mt
local child, tag, text = shapexml.child, shapexml.tag, shapexml.text

-- The parsed answer (an empty body is an empty <Response>), or nil and why.
function M.decode(body)
  return shapexml.parse(body or "")
end

-- True when the document's root has child elements.
function M.has_children(doc)
  return child(doc, 1) ~= nil
end

-- The output of a parsed answer: inside <OpResult> for query answers
-- (the output's resultWrapper), else the root (ec2).
function M.output(model, op, doc)
  if not op.output then return setmetatable({}, object_mt) end
  local shape = model:target(op.output)
  local wrapper = op.output.resultWrapper or (op.name and op.name .. "Result")
  local start = wrapper and child(doc, 1, wrapper) or 1
  return shapexml.structure(model, shape, doc, start)
end

-- Parses a structure shape from element e (modeled error details).
function M.structure(model, shape, doc, e)
  return shapexml.structure(model, shape, doc, e)
end

-- The text of element e's child named name, or nil.
function M.child_text(doc, e, name)
  local c = child(doc, e, name)
  return c and text(doc, c) or nil
end

-- code, message, request id and <Error> element of an error answer:
-- <ErrorResponse><Error>... (query), <Response><Errors><Error>... (ec2).
function M.error_fields(doc)
  local err = tag(doc, 1) == "Error" and 1 or child(doc, 1, "Error")
  if not err then
    local errors = child(doc, 1, "Errors")
    err = errors and child(doc, errors, "Error")
  end
  local request_id = child(doc, 1, "RequestId") or child(doc, 1, "RequestID")
  request_id = request_id and text(doc, request_id) or nil
  if not err then return nil, nil, request_id end
  local code, message = child(doc, err, "Code"), child(doc, err, "Message")
  return code and text(doc, code) or nil, message and text(doc, message) or "", request_id, err
end

return M
