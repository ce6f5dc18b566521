-- A containerized service on AWS Fargate behind an Application Load Balancer.
--
--   fgrun [--env NAME] [-D key=value ...] recipes/fargate_alb.lua   deploy or update
--   fgrun [--env NAME] recipes/fargate_alb.lua status | url | logs [-f]
--   fgrun [--env NAME] --destroy recipes/fargate_alb.lua            remove it all
--
-- Every resource is a step: fgrun records what each one created and how to
-- remove it, so a failure rolls back, a re-run changes only what changed,
-- and --destroy needs nothing else. Edit freely: it is plain Lua.
local fg = require "fg"
local aws = require "aws"
local json = require "json"
local fgrun = require "fgrun"

local p = fg.params{
  app_dir = "app",                     -- the service's build context, beside this file
  image = fg.optional "string",        -- deploy this image instead of building app_dir
  version = "v1.0",                    -- image tag, besides "latest"
  container_port = 3000,
  cpu = "256", memory = "512",         -- a Fargate size: 0.25 vCPU, 512 MiB
  desired_count = 3,
  min_capacity = 2, max_capacity = 10, -- auto scaling bounds
  cpu_target = 70.0, memory_target = 80.0,
  spot = false,                        -- FARGATE_SPOT capacity strategy instead of the FARGATE launch type
  vpc_id = fg.optional "string",       -- default: the region's default VPC
  subnet_ids = fg.optional "table",    -- default: its default subnets, one per zone
  secrets = fg.optional "table",       -- { NAME = "<Secrets Manager ARN>" } into the container
  fail_on_severity = fg.optional "string", -- e.g. "CRITICAL": stop when the image scan finds that or worse
  log_retention_days = 7,
  health_check_path = "/health",
  smoke_test = true,                   -- run the image here and probe it before pushing
  platform = "x86_64",                 -- the tasks' CPU architecture (or arm64); the image is built for it
  deploy_timeout = 900,
}

local d = fg.deployment("fargate-alb")
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local region = fg.region()

local lookup, code_of = fg.lookup, fg.error_code

-- ---- before anything is created: what the caller may do -------------------

local caller = d:read("caller", fg.caller) -- its account and partition, for ARNs
local SERVICE_ROLES = { "ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com" }
local function roles(prefix)
  return fg.arn{ service = "iam", account = caller.account, partition = caller.partition, resource = "role/" .. prefix .. "-*" }
end
fg.preflight(d, {
  needs = {
    { action = "iam:PassRole", resource = roles("ecsTaskExecutionRole"), why = "ECS pulls the image and writes logs with it" },
    { action = "iam:PassRole", resource = roles("ecsTaskRole"), why = "the tasks run with it" },
    { action = "secretsmanager:GetRandomPassword", why = "the random suffix of the names" },
  },
  tagging = { "ecs", "elasticloadbalancing", "ec2", "iam", "ecr", "logs" },
  service_linked_roles = SERVICE_ROLES,
  caller = caller,
})

-- ---- names -----------------------------------------------------------------

local suffix = d:value("suffix", function()
  return aws.secretsmanager.get_random_password{
    PasswordLength = 6, ExcludePunctuation = true, ExcludeUppercase = true,
    RequireEachIncludedType = true,
  }.RandomPassword
end)

local names = {
  cluster = "fargate-cluster-" .. suffix,
  service = "fargate-service-" .. suffix,
  family = "fargate-task-" .. suffix,
  repository = "fargate-demo-" .. suffix,
  alb = "fargate-alb-" .. suffix,
  target_group = "fargate-tg-" .. suffix,
  task_sg = "fargate-sg-" .. suffix,
  alb_sg = "fargate-alb-" .. suffix .. "-sg",
  execution_role = "ecsTaskExecutionRole-" .. suffix,
  task_role = "ecsTaskRole-" .. suffix,
  task_policy = "ecsTaskRole-" .. suffix .. "-Policy",
  log_group = "/ecs/fargate-task-" .. suffix,
  container = "fargate-demo-container",
}

-- ---- network: one subnet per zone, two zones unless subnet_ids says ------

local net = d:read("network", function() return fg.network{ vpc_id = p.vpc_id, subnet_ids = p.subnet_ids } end)
local vpc, subnets = net.vpc, net.subnets

-- ---- the image: built and tried here before anything is created ---------

local app = not p.image and fg.image.build(d, {
  context = p.app_dir:sub(1, 1) == "/" and p.app_dir or (here .. "/" .. p.app_dir),
  platform = p.platform,
  smoke_test = p.smoke_test and { port = p.container_port, path = p.health_check_path },
})

-- the account's service-linked roles of ECS and its auto scaling, made or
-- awaited once the image is known to work
fg.service_linked_roles(d, SERVICE_ROLES)

-- ---- image repository --------------------------------------------------------

local repository = d:step("repository", {
  inputs = { name = names.repository },
  find = function(i)
    local r = lookup(aws.ecr.describe_repositories, { repositoryNames = { i.name } }, { "RepositoryNotFoundException" })
    r = r and r.repositories[1]
    return r and { name = r.repositoryName, uri = r.repositoryUri }
  end,
  create = function(i, ctx)
    local r = aws.ecr.create_repository{
      repositoryName = i.name, tags = ctx.tags,
      imageScanningConfiguration = { scanOnPush = true },
      encryptionConfiguration = { encryptionType = "AES256" },
    }.repository
    return { name = r.repositoryName, uri = r.repositoryUri }
  end,
  undo = function(r)
    return { { call = "ecr.delete_repository", params = { repositoryName = r.name, force = true } } }
  end,
  id = function(r) return r.uri end,
})

-- pushed, scanned, and deployed by digest
local pushed = app and fg.image.push(d, app, repository, { tags = { p.version, "latest" },
                                                          fail_on_severity = p.fail_on_severity })
local image = pushed and pushed.image or p.image

-- ---- security groups -------------------------------------------------------

local function find_group(i)
  local g = aws.ec2.describe_security_groups{ Filters = {
    { Name = "group-name", Values = { i.name } }, { Name = "vpc-id", Values = { i.vpc } } } }.SecurityGroups[1]
  return g and { id = g.GroupId, name = g.GroupName }
end

local function security_group(step, name, description)
  return d:step(step, {
    inputs = { name = name, vpc = vpc },
    find = find_group,
    create = function(i, ctx)
      local id = aws.ec2.create_security_group{
        GroupName = i.name, Description = description, VpcId = i.vpc,
        TagSpecifications = { { ResourceType = "security-group", Tags = ctx.tags } },
      }.GroupId
      return { id = id, name = i.name }
    end,
    -- network interfaces of the load balancer and tasks drain for a while
    undo = function(r)
      return { { call = "ec2.delete_security_group", params = { GroupId = r.id },
                 retry_on = { "DependencyViolation" }, timeout = 900 } }
    end,
    id = function(r) return r.id end,
  })
end

local function tcp(port, source)
  local rule = { IpProtocol = "tcp", FromPort = port, ToPort = port }
  if source:match("^sg%-") then rule.UserIdGroupPairs = { { GroupId = source } }
  else rule.IpRanges = { { CidrIp = source } } end
  return rule
end

-- Rules are steps of their own: each one call to make, one to take back.
local function rules(step, group, direction, permissions, revoke_default)
  local authorize = "authorize_security_group_" .. direction
  local revoke = "revoke_security_group_" .. direction
  local all_traffic = { { IpProtocol = "-1", IpRanges = { { CidrIp = "0.0.0.0/0" } } } }
  local function has(granted, want)
    for _, g in ipairs(granted) do
      local pair = g.UserIdGroupPairs and g.UserIdGroupPairs[1]
      local range = g.IpRanges and g.IpRanges[1]
      if g.IpProtocol == want.IpProtocol and g.FromPort == want.FromPort and g.ToPort == want.ToPort
          and ((want.UserIdGroupPairs and pair and pair.GroupId == want.UserIdGroupPairs[1].GroupId)
            or (want.IpRanges and range and range.CidrIp == want.IpRanges[1].CidrIp)) then
        return true
      end
    end
  end
  return d:step(step, {
    inputs = { group = group.id, permissions = permissions, revoke_default = revoke_default or false },
    find = function(i)
      local r = lookup(aws.ec2.describe_security_groups, { GroupIds = { i.group } }, { "InvalidGroup.NotFound" })
      local g = r and r.SecurityGroups[1]
      if not g then return nil end
      local granted = direction == "ingress" and g.IpPermissions or g.IpPermissionsEgress
      for _, want in ipairs(i.permissions) do
        if not has(granted, want) then return nil end
      end
      return { group = i.group, permissions = i.permissions }
    end,
    create = function(i)
      if i.revoke_default then
        local ok, err = pcall(aws.ec2[revoke], { GroupId = i.group, IpPermissions = all_traffic })
        if not ok and code_of(err) ~= "InvalidPermission.NotFound" then error(err, 0) end
      end
      local ok, err = pcall(aws.ec2[authorize], { GroupId = i.group, IpPermissions = i.permissions })
      if not ok and code_of(err) ~= "InvalidPermission.Duplicate" then error(err, 0) end
      return { group = i.group, permissions = i.permissions }
    end,
    undo = function(r)
      return { { call = "ec2." .. revoke, params = { GroupId = r.group, IpPermissions = r.permissions },
                 gone = { "InvalidGroup.NotFound" } } }
    end,
    id = function(r) return r.group end,
  })
end

local alb_sg = security_group("alb_security_group", names.alb_sg, "Load balancer of " .. names.service)
rules("alb_ingress", alb_sg, "ingress", { tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0") })
local task_sg = security_group("task_security_group", names.task_sg, "Fargate tasks of " .. names.service)
rules("task_ingress", task_sg, "ingress", { tcp(p.container_port, alb_sg.id) })
-- egress: HTTPS and HTTP only, instead of the default allow-all rule
rules("task_egress", task_sg, "egress", { tcp(443, "0.0.0.0/0"), tcp(80, "0.0.0.0/0") }, true)

-- ---- IAM -------------------------------------------------------------------

local TRUST = {
  Version = "2012-10-17",
  Statement = { { Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" } },
}

local function role(step, name)
  return d:step(step, {
    inputs = { name = name },
    find = function(i)
      local r = lookup(aws.iam.get_role, { RoleName = i.name }, { "NoSuchEntity" })
      return r and { name = r.Role.RoleName, arn = r.Role.Arn }
    end,
    create = function(i, ctx)
      local r = aws.iam.create_role{ RoleName = i.name, AssumeRolePolicyDocument = json.encode(TRUST), Tags = ctx.tags }.Role
      return { name = r.RoleName, arn = r.Arn }
    end,
    undo = function(r)
      return { { call = "iam.delete_role", params = { RoleName = r.name }, retry_on = { "DeleteConflict" }, timeout = 60 } }
    end,
    id = function(r) return r.name end,
  })
end

local function attachment(step, role_name, policy_arn)
  return d:step(step, {
    inputs = { role = role_name, policy = policy_arn },
    find = function(i)
      for _, a in ipairs(aws.iam.all("list_attached_role_policies", { RoleName = i.role }).AttachedPolicies) do
        if a.PolicyArn == i.policy then return { role = i.role, policy = i.policy } end
      end
    end,
    create = function(i)
      aws.iam.attach_role_policy{ RoleName = i.role, PolicyArn = i.policy }
      return { role = i.role, policy = i.policy }
    end,
    undo = function(r)
      return { { call = "iam.detach_role_policy", params = { RoleName = r.role, PolicyArn = r.policy } } }
    end,
    id = function(r) return r.policy:match("[^/]+$") end,
  })
end

local execution_role = role("execution_role", names.execution_role)
attachment("execution_role_policy", execution_role.name,
  fg.arn{ service = "iam", account = "aws", partition = caller.partition,
          resource = "policy/service-role/AmazonECSTaskExecutionRolePolicy" })

-- Read access for exactly the secrets the container gets.
local secret_arns = {}
for _, arn in pairs(p.secrets or {}) do secret_arns[#secret_arns + 1] = arn end
table.sort(secret_arns)
if #secret_arns > 0 then
  d:step("execution_role_secrets", {
    inputs = { role = execution_role.name, secrets = secret_arns },
    find = function(i)
      local r = lookup(aws.iam.get_role_policy, { RoleName = i.role, PolicyName = "read-secrets" }, { "NoSuchEntity" })
      return r and { role = i.role, secrets = i.secrets } or nil
    end,
    create = function(i)
      aws.iam.put_role_policy{ RoleName = i.role, PolicyName = "read-secrets", PolicyDocument = json.encode{
        Version = "2012-10-17",
        Statement = { { Effect = "Allow", Action = { "secretsmanager:GetSecretValue" }, Resource = i.secrets } },
      } }
      return { role = i.role, secrets = i.secrets }
    end,
    update = function(i) return d.specs.execution_role_secrets.create(i) end,
    undo = function(r)
      return { { call = "iam.delete_role_policy", params = { RoleName = r.role, PolicyName = "read-secrets" } } }
    end,
  })
end

local task_policy = d:step("task_policy", {
  inputs = { name = names.task_policy },
  find = function(i)
    local arn = fg.arn{ service = "iam", account = caller.account, partition = caller.partition, resource = "policy/" .. i.name }
    local r = lookup(aws.iam.get_policy, { PolicyArn = arn }, { "NoSuchEntity" })
    return r and { name = i.name, arn = r.Policy.Arn }
  end,
  create = function(i, ctx)
    local r = aws.iam.create_policy{ PolicyName = i.name, Tags = ctx.tags, PolicyDocument = json.encode{
      Version = "2012-10-17",
      Statement = { { Effect = "Allow", Resource = "*",
                      Action = { "logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData" } } },
    } }.Policy
    return { name = r.PolicyName, arn = r.Arn }
  end,
  undo = function(r)
    return { { call = "iam.delete_policy", params = { PolicyArn = r.arn }, retry_on = { "DeleteConflict" }, timeout = 60 } }
  end,
  id = function(r) return r.name end,
})
local task_role = role("task_role", names.task_role)
attachment("task_role_policy", task_role.name, task_policy.arn)

-- ---- cluster, logs, task definition -----------------------------------------

local cluster = d:step("cluster", {
  inputs = { name = names.cluster },
  find = function(i)
    local c = aws.ecs.describe_clusters{ clusters = { i.name } }.clusters[1]
    return c and c.status == "ACTIVE" and { name = c.clusterName, arn = c.clusterArn } or nil
  end,
  create = function(i, ctx)
    -- ECS may not yet be able to assume its service-linked role
    local c = fg.retry(function() return aws.ecs.create_cluster{
      clusterName = i.name, tags = ctx.tags_lower,
      capacityProviders = { "FARGATE", "FARGATE_SPOT" },
      defaultCapacityProviderStrategy = {
        { capacityProvider = "FARGATE", weight = 1, base = 1 },
        { capacityProvider = "FARGATE_SPOT", weight = 4 },
      },
    }.cluster end, { on = fg.service_role_not_ready, timeout = 120, what = "create_cluster (service-linked role)" })
    return { name = c.clusterName, arn = c.clusterArn }
  end,
  undo = function(r)
    return { { call = "ecs.delete_cluster", params = { cluster = r.arn },
               retry_on = { "ClusterContainsServicesException", "ClusterContainsTasksException" }, timeout = 600 } }
  end,
  id = function(r) return r.name end,
})

local function find_log_group(name)
  for _, g in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = name }.logGroups) do
    if g.logGroupName == name then return g end
  end
end

local log_group = d:step("log_group", {
  inputs = { name = names.log_group },
  find = function(i) return find_log_group(i.name) and { name = i.name } or nil end,
  create = function(i, ctx)
    aws.logs.create_log_group{ logGroupName = i.name, tags = ctx.tag_map }
    return { name = i.name }
  end,
  undo = function(r) return { { call = "logs.delete_log_group", params = { logGroupName = r.name } } } end,
  id = function(r) return r.name end,
})

-- CreateLogGroup takes no retention: it is a policy of its own.
d:step("log_retention", {
  inputs = { group = log_group.name, days = p.log_retention_days },
  find = function(i)
    local g = find_log_group(i.group)
    return g and g.retentionInDays == i.days and { group = i.group, days = i.days } or nil
  end,
  create = function(i)
    aws.logs.put_retention_policy{ logGroupName = i.group, retentionInDays = i.days }
    return { group = i.group, days = i.days }
  end,
  update = function(i) return d.specs.log_retention.create(i) end,
  undo = function(r) return { { call = "logs.delete_retention_policy", params = { logGroupName = r.group } } } end,
  id = function(r) return r.days .. " days" end,
})

local function container_secrets()
  local list = {}
  for name, arn in pairs(p.secrets or {}) do list[#list + 1] = { name = name, valueFrom = arn } end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

local function register_task_definition(i, ctx)
  local container = {
    name = names.container, image = i.image, essential = true,
    portMappings = { { containerPort = i.port, protocol = "tcp" } },
    environment = { { name = "PORT", value = tostring(i.port) }, { name = "APP_ENV", value = fgrun.options.env or "default" } },
    logConfiguration = { logDriver = "awslogs", options = {
      ["awslogs-group"] = i.log_group, ["awslogs-region"] = region, ["awslogs-stream-prefix"] = "ecs" } },
    -- there is no shell or curl in the image: the binary checks itself
    healthCheck = { command = { "CMD", "/fgrun-demo-app", "--healthcheck" },
                    interval = 30, timeout = 5, retries = 3, startPeriod = 60 },
  }
  if #i.secrets > 0 then container.secrets = i.secrets end
  return aws.ecs.register_task_definition{
    family = i.family, networkMode = "awsvpc", requiresCompatibilities = { "FARGATE" },
    cpu = i.cpu, memory = i.memory,
    runtimePlatform = { cpuArchitecture = i.architecture, operatingSystemFamily = "LINUX" },
    executionRoleArn = i.execution_role, taskRoleArn = i.task_role,
    containerDefinitions = { container }, tags = ctx.tags_lower,
  }.taskDefinition.taskDefinitionArn
end

local function active_revisions(family)
  return aws.ecs.all("list_task_definitions", { familyPrefix = family, status = "ACTIVE" }).taskDefinitionArns
end

local task_definition = d:step("task_definition", {
  inputs = {
    family = names.family, image = image, port = p.container_port, cpu = p.cpu, memory = p.memory,
    architecture = fg.image.platform(p.platform).ecs,
    log_group = log_group.name, execution_role = execution_role.arn, task_role = task_role.arn,
    secrets = container_secrets(),
  },
  find = function(i)
    local r = lookup(aws.ecs.describe_task_definition, { taskDefinition = i.family }, { "ClientException" })
    local td = r and r.taskDefinition
    if td and td.status == "ACTIVE" and td.containerDefinitions[1].image == i.image then
      return { arn = td.taskDefinitionArn, revisions = active_revisions(i.family) }
    end
  end,
  -- Every active revision of the family is recorded for removal: a retried
  -- RegisterTaskDefinition whose first answer was lost made one more.
  create = function(i, ctx)
    return { arn = register_task_definition(i, ctx), revisions = active_revisions(i.family) }
  end,
  -- a new revision; the older ones stay registered for the service's rollback
  update = function(i, _, ctx)
    return { arn = register_task_definition(i, ctx), revisions = active_revisions(i.family) }
  end,
  undo = function(r)
    local list = {}
    for _, arn in ipairs(r.revisions) do
      list[#list + 1] = { call = "ecs.deregister_task_definition", params = { taskDefinition = arn }, gone = { "ClientException" } }
    end
    return list
  end,
  id = function(r) return r.arn:match("[^/]+$") end,
})

-- ---- load balancer -----------------------------------------------------------

local load_balancer = d:step("load_balancer", {
  inputs = { name = names.alb, subnets = subnets, security_group = alb_sg.id },
  find = function(i)
    local r = lookup(aws.elbv2.describe_load_balancers, { Names = { i.name } }, { "LoadBalancerNotFound" })
    local lb = r and r.LoadBalancers[1]
    return lb and { name = i.name, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  create = function(i, ctx)
    local lb = aws.elbv2.create_load_balancer{
      Name = i.name, Subnets = i.subnets, SecurityGroups = { i.security_group },
      Scheme = "internet-facing", Type = "application", IpAddressType = "ipv4", Tags = ctx.tags,
    }.LoadBalancers[1]
    aws.elbv2.wait("load_balancer_available", { LoadBalancerArns = { lb.LoadBalancerArn } },
      { timeout = 600, what = "load balancer " .. i.name })
    return { name = i.name, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  undo = function(r)
    return {
      { call = "elbv2.delete_load_balancer", params = { LoadBalancerArn = r.arn } },
      { wait = "elbv2.load_balancers_deleted", params = { LoadBalancerArns = { r.arn } }, timeout = 600 },
    }
  end,
  id = function(r) return r.dns end,
})

local target_group = d:step("target_group", {
  inputs = { name = names.target_group, port = p.container_port, vpc = vpc, path = p.health_check_path },
  find = function(i)
    local r = lookup(aws.elbv2.describe_target_groups, { Names = { i.name } }, { "TargetGroupNotFound" })
    local tg = r and r.TargetGroups[1]
    return tg and { name = i.name, arn = tg.TargetGroupArn }
  end,
  create = function(i, ctx)
    local tg = aws.elbv2.create_target_group{
      Name = i.name, Protocol = "HTTP", Port = i.port, VpcId = i.vpc, TargetType = "ip", Tags = ctx.tags,
      HealthCheckEnabled = true, HealthCheckPath = i.path, HealthCheckIntervalSeconds = 30,
      HealthCheckTimeoutSeconds = 5, HealthyThresholdCount = 2, UnhealthyThresholdCount = 3,
      Matcher = { HttpCode = "200" },
    }.TargetGroups[1]
    return { name = i.name, arn = tg.TargetGroupArn }
  end,
  undo = function(r)
    return { { call = "elbv2.delete_target_group", params = { TargetGroupArn = r.arn },
               retry_on = { "ResourceInUse" }, timeout = 300 } }
  end,
  id = function(r) return r.name end,
})

local listener = d:step("listener", {
  inputs = { load_balancer = load_balancer.arn, target_group = target_group.arn },
  find = function(i)
    for _, l in ipairs(aws.elbv2.describe_listeners{ LoadBalancerArn = i.load_balancer }.Listeners) do
      if l.Port == 80 then return { arn = l.ListenerArn } end
    end
  end,
  create = function(i, ctx)
    local l = aws.elbv2.create_listener{
      LoadBalancerArn = i.load_balancer, Protocol = "HTTP", Port = 80, Tags = ctx.tags,
      DefaultActions = { { Type = "forward", TargetGroupArn = i.target_group } },
    }.Listeners[1]
    return { arn = l.ListenerArn }
  end,
  undo = function(r) return { { call = "elbv2.delete_listener", params = { ListenerArn = r.arn } } } end,
  id = function(r) return r.arn:match("[^/]+/[^/]+$") end,
})

-- ---- the service -------------------------------------------------------------

-- ECS may not yet be able to assume a role that IAM just made.
local function role_not_ready(err)
  return code_of(err) == "InvalidParameterException" and tostring(err.message):lower():find("role") ~= nil
end

local function wait_deployed(i, task_definition_arn)
  fg.wait_for_deployment{ cluster = i.cluster, service = i.name, task_definition = task_definition_arn,
                          timeout = p.deploy_timeout }
end

local service = d:step("service", {
  inputs = {
    name = names.service, cluster = cluster.name, task_definition = task_definition.arn,
    desired_count = p.desired_count, spot = p.spot, subnets = subnets, security_group = task_sg.id,
    target_group = target_group.arn, port = p.container_port, listener = listener.arn,
  },
  find = function(i)
    local s = aws.ecs.describe_services{ cluster = i.cluster, services = { i.name } }.services[1]
    return s and s.status ~= "INACTIVE" and { name = s.serviceName, arn = s.serviceArn, cluster = i.cluster } or nil
  end,
  create = function(i, ctx)
    local request = {
      cluster = i.cluster, serviceName = i.name, taskDefinition = i.task_definition,
      desiredCount = i.desired_count, platformVersion = "LATEST", clientToken = ctx.token,
      networkConfiguration = { awsvpcConfiguration = {
        subnets = i.subnets, securityGroups = { i.security_group }, assignPublicIp = "ENABLED" } },
      loadBalancers = { { targetGroupArn = i.target_group, containerName = names.container, containerPort = i.port } },
      healthCheckGracePeriodSeconds = 120,
      deploymentConfiguration = { maximumPercent = 200, minimumHealthyPercent = 50,
                                  deploymentCircuitBreaker = { enable = true, rollback = true } },
      enableExecuteCommand = true, tags = ctx.tags_lower, propagateTags = "SERVICE",
    }
    if i.spot then
      request.capacityProviderStrategy = { { capacityProvider = "FARGATE_SPOT", weight = 1 } }
    else
      request.launchType = "FARGATE"
    end
    local s = fg.retry(function() return aws.ecs.create_service(request).service end,
      { on = role_not_ready, timeout = 120, what = "create_service (IAM role propagation)" })
    wait_deployed(i, i.task_definition)
    return { name = s.serviceName, arn = s.serviceArn, cluster = i.cluster }
  end,
  update = function(i, previous)
    aws.ecs.update_service{ cluster = i.cluster, service = previous.name, taskDefinition = i.task_definition,
                            desiredCount = i.desired_count }
    wait_deployed(i, i.task_definition)
    return previous
  end,
  undo = function(r)
    return {
      { call = "ecs.update_service", params = { cluster = r.cluster, service = r.name, desiredCount = 0 },
        gone = { "ServiceNotActiveException" } },
      { call = "ecs.delete_service", params = { cluster = r.cluster, service = r.name, force = true },
        gone = { "ServiceNotActiveException" } },
      { wait = "ecs.services_inactive", params = { cluster = r.cluster, services = { r.name } }, timeout = 900 },
    }
  end,
  id = function(r) return r.name end,
})

-- ---- auto scaling ------------------------------------------------------------

local resource_id = ("service/%s/%s"):format(cluster.name, service.name)
local SCALING = { ServiceNamespace = "ecs", ScalableDimension = "ecs:service:DesiredCount" }

local function with_scaling(t)
  for k, v in pairs(SCALING) do t[k] = v end
  return t
end

d:step("scalable_target", {
  inputs = { resource = resource_id, min = p.min_capacity, max = p.max_capacity },
  find = function(i)
    local t = aws.application_autoscaling.describe_scalable_targets(with_scaling{ ResourceIds = { i.resource } }).ScalableTargets[1]
    return t and { resource = i.resource } or nil
  end,
  create = function(i)
    aws.application_autoscaling.register_scalable_target(with_scaling{
      ResourceId = i.resource, MinCapacity = i.min, MaxCapacity = i.max })
    return { resource = i.resource }
  end,
  update = function(i, _, ctx) return d.specs.scalable_target.create(i, ctx) end,
  undo = function(r)
    return { { call = "application_autoscaling.deregister_scalable_target", params = with_scaling{ ResourceId = r.resource },
               gone = { "ObjectNotFoundException", "ValidationException" } } }
  end,
  id = function(r) return r.resource end,
})

local function scaling_policy(step, metric, target)
  local name = ("%s-%s-scaling"):format(names.service, step:match("^(%a+)"))
  return d:step(step, {
    inputs = { resource = resource_id, name = name, metric = metric, target = target },
    find = function(i)
      for _, r in ipairs(aws.application_autoscaling.describe_scaling_policies(with_scaling{
        ResourceId = i.resource, PolicyNames = { i.name } }).ScalingPolicies) do
        if r.PolicyName == i.name then return { resource = i.resource, name = i.name, arn = r.PolicyARN } end
      end
    end,
    create = function(i)
      local arn = aws.application_autoscaling.put_scaling_policy(with_scaling{
        ResourceId = i.resource, PolicyName = i.name, PolicyType = "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration = {
          TargetValue = i.target, ScaleOutCooldown = 300, ScaleInCooldown = 300,
          PredefinedMetricSpecification = { PredefinedMetricType = i.metric },
        },
      }).PolicyARN
      return { resource = i.resource, name = i.name, arn = arn }
    end,
    update = function(i, _, ctx) return d.specs[step].create(i, ctx) end,
    undo = function(r)
      -- moto answers ValidationException where AWS says ObjectNotFoundException
      return { { call = "application_autoscaling.delete_scaling_policy",
                 params = with_scaling{ ResourceId = r.resource, PolicyName = r.name },
                 gone = { "ObjectNotFoundException", "ValidationException" } } }
    end,
    id = function(r) return r.name end,
  })
end

scaling_policy("cpu_scaling", "ECSServiceAverageCPUUtilization", p.cpu_target)
scaling_policy("memory_scaling", "ECSServiceAverageMemoryUtilization", p.memory_target)

-- ---- checks: they report, and never fail a deploy AWS says is healthy -------

d:output("url", "http://" .. load_balancer.dns)
d:output("service", service.arn)
d:output("image", image)

d:after_deploy(function()
  local http = require "http"
  local base = "http://" .. load_balancer.dns
  fg.say("checks:")
  fg.check("service", function()
    local s = aws.ecs.describe_services{ cluster = cluster.name, services = { service.name } }.services[1]
    return ("%s: %s, %d/%d running"):format(s.serviceName, s.status, s.runningCount, s.desiredCount)
  end)
  fg.check("tasks", function()
    local arns = aws.ecs.list_tasks{ cluster = cluster.name, serviceName = service.name }.taskArns
    local lines = {}
    for _, t in ipairs(#arns > 0 and aws.ecs.describe_tasks{ cluster = cluster.name, tasks = arns }.tasks or {}) do
      lines[#lines + 1] = ("%s %s/%s"):format(t.taskArn:match("[^/]+$"), t.lastStatus, t.healthStatus or "UNKNOWN")
    end
    return ("%d: %s"):format(#lines, table.concat(lines, ", "))
  end)
  fg.check("targets", function()
    local states = {}
    for _, t in ipairs(aws.elbv2.describe_target_health{ TargetGroupArn = target_group.arn }.TargetHealthDescriptions) do
      states[#states + 1] = t.Target.Id .. " " .. t.TargetHealth.State
    end
    return #states > 0 and table.concat(states, ", ") or "none registered yet"
  end)
  local reachable = fg.check("GET /health", function()
    return ("HTTP %d"):format(http.get(base .. "/health", { timeout = 5 }).status)
  end)
  if not reachable then
    fg.say("  HTTP checks skipped: %s cannot be reached from here", base)
  else
    for _, path in ipairs({ "/", "/metrics" }) do
      fg.check("GET " .. path, function()
        local r = http.get(base .. path, { timeout = 5 })
        return ("HTTP %d, %s"):format(r.status, pcall(json.decode, r.body) and "JSON" or "not JSON")
      end)
    end
    fg.check("20 requests", function()
      local spread, parts = {}, {}
      for _ = 1, 20 do
        local ok, r = pcall(http.get, base .. "/", { timeout = 5 })
        local got, body = false, nil
        if ok then got, body = pcall(json.decode, r.body) end
        local host = got and type(body) == "table" and type(body.container) == "table" and body.container.hostname
        host = host or (ok and ("HTTP " .. r.status) or "error")
        spread[host] = (spread[host] or 0) + 1
      end
      for host, n in pairs(spread) do parts[#parts + 1] = tostring(host) .. " " .. n end
      table.sort(parts)
      return ("over %d task(s): %s"):format(#parts, table.concat(parts, ", "))
    end)
  end
  fg.check("recent log events", function()
    local streams = aws.logs.describe_log_streams{ logGroupName = log_group.name, orderBy = "LastEventTime",
                                                    descending = true, limit = 1 }.logStreams
    if not streams[1] then return "no log streams yet in " .. log_group.name end
    local events = aws.logs.get_log_events{ logGroupName = log_group.name, logStreamName = streams[1].logStreamName,
                                            limit = 5 }.events
    local lines = { ("%d in %s"):format(#events, streams[1].logStreamName) }
    for _, e in ipairs(events) do lines[#lines + 1] = e.message end
    return table.concat(lines, " | ")
  end)
end)
