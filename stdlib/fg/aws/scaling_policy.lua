-- A target-tracking scaling policy of an ECS service (CPU, memory, or
-- requests per target).
local aws = require "aws"
local T = require "fg.aws.type"

local scaling = require "fg.aws.scaling"

local function resource_id(props) return scaling.resource_id(props.cluster, props.service) end

local function describe(id, name)
  local list = aws.application_autoscaling.describe_scaling_policies(scaling.request{ ResourceId = id,
    PolicyNames = { name } }).ScalingPolicies
  for _, p in ipairs(list) do
    if p.PolicyName == name then return p end
  end
end

local PUT = "application_autoscaling.put_scaling_policy"

local function put(props)
  local arn = aws.application_autoscaling.put_scaling_policy(scaling.request{
    ResourceId = resource_id(props), PolicyName = props.name, PolicyType = "TargetTrackingScaling",
    TargetTrackingScalingPolicyConfiguration = {
      TargetValue = props.target, ScaleOutCooldown = props.scale_out_cooldown, ScaleInCooldown = props.scale_in_cooldown,
      PredefinedMetricSpecification = { PredefinedMetricType = props.metric, ResourceLabel = props.resource_label },
    },
  }).PolicyARN
  return { resource_id = resource_id(props), name = props.name, arn = arn, cluster = props.cluster, service = props.service }
end

return T.define{
  kind = "scaling_policy",
  doc = "a target-tracking scaling policy of an ECS service",
  fields = {
    { "cluster", "string", required = true, replace = true, doc = "the cluster's name" },
    { "service", "string", required = true, replace = true, doc = "the service's name" },
    { "name", "string", required = true, replace = true, doc = "the policy's name" },
    { "metric", { "ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget" },
      required = true, update = PUT, doc = "what it tracks" },
    { "target", "number", required = true, update = PUT, doc = "the value it keeps the metric at",
      check = function(v) if v <= 0 then return "must be above 0" end end },
    { "resource_label", "string", update = PUT, doc = "ALBRequestCountPerTarget only: <lb part>/targetgroup/<tg part>" },
    { "scale_out_cooldown", "integer", default = 300, update = PUT, doc = "seconds between scale-outs" },
    { "scale_in_cooldown", "integer", default = 300, update = PUT, doc = "seconds between scale-ins" },
  },
  check = function(props)
    if (props.metric == "ALBRequestCountPerTarget") ~= (props.resource_label ~= nil) then
      return "resource_label goes with metric ALBRequestCountPerTarget, and only with it"
    end
  end,
  find = function(props)
    local p = describe(resource_id(props), props.name)
    return p and { resource_id = resource_id(props), name = props.name, arn = p.PolicyARN, cluster = props.cluster,
                   service = props.service }
  end,
  read = function(result)
    local p = describe(result.resource_id, result.name)
    if not p then return nil end
    local c = p.TargetTrackingScalingPolicyConfiguration or {}
    local m = c.PredefinedMetricSpecification or {}
    return { cluster = result.cluster, service = result.service, name = p.PolicyName, metric = m.PredefinedMetricType,
             target = c.TargetValue, resource_label = m.ResourceLabel, scale_out_cooldown = c.ScaleOutCooldown,
             scale_in_cooldown = c.ScaleInCooldown }
  end,
  create = put,
  update = put,
  -- moto answers ValidationException where AWS says ObjectNotFoundException
  undo = function(r)
    return { { call = "application_autoscaling.delete_scaling_policy",
               params = scaling.request{ ResourceId = r.resource_id, PolicyName = r.name },
               gone = { "ObjectNotFoundException", "ValidationException" } } }
  end,
  id = function(r) return r.name end,
}
