-- A target group of an Application Load Balancer, with its health check.
-- The defaults follow the ECS best practices guide for services that
-- start in seconds ("Optimize load balancer health check parameters":
-- interval 5 s, healthy threshold 2, so a task is healthy in 10 s instead
-- of 150 s) and drain for 30 s instead of the default 300 s
-- ("Optimize load balancer connection draining parameters").
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function describe(params)
  local r = lookup(aws.elbv2.describe_target_groups, params, { "TargetGroupNotFound" })
  return r and r.TargetGroups[1]
end

local HEALTH = "elbv2.modify_target_group"

return T.define{
  kind = "target_group",
  doc = "a load balancer target group",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the name (32 characters at most)",
      check = function(v) if #v > 32 then return "at most 32 characters" end end },
    { "port", "integer", required = true, replace = true, doc = "the port targets listen on" },
    { "protocol", { "HTTP", "HTTPS" }, default = "HTTP", replace = true, doc = "how the load balancer talks to targets" },
    { "vpc", "string", required = true, replace = true, doc = "the VPC id" },
    { "target_type", { "ip", "instance" }, default = "ip", replace = true, doc = "ip for Fargate tasks" },
    { "health_check_path", "string", default = "/", update = HEALTH, doc = "the path probed" },
    { "health_check_interval", "integer", default = 5, update = HEALTH, doc = "seconds between probes" },
    { "health_check_timeout", "integer", default = 4, update = HEALTH, doc = "seconds a probe may take" },
    { "healthy_threshold", "integer", default = 2, update = HEALTH, doc = "passing probes before healthy" },
    { "unhealthy_threshold", "integer", default = 2, update = HEALTH, doc = "failing probes before unhealthy" },
    { "matcher", "string", default = "200", update = HEALTH, doc = "the HTTP codes that pass, e.g. 200-299" },
    { "deregistration_delay", "integer", default = 30, update = "elbv2.modify_target_group_attributes",
      doc = "seconds a removed target drains" },
  },
  check = function(props)
    if props.health_check_timeout >= props.health_check_interval then
      return ("health_check_timeout (%d) must be less than health_check_interval (%d)")
        :format(props.health_check_timeout, props.health_check_interval)
    end
  end,
  name_field = "name", name_max = 32,
  find = function(props)
    local tg = describe({ Names = { props.name } })
    return tg and { name = tg.TargetGroupName, arn = tg.TargetGroupArn }
  end,
  read = function(result)
    local tg = describe({ TargetGroupArns = { result.arn } })
    if not tg then return nil end
    local delay = T.UNKNOWN
    for _, a in ipairs(aws.elbv2.describe_target_group_attributes{ TargetGroupArn = result.arn }.Attributes) do
      if a.Key == "deregistration_delay.timeout_seconds" then delay = math.tointeger(tonumber(a.Value)) end
    end
    return { name = tg.TargetGroupName, port = tg.Port, protocol = tg.Protocol, vpc = tg.VpcId,
             target_type = tg.TargetType, health_check_path = tg.HealthCheckPath,
             health_check_interval = tg.HealthCheckIntervalSeconds, health_check_timeout = tg.HealthCheckTimeoutSeconds,
             healthy_threshold = tg.HealthyThresholdCount, unhealthy_threshold = tg.UnhealthyThresholdCount,
             matcher = tg.Matcher and tg.Matcher.HttpCode, deregistration_delay = delay }
  end,
  create = function(props, ctx)
    local tg = aws.elbv2.create_target_group{
      Name = props.name, Protocol = props.protocol, Port = props.port, VpcId = props.vpc, TargetType = props.target_type,
      Tags = ctx.tags, HealthCheckEnabled = true, HealthCheckPath = props.health_check_path,
      HealthCheckIntervalSeconds = props.health_check_interval, HealthCheckTimeoutSeconds = props.health_check_timeout,
      HealthyThresholdCount = props.healthy_threshold, UnhealthyThresholdCount = props.unhealthy_threshold,
      Matcher = { HttpCode = props.matcher },
    }.TargetGroups[1]
    aws.elbv2.modify_target_group_attributes{ TargetGroupArn = tg.TargetGroupArn, Attributes = {
      { Key = "deregistration_delay.timeout_seconds", Value = tostring(props.deregistration_delay) } } }
    return { name = props.name, arn = tg.TargetGroupArn }
  end,
  update = function(props, result, changed)
    if changed.health_check_path or changed.health_check_interval or changed.health_check_timeout
        or changed.healthy_threshold or changed.unhealthy_threshold or changed.matcher then
      aws.elbv2.modify_target_group{ TargetGroupArn = result.arn, HealthCheckPath = props.health_check_path,
        HealthCheckIntervalSeconds = props.health_check_interval, HealthCheckTimeoutSeconds = props.health_check_timeout,
        HealthyThresholdCount = props.healthy_threshold, UnhealthyThresholdCount = props.unhealthy_threshold,
        Matcher = { HttpCode = props.matcher } }
    end
    if changed.deregistration_delay then
      aws.elbv2.modify_target_group_attributes{ TargetGroupArn = result.arn, Attributes = {
        { Key = "deregistration_delay.timeout_seconds", Value = tostring(props.deregistration_delay) } } }
    end
    return result
  end,
  -- a listener or rule that still forwards to it lets go a moment later
  undo = function(r)
    return { { call = "elbv2.delete_target_group", params = { TargetGroupArn = r.arn },
               retry_on = { "ResourceInUse" }, timeout = 300 } }
  end,
  id = function(r) return r.name end,
}
