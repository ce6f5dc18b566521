-- The HTTP bindings of the rest-json and rest-xml protocols, shared by
-- both: where each input member goes (URI label, greedy label, query
-- string, header, header prefix, payload, body) and where each output
-- member comes from (header, header prefix, status code, payload, body).
-- The body itself is the protocol's (JSON or XML): request() takes a
-- function that writes it, answer() one that reads it.
local json = require "json"
local base64 = require "base.base64"
local percent = require "base.percent"
local timestamp = require "base.time"

local M = {}

local format, gsub, tointeger, type, pairs = string.format, string.gsub, math.tointeger, type, pairs
local null, object_mt, array_mt = json.null, json.object_mt, json.array_mt

-- RFC 3986 percent-encoding: only unreserved characters stay ("/" too
-- when keep_slash: a greedy label).
local encode = percent.encode
M.encode = encode

-- The text of a float ("NaN", "Infinity", "-Infinity" for the special ones).
local function number_text(v)
  if type(v) == "string" then return v end -- "NaN", "Infinity", "-Infinity"
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  return tostring(v)
end
M.number_text = number_text

-- Text of a timestamp in a format ("iso8601", "rfc822", "unixTimestamp").
function M.timestamp_text(v, fmt)
  local t = timestamp.parse(v)
  if fmt == "unixTimestamp" then return tostring(tointeger(t) or t) end
  if fmt == "rfc822" then return timestamp.rfc822(t) end
  return timestamp.iso(t)
end

local function timestamp_format(ref, shape, default)
  return ref.timestampFormat or shape.timestampFormat or default
end

-- The text of a scalar in the URI or the query string.
local function uri_text(ref, shape, v)
  local t = shape.type
  if t == "boolean" then return v and "true" or "false" end
  if t == "timestamp" then return M.timestamp_text(v, timestamp_format(ref, shape, "iso8601")) end
  if t == "float" or t == "double" then return number_text(v) end
  if t == "integer" or t == "long" then return tostring(tointeger(v) or v) end
  return tostring(v)
end

-- A header list item: quoted when it holds a comma or a quote.
local function header_item(s)
  if s:find('[,"]') then return '"' .. s:gsub('"', '\\"') .. '"' end
  return s
end

local function header_text(model, ref, shape, v)
  local t = shape.type
  if t == "timestamp" then return M.timestamp_text(v, timestamp_format(ref, shape, "rfc822")) end
  if t == "list" then
    local item_ref = shape.member
    local item = model:target(item_ref)
    local parts = {}
    for i = 1, #v do
      parts[i] = item.type == "string" and header_item(v[i]) or header_text(model, item_ref, item, v[i])
    end
    return table.concat(parts, ", ")
  end
  if shape.jsonvalue or ref.jsonvalue then return base64.encode(json.encode(v)) end
  if t == "boolean" then return v and "true" or "false" end
  if t == "float" or t == "double" then return number_text(v) end
  if t == "integer" or t == "long" then return tostring(tointeger(v) or v) end
  return tostring(v)
end

-- "/{Bucket}/{Key+}?x-id=GetObject" with the labels' values in.
local function render_uri(template, labels)
  return (gsub(template, "{([^}]+)}", function(name)
    local greedy = name:sub(-1) == "+"
    local v = labels[greedy and name:sub(1, -2) or name]
    if v == nil then error("aws: no value for the URI label " .. name, 0) end
    return encode(v, greedy)
  end))
end

-- The host prefix of an operation (its endpoint trait) with its {labels}
-- filled in from the parameters, or nil.
function M.host_prefix(op, params)
  local prefix = op.endpoint and op.endpoint.hostPrefix
  if not prefix then return nil end
  return (gsub(prefix, "{([^}]+)}", function(name)
    local v = params[name]
    if type(v) ~= "string" or not v:match("^[%w][%w%-]*$") then
      error(format("aws: %s %q cannot be part of a host name", name, tostring(v)), 0)
    end
    return v
  end))
end

-- Members of a structure by location, cached on the shape: {uri = {...},
-- querystring = {...}, header = {...}, headers = {...}, body = {...}}, each
-- a list of {name, ref}.
local function by_location(shape)
  local parts = shape._rest_locations
  if parts then return parts end
  parts = {uri = {}, querystring = {}, header = {}, headers = {}, statusCode = {}, body = {}}
  local names = {}
  for name in pairs(shape.members or {}) do names[#names + 1] = name end
  table.sort(names) -- a stable order on the wire
  for _, name in ipairs(names) do
    local ref = shape.members[name]
    local list = parts[ref.location or "body"] or parts.body
    list[#list + 1] = {name, ref}
  end
  shape._rest_locations = parts
  return parts
end
M.by_location = by_location

-- The unsigned request of a rest operation. write_body(model, shape, value,
-- is_payload) -> body text, content type: the protocol's serialization of a
-- structure (the payload member's shape, or the input's body members).
function M.request(model, op, params, write_body, empty_body)
  local http = op.http or {}
  local uri = http.requestUri or "/"
  local path, constant_query = uri:match("^([^?]*)%??(.*)$")
  local req = {method = http.method or "POST", headers = {}, body = ""}
  local input = op.input and model:target(op.input)
  if not input then
    req.path, req.query = path, constant_query
    return req
  end
  local parts = by_location(input)
  local labels = {}
  for _, m in ipairs(parts.uri) do
    local name, ref = m[1], m[2]
    local v = params[name]
    if v ~= nil and v ~= null then labels[ref.locationName or name] = uri_text(ref, model:target(ref), v) end
  end
  req.path = render_uri(path, labels)
  local query = {}
  if constant_query ~= "" then query[1] = constant_query end
  local explicit = {}
  for _, m in ipairs(parts.querystring) do
    local name, ref = m[1], m[2]
    local v = params[name]
    local shape = model:target(ref)
    if v ~= nil and v ~= null and shape.type ~= "map" then
      local key = ref.locationName or name
      explicit[key] = true
      if shape.type == "list" then
        local item_ref = shape.member
        local item = model:target(item_ref)
        for i = 1, #v do query[#query + 1] = encode(key) .. "=" .. encode(uri_text(item_ref, item, v[i])) end
      else
        query[#query + 1] = encode(key) .. "=" .. encode(uri_text(ref, shape, v))
      end
    end
  end
  for _, m in ipairs(parts.querystring) do -- a map: its keys, unless a member named them
    local name, ref = m[1], m[2]
    local v = params[name]
    local shape = model:target(ref)
    if v ~= nil and v ~= null and shape.type == "map" then
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = k end
      table.sort(keys)
      for _, k in ipairs(keys) do
        if not explicit[k] then
          local values = type(v[k]) == "table" and v[k] or {v[k]}
          for _, item in ipairs(values) do query[#query + 1] = encode(k) .. "=" .. encode(tostring(item)) end
        end
      end
    end
  end
  req.query = table.concat(query, "&")
  for _, m in ipairs(parts.header) do
    local name, ref = m[1], m[2]
    local v = params[name]
    local shape = model:target(ref)
    if v ~= nil and v ~= null and not (shape.type == "list" and #v == 0) then
      req.headers[ref.locationName or name] = header_text(model, ref, shape, v)
    end
  end
  for _, m in ipairs(parts.headers) do
    local name, ref = m[1], m[2]
    local v = params[name]
    if type(v) == "table" then
      for k, hv in pairs(v) do req.headers[(ref.locationName or "") .. k] = tostring(hv) end
    end
  end
  local payload = input.payload
  if payload then
    local ref = input.members[payload]
    local shape = model:target(ref)
    local v = params[payload]
    if shape.type == "blob" or shape.type == "string" then
      req.body = v ~= nil and v ~= null and v or ""
      req.streaming = true
      req.payload_content_type = shape.mediaType
        or (shape.type == "blob" and "application/octet-stream" or "text/plain")
    elseif v ~= nil and v ~= null then
      req.body, req.content_type = write_body(model, shape, v, ref)
    else
      req.body = empty_body
    end
  else
    local body, any = {}, false
    for _, m in ipairs(parts.body) do
      local v = params[m[1]]
      if v ~= nil and v ~= null then body[m[1]] = v any = true end
    end
    if any then
      req.body, req.content_type = write_body(model, input, body, op.input)
    elseif #parts.body > 0 then
      req.body = empty_body
    end
  end
  return req
end

-- ---- answers ----------------------------------------------------------

-- Splits a header list on commas outside double quotes, unquoting items.
local function split_header_list(s)
  local items, i, n = {}, 1, #s
  while i <= n do
    while i <= n and s:sub(i, i):match("%s") do i = i + 1 end
    if s:sub(i, i) == '"' then
      local j, buf = i + 1, {}
      while j <= n and s:sub(j, j) ~= '"' do
        if s:sub(j, j) == "\\" then j = j + 1 end
        buf[#buf + 1] = s:sub(j, j)
        j = j + 1
      end
      items[#items + 1] = table.concat(buf)
      i = (s:find(",", j, true) or n) + 1
    else
      local j = s:find(",", i, true) or n + 1
      items[#items + 1] = (s:sub(i, j - 1):gsub("%s+$", ""))
      i = j + 1
    end
  end
  return items
end

local function header_value(model, ref, shape, text)
  local t = shape.type
  if t == "timestamp" then return timestamp.normalize(text) end
  if t == "integer" or t == "long" then
    local n = tonumber(text)
    return n and (tointeger(n) or n)
  end
  if t == "float" or t == "double" then
    if text == "NaN" then return 0 / 0 end
    if text == "Infinity" then return math.huge end
    if text == "-Infinity" then return -math.huge end
    return tonumber(text) + 0.0
  end
  if t == "boolean" then return text == "true" end
  if t == "blob" then return base64.decode(text) end
  if t == "list" then
    local item_ref = shape.member
    local item = model:target(item_ref)
    local out = setmetatable({}, array_mt)
    for i, s in ipairs(split_header_list(text)) do out[i] = header_value(model, item_ref, item, s) end
    return out
  end
  if shape.jsonvalue or ref.jsonvalue then return json.decode(base64.decode(text)) end
  return text
end

-- Sets out's members that come from the status code and headers.
function M.read_headers(model, shape, status, headers, out)
  local parts = by_location(shape)
  for _, m in ipairs(parts.statusCode) do out[m[1]] = status end
  for _, m in ipairs(parts.header) do
    local name, ref = m[1], m[2]
    local text = headers[(ref.locationName or name):lower()]
    if text ~= nil then out[name] = header_value(model, ref, model:target(ref), text) end
  end
  for _, m in ipairs(parts.headers) do
    local prefix = (m[2].locationName or ""):lower()
    local map = setmetatable({}, object_mt)
    for k, v in pairs(headers) do
      if k:sub(1, #prefix) == prefix then map[k:sub(#prefix + 1)] = v end
    end
    out[m[1]] = map
  end
end

-- The output of a successful answer. read_body(model, shape, body) -> the
-- structure read from a body text (nil and why when it cannot be read).
function M.answer(model, op, status, headers, body, read_body)
  local shape = op.output and model:target(op.output)
  if not shape then return setmetatable({}, object_mt) end
  local out
  local payload = shape.payload
  if payload then
    out = setmetatable({}, object_mt)
    local ref = shape.members[payload]
    local target = model:target(ref)
    if target.type == "blob" or target.type == "string" then
      out[payload] = body
    elseif body ~= "" then
      local v, why = read_body(model, target, body)
      if v == nil then return nil, why end
      out[payload] = v
    end
  else
    local why
    out, why = read_body(model, shape, body)
    if out == nil then return nil, why end
  end
  M.read_headers(model, shape, status, headers, out)
  return out
end

return M
