-- XML bodies of the rest-xml protocol (S3, Route 53, CloudFront): a
-- structure written as one element, members in the model's order
-- (memberOrder, kept by tools/update_models.py: Route 53 reads its input
-- against a schema), lists wrapped in <member> or flattened, maps as
-- <entry><key/><value/></entry>, xmlAttribute members as attributes and
-- xmlNamespace as xmlns.
local json = require "json"
local base64 = require "base.base64"
local rest = require "aws.rest"

local M = {}

local null = json.null
local tointeger, type, tostring = math.tointeger, type, tostring

local TEXT_ESCAPES = {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ["\r"] = "&#xD;"}
local ATTRIBUTE_ESCAPES = {["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;",
                           ["\r"] = "&#xD;", ["\n"] = "&#xA;", ["\t"] = "&#x9;"}

local function text(s) return (s:gsub("[&<>\r]", TEXT_ESCAPES)) end
local function attribute(s) return (s:gsub('[&<>"\r\n\t]', ATTRIBUTE_ESCAPES)) end

local function scalar_text(ref, shape, v)
  local t = shape.type
  if t == "boolean" then return v and "true" or "false" end
  if t == "timestamp" then
    return rest.timestamp_text(v, ref.timestampFormat or shape.timestampFormat or "iso8601")
  end
  if t == "blob" then return base64.encode(v) end
  if t == "integer" or t == "long" then return tostring(tointeger(v) or v) end
  if t == "float" or t == "double" then return rest.number_text(v) end
  return tostring(v)
end

-- The xmlns attribute of a member (its reference's namespace, else its shape's).
local function namespace(ref, shape)
  local ns = ref.xmlNamespace or shape.xmlNamespace
  if type(ns) == "string" then ns = {uri = ns} end -- the models write it both ways
  if type(ns) ~= "table" or not ns.uri then return "" end
  return (ns.prefix and ' xmlns:' .. ns.prefix or " xmlns") .. '="' .. attribute(ns.uri) .. '"'
end

-- The member names of a structure in the model's order (sorted when the
-- model does not say).
local function member_order(shape)
  local order = shape.memberOrder
  if order then return order end
  order = {}
  for name in pairs(shape.members or {}) do order[#order + 1] = name end
  table.sort(order)
  shape._member_order = order
  return order
end

local write

local function structure(model, ref, shape, v, name, out)
  local attributes, children = {}, {}
  local members = shape.members or {}
  for _, member in ipairs(shape._member_order or member_order(shape)) do
    local mv = v[member]
    if mv ~= nil and mv ~= null then
      local mref = members[member]
      local target = model:target(mref)
      if mref.xmlAttribute then
        attributes[#attributes + 1] = " " .. (mref.locationName or member) .. '="'
          .. attribute(scalar_text(mref, target, mv)) .. '"'
      else
        write(model, mref, target, mv, mref.locationName or member, children)
      end
    end
  end
  out[#out + 1] = "<" .. name .. namespace(ref, shape) .. table.concat(attributes) .. ">"
  for i = 1, #children do out[#out + 1] = children[i] end
  out[#out + 1] = "</" .. name .. ">"
end

write = function(model, ref, shape, v, name, out)
  local t = shape.type
  if t == "structure" then
    structure(model, ref, shape, v, name, out)
  elseif t == "list" then
    local item_ref = shape.member
    local item = model:target(item_ref)
    if ref.flattened or shape.flattened then
      for i = 1, #v do write(model, item_ref, item, v[i], name, out) end
    else
      out[#out + 1] = "<" .. name .. namespace(ref, shape) .. ">"
      local item_name = item_ref.locationName or "member"
      for i = 1, #v do write(model, item_ref, item, v[i], item_name, out) end
      out[#out + 1] = "</" .. name .. ">"
    end
  elseif t == "map" then
    local key_ref, value_ref = shape.key, shape.value
    local key_shape, value_shape = model:target(key_ref), model:target(value_ref)
    local key_name, value_name = key_ref.locationName or "key", value_ref.locationName or "value"
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local flat = ref.flattened or shape.flattened
    if not flat then out[#out + 1] = "<" .. name .. namespace(ref, shape) .. ">" end
    for _, k in ipairs(keys) do
      out[#out + 1] = "<" .. (flat and name or "entry") .. ">"
      write(model, key_ref, key_shape, k, key_name, out)
      write(model, value_ref, value_shape, v[k], value_name, out)
      out[#out + 1] = "</" .. (flat and name or "entry") .. ">"
    end
    if not flat then out[#out + 1] = "</" .. name .. ">" end
  else
    out[#out + 1] = "<" .. name .. namespace(ref, shape) .. ">"
      .. text(scalar_text(ref, shape, v)) .. "</" .. name .. ">"
  end
end

-- The XML text of a value of shape: the payload member's (ref: its member
-- reference) or the input's body members (ref: the operation's input
-- reference), under ref's element name or the shape's.
function M.body(model, shape, v, ref)
  local out = {}
  ref = ref or {}
  write(model, ref, shape, v, ref.locationName or shape.locationName or shape._name, out)
  return table.concat(out)
end

return M
