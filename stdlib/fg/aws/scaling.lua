-- What Application Auto Scaling calls an ECS service's task count.
local scaling = {}

scaling.DIMENSION = { ServiceNamespace = "ecs", ScalableDimension = "ecs:service:DesiredCount" }

-- The request t with the namespace and dimension added.
function scaling.request(t)
  for k, v in pairs(scaling.DIMENSION) do t[k] = v end
  return t
end

function scaling.resource_id(cluster, service) return ("service/%s/%s"):format(cluster, service) end

return scaling
