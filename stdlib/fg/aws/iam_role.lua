-- An IAM role that an AWS service assumes (ECS tasks, say). Its trust
-- policy names the service and, when given, the account (and resources)
-- that may make the service assume it: aws:SourceAccount and
-- aws:SourceArn conditions against the confused deputy.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function trust_policy(props)
  local statement = { Effect = "Allow", Principal = { Service = props.service }, Action = "sts:AssumeRole" }
  if props.source_account or props.source_arn then
    statement.Condition = {}
    if props.source_account then
      statement.Condition.StringEquals = { ["aws:SourceAccount"] = props.source_account }
    end
    if props.source_arn then statement.Condition.ArnLike = { ["aws:SourceArn"] = props.source_arn } end
  end
  return { Version = "2012-10-17", Statement = { statement } }
end

-- The fields of a trust policy this type writes, or UNKNOWN for another shape.
local function trust_fields(doc)
  local s = type(doc) == "table" and type(doc.Statement) == "table" and doc.Statement
  s = s and #s == 1 and s[1]
  if not (s and s.Principal and type(s.Principal.Service) == "string") then
    return { service = T.UNKNOWN, source_account = T.UNKNOWN, source_arn = T.UNKNOWN }
  end
  local c = s.Condition or {}
  return { service = s.Principal.Service,
           source_account = c.StringEquals and c.StringEquals["aws:SourceAccount"],
           source_arn = c.ArnLike and c.ArnLike["aws:SourceArn"] }
end

local function get(name)
  local r = lookup(aws.iam.get_role, { RoleName = name }, { "NoSuchEntity" })
  return r and r.Role
end

local function check_account(v)
  if not v:match("^%d%d%d%d%d%d%d%d%d%d%d%d$") then return "an AWS account id is 12 digits" end
end

return T.define{
  kind = "iam_role",
  doc = "an IAM role assumed by an AWS service",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the role's name (unique in the account)" },
    { "service", "string", required = true, update = "iam.update_assume_role_policy",
      doc = "the service principal, e.g. ecs-tasks.amazonaws.com" },
    { "source_account", "string", update = "iam.update_assume_role_policy", check = check_account,
      doc = "only on behalf of this account (aws:SourceAccount)" },
    { "source_arn", "string", update = "iam.update_assume_role_policy",
      doc = "only on behalf of these resources (aws:SourceArn, wildcards allowed)" },
    { "description", "string", update = "iam.update_role", doc = "what the role is for" },
  },
  name_field = "name", name_max = 64,
  find = function(props)
    local r = get(props.name)
    return r and { name = r.RoleName, arn = r.Arn }
  end,
  read = function(result)
    local r = get(result.name)
    if not r then return nil end
    local live = trust_fields(r.AssumeRolePolicyDocument)
    live.name, live.description = r.RoleName, r.Description
    if live.description == "" then live.description = nil end
    return live
  end,
  create = function(props, ctx)
    local r = aws.iam.create_role{ RoleName = props.name, AssumeRolePolicyDocument = trust_policy(props),
                                   Description = props.description, Tags = ctx.tags }.Role
    return { name = r.RoleName, arn = r.Arn }
  end,
  update = function(props, result, changed)
    if changed.service or changed.source_account or changed.source_arn then
      aws.iam.update_assume_role_policy{ RoleName = result.name, PolicyDocument = trust_policy(props) }
    end
    if changed.description then
      aws.iam.update_role{ RoleName = result.name, Description = props.description or "" }
    end
    return result
  end,
  undo = function(r)
    return { { call = "iam.delete_role", params = { RoleName = r.name }, retry_on = { "DeleteConflict" }, timeout = 60 } }
  end,
  id = function(r) return r.name end,
}
