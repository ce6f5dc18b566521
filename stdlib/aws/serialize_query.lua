-- Requests of the query and ec2 protocols: a form-encoded POST body,
-- Action=<operation>&Version=<apiVersion>&<flattened parameters>.
-- The two differ in naming (ec2: queryName, or locationName capitalized)
-- and lists (ec2: always flattened, empty lists omitted).
local json = require "json"
local base64 = require "base.base64"
local percent = require "base.percent"
local timestamp = require "base.time"

local M = {}

local pairs, type, tostring, tointeger = pairs, type, tostring, math.tointeger
local sort = table.sort
local null = json.null

-- RFC 3986 percent-encoding; only unreserved characters stay as they are.
local url_encode = percent.encode

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function scalar_text(shape, ref, v)
  local t = shape.type
  if t == "boolean" then return v and "true" or "false" end
  if t == "integer" or t == "long" then return tostring(tointeger(v) or v) end
  if t == "float" or t == "double" then
    if type(v) == "string" then return v end
    if v ~= v then return "NaN" end
    if v == math.huge then return "Infinity" end
    if v == -math.huge then return "-Infinity" end
    return tostring(tointeger(v) or v)
  end
  if t == "timestamp" then
    local fmt = ref.timestampFormat or shape.timestampFormat
    local ts = timestamp.parse(v)
    if fmt == "unixTimestamp" then return tostring(ts) end
    if fmt == "rfc822" then return timestamp.rfc822(ts) end
    return timestamp.iso(ts)
  end
  if t == "blob" then return base64.encode(v) end
  if type(v) == "table" then return json.encode(v) end -- an IAM policy document
  return tostring(v)
end

-- Serialization name of a member reference, per protocol.
local function query_name(ref, default)
  return ref.locationName or default
end

local function ec2_name(ref, default)
  if ref.queryName then return ref.queryName end
  local name = ref.locationName
  if name then return name:sub(1, 1):upper() .. name:sub(2) end
  return default
end

local function serializer(ec2)
  local member_name = ec2 and ec2_name or query_name
  local walk

  local function structure(model, shape, v, prefix, out)
    local members = shape.members
    for _, k in ipairs(sorted_keys(v)) do
      local mv = v[k]
      if mv ~= null then
        local ref = members[k]
        local name = member_name(ref, k)
        walk(model, ref, model:target(ref), mv, prefix == "" and name or prefix .. "." .. name, out)
      end
    end
  end

  local function list(model, shape, ref, v, prefix, out)
    local item_ref = shape.member
    local item = model:target(item_ref)
    local list_prefix
    if ec2 then
      if #v == 0 then return end
      list_prefix = prefix
    elseif #v == 0 then
      out[#out + 1] = url_encode(prefix) .. "="
      return
    elseif ref.flattened or shape.flattened then
      list_prefix = prefix
      local name = item_ref.locationName
      if name then -- the last component of the prefix is renamed
        local parent = prefix:match("^(.*)%.[^.]*$")
        list_prefix = parent and parent .. "." .. name or name
      end
    else
      list_prefix = prefix .. "." .. (item_ref.locationName or "member")
    end
    for i = 1, #v do walk(model, item_ref, item, v[i], list_prefix .. "." .. i, out) end
  end

  local function map(model, shape, ref, v, prefix, out)
    local entry_prefix = (ref.flattened or shape.flattened) and prefix or prefix .. ".entry"
    local key_ref, value_ref = shape.key, shape.value
    local key_name = member_name(key_ref, "key")
    local value_name = member_name(value_ref, "value")
    local key_shape, value_shape = model:target(key_ref), model:target(value_ref)
    for i, k in ipairs(sorted_keys(v)) do
      local at = entry_prefix .. "." .. i .. "."
      walk(model, key_ref, key_shape, k, at .. key_name, out)
      walk(model, value_ref, value_shape, v[k], at .. value_name, out)
    end
  end

  walk = function(model, ref, shape, v, prefix, out)
    local t = shape.type
    if t == "structure" then
      structure(model, shape, v, prefix, out)
    elseif t == "list" then
      list(model, shape, ref, v, prefix, out)
    elseif t == "map" then
      map(model, shape, ref, v, prefix, out)
    else
      out[#out + 1] = url_encode(prefix) .. "=" .. url_encode(scalar_text(shape, ref, v))
    end
  end

  return structure
end

local serialize = {query = serializer(false), ec2 = serializer(true)}

-- The request (before signing) of an operation with validated params.
function M.request(model, op, params)
  local out = {"Action=" .. url_encode(op.name),
               "Version=" .. url_encode(model.metadata.apiVersion or "")}
  if op.input then
    local walk = serialize[model.metadata.protocol == "ec2" and "ec2" or "query"]
    walk(model, model:target(op.input), params, "", out)
  end
  local http = op.http or {}
  return {
    method = http.method or "POST",
    path = http.requestUri or "/",
    query = "",
    headers = {["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"},
    body = table.concat(out, "&"),
  }
end

return M
