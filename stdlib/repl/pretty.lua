-- How the REPL shows values: "table" (indented, key-sorted Lua-like trees,
-- coloured on a terminal, long lists cut), "json" or "yaml".
local json = require "json"

local M = {}

local MAX_ITEMS = 50   -- list items shown before "… N more"
local MAX_DEPTH = 16   -- nesting shown before "{…}"
local WIDTH = 78       -- a table fitting in this many columns stays on one line

local COLORS = {
  key = "\27[34m", string = "\27[32m", number = "\27[33m", literal = "\27[35m",
  other = "\27[90m", note = "\27[2m",
}
local RESET = "\27[0m"

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local nil
  not or repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- A string as a Lua literal; UTF-8 stays as it is, control bytes escaped.
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\%03d", c:byte())
  end) .. '"'
end
M.quote = quote

-- Is t a list: marked with json.array_mt, or an unmarked sequence 1..n?
local function is_list(t)
  local mt = getmetatable(t)
  if mt == json.array_mt then return true end
  if mt == json.object_mt then return false end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end
M.is_list = is_list

local TYPE_ORDER = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return (TYPE_ORDER[ta] or 9) < (TYPE_ORDER[tb] or 9) end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, key_less)
  return keys
end
M.sorted_keys = sorted_keys

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__tostring ~= nil
end

-- The table format. paint(kind, text) colours a piece (or not).
local function table_format(value, color)
  local paint = color and function(kind, text) return COLORS[kind] .. text .. RESET end
    or function(_, text) return text end

  local function scalar(v)
    local t = type(v)
    if t == "string" then return paint("string", quote(v)) end
    if t == "number" then return paint("number", tostring(v)) end
    if t == "boolean" or t == "nil" then return paint("literal", tostring(v)) end
    if v == json.null then return paint("literal", "null") end
    if has_tostring(v) then return paint("other", tostring(v)) end
    return nil
  end

  local function key_text(k)
    if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then
      return paint("key", k)
    end
    local s = scalar(k) or paint("other", tostring(k))
    return "[" .. s .. "]"
  end

  local seen = {}
  local render

  -- One line, or nil when it would not fit in budget columns (or nests a
  -- list that is cut). Colour codes do not count towards the width.
  local function inline(t, budget, depth)
    if seen[t] or depth > MAX_DEPTH then return nil end
    local list = is_list(t)
    if list and #t > MAX_ITEMS then return nil end
    local parts, used = {}, 4
    seen[t] = true
    local keys = list and nil or sorted_keys(t)
    local n = list and #t or #keys
    for i = 1, n do
      local k = list and i or keys[i]
      local v = t[k]
      local text, width
      local s = scalar(v)
      if s then
        text, width = s, #(color and s:gsub("\27%[[%d;]*m", "") or s)
      elseif type(v) == "table" then
        text, width = inline(v, budget - used, depth + 1)
        if not text then seen[t] = nil return nil end
      else
        text = paint("other", tostring(v))
        width = #tostring(v)
      end
      if not list then
        local kt = key_text(k)
        local plain = color and kt:gsub("\27%[[%d;]*m", "") or kt
        text, width = kt .. " = " .. text, width + #plain + 3
      end
      used = used + width + 2
      if used > budget then seen[t] = nil return nil end
      parts[#parts + 1] = text
    end
    seen[t] = nil
    if n == 0 then return "{}", 2 end
    return "{ " .. table.concat(parts, ", ") .. " }", used
  end

  render = function(v, indent, out, depth)
    local s = scalar(v)
    if s then out[#out + 1] = s return end
    if type(v) ~= "table" then out[#out + 1] = paint("other", tostring(v)) return end
    if seen[v] then out[#out + 1] = paint("note", "<cycle>") return end
    if depth > MAX_DEPTH then out[#out + 1] = paint("note", "{…}") return end
    local one = inline(v, WIDTH - #indent, depth)
    if one then out[#out + 1] = one return end
    seen[v] = true
    local inner = indent .. "  "
    out[#out + 1] = "{\n"
    if is_list(v) then
      local n = #v
      for i = 1, math.min(n, MAX_ITEMS) do
        out[#out + 1] = inner
        render(v[i], inner, out, depth + 1)
        out[#out + 1] = ",\n"
      end
      if n > MAX_ITEMS then
        out[#out + 1] = inner .. paint("note", string.format("… %d more", n - MAX_ITEMS)) .. "\n"
      end
    else
      for _, k in ipairs(sorted_keys(v)) do
        out[#out + 1] = inner .. key_text(k) .. " = "
        render(v[k], inner, out, depth + 1)
        out[#out + 1] = ",\n"
      end
    end
    out[#out + 1] = indent .. "}"
    seen[v] = nil
  end

  local out = {}
  render(value, "", out, 1)
  return table.concat(out)
end

-- YAML: plain scalars where they cannot be misread, JSON-style quotes otherwise.
local YAML_WORDS = { ["true"] = 1, ["false"] = 1, ["null"] = 1, ["yes"] = 1, ["no"] = 1,
                     ["on"] = 1, ["off"] = 1, ["~"] = 1, [""] = 1 }

local function yaml_scalar(v)
  if v == nil or v == json.null then return "null" end
  local t = type(v)
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return ".nan" end
    if v == math.huge then return ".inf" end
    if v == -math.huge then return "-.inf" end
    return tostring(v)
  end
  if t ~= "string" then return quote(tostring(v)) end
  if YAML_WORDS[v:lower()] or tonumber(v) or not v:match("^[%w_./@(][%w _./:@(),+=-]*$")
    or v:match(" $") or v:find(": ", 1, true) or v:find(" #", 1, true) then
    return (json.encode(v))
  end
  return v
end

local function yaml_key(k)
  local s = yaml_scalar(type(k) == "number" and tostring(k) or k)
  return s
end

local function yaml_format(value)
  local out = {}
  local seen = {}
  local function emit(v, indent, depth)
    -- v is a non-empty table; lines start at indent.
    if seen[v] or depth > MAX_DEPTH then out[#out + 1] = indent .. "null  # cycle or too deep\n" return end
    seen[v] = true
    local function child(x, prefix, item)
      if type(x) == "table" and not has_tostring(x) and next(x) ~= nil then
        if item then
          -- "- key: value": the item's first line shares the dash
          local first = #out + 1
          emit(x, indent .. "  ", depth + 1)
          out[first] = indent .. "- " .. out[first]:sub(#indent + 3)
          return
        end
        out[#out + 1] = prefix .. "\n"
        emit(x, indent .. "  ", depth + 1)
      elseif type(x) == "table" and not has_tostring(x) then
        out[#out + 1] = prefix .. " " .. (is_list(x) and "[]" or "{}") .. "\n"
      else
        out[#out + 1] = prefix .. " " .. yaml_scalar(x) .. "\n"
      end
    end
    if is_list(v) then
      for i = 1, #v do child(v[i], indent .. "-", true) end
    else
      for _, k in ipairs(sorted_keys(v)) do child(v[k], indent .. yaml_key(k) .. ":") end
    end
    seen[v] = nil
  end
  if type(value) == "table" and not has_tostring(value) then
    if next(value) == nil then return is_list(value) and "[]" or "{}" end
    emit(value, "", 1)
    return (table.concat(out):gsub("\n$", ""))
  end
  return yaml_scalar(value)
end

local function json_format(value)
  if value == nil then return "null" end
  local ok, text = pcall(json.encode, value, { indent = 2, sort_keys = true })
  if ok then return text end
  error("cannot show this value as JSON: " .. tostring(text):gsub("^[^:]*:%d+: ", ""), 0)
end

-- format(value, fmt, color) -> text; fmt is "table", "json" or "yaml".
function M.format(value, fmt, color)
  if fmt == "json" then return json_format(value) end
  if fmt == "yaml" then return yaml_format(value) end
  return table_format(value, color)
end

M.FORMATS = { table = true, json = true, yaml = true }

return M
