-- "Call, and treat these error codes as absent": the read that a step's
-- find (and any look-up) makes, where "not there" is an answer, not an
-- error.
--
--   local r = fg.lookup(aws.iam.get_role, { RoleName = "x" }, { "NoSuchEntity" })
--   -- r is the answer, or nil when the error's code is one of those given;
--   -- any other error is raised as it is.
local lookup = {}

-- The code of an AWS error (nil for anything else).
function lookup.code(err)
  return type(err) == "table" and err.code or nil
end

function lookup.call(fn, params, absent)
  if type(fn) ~= "function" then error("fg.lookup(fn, params, codes): fn must be a client operation", 2) end
  if type(absent) ~= "table" then error("fg.lookup(fn, params, codes): codes must be a list of error codes", 2) end
  local ok, result = pcall(fn, params)
  if ok then return result end
  local code = lookup.code(result)
  for _, c in ipairs(absent) do
    if code == c then return nil end
  end
  error(result, 0)
end

return lookup
