-- An ECS service's desired count as an Application Auto Scaling target.
-- Once it exists the ECS service type leaves the desired count alone.
local aws = require "aws"
local T = require "fg.aws.type"

local scaling = require "fg.aws.scaling"

local function resource_id(props) return scaling.resource_id(props.cluster, props.service) end

local function describe(id)
  return aws.application_autoscaling.describe_scalable_targets(scaling.request{ ResourceIds = { id } }).ScalableTargets[1]
end

local function register(props)
  aws.application_autoscaling.register_scalable_target(scaling.request{
    ResourceId = resource_id(props), MinCapacity = props.min_capacity, MaxCapacity = props.max_capacity })
  return { resource_id = resource_id(props), cluster = props.cluster, service = props.service }
end

local REGISTER = "application_autoscaling.register_scalable_target"

return T.define{
  kind = "scalable_target",
  doc = "auto scaling bounds of an ECS service's task count",
  fields = {
    { "cluster", "string", required = true, replace = true, doc = "the cluster's name" },
    { "service", "string", required = true, replace = true, doc = "the service's name" },
    { "min_capacity", "integer", required = true, update = REGISTER, doc = "fewest tasks" },
    { "max_capacity", "integer", required = true, update = REGISTER, doc = "most tasks" },
  },
  check = function(props)
    if props.min_capacity < 0 or props.min_capacity > props.max_capacity then
      return ("min_capacity (%d) must be between 0 and max_capacity (%d)"):format(props.min_capacity, props.max_capacity)
    end
  end,
  find = function(props)
    return describe(resource_id(props)) and { resource_id = resource_id(props), cluster = props.cluster,
                                              service = props.service } or nil
  end,
  read = function(result)
    local t = describe(result.resource_id)
    return t and { cluster = result.cluster, service = result.service, min_capacity = t.MinCapacity,
                   max_capacity = t.MaxCapacity }
  end,
  create = register,
  update = register,
  -- moto answers ValidationException where AWS says ObjectNotFoundException
  undo = function(r)
    return { { call = "application_autoscaling.deregister_scalable_target",
               params = scaling.request{ ResourceId = r.resource_id },
               gone = { "ObjectNotFoundException", "ValidationException" } } }
  end,
  id = function(r) return r.resource_id end,
}
