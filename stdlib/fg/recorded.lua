-- What a deployment's journal holds, by kind: the AWS resources named by
-- the ARNs in its steps' results and by its removals (a log group's
-- delete_log_group, a service's delete_service), whatever the recipe
-- called the steps. The generic status and logs actions start from here.
--
--   recorded.resources(d) -> {
--     services = {{arn=, cluster=, name=}}, load_balancers = {{arn=, name=}},
--     target_groups = {{arn=, name=}}, log_groups = {{name=}},
--     task_definitions = {{arn=}}, clusters = {{arn=, name=}},
--     alarms = {{arn=, name=}}, certificates = {{arn=}} }
local recorded = {}

-- kind, fields of an ARN the actions know, or nil.
local function classify(arn)
  local service, resource = arn:match("^arn:[%w%-]+:([%w%-]+):[%w%-]*:%d*:(.+)$")
  if not service then return nil end
  if service == "ecs" then
    local cluster, name = resource:match("^service/([^/]+)/([^/]+)$")
    if cluster then return "services", { cluster = cluster, name = name } end
    name = resource:match("^service/([^/]+)$") -- the old ARN format, without the cluster
    if name then return "services", { name = name } end
    name = resource:match("^cluster/([^/]+)$")
    if name then return "clusters", { name = name } end
    if resource:match("^task%-definition/") then return "task_definitions", {} end
  elseif service == "elasticloadbalancing" then
    local name = resource:match("^loadbalancer/%a+/([^/]+)/")
    if name then return "load_balancers", { name = name } end
    name = resource:match("^targetgroup/([^/]+)/")
    if name then return "target_groups", { name = name } end
  elseif service == "cloudwatch" then
    local name = resource:match("^alarm:(.+)$")
    if name then return "alarms", { name = name } end
  elseif service == "acm" and resource:match("^certificate/") then
    return "certificates", {}
  elseif service == "logs" then
    local name = resource:match("^log%-group:(.-)[:]?%*?$")
    if name and name ~= "" then return "log_groups", { name = name } end
  end
end

-- Walks a step's result; a table with an ECS service ARN and a `cluster`
-- field gives the cluster the old ARN format leaves out.
local function walk(value, add, parent)
  if type(value) == "string" then
    local kind, fields = classify(value)
    if kind then
      fields.arn = value
      if kind == "services" and not fields.cluster and parent and type(parent.cluster) == "string" then
        fields.cluster = parent.cluster:match("cluster/(.+)$") or parent.cluster
      end
      add(kind, fields)
    end
  elseif type(value) == "table" then
    for _, v in pairs(value) do walk(v, add, value) end
  end
end

-- The resources a step's removal names that its ARNs may not.
local function from_undo(undo, add)
  for _, a in ipairs(type(undo) == "table" and undo or {}) do
    local p = type(a) == "table" and type(a.params) == "table" and a.params or {}
    if a.call == "logs.delete_log_group" and type(p.logGroupName) == "string" then
      add("log_groups", { name = p.logGroupName })
    elseif a.call == "ecs.delete_service" and type(p.service) == "string" then
      local cluster = type(p.cluster) == "string" and (p.cluster:match("cluster/(.+)$") or p.cluster) or nil
      add("services", { cluster = cluster, name = p.service:match("[^/]+$"), arn = p.service })
    end
  end
end

function recorded.resources(d)
  local found = { services = {}, load_balancers = {}, target_groups = {}, log_groups = {},
                  task_definitions = {}, clusters = {}, alarms = {}, certificates = {} }
  local seen = {}
  local function add(kind, fields)
    local key = kind == "services" and ((fields.cluster or "default") .. "/" .. fields.name)
      or kind == "log_groups" and fields.name or fields.arn or fields.name
    if seen[key] then return end
    seen[key] = true
    local list = found[kind]
    list[#list + 1] = fields
  end
  for _, name in ipairs(d:recorded_steps()) do
    walk(d:recorded(name), add)
  end
  for _, entry in ipairs(d.journal and d.journal:steps() or {}) do
    if entry.status == "done" then from_undo(entry.undo, add) end
  end
  for _, list in pairs(found) do
    table.sort(list, function(a, b) return (a.arn or a.name) < (b.arn or b.name) end)
  end
  return found
end

return recorded
