-- A managed policy (AWS's or a customer's) attached to a role.
local aws = require "aws"
local T = require "fg.aws.type"

local function attached(role, policy)
  local ok, r = pcall(aws.iam.all, "list_attached_role_policies", { RoleName = role })
  if not ok then
    if type(r) == "table" and r.code == "NoSuchEntity" then return false end
    error(r, 0)
  end
  for _, a in ipairs(r.AttachedPolicies) do
    if a.PolicyArn == policy then return true end
  end
  return false
end

return T.define{
  kind = "role_policy_attachment",
  doc = "a managed policy attached to an IAM role",
  fields = {
    { "role", "string", required = true, replace = true, doc = "the role's name" },
    { "policy_arn", "string", required = true, replace = true, doc = "the managed policy's ARN" },
  },
  find = function(props)
    return attached(props.role, props.policy_arn) and { role = props.role, policy_arn = props.policy_arn } or nil
  end,
  read = function(result)
    return attached(result.role, result.policy_arn) and { role = result.role, policy_arn = result.policy_arn } or nil
  end,
  create = function(props)
    aws.iam.attach_role_policy{ RoleName = props.role, PolicyArn = props.policy_arn }
    return { role = props.role, policy_arn = props.policy_arn }
  end,
  undo = function(r)
    return { { call = "iam.detach_role_policy", params = { RoleName = r.role, PolicyArn = r.policy_arn } } }
  end,
  id = function(r) return r.policy_arn:match("[^/]+$") end,
}
