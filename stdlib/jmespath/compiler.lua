-- JMESPath compiler: AST -> Lua closure fn(value) -> result. Evaluation never
-- re-reads the AST. Inside evaluation null is nil; json.null from the data
-- is turned into nil when read, and nil is stored as json.null in the
-- arrays and objects built here.

local value = require "jmespath.value"
local functions = require "jmespath.functions"
local errors = require "jmespath.errors"

local null, array_mt, object_mt, expref_mt =
  value.null, value.array_mt, value.object_mt, value.expref_mt
local jtype, truthy, equal = value.type, value.truthy, value.equal
local type, getmetatable, setmetatable, pairs = type, getmetatable, setmetatable, pairs
local code_points = value.code_points
local concat = table.concat

local compiler = {}

local compile -- forward: compile(node) -> fn

local function identity(v) return v end

-- a[i] of array a (0-based, negative from the end), or nil.
local function make_index(i)
  if i >= 0 then
    local k = i + 1
    return function(v)
      if type(v) ~= "table" then return nil end
      local mt = getmetatable(v)
      if mt ~= array_mt and (mt == object_mt or jtype(v) ~= "array") then return nil end
      local r = v[k]
      if r == null then return nil end
      return r
    end
  end
  return function(v)
    if type(v) ~= "table" then return nil end
    local mt = getmetatable(v)
    if mt ~= array_mt and (mt == object_mt or jtype(v) ~= "array") then return nil end
    local k = #v + 1 + i
    if k < 1 then return nil end
    local r = v[k]
    if r == null then return nil end
    return r
  end
end

-- Python's slice.indices(): 0-based start, stop for length n.
local function slice_bounds(n, start, stop, step)
  if step > 0 then
    if start == nil then start = 0
    elseif start < 0 then start = start + n; if start < 0 then start = 0 end
    elseif start > n then start = n end
    if stop == nil then stop = n
    elseif stop < 0 then stop = stop + n; if stop < 0 then stop = 0 end
    elseif stop > n then stop = n end
  else
    if start == nil then start = n - 1
    elseif start < 0 then start = start + n; if start < 0 then start = -1 end
    elseif start >= n then start = n - 1 end
    if stop == nil then stop = -1
    elseif stop < 0 then stop = stop + n; if stop < 0 then stop = -1 end
    elseif stop >= n then stop = n - 1 end
  end
  return start, stop
end

local function make_slice(start, stop, step)
  step = step or 1
  local last_offset = step > 0 and -1 or 1
  return function(v)
    local t = jtype(v)
    if t == "array" then
      local a, b = slice_bounds(#v, start, stop, step)
      local out, n = {}, 0
      for i = a + 1, b + 1 + last_offset, step do
        n = n + 1
        out[n] = v[i]
      end
      return setmetatable(out, array_mt)
    elseif t == "string" then
      local cps = code_points(v)
      local len = cps and #cps or #v
      local a, b = slice_bounds(len, start, stop, step)
      if cps == nil and step == 1 then return v:sub(a + 1, b) end
      local out, n = {}, 0
      for i = a + 1, b + 1 + last_offset, step do
        n = n + 1
        out[n] = cps and cps[i] or v:sub(i, i)
      end
      return concat(out, "", 1, n)
    end
    return nil
  end
end

local function make_field(name)
  return function(v)
    if type(v) ~= "table" then return nil end
    local r = v[name]
    if r == null then return nil end
    return r
  end
end

-- a.b.c...: a loop over names; null stays null, so it can stop early.
local function make_field_path(names, n)
  return function(v)
    for i = 1, n do
      if type(v) ~= "table" then return nil end
      v = v[names[i]]
    end
    if v == null then return nil end
    return v
  end
end

local function make_chain(children)
  local n = #children
  local names, all_fields = {}, true
  for i = 1, n do
    if children[i].type ~= "field" then all_fields = false break end
    names[i] = children[i].name
  end
  if all_fields then return make_field_path(names, n) end
  local fns = {}
  for i = 1, n do fns[i] = compile(children[i]) end
  if n == 2 then
    local f, g = fns[1], fns[2]
    return function(v) return g(f(v)) end
  end
  return function(v)
    for i = 1, n do v = fns[i](v) end
    return v
  end
end

local function make_projection(left, right, string_slice)
  local is_identity = right == identity
  return function(v)
    local base = left(v)
    if type(base) ~= "table" then
      if string_slice and type(base) == "string" then return right(base) end
      return nil
    end
    local mt = getmetatable(base)
    if mt ~= array_mt and (mt == object_mt or jtype(base) ~= "array") then return nil end
    local out, n = {}, 0
    for i = 1, #base do
      local e = base[i]
      if e == null then e = nil end
      if not is_identity then e = right(e) end
      if e ~= nil and e ~= null then
        n = n + 1
        out[n] = e
      end
    end
    return setmetatable(out, array_mt)
  end
end

local function make_value_projection(left, right)
  return function(v)
    local base = left(v)
    if jtype(base) ~= "object" then return nil end
    local out, n = {}, 0
    for _, e in pairs(base) do
      if e == null then e = nil end
      e = right(e)
      if e ~= nil and e ~= null then
        n = n + 1
        out[n] = e
      end
    end
    return setmetatable(out, array_mt)
  end
end

local function make_filter_projection(left, right, cond)
  local is_identity = right == identity
  return function(v)
    local base = left(v)
    if type(base) ~= "table" then return nil end
    local mt = getmetatable(base)
    if mt ~= array_mt and (mt == object_mt or jtype(base) ~= "array") then return nil end
    local out, n = {}, 0
    for i = 1, #base do
      local e = base[i]
      if e == null then e = nil end
      local keep = cond(e)
      if keep == true or (keep and truthy(keep)) then
        if not is_identity then e = right(e) end
        if e ~= nil and e ~= null then
          n = n + 1
          out[n] = e
        end
      end
    end
    return setmetatable(out, array_mt)
  end
end

local function make_flatten(child)
  return function(v)
    local base = child(v)
    if jtype(base) ~= "array" then return nil end
    local out, n = {}, 0
    for i = 1, #base do
      local e = base[i]
      if type(e) == "table" and jtype(e) == "array" then
        for j = 1, #e do
          n = n + 1
          out[n] = e[j]
        end
      else
        n = n + 1
        out[n] = e
      end
    end
    return setmetatable(out, array_mt)
  end
end

local ORDER = {
  lt = function(a, b) return a < b end,
  lte = function(a, b) return a <= b end,
  gt = function(a, b) return a > b end,
  gte = function(a, b) return a >= b end,
}

local function is_scalar_literal(node)
  local t = node.type == "literal" and type(node.value)
  return t == "string" or t == "number" or t == "boolean"
end

local function make_comparator(node)
  local op = node.op
  if op == "eq" or op == "ne" then
    local want = op == "eq"
    local l, r = node.left, node.right
    if is_scalar_literal(l) then l, r = r, l end
    if is_scalar_literal(r) then
      -- A string, number or boolean equals only itself (1 == 1.0 in Lua).
      local c = r.value
      if l.type == "field" then
        -- The usual filter, [?Name == 'x'], without a call per element.
        local name = l.name
        if want then
          return function(v) return type(v) == "table" and v[name] == c end
        end
        return function(v) return type(v) ~= "table" or v[name] ~= c end
      end
      local f = compile(l)
      if want then return function(v) return f(v) == c end end
      return function(v) return f(v) ~= c end
    end
    local f, g = compile(l), compile(r)
    if want then return function(v) return equal(f(v), g(v)) end end
    return function(v) return not equal(f(v), g(v)) end
  end
  local f, g = compile(node.left), compile(node.right)
  local cmp = ORDER[op]
  return function(v)
    local a, b = f(v), g(v)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return nil end
    if ta == "number" then return cmp(a, b) end
    if ta == "string" then
      local less = value.string_less()
      if op == "lt" then return less(a, b) end
      if op == "gt" then return less(b, a) end
      if op == "lte" then return not less(b, a) end
      return not less(a, b)
    end
    return nil
  end
end

local function make_multi_list(items)
  local fns, n = {}, #items
  for i = 1, n do fns[i] = compile(items[i]) end
  return function(v)
    if v == nil then return nil end
    local out = {}
    for i = 1, n do
      local r = fns[i](v)
      if r == nil then r = null end
      out[i] = r
    end
    return setmetatable(out, array_mt)
  end
end

local function make_multi_hash(keys, values)
  local fns, n = {}, #keys
  for i = 1, n do fns[i] = compile(values[i]) end
  return function(v)
    if v == nil then return nil end
    local out = {}
    for i = 1, n do
      local r = fns[i](v)
      if r == nil then r = null end
      out[keys[i]] = r
    end
    return setmetatable(out, object_mt)
  end
end

local function make_call(node)
  local args = {}
  for i, a in ipairs(node.args) do args[i] = compile(a) end
  return functions.bind(node.name, args)
end

local builders = {
  current = function() return identity end,
  field = function(node) return make_field(node.name) end,
  literal = function(node)
    local c = node.value
    if c == null then c = nil end
    return function() return c end
  end,
  chain = function(node) return make_chain(node.children) end,
  index = function(node) return make_index(node.index) end,
  slice = function(node) return make_slice(node.start, node.stop, node.step) end,
  projection = function(node)
    return make_projection(compile(node.left), compile(node.right), node.string_slice)
  end,
  value_projection = function(node)
    return make_value_projection(compile(node.left), compile(node.right))
  end,
  filter_projection = function(node)
    return make_filter_projection(compile(node.left), compile(node.right), compile(node.cond))
  end,
  flatten = function(node) return make_flatten(compile(node.child)) end,
  comparator = make_comparator,
  ["or"] = function(node)
    local f, g = compile(node.left), compile(node.right)
    return function(v)
      local a = f(v)
      if truthy(a) then return a end
      return g(v)
    end
  end,
  ["and"] = function(node)
    local f, g = compile(node.left), compile(node.right)
    return function(v)
      local a = f(v)
      if not truthy(a) then return a end
      return g(v)
    end
  end,
  ["not"] = function(node)
    local f = compile(node.child)
    return function(v) return not truthy(f(v)) end
  end,
  pipe = function(node)
    local f, g = compile(node.left), compile(node.right)
    return function(v) return g(f(v)) end
  end,
  multi_list = function(node) return make_multi_list(node.items) end,
  multi_hash = function(node) return make_multi_hash(node.keys, node.values) end,
  call = make_call,
  expref = function(node)
    local ref = setmetatable({ fn = compile(node.child) }, expref_mt)
    return function() return ref end
  end,
}

compile = function(node)
  local b = builders[node.type]
  if b == nil then errors.raise("syntax", "internal: unknown node %s", node.type) end
  return b(node)
end

-- compile(ast): fn(value) -> result (nil for null).
compiler.compile = compile

return compiler
