-- What a deployment's journal holds, by kind: the AWS resources named by
-- the ARNs in its steps' results, whatever the recipe called the steps.
-- The generic status and logs actions start from here.
--
--   recorded.resources(d) -> {
--     services = {{arn=, cluster=, name=}}, load_balancers = {{arn=, name=}},
--     target_groups = {{arn=, name=}}, log_groups = {{name=}},
--     task_definitions = {{arn=}}, clusters = {{arn=, name=}} }
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

function recorded.resources(d)
  local found = { services = {}, load_balancers = {}, target_groups = {}, log_groups = {},
                  task_definitions = {}, clusters = {} }
  local seen = {}
  local function add(kind, fields)
    local key = fields.arn or fields.name
    if seen[key] then return end
    seen[key] = true
    local list = found[kind]
    list[#list + 1] = fields
  end
  for _, name in ipairs(d:recorded_steps()) do
    walk(d:recorded(name), add)
  end
  for _, list in pairs(found) do
    table.sort(list, function(a, b) return (a.arn or a.name) < (b.arn or b.name) end)
  end
  return found
end

return recorded
