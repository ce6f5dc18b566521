-- Responses of the query and ec2 protocols: the XML tree (aws.xml), walked
-- by the output shape into Lua values (see aws.lua for the conventions).
local json = require "json"
local xml = require "aws.xml"
local base64 = require "aws.base64"
local timestamp = require "aws.timestamp"

local M = {}

local pairs, tonumber, tointeger, setmetatable = pairs, tonumber, math.tointeger, setmetatable
local array_mt, object_mt = json.array_mt, json.object_mt

-- element name -> {member name, ref, flattened kind} of a structure's
-- members, cached on the shape.
local function xml_members(model, shape)
  local by_tag = shape._xml_members
  if not by_tag then
    by_tag = {}
    for name, ref in pairs(shape.members or {}) do
      local target = model:target(ref)
      local tag = ref.locationName or name
      local flat = (ref.flattened or target.flattened) and (target.type == "list" or target.type == "map")
        and target.type or false
      if flat == "list" and target.member.locationName then tag = target.member.locationName end
      by_tag[tag] = {name, ref, flat}
    end
    shape._xml_members = by_tag
  end
  return by_tag
end

local value

local function map_entry(model, shape, entry, out)
  local key_tag = shape.key.locationName or "key"
  local value_tag = shape.value.locationName or "value"
  local k, v
  for i = 1, #entry do
    local part = entry[i]
    if part.tag == key_tag then
      k = value(model, model:target(shape.key), part, shape.key)
    elseif part.tag == value_tag then
      v = value(model, model:target(shape.value), part, shape.value)
    end
  end
  if k ~= nil then out[k] = v end
end

local decoders = {}

function decoders.structure(model, shape, node)
  local out = setmetatable({}, object_mt)
  local by_tag = xml_members(model, shape)
  for i = 1, #node do
    local child = node[i]
    local member = by_tag[child.tag]
    if member then
      local name, ref, flat = member[1], member[2], member[3]
      local target = model:target(ref)
      if flat == "list" then
        local items = out[name]
        if not items then
          items = setmetatable({}, array_mt)
          out[name] = items
        end
        items[#items + 1] = value(model, model:target(target.member), child, target.member)
      elseif flat == "map" then
        local entries = out[name]
        if not entries then
          entries = setmetatable({}, object_mt)
          out[name] = entries
        end
        map_entry(model, target, child, entries)
      else
        out[name] = value(model, target, child, ref)
      end
    end
  end
  return out
end

function decoders.list(model, shape, node)
  local out = setmetatable({}, array_mt)
  local ref = shape.member
  local item = model:target(ref)
  for i = 1, #node do out[i] = value(model, item, node[i], ref) end
  return out
end

function decoders.map(model, shape, node)
  local out = setmetatable({}, object_mt)
  for i = 1, #node do map_entry(model, shape, node[i], out) end
  return out
end

-- IAM answers policy documents URL-encoded; like botocore (and the AWS
-- CLI), hand them over decoded, as tables.
local function policy_document(text)
  local plain = text:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  local ok, doc = pcall(json.decode, plain)
  if ok and type(doc) == "table" then return doc end
  return plain
end

function decoders.string(_, shape, node)
  local text = node.text or ""
  if shape._name == "policyDocumentType" then return policy_document(text) end
  return text
end

function decoders.boolean(_, _, node) return node.text == "true" end

function decoders.integer(_, _, node)
  local n = tonumber(node.text)
  return n and (tointeger(n) or n)
end
decoders.long = decoders.integer

local SPECIAL = {NaN = 0 / 0, Infinity = math.huge, ["-Infinity"] = -math.huge}
function decoders.float(_, _, node)
  local text = node.text
  local n = SPECIAL[text] or tonumber(text)
  return n and n + 0.0
end
decoders.double = decoders.float

function decoders.timestamp(_, _, node) return timestamp.normalize(node.text or "") end

function decoders.blob(_, _, node) return base64.decode(node.text or "") end

value = function(model, shape, node, ref)
  local decode = decoders[shape.type] or decoders.string
  return decode(model, shape, node, ref)
end

local function child(node, tag)
  for i = 1, #node do
    if node[i].tag == tag then return node[i] end
  end
end

-- The root element of an answer; an empty body is an empty <Response>.
function M.decode(body)
  if body == nil or body:find("^%s*$") then return {tag = "Response"} end
  return xml.parse(body)
end

-- The output of a parsed answer: inside <resultWrapper> when the
-- operation's output names one (query), else the root (ec2).
function M.output(model, op, root)
  if not op.output then return setmetatable({}, object_mt) end
  local shape = model:target(op.output)
  -- query answers wrap the output in <OpResult>, models name it resultWrapper
  local start = root
  local wrapper = op.output.resultWrapper or (op.name and op.name .. "Result")
  if wrapper then start = child(root, wrapper) or root end
  return decoders.structure(model, shape, start)
end

-- Parses a structure shape from an element (modeled error details).
function M.structure(model, shape, node)
  return decoders.structure(model, shape, node)
end

-- code, message, request id and <Error> element of an error answer:
-- <ErrorResponse><Error>... (query), <Response><Errors><Error>... (ec2).
function M.error_fields(root)
  local err = root.tag == "Error" and root or child(root, "Error")
  if not err then
    local errors = child(root, "Errors")
    err = errors and child(errors, "Error")
  end
  local request_id = child(root, "RequestId") or child(root, "RequestID")
  request_id = request_id and request_id.text
  if not err then return nil, nil, request_id end
  local code, message = child(err, "Code"), child(err, "Message")
  return code and code.text, message and message.text or "", request_id, err
end

return M
