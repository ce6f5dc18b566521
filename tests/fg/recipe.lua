-- A small deployment of four dependent resources, for the fg tests:
-- a security group, an IAM role, a log group (updatable retention) and an
-- ECS cluster. fail_at / slow_at inject a failure or a stall right after a
-- step's create call, when the resource exists but is not yet recorded.
local fg = require "fg"
local aws = require "aws"
local fgrun = require "fgrun"

local p = fg.params{ name = "fgtest", retention = 7, fail_at = "", slow_at = "" }
local d = fg.deployment(p.name)
local suffix = d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)
local prefix = p.name .. "-" .. suffix

local function after_create(step)
  if p.fail_at == step then error("injected failure in " .. step, 0) end
  if p.slow_at == step then
    io.stdout:write("slow in ", step, "\n")
    io.stdout:flush()
    fgrun.sleep(60)
  end
end

local vpc = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs[1].VpcId

local sg = d:step("security_group", {
  inputs = { name = prefix .. "-sg", vpc = vpc },
  find = function(i)
    local g = aws.ec2.describe_security_groups{ Filters = {
      { Name = "group-name", Values = { i.name } }, { Name = "vpc-id", Values = { i.vpc } } } }.SecurityGroups[1]
    return g and { id = g.GroupId }
  end,
  create = function(i, ctx)
    local r = aws.ec2.create_security_group{ GroupName = i.name, Description = "fg test", VpcId = i.vpc,
      TagSpecifications = { { ResourceType = "security-group", Tags = ctx.tags } } }
    after_create("security_group")
    return { id = r.GroupId }
  end,
  undo = function(r)
    return { { call = "ec2.delete_security_group", params = { GroupId = r.id }, retry_on = { "DependencyViolation" } } }
  end,
  id = function(r) return r.id end,
})

local trust = [[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}]]
local role = d:step("role", {
  inputs = { name = prefix .. "-role", group = sg.id },
  find = function(i)
    local ok, r = pcall(aws.iam.get_role, { RoleName = i.name })
    if ok then return { name = r.Role.RoleName, arn = r.Role.Arn } end
    if r.code ~= "NoSuchEntity" then error(r, 0) end
  end,
  create = function(i, ctx)
    local r = aws.iam.create_role{ RoleName = i.name, AssumeRolePolicyDocument = trust, Tags = ctx.tags }
    after_create("role")
    return { name = r.Role.RoleName, arn = r.Role.Arn }
  end,
  undo = function(r) return { { call = "iam.delete_role", params = { RoleName = r.name } } } end,
  id = function(r) return r.name end,
})

local function log_group_named(name)
  for _, g in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = name }.logGroups) do
    if g.logGroupName == name then return g end
  end
end

local logs = d:step("log_group", {
  inputs = { name = "/fgtest/" .. prefix, retention = p.retention, role = role.name },
  find = function(i)
    local g = log_group_named(i.name)
    return g and { name = g.logGroupName, retention = g.retentionInDays }
  end,
  create = function(i, ctx)
    aws.logs.create_log_group{ logGroupName = i.name, tags = ctx.tag_map }
    after_create("log_group")
    aws.logs.put_retention_policy{ logGroupName = i.name, retentionInDays = i.retention }
    return { name = i.name, retention = i.retention }
  end,
  update = function(i, previous)
    aws.logs.put_retention_policy{ logGroupName = previous.name, retentionInDays = i.retention }
    after_create("log_group_update")
    return { name = previous.name, retention = i.retention }
  end,
  undo = function(r) return { { call = "logs.delete_log_group", params = { logGroupName = r.name } } } end,
  id = function(r) return r.name end,
})

local cluster = d:step("cluster", {
  inputs = { name = prefix .. "-cluster", log_group = logs.name },
  find = function(i)
    local c = aws.ecs.describe_clusters{ clusters = { i.name } }.clusters[1]
    if c and c.status == "ACTIVE" then return { name = c.clusterName, arn = c.clusterArn } end
  end,
  create = function(i, ctx)
    local c = aws.ecs.create_cluster{ clusterName = i.name, tags = ctx.tags_lower }.cluster
    after_create("cluster")
    return { name = c.clusterName, arn = c.clusterArn }
  end,
  undo = function(r) return { { call = "ecs.delete_cluster", params = { cluster = r.arn } } } end,
  id = function(r) return r.name end,
})

d:output("cluster", cluster.arn)
after_create("end")
