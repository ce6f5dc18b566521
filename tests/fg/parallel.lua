-- A deployment whose steps run at the same time, for tests/cli/fg_parallel.sh:
-- three log groups, a security group and a role that need nothing, a
-- cluster that reads the first log group (and waits in the background), a
-- security-group rule that reads the group and the role. moto answers at
-- once; `delay` after each create stands for AWS's own pace, so that
-- several steps are in flight together. fail_at injects a failure there.
local fg = require "fg"
local aws = require "aws"
local async = require "async"
local fgrun = require "fgrun"

local p = fg.params{ name = "fgpar", delay = 0.4, fail_at = "" }
local d = fg.deployment(p.name)
local suffix = d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)
local prefix = p.name .. "-" .. suffix

local function pace(step)
  async.sleep(p.delay)
  if p.fail_at == step then error("injected failure in " .. step, 0) end
end

local function log_group(step)
  return d:step(step, {
    inputs = { name = "/fgtest/" .. prefix .. "-" .. step },
    find = function(i)
      for _, g in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = i.name }.logGroups) do
        if g.logGroupName == i.name then return { name = i.name } end
      end
    end,
    create = function(i, ctx)
      aws.logs.create_log_group{ logGroupName = i.name, tags = ctx.tag_map }
      pace(step)
      return { name = i.name }
    end,
    undo = function(r) return { { call = "logs.delete_log_group", params = { logGroupName = r.name } } } end,
  })
end

local logs_a = log_group("logs_a")
log_group("logs_b")
log_group("logs_c")

local vpc = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs[1].VpcId
local sg = d:step("security_group", {
  inputs = { name = prefix .. "-sg", vpc = vpc },
  find = function(i)
    local g = aws.ec2.describe_security_groups{ Filters = {
      { Name = "group-name", Values = { i.name } }, { Name = "vpc-id", Values = { i.vpc } } } }.SecurityGroups[1]
    return g and { id = g.GroupId }
  end,
  create = function(i, ctx)
    local r = aws.ec2.create_security_group{ GroupName = i.name, Description = "fg parallel test", VpcId = i.vpc,
      TagSpecifications = { { ResourceType = "security-group", Tags = ctx.tags } } }
    pace("security_group")
    return { id = r.GroupId }
  end,
  undo = function(r)
    return { { call = "ec2.delete_security_group", params = { GroupId = r.id }, retry_on = { "DependencyViolation" } } }
  end,
})

local trust = [[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}]]
local role = d:step("role", {
  inputs = { name = prefix .. "-role" },
  find = function(i)
    local ok, r = pcall(aws.iam.get_role, { RoleName = i.name })
    if ok then return { name = r.Role.RoleName } end
    if r.code ~= "NoSuchEntity" then error(r, 0) end
  end,
  create = function(i, ctx)
    aws.iam.create_role{ RoleName = i.name, AssumeRolePolicyDocument = trust, Tags = ctx.tags }
    pace("role")
    return { name = i.name }
  end,
  undo = function(r) return { { call = "iam.delete_role", params = { RoleName = r.name } } } end,
})

local cluster = d:step("cluster", {
  inputs = { name = prefix .. "-cluster", log_group = logs_a.name },
  find = function(i)
    local c = aws.ecs.describe_clusters{ clusters = { i.name } }.clusters[1]
    if c and c.status == "ACTIVE" then return { name = c.clusterName, arn = c.clusterArn } end
  end,
  create = function(i, ctx)
    local c = aws.ecs.create_cluster{ clusterName = i.name, tags = ctx.tags_lower }.cluster
    pace("cluster")
    return { name = c.clusterName, arn = c.clusterArn }
  end,
  wait = function() pace("cluster_wait") end, -- becoming ready, in the background
  undo = function(r) return { { call = "ecs.delete_cluster", params = { cluster = r.arn } } } end,
})

-- The role's name in the rule's description: it reads two steps.
local rule = { IpProtocol = "tcp", FromPort = 8080, ToPort = 8080,
               IpRanges = { { CidrIp = "10.0.0.0/8", Description = "for " .. role.name } } }
d:step("ingress", {
  inputs = { group = sg.id, permissions = { rule } },
  find = function(i)
    local g = aws.ec2.describe_security_groups{ GroupIds = { i.group } }.SecurityGroups[1]
    for _, perm in ipairs(g and g.IpPermissions or {}) do
      if perm.FromPort == 8080 then return { group = i.group, permissions = i.permissions } end
    end
  end,
  create = function(i)
    aws.ec2.authorize_security_group_ingress{ GroupId = i.group, IpPermissions = i.permissions }
    pace("ingress")
    return { group = i.group, permissions = i.permissions }
  end,
  undo = function(r)
    return { { call = "ec2.revoke_security_group_ingress", params = { GroupId = r.group, IpPermissions = r.permissions },
               gone = { "InvalidGroup.NotFound" } } }
  end,
})

d:output("cluster", cluster.arn)
