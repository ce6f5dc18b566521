-- IAM policy statements as the types take them:
--   { { actions = { "s3:GetObject" }, resources = { "arn:aws:s3:::b/*" },
--       effect = "Allow" (the default), conditions = { StringEquals = {...} } } }
-- turned into a policy document, read back from one, and checked before
-- any call.
local T = require "fg.aws.type"

local policy_document = {}

local KEYS = { actions = true, resources = true, effect = true, conditions = true }

local function strings(v)
  if type(v) ~= "table" or #v == 0 then return false end
  for _, x in ipairs(v) do if type(x) ~= "string" or x == "" then return false end end
  return true
end

-- policy_document.check(statements) -> nil, or what is wrong.
function policy_document.check(statements)
  if #statements == 0 then return "at least one statement" end
  for i, s in ipairs(statements) do
    if type(s) ~= "table" then return ("statement %d must be a table"):format(i) end
    for k in pairs(s) do
      if not KEYS[k] then
        return ("statement %d: unknown key %q (actions, resources, effect, conditions)"):format(i, tostring(k))
      end
    end
    if not strings(s.actions) then return ("statement %d: actions must be a list of action names"):format(i) end
    if not strings(s.resources) then return ("statement %d: resources must be a list of ARNs"):format(i) end
    if s.effect ~= nil and s.effect ~= "Allow" and s.effect ~= "Deny" then
      return ("statement %d: effect must be Allow or Deny"):format(i)
    end
    for _, r in ipairs(s.resources) do
      if r ~= "*" and not r:match("^arn:") then return ("statement %d: %q is not an ARN"):format(i, r) end
    end
  end
end

-- policy_document.check_scoped(statements): check, and no resource may be
-- "*" or end in a wildcard that covers a whole service or account.
function policy_document.check_scoped(statements)
  local message = policy_document.check(statements)
  if message then return message end
  for i, s in ipairs(statements) do
    for _, r in ipairs(s.resources) do
      local resource = r:match("^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.*)$")
      if r == "*" or not resource or resource == "*" or resource == "" then
        return ("statement %d: resource %q names no resource; give the ARNs the application uses"):format(i, r)
      end
    end
  end
end

local function list_of(v)
  if type(v) == "string" then return { v } end
  return v
end

function policy_document.document(statements)
  local out = {}
  for i, s in ipairs(statements) do
    out[i] = { Effect = s.effect or "Allow", Action = s.actions, Resource = s.resources, Condition = s.conditions }
  end
  return { Version = "2012-10-17", Statement = out }
end

-- The statements of a policy document (as IAM returns it).
function policy_document.statements(doc)
  local out = {}
  for i, s in ipairs(type(doc) == "table" and doc.Statement or {}) do
    out[i] = { actions = list_of(s.Action), resources = list_of(s.Resource), effect = s.Effect, conditions = s.Condition }
  end
  return out
end

local function sorted(list) return T.sorted(list or {}) end

-- The comparison form: lists sorted, the default effect explicit.
function policy_document.normalize(statements)
  local out = {}
  for i, s in ipairs(statements) do
    out[i] = { actions = sorted(list_of(s.actions)), resources = sorted(list_of(s.resources)), effect = s.effect or "Allow",
               conditions = s.conditions }
  end
  return out
end

return policy_document
