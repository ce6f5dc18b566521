-- Responses of the query and ec2 protocols: the XML document (aws.xml: flat
-- arrays tag/text/first/next indexed by element number), walked by the
-- output shape into Lua values (see aws.lua for the conventions).
local json = require "json"
local xml = require "aws.xml"
local base64 = require "aws.base64"
local timestamp = require "aws.timestamp"

local M = {}

local pairs, tonumber, tointeger, setmetatable = pairs, tonumber, math.tointeger, setmetatable
local array_mt, object_mt = json.array_mt, json.object_mt

-- element name -> {member name, target shape, flattened kind, item shape}
-- of a structure's members, cached on the shape.
local function xml_members(model, shape)
  local by_tag = shape._xml_members
  if not by_tag then
    by_tag = {}
    for name, ref in pairs(shape.members or {}) do
      local target = model:target(ref)
      local tag = ref.locationName or name
      local flat = (ref.flattened or target.flattened) and (target.type == "list" or target.type == "map")
        and target.type or false
      local item
      if flat == "list" then
        item = model:target(target.member)
        if target.member.locationName then tag = target.member.locationName end
      end
      by_tag[tag] = {name, target, flat, item}
    end
    shape._xml_members = by_tag
  end
  return by_tag
end

local value

local function map_entry(model, shape, doc, entry, out)
  local key_tag = shape.key.locationName or "key"
  local value_tag = shape.value.locationName or "value"
  local tags, next = doc.tag, doc.next
  local k, v
  local part = doc.first[entry]
  while part ~= 0 do
    local tag = tags[part]
    if tag == key_tag then
      k = value(model, model:target(shape.key), doc, part)
    elseif tag == value_tag then
      v = value(model, model:target(shape.value), doc, part)
    end
    part = next[part]
  end
  if k ~= nil then out[k] = v end
end

local decoders = {}

function decoders.structure(model, shape, doc, e)
  local out = setmetatable({}, object_mt)
  local by_tag = xml_members(model, shape)
  local tags, next = doc.tag, doc.next
  local c = doc.first[e]
  while c ~= 0 do
    local member = by_tag[tags[c]]
    if member then
      local name, target, flat = member[1], member[2], member[3]
      if flat == "list" then
        local items = out[name]
        if not items then
          items = setmetatable({}, array_mt)
          out[name] = items
        end
        items[#items + 1] = value(model, member[4], doc, c)
      elseif flat == "map" then
        local entries = out[name]
        if not entries then
          entries = setmetatable({}, object_mt)
          out[name] = entries
        end
        map_entry(model, target, doc, c, entries)
      else
        out[name] = value(model, target, doc, c)
      end
    end
    c = next[c]
  end
  return out
end

function decoders.list(model, shape, doc, e)
  local out = setmetatable({}, array_mt)
  local item = model:target(shape.member)
  local next = doc.next
  local n = 0
  local c = doc.first[e]
  while c ~= 0 do
    n = n + 1
    out[n] = value(model, item, doc, c)
    c = next[c]
  end
  return out
end

function decoders.map(model, shape, doc, e)
  local out = setmetatable({}, object_mt)
  local next = doc.next
  local c = doc.first[e]
  while c ~= 0 do
    map_entry(model, shape, doc, c, out)
    c = next[c]
  end
  return out
end

-- IAM answers policy documents URL-encoded; like botocore (and the AWS
-- CLI), hand them over decoded, as tables.
local function policy_document(text)
  local plain = text:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  local ok, parsed = pcall(json.decode, plain)
  if ok and type(parsed) == "table" then return parsed end
  return plain
end

function decoders.string(_, shape, doc, e)
  local text = doc.text[e] or ""
  if shape._name == "policyDocumentType" then return policy_document(text) end
  return text
end

function decoders.boolean(_, _, doc, e) return doc.text[e] == "true" end

function decoders.integer(_, _, doc, e)
  local n = tonumber(doc.text[e])
  return n and (tointeger(n) or n)
end
decoders.long = decoders.integer

local SPECIAL = {NaN = 0 / 0, Infinity = math.huge, ["-Infinity"] = -math.huge}
function decoders.float(_, _, doc, e)
  local text = doc.text[e]
  local n = SPECIAL[text] or tonumber(text)
  return n and n + 0.0
end
decoders.double = decoders.float

function decoders.timestamp(_, _, doc, e) return timestamp.normalize(doc.text[e] or "") end

function decoders.blob(_, _, doc, e) return base64.decode(doc.text[e] or "") end

value = function(model, shape, doc, e)
  local decode = decoders[shape.type] or decoders.string
  return decode(model, shape, doc, e)
end

-- The first child of element e named tag, or nil.
local function child(doc, e, tag)
  local tags, next = doc.tag, doc.next
  local c = doc.first[e]
  while c ~= 0 do
    if tags[c] == tag then return c end
    c = next[c]
  end
end

local EMPTY = {tag = {"Response"}, text = {false}, first = {0}, next = {0}, count = 1}

-- The parsed answer; an empty body is an empty <Response>.
function M.decode(body)
  if body == nil or body:find("^%s*$") then return EMPTY end
  return xml.parse(body)
end

-- True when the document's root has child elements.
function M.has_children(doc)
  return doc.first[1] ~= 0
end

-- The output of a parsed answer: inside <OpResult> for query answers
-- (the output's resultWrapper), else the root (ec2).
function M.output(model, op, doc)
  if not op.output then return setmetatable({}, object_mt) end
  local shape = model:target(op.output)
  local wrapper = op.output.resultWrapper or (op.name and op.name .. "Result")
  local start = wrapper and child(doc, 1, wrapper) or 1
  return decoders.structure(model, shape, doc, start)
end

-- Parses a structure shape from element e (modeled error details).
function M.structure(model, shape, doc, e)
  return decoders.structure(model, shape, doc, e)
end

-- code, message, request id and <Error> element of an error answer:
-- <ErrorResponse><Error>... (query), <Response><Errors><Error>... (ec2).
function M.error_fields(doc)
  local err = doc.tag[1] == "Error" and 1 or child(doc, 1, "Error")
  if not err then
    local errors = child(doc, 1, "Errors")
    err = errors and child(doc, errors, "Error")
  end
  local request_id = child(doc, 1, "RequestId") or child(doc, 1, "RequestID")
  request_id = request_id and doc.text[request_id] or nil
  if not err then return nil, nil, request_id end
  local code, message = child(doc, err, "Code"), child(doc, err, "Message")
  return code and doc.text[code] or nil, message and doc.text[message] or "", request_id, err
end

return M
