-- An inline policy of an IAM role.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call
local policy_document = require "fg.aws.policy_document"

local function get(role, name)
  local r = lookup(aws.iam.get_role_policy, { RoleName = role, PolicyName = name }, { "NoSuchEntity" })
  return r and r.PolicyDocument
end

return T.define{
  kind = "role_policy",
  doc = "an inline policy of an IAM role",
  fields = {
    { "role", "string", required = true, replace = true, doc = "the role's name" },
    { "name", "string", required = true, replace = true, doc = "the policy's name within the role" },
    { "statements", "list", required = true, update = "iam.put_role_policy", check = policy_document.check,
      normalize = policy_document.normalize,
      doc = "{ { actions = {...}, resources = { ARNs }, effect =, conditions = } }" },
  },
  find = function(props)
    return get(props.role, props.name) and { role = props.role, name = props.name } or nil
  end,
  read = function(result)
    local doc = get(result.role, result.name)
    return doc and { role = result.role, name = result.name, statements = policy_document.statements(doc) }
  end,
  create = function(props)
    aws.iam.put_role_policy{ RoleName = props.role, PolicyName = props.name,
                             PolicyDocument = policy_document.document(props.statements) }
    return { role = props.role, name = props.name }
  end,
  update = function(props, result)
    aws.iam.put_role_policy{ RoleName = result.role, PolicyName = result.name,
                             PolicyDocument = policy_document.document(props.statements) }
    return result
  end,
  undo = function(r)
    return { { call = "iam.delete_role_policy", params = { RoleName = r.role, PolicyName = r.name } } }
  end,
  id = function(r) return r.role .. "/" .. r.name end,
}
