-- What -vv must not print: the values the service model marks sensitive
-- (EC2 KeyMaterial, Secrets Manager RandomPassword, IAM ServicePassword,
-- STS WebIdentityToken, ...), found by walking a request's parameters or an
-- answer's output along their shapes, then masked in the wire text in every
-- form they take there (as they are, JSON-, XML- and URL-escaped, base64
-- for blobs). A sensitive structure, list or map hides all it holds.
-- wire_log's list of secret-looking field names stays as a backstop.
local json = require "json"
local base64 = require "base.base64"
local percent_encode = require("aws.rest").encode

local M = {}

M.MARK = "<redacted>"

local function add_leaves(shape, v, out)
  if type(v) == "table" then
    for _, item in pairs(v) do add_leaves(shape, item, out) end
  elseif type(v) == "string" and v ~= "" then
    out[#out + 1] = v
    if shape.type == "blob" then out[#out + 1] = base64.encode(v) end
  end
end

local function walk(model, shape, v, out, depth)
  if v == nil or v == json.null or depth > 64 then return end
  if shape.sensitive then return add_leaves(shape, v, out) end
  if type(v) ~= "table" then return end
  local t = shape.type
  if t == "structure" and not shape.document then
    for name, ref in pairs(shape.members or {}) do
      local mv = v[name]
      if mv ~= nil then walk(model, model:target(ref), mv, out, depth + 1) end
    end
  elseif t == "list" then
    local item = model:target(shape.member)
    for i = 1, #v do walk(model, item, v[i], out, depth + 1) end
  elseif t == "map" then
    local key, value = model:target(shape.key), model:target(shape.value)
    for k, mv in pairs(v) do
      walk(model, key, k, out, depth + 1)
      walk(model, value, mv, out, depth + 1)
    end
  end
end

-- M.values(model, shape, value) -> the sensitive strings in value (a
-- request's parameters or a decoded answer of that shape).
function M.values(model, shape, value)
  local out = {}
  if shape then walk(model, shape, value, out, 0) end
  return out
end

local function xml_escape(s, quotes)
  s = s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;")
  if quotes then s = s:gsub('"', "&quot;"):gsub("'", "&apos;") end
  return s
end

-- The forms a value takes on the wire, longest first: as it is (a header),
-- JSON- and XML-escaped (bodies), percent-encoded (a query string, a URI
-- label, a greedy one keeping its slashes).
local function forms(v)
  local json_text = json.encode(v):sub(2, -2)
  local list, seen = {}, {}
  for _, f in ipairs{ v, json_text, (json_text:gsub("/", "\\/")), xml_escape(v), xml_escape(v, true),
                      (xml_escape(v, true):gsub("&apos;", "&#39;")), percent_encode(v),
                      percent_encode(v, true) } do
    if f ~= "" and not seen[f] then seen[f] = true list[#list + 1] = f end
  end
  table.sort(list, function(a, b) return #a > #b end)
  return list
end

local function replace_plain(text, find, by)
  local out, pos = {}, 1
  while true do
    local a, b = text:find(find, pos, true)
    if not a then break end
    out[#out + 1] = text:sub(pos, a - 1)
    out[#out + 1] = by
    pos = b + 1
  end
  if pos == 1 then return text end
  out[#out + 1] = text:sub(pos)
  return table.concat(out)
end

-- M.mask(text, values) -> text with every wire form of each value replaced
-- by MARK.
function M.mask(text, values)
  if not text or #values == 0 then return text end
  local all = {}
  for _, v in ipairs(values) do
    for _, f in ipairs(forms(v)) do all[#all + 1] = f end
  end
  table.sort(all, function(a, b) return #a > #b end)
  for _, f in ipairs(all) do text = replace_plain(text, f, M.MARK) end
  return text
end

return M
