-- An EC2 security group (its rules are a security_group_rules step each
-- way, so that a rule change never replaces the group).
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function by_id(id)
  local r = lookup(aws.ec2.describe_security_groups, { GroupIds = { id } }, { "InvalidGroup.NotFound" })
  return r and r.SecurityGroups[1]
end

return T.define{
  kind = "security_group",
  doc = "an EC2 security group in a VPC",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the group's name (unique in the VPC)" },
    { "description", "string", required = true, replace = true, doc = "what it is for (EC2 never changes it)" },
    { "vpc", "string", required = true, replace = true, doc = "the VPC id" },
  },
  name_field = "name", name_max = 255,
  find = function(props)
    local g = aws.ec2.describe_security_groups{ Filters = {
      { Name = "group-name", Values = { props.name } }, { Name = "vpc-id", Values = { props.vpc } } } }.SecurityGroups[1]
    return g and { id = g.GroupId, name = g.GroupName }
  end,
  read = function(result)
    local g = by_id(result.id)
    return g and { name = g.GroupName, description = g.Description, vpc = g.VpcId }
  end,
  create = function(props, ctx)
    local id = aws.ec2.create_security_group{
      GroupName = props.name, Description = props.description, VpcId = props.vpc,
      TagSpecifications = { { ResourceType = "security-group", Tags = ctx.tags } },
    }.GroupId
    return { id = id, name = props.name }
  end,
  -- network interfaces of load balancers and tasks let go of it slowly
  undo = function(r)
    return { { call = "ec2.delete_security_group", params = { GroupId = r.id },
               retry_on = { "DependencyViolation" }, timeout = 900 } }
  end,
  id = function(r) return r.id end,
}
