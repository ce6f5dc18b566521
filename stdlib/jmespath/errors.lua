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

-- kind(err): the kind of a JMESPath error message, or nil for anything else.
function errors.kind(err)
  if type(err) ~= "string" then return nil end
  local k = err:match("^([%a%-]+): ")
  if k and KINDS[k] then return k end
  return nil
end

return errors
