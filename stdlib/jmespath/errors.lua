-- JMESPath errors: plain strings "<kind>: <message>", raised at level 0 so
-- no position prefix hides the kind. Kinds are those of the compliance
-- suite: syntax, invalid-type, invalid-value, invalid-arity,
-- unknown-function.

local errors = {}

local KINDS = {
  ["syntax"] = true,
  ["invalid-type"] = true,
  ["invalid-value"] = true,
  ["invalid-arity"] = true,
  ["unknown-function"] = true,
}

-- raise(kind, fmt, ...): never returns.
function errors.raise(kind, fmt, ...)
  error(kind .. ": " .. string.format(fmt, ...), 0)
end

-- The expression around byte pos, short enough for a one-line message.
local function excerpt(expr, pos)
  if #expr <= 80 then return string.format("%q", expr) end
  local from = math.max(1, pos - 40)
  local s = expr:sub(from, from + 79)
  return string.format("%s%q%s", from > 1 and "..." or "", s, from + 79 < #expr and "..." or "")
end

-- at(kind, expr, pos, what): raises "<kind>: <what> at column <pos> in <expr>".
function errors.at(kind, expr, pos, what)
  error(string.format("%s: %s at column %d in %s", kind, what, pos, excerpt(expr, pos)), 0)
end

-- kind(err): the kind of a JMESPath error message, or nil for anything else.
function errors.kind(err)
  if type(err) ~= "string" then return nil end
  local k = err:match("^([%a%-]+): ")
  if k and KINDS[k] then return k end
  return nil
end

return errors
