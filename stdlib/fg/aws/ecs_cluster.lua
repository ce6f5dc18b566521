-- An ECS cluster with its capacity providers (FARGATE, FARGATE_SPOT).
local aws = require "aws"
local T = require "fg.aws.type"
local capacity = require "fg.aws.capacity"

local function describe(name)
  local c = aws.ecs.describe_clusters{ clusters = { name }, include = { "SETTINGS" } }.clusters[1]
  return c and c.status == "ACTIVE" and c or nil
end

return T.define{
  kind = "ecs_cluster",
  doc = "an ECS cluster",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the cluster's name" },
    { "capacity_providers", "strings", default = { "FARGATE", "FARGATE_SPOT" }, normalize = T.sorted,
      update = "ecs.put_cluster_capacity_providers", doc = "the capacity providers it may use" },
    { "default_strategy", "list", default = {}, check = capacity.check, normalize = capacity.normalize,
      update = "ecs.put_cluster_capacity_providers", doc = "{ { provider =, weight =, base = } } for services that name none" },
    { "container_insights", { "enabled", "disabled", "enhanced" }, default = "disabled", update = "ecs.update_cluster",
      doc = "CloudWatch Container Insights" },
  },
  name_field = "name", name_max = 255,
  find = function(props)
    local c = describe(props.name)
    return c and { name = c.clusterName, arn = c.clusterArn }
  end,
  read = function(result)
    local c = describe(result.name)
    if not c then return nil end
    local insights = "disabled"
    for _, s in ipairs(c.settings or {}) do
      if s.name == "containerInsights" then insights = s.value end
    end
    return { name = c.clusterName, capacity_providers = c.capacityProviders or {},
             default_strategy = capacity.of(c.defaultCapacityProviderStrategy), container_insights = insights }
  end,
  -- a fresh account's first cluster can fail while ECS's service-linked
  -- role is made ("Unable to assume the service linked role")
  create = function(props, ctx)
    local c = require("fg.retry").call(function() return aws.ecs.create_cluster{
      clusterName = props.name, tags = ctx.tags_lower, capacityProviders = props.capacity_providers,
      defaultCapacityProviderStrategy = capacity.request(props.default_strategy),
      settings = { { name = "containerInsights", value = props.container_insights } },
    }.cluster end, { on = require("fg.service_roles").not_ready, timeout = 120,
                     what = "create_cluster (service-linked role)" })
    return { name = c.clusterName, arn = c.clusterArn }
  end,
  update = function(props, result, changed)
    if changed.capacity_providers or changed.default_strategy then
      aws.ecs.put_cluster_capacity_providers{ cluster = result.name, capacityProviders = props.capacity_providers,
        defaultCapacityProviderStrategy = capacity.request(props.default_strategy) }
    end
    if changed.container_insights then
      aws.ecs.update_cluster{ cluster = result.name,
        settings = { { name = "containerInsights", value = props.container_insights } } }
    end
    return result
  end,
  undo = function(r)
    return { { call = "ecs.delete_cluster", params = { cluster = r.arn },
               retry_on = { "ClusterContainsServicesException", "ClusterContainsTasksException" }, timeout = 600 } }
  end,
  id = function(r) return r.name end,
}
