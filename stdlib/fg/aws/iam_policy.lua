-- A customer managed IAM policy. New statements are a new default version;
-- the older versions are removed (IAM keeps at most five).
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call
local account = require "fg.account"
local policy_document = require "fg.aws.policy_document"

local function arn_of(name) return account.arn{ service = "iam", resource = "policy/" .. name } end

local function get(arn)
  local r = lookup(aws.iam.get_policy, { PolicyArn = arn }, { "NoSuchEntity" })
  return r and r.Policy
end

return T.define{
  kind = "iam_policy",
  doc = "a customer managed IAM policy",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the policy's name (unique in the account)" },
    { "statements", "list", required = true, update = "iam.create_policy_version", check = policy_document.check,
      normalize = policy_document.normalize,
      doc = "{ { actions = {...}, resources = { ARNs }, effect =, conditions = } }" },
    { "description", "string", replace = true, doc = "what it is for (IAM never changes it)" },
  },
  name_field = "name", name_max = 128,
  find = function(props)
    local p = get(arn_of(props.name))
    return p and { name = p.PolicyName, arn = p.Arn }
  end,
  read = function(result)
    local p = get(result.arn)
    if not p then return nil end
    local v = aws.iam.get_policy_version{ PolicyArn = p.Arn, VersionId = p.DefaultVersionId }.PolicyVersion
    local description = p.Description
    if description == "" then description = nil end
    return { name = p.PolicyName, statements = policy_document.statements(v.Document), description = description }
  end,
  create = function(props, ctx)
    local p = aws.iam.create_policy{ PolicyName = props.name,
                                     PolicyDocument = policy_document.document(props.statements),
                                     Description = props.description, Tags = ctx.tags }.Policy
    return { name = p.PolicyName, arn = p.Arn }
  end,
  update = function(props, result)
    local new = aws.iam.create_policy_version{ PolicyArn = result.arn, SetAsDefault = true,
                                               PolicyDocument = policy_document.document(props.statements) }.PolicyVersion.VersionId
    for _, v in ipairs(aws.iam.all("list_policy_versions", { PolicyArn = result.arn }).Versions) do
      if v.VersionId ~= new and not v.IsDefaultVersion then
        aws.iam.delete_policy_version{ PolicyArn = result.arn, VersionId = v.VersionId }
      end
    end
    return result
  end,
  undo = function(r)
    return { { call = "iam.delete_policy", params = { PolicyArn = r.arn }, retry_on = { "DeleteConflict" }, timeout = 60 } }
  end,
  id = function(r) return r.name end,
}
