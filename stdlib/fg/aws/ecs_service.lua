-- An ECS service on Fargate. Its update sends every field the type
-- manages (UpdateService changes only what it is given), with
-- forceNewDeployment when the capacity strategy changes (that change alone
-- starts no deployment), and never the desired count once a scalable
-- target owns it (Application Auto Scaling moves it; sending it would undo
-- a scale-out). It waits until the new deployment is complete, in the
-- background (what follows it, auto scaling, is set up meanwhile),
-- following a blue/green, canary or linear one stage by stage.
--
-- traffic_shift (fg/aws/deployment_strategy.lua) makes the service deploy
-- BLUE_GREEN, CANARY or LINEAR; each load balancer then names its
-- alternate target group, production listener rule, optional test
-- listener rule and the infrastructure role ECS moves the rules with
-- (its advancedConfiguration). Going back to ROLLING first brings
-- production traffic home to the primary target group when the last
-- deployment left it on the alternate one (one more deployment of the
-- running revision, made by ECS's own blue/green machinery), so that the
-- rolling deployments that follow fill the group the listener forwards to.
local aws = require "aws"
local json = require "json"
local fg_retry = require "fg.retry"
local deployments = require "fg.ecs.service_deployments"
local T = require "fg.aws.type"
local capacity = require "fg.aws.capacity"
local deployment_strategy = require "fg.aws.deployment_strategy"
local live_traffic = require "fg.aws.live_traffic"
local lookup = require("fg.lookup").call
local scaling = require "fg.aws.scaling"

local UPDATE = "ecs.update_service"

-- A load balancer entry's advancedConfiguration, by its field names here.
local ADVANCED = { alternate_target_group = "alternateTargetGroupArn", production_rule = "productionListenerRule",
                   test_rule = "testListenerRule", role = "roleArn" }

local function check_load_balancers(list)
  for i, lb in ipairs(list) do
    if type(lb) ~= "table" or type(lb.target_group) ~= "string" or type(lb.container) ~= "string"
        or math.type(lb.port) ~= "integer" then
      return ("entry %d needs target_group (ARN), container (name) and port (integer)"):format(i)
    end
    for k in pairs(lb) do
      if not (ADVANCED[k] or k == "target_group" or k == "container" or k == "port") then
        return ("entry %d: unknown key %q"):format(i, tostring(k))
      end
      if ADVANCED[k] and type(lb[k]) ~= "string" then return ("entry %d: %s must be an ARN"):format(i, k) end
    end
  end
end

local function normalize_lbs(list)
  local out = {}
  for i, lb in ipairs(list) do
    out[i] = { target_group = lb.target_group, container = lb.container, port = lb.port }
    for k in pairs(ADVANCED) do out[i][k] = lb[k] end
  end
  table.sort(out, function(a, b) return a.target_group < b.target_group end)
  return out
end

-- ECS's rule: a traffic-shifting strategy needs every load balancer's
-- alternate group, production rule and role; ROLLING takes none of them.
local function check_strategy_and_load_balancers(props)
  for i, lb in ipairs(props.load_balancers or {}) do
    if props.traffic_shift then
      for _, k in ipairs({ "alternate_target_group", "production_rule", "role" }) do
        if not lb[k] then
          return ("%s deployments need load_balancers[%d].%s (fg.aws's res.traffic_shift makes them)")
            :format(props.traffic_shift.strategy, i, k)
        end
      end
    elseif lb.alternate_target_group or lb.production_rule or lb.test_rule or lb.role then
      return ("load_balancers[%d]: alternate_target_group, production_rule, test_rule and role are for "
        .. "traffic_shift (BLUE_GREEN, CANARY, LINEAR) deployments"):format(i)
    end
  end
end

-- The scalable target of this service, if Application Auto Scaling has one.
-- A caller not allowed to ask has none that fgrun made; any other error is
-- raised (guessing "none" would send the desired count and undo a
-- scale-out).
local function scaled(cluster, name)
  local ok, r = pcall(aws.application_autoscaling.describe_scalable_targets,
    scaling.request{ ResourceIds = { scaling.resource_id(cluster, name) } })
  if not ok then
    local code = type(r) == "table" and r.code or nil
    if code == "AccessDeniedException" or code == "AccessDenied" then return false end
    error(r, 0)
  end
  return r.ScalableTargets[1] ~= nil
end

local function describe(cluster, name)
  local s = aws.ecs.describe_services{ cluster = cluster, services = { name }, include = { "TAGS" } }.services[1]
  return s and s.status ~= "INACTIVE" and s or nil
end

local function user_tags(list)
  local map = {}
  for _, t in ipairs(list or {}) do
    if not t.key:match("^fgrun:") then map[t.key] = t.value end
  end
  return map
end

local function tag_list(map, ctx_tags)
  local list = {}
  for _, t in ipairs(ctx_tags or {}) do list[#list + 1] = t end
  local keys = {}
  for k in pairs(map or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do list[#list + 1] = { key = k, value = map[k] } end
  return list
end

local function network(props)
  return { awsvpcConfiguration = { subnets = props.subnets, securityGroups = props.security_groups,
                                   assignPublicIp = props.assign_public_ip and "ENABLED" or "DISABLED" } }
end

local function load_balancers(props)
  local list = {}
  for i, lb in ipairs(props.load_balancers) do
    list[i] = { targetGroupArn = lb.target_group, containerName = lb.container, containerPort = lb.port }
    if lb.alternate_target_group then
      list[i].advancedConfiguration = {}
      for k, wire in pairs(ADVANCED) do list[i].advancedConfiguration[wire] = lb[k] end
    end
  end
  return list
end

local function deployment_configuration(props, switching)
  return deployment_strategy.request(props.traffic_shift, {
    maximumPercent = props.max_percent, minimumHealthyPercent = props.min_healthy_percent,
    deploymentCircuitBreaker = { enable = props.circuit_breaker, rollback = props.circuit_breaker } }, switching)
end

-- ECS may not yet be able to assume a role that IAM just made.
local function role_not_ready(err)
  return type(err) == "table" and err.code == "InvalidParameterException"
    and tostring(err.message):lower():find("role") ~= nil
end

local function wait_deployed(props, service, task_definition)
  if props.wait_seconds == 0 then return end
  deployments.wait{ cluster = props.cluster, service = service, task_definition = task_definition or props.task_definition,
                    timeout = props.wait_seconds }
end

-- {target group ARN = weight} of a listener rule's forward action.
local function rule_weights(rule_arn)
  local r = lookup(aws.elbv2.describe_rules, { RuleArns = { rule_arn } }, { "RuleNotFound" })
  local weights = {}
  if r and r.Rules[1] then
    for _, g in ipairs(live_traffic.forwards(r.Rules[1])) do weights[g.arn] = g.weight end
  end
  return weights
end

-- Before a service leaves BLUE_GREEN/CANARY/LINEAR for ROLLING: when a
-- production rule sends traffic to the alternate group, one deployment of
-- the running revision brings it back to the primary group.
local function home_traffic(props, result, live)
  for _, lb in ipairs(live and live.loadBalancers or {}) do
    local adv = lb.advancedConfiguration
    if adv and adv.productionListenerRule then
      local weights = rule_weights(adv.productionListenerRule)
      if (weights[adv.alternateTargetGroupArn] or 0) > 0 then
        require("fg.report").line("  %s: production traffic is on the alternate target group; one more %s "
          .. "deployment of the running revision brings it back before the switch to ROLLING", result.name,
          tostring(live.deploymentConfiguration and live.deploymentConfiguration.strategy))
        aws.ecs.update_service{ cluster = result.cluster, service = result.name, forceNewDeployment = true }
        wait_deployed(props, result.name, live.taskDefinition)
        return
      end
    end
  end
end

-- The service as DescribeServices reports it, in the keys CreateService
-- sets (the tags fgrun's own left out; lists AWS keeps in no order sorted).
local function document(props)
  local net = network(props)
  net.awsvpcConfiguration.subnets = T.sorted(props.subnets)
  net.awsvpcConfiguration.securityGroups = T.sorted(props.security_groups)
  local doc = {
    serviceName = props.name, taskDefinition = props.task_definition, desiredCount = props.desired_count,
    platformVersion = props.platform_version, networkConfiguration = net, loadBalancers = load_balancers(props),
    healthCheckGracePeriodSeconds = #props.load_balancers > 0 and props.health_check_grace or nil,
    deploymentConfiguration = deployment_configuration(props), enableExecuteCommand = props.enable_execute_command,
    propagateTags = "SERVICE", tags = json.array(tag_list(props.tags)),
  }
  if props.capacity_provider_strategy then
    doc.capacityProviderStrategy = capacity.request(capacity.normalize(props.capacity_provider_strategy))
  else
    doc.launchType = "FARGATE"
  end
  return doc
end

local function live_document(result)
  local s = describe(result.cluster, result.name)
  if not s then return nil end
  local net = s.networkConfiguration and s.networkConfiguration.awsvpcConfiguration
  if net then net.subnets, net.securityGroups = T.sorted(net.subnets or {}), T.sorted(net.securityGroups or {}) end
  if s.capacityProviderStrategy then
    s.capacityProviderStrategy = capacity.request(capacity.normalize(capacity.of(s.capacityProviderStrategy)))
  end
  s.tags = json.array(tag_list(user_tags(s.tags)))
  -- Application Auto Scaling owns the count once it has a target
  return s, scaled(result.cluster, result.name) and { "desiredCount" } or nil
end

return T.define{
  kind = "ecs_service",
  doc = "an ECS service on Fargate",
  update_sends_all = true,
  fields = {
    { "name", "string", required = true, replace = true, doc = "the service's name" },
    { "cluster", "string", required = true, replace = true, doc = "the cluster's name" },
    { "task_definition", "string", required = true, update = UPDATE, doc = "the task definition revision's ARN" },
    { "desired_count", "integer", required = true, update = UPDATE,
      doc = "tasks to run (left to auto scaling once a scalable target owns it)" },
    { "capacity_provider_strategy", "list", check = capacity.check, normalize = capacity.normalize,
      update = UPDATE .. " (forceNewDeployment)",
      doc = "{ { provider = \"FARGATE\" | \"FARGATE_SPOT\", weight =, base = } }; unset: the FARGATE launch type" },
    { "subnets", "strings", required = true, normalize = T.sorted, update = UPDATE, doc = "where tasks run" },
    { "security_groups", "strings", required = true, normalize = T.sorted, update = UPDATE, doc = "the tasks' groups" },
    { "assign_public_ip", "boolean", default = true, update = UPDATE, doc = "a public IPv4 address per task" },
    { "load_balancers", "list", default = {}, check = check_load_balancers, normalize = normalize_lbs, update = UPDATE,
      doc = "{ { target_group = ARN, container =, port = } }" },
    { "health_check_grace", "integer", update = UPDATE, normalize = function(v) return v ~= 0 and v or nil end,
      doc = "seconds load balancer health is ignored after a start" },
    { "max_percent", "integer", default = 200, update = UPDATE, doc = "tasks during a deployment, % of desired" },
    { "min_healthy_percent", "integer", default = 100, update = UPDATE, doc = "healthy tasks kept during a deployment, %" },
    { "circuit_breaker", "boolean", default = true, update = UPDATE, doc = "stop and roll back a failing deployment" },
    { "enable_execute_command", "boolean", default = false, update = UPDATE,
      doc = "ECS Exec (the task role then needs the ssmmessages permissions)" },
    { "platform_version", "string", default = "LATEST", update = UPDATE, doc = "the Fargate platform version" },
    { "tags", "map", default = {}, update = "ecs.tag_resource / untag_resource", doc = "tags besides fgrun's own" },
    { "traffic_shift", "table", check = deployment_strategy.check, normalize = deployment_strategy.normalize, update = UPDATE,
      doc = "unset: ROLLING; { strategy = \"BLUE_GREEN\" | \"CANARY\" | \"LINEAR\", bake_minutes =, percent =, "
        .. "interval_minutes =, pause_at = { lifecycle stages } } (load_balancers then need their advanced fields)" },
    { "wait_seconds", "integer", default = 900, update = "(none: how long fgrun waits for a deployment)",
      doc = "how long to wait for a deployment to complete (0: not at all)" },
  },
  name_field = "name", name_max = 255,
  check = check_strategy_and_load_balancers,
  find = function(props)
    local s = describe(props.cluster, props.name)
    return s and { name = s.serviceName, arn = s.serviceArn, cluster = props.cluster }
  end,
  read = function(result)
    local s = describe(result.cluster, result.name)
    if not s then return nil end
    local net = s.networkConfiguration and s.networkConfiguration.awsvpcConfiguration or {}
    local dc = s.deploymentConfiguration or {}
    local breaker = dc.deploymentCircuitBreaker
    local strategy
    if s.capacityProviderStrategy and #s.capacityProviderStrategy > 0 then strategy = capacity.of(s.capacityProviderStrategy) end
    local lbs = {}
    for i, lb in ipairs(s.loadBalancers or {}) do
      lbs[i] = { target_group = lb.targetGroupArn, container = lb.containerName, port = lb.containerPort }
      for k, wire in pairs(ADVANCED) do lbs[i][k] = lb.advancedConfiguration and lb.advancedConfiguration[wire] end
    end
    return {
      name = s.serviceName, cluster = result.cluster, task_definition = s.taskDefinition,
      desired_count = scaled(result.cluster, s.serviceName) and T.owned("auto scaling") or s.desiredCount,
      capacity_provider_strategy = strategy, subnets = net.subnets or {}, security_groups = net.securityGroups or {},
      assign_public_ip = net.assignPublicIp == "ENABLED", load_balancers = lbs,
      health_check_grace = s.healthCheckGracePeriodSeconds,
      max_percent = dc.maximumPercent, min_healthy_percent = dc.minimumHealthyPercent,
      circuit_breaker = breaker and breaker.enable or false, enable_execute_command = s.enableExecuteCommand or false,
      platform_version = s.platformVersion or T.UNKNOWN, tags = user_tags(s.tags), wait_seconds = T.UNKNOWN,
      traffic_shift = deployment_strategy.of(dc),
    }
  end,
  create = function(props, ctx)
    local request = {
      cluster = props.cluster, serviceName = props.name, taskDefinition = props.task_definition,
      desiredCount = props.desired_count, platformVersion = props.platform_version, clientToken = ctx.token,
      networkConfiguration = network(props), loadBalancers = load_balancers(props),
      healthCheckGracePeriodSeconds = #props.load_balancers > 0 and props.health_check_grace or nil,
      deploymentConfiguration = deployment_configuration(props),
      enableExecuteCommand = props.enable_execute_command, propagateTags = "SERVICE",
      tags = tag_list(props.tags, ctx.tags_lower),
    }
    if props.capacity_provider_strategy then
      request.capacityProviderStrategy = capacity.request(props.capacity_provider_strategy)
    else
      request.launchType = "FARGATE"
    end
    local s = fg_retry.call(function() return aws.ecs.create_service(request).service end,
      { on = role_not_ready, timeout = 120, what = "create_service (IAM role propagation)" })
    return { name = s.serviceName, arn = s.serviceArn, cluster = props.cluster }
  end,
  update = function(props, result, changed)
    if changed.wait_seconds and next(changed, next(changed)) == nil then return result end -- fgrun's own setting
    local switching = changed.traffic_shift and true or false
    if switching and not props.traffic_shift then home_traffic(props, result, describe(result.cluster, result.name)) end
    local request = {
      cluster = result.cluster, service = result.name, taskDefinition = props.task_definition,
      networkConfiguration = network(props), loadBalancers = load_balancers(props),
      healthCheckGracePeriodSeconds = #props.load_balancers > 0 and props.health_check_grace or nil,
      deploymentConfiguration = deployment_configuration(props, switching),
      enableExecuteCommand = props.enable_execute_command, platformVersion = props.platform_version,
      forceNewDeployment = changed.capacity_provider_strategy or nil,
    }
    -- the strategy; back to the launch type is an empty list
    if props.capacity_provider_strategy or changed.capacity_provider_strategy then
      request.capacityProviderStrategy = capacity.request(props.capacity_provider_strategy)
    end
    if not scaled(result.cluster, result.name) then request.desiredCount = props.desired_count end
    aws.ecs.update_service(request)
    if changed.tags then
      local live = describe(result.cluster, result.name)
      local gone = {}
      for k in pairs(user_tags(live and live.tags)) do
        if props.tags[k] == nil then gone[#gone + 1] = k end
      end
      if #gone > 0 then aws.ecs.untag_resource{ resourceArn = result.arn, tagKeys = gone } end
      if next(props.tags) then aws.ecs.tag_resource{ resourceArn = result.arn, tags = tag_list(props.tags) } end
    end
    return result
  end,
  wait = function(props, r) wait_deployed(props, r.name) end,
  document = document, live_document = live_document,
  undo = function(r)
    return {
      { call = "ecs.update_service", params = { cluster = r.cluster, service = r.name, desiredCount = 0 },
        gone = { "ServiceNotActiveException", "ServiceNotFoundException" } },
      { call = "ecs.delete_service", params = { cluster = r.cluster, service = r.name, force = true },
        gone = { "ServiceNotActiveException", "ServiceNotFoundException" } },
      { wait = "ecs.services_inactive", params = { cluster = r.cluster, services = { r.name } }, timeout = 900 },
    }
  end,
  id = function(r) return r.name end,
}
