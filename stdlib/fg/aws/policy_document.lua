-- IAM policy documents as the types take them: a table { Version =,
-- Statement = { { Effect =, Action =, Resource = } } }, checked before
-- any call and compared the way IAM keeps them (a one-element list and
-- its element are the same Action or Resource).
local policy_document = {}

function policy_document.check(doc)
  if type(doc.Statement) ~= "table" or #doc.Statement == 0 then
    return "a policy document needs a Statement list"
  end
  for i, s in ipairs(doc.Statement) do
    if s.Effect ~= "Allow" and s.Effect ~= "Deny" then return ("statement %d: Effect must be Allow or Deny"):format(i) end
    if s.Action == nil and s.NotAction == nil then return ("statement %d has no Action"):format(i) end
    if s.Resource == nil and s.NotResource == nil and s.Principal == nil then
      return ("statement %d has no Resource"):format(i)
    end
  end
end

local function as_list(v)
  if type(v) == "string" then return { v } end
  if type(v) ~= "table" then return v end
  local copy = {}
  for i, x in ipairs(v) do copy[i] = x end
  table.sort(copy)
  return copy
end

function policy_document.normalize(doc)
  local out = { Version = doc.Version or "2008-10-17", Statement = {} }
  for i, s in ipairs(doc.Statement or {}) do
    local c = {}
    for k, v in pairs(s) do c[k] = v end
    for _, k in ipairs({ "Action", "NotAction", "Resource", "NotResource" }) do c[k] = as_list(c[k]) end
    out.Statement[i] = c
  end
  return out
end

return policy_document
