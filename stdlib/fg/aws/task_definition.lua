-- An ECS task definition family for Fargate. Every change registers a new
-- revision (the older ones stay registered, for the service's rollback,
-- and are all deregistered on removal). A container:
--   { name =, image =, port =, environment = { KEY = "value" },
--     secrets = { NAME = "<secret ARN>" }, command = { ... },   (kept as { { name =, arn = } })
--     log_group =, log_region =, log_prefix = "ecs",
--     health_check = { command = { "CMD", ... }, interval = 30, timeout = 5, retries = 3, start_period = 0 },
--     essential = true }
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call
local fg_retry = require "fg.retry"
local plan = require "fg.plan"

-- Fargate's task sizes: CPU units -> memory (MiB) from, to, step ("Task CPU
-- and memory", Amazon ECS developer guide, Fargate task definitions).
local FARGATE = {
  ["256"] = { list = { 512, 1024, 2048 } }, ["512"] = { 1024, 4096, 1024 }, ["1024"] = { 2048, 8192, 1024 },
  ["2048"] = { 4096, 16384, 1024 }, ["4096"] = { 8192, 30720, 1024 }, ["8192"] = { 16384, 61440, 4096 },
  ["16384"] = { 32768, 122880, 8192 },
}

local function fargate_size(cpu, memory)
  local range = FARGATE[cpu]
  if not range then
    local list = {}
    for c in pairs(FARGATE) do list[#list + 1] = tonumber(c) end
    table.sort(list)
    return ("cpu %s is not a Fargate size; use one of %s"):format(cpu, table.concat(list, ", "))
  end
  local m = math.tointeger(tonumber(memory))
  local ok = false
  if range.list then
    for _, v in ipairs(range.list) do ok = ok or v == m end
    if not ok then
      return ("memory %s does not go with cpu %s on Fargate; use one of %s MiB")
        :format(memory, cpu, table.concat(range.list, ", "))
    end
  elseif not m or m < range[1] or m > range[2] or (m - range[1]) % range[3] ~= 0 then
    return ("memory %s does not go with cpu %s on Fargate; use %d to %d MiB in steps of %d")
      :format(memory, cpu, range[1], range[2], range[3])
  end
end

local CONTAINER_KEYS = { name = true, image = true, port = true, environment = true, secrets = true, command = true,
                         log_group = true, log_region = true, log_prefix = true, health_check = true, essential = true }

local function check_containers(list)
  if #list == 0 then return "at least one container" end
  for i, c in ipairs(list) do
    if type(c) ~= "table" then return ("container %d must be a table"):format(i) end
    for k in pairs(c) do
      if not CONTAINER_KEYS[k] then
        local keys = {}
        for name in pairs(CONTAINER_KEYS) do keys[#keys + 1] = name end
        table.sort(keys)
        return ("container %d: unknown key %q (%s)"):format(i, tostring(k), table.concat(keys, ", "))
      end
    end
    if type(c.name) ~= "string" or type(c.image) ~= "string" then return ("container %d needs name and image"):format(i) end
    if c.port ~= nil and math.type(c.port) ~= "integer" then return ("container %s: port must be an integer"):format(c.name) end
    for _, map in ipairs({ "environment", "secrets" }) do
      for k, v in pairs(c[map] or {}) do
        if type(k) ~= "string" or type(v) ~= "string" then
          return ("container %s: %s must map names to strings"):format(c.name, map)
        end
      end
    end
    if c.secrets and c.secrets[1] == nil then
      local message = require("fg.aws.secrets").check(c.secrets)
      if message then return ("container %s: %s"):format(c.name, message) end
    end
  end
end

-- Secrets as a list of { name =, arn = }: a map keyed by names such as
-- DB_PASSWORD would look like secrets to the journal's check.
local function secret_list(secrets)
  if secrets == nil then return nil end
  local list = {}
  if secrets[1] ~= nil then
    for i, s in ipairs(secrets) do list[i] = { name = s.name, arn = s.arn } end
  else
    for name, arn in pairs(secrets) do list[#list + 1] = { name = name, arn = arn } end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return #list > 0 and list or nil
end

local function coerce_containers(list)
  local out = {}
  for i, c in ipairs(list) do
    local n = {}
    for k, v in pairs(c) do n[k] = v end
    n.secrets = secret_list(c.secrets)
    out[i] = n
  end
  return out
end

-- The comparison form: AWS's defaults made explicit.
local function normalize_containers(list)
  local out = {}
  for i, c in ipairs(list) do
    local n = {}
    for k, v in pairs(c) do n[k] = v end
    if n.essential == nil then n.essential = true end
    if n.log_group and not n.log_prefix then n.log_prefix = "ecs" end
    if n.environment and next(n.environment) == nil then n.environment = nil end
    n.secrets = secret_list(n.secrets)
    if n.health_check then
      local h = n.health_check
      n.health_check = { command = h.command, interval = h.interval or 30, timeout = h.timeout or 5,
                         retries = h.retries or 3, start_period = h.start_period or 0 }
    end
    out[i] = n
  end
  return out
end

local function pairs_list(map, key_name, value_name)
  local list = {}
  for k, v in pairs(map or {}) do list[#list + 1] = { [key_name] = k, [value_name] = v } end
  table.sort(list, function(a, b) return a[key_name] < b[key_name] end)
  return list
end

-- A container's parts that are plain renames between its fields and its
-- definition in AWS: { field, AWS key }, read both ways (container_request
-- and container_of). The rest changes shape on the way (port, the
-- environment map, the log configuration's driver, essential's default).
local SECRET = { { "name", "name" }, { "arn", "valueFrom" } }
local LOG_OPTIONS = { { "log_group", "awslogs-group" }, { "log_region", "awslogs-region" },
                      { "log_prefix", "awslogs-stream-prefix" } }
local HEALTH_CHECK = { { "command", "command" }, { "interval", "interval" }, { "timeout", "timeout" },
                       { "retries", "retries" }, { "start_period", "startPeriod" } }

-- renamed(t, names, from, to): a new table of t's values named by names[i][from] under names[i][to]
local function renamed(t, names, from, to)
  local out = {}
  for _, n in ipairs(names) do out[n[to]] = t[n[from]] end
  return out
end
local function to_aws(t, names) return renamed(t, names, 1, 2) end
local function from_aws(t, names) return renamed(t, names, 2, 1) end

local function container_request(c, region)
  local d = { name = c.name, image = c.image, essential = c.essential ~= false, command = c.command }
  if c.port then d.portMappings = { { containerPort = c.port, protocol = "tcp" } } end
  if c.environment and next(c.environment) then d.environment = pairs_list(c.environment, "name", "value") end
  if c.secrets then
    d.secrets = {}
    for i, s in ipairs(c.secrets) do d.secrets[i] = to_aws(s, SECRET) end
  end
  if c.log_group then
    local options = to_aws(c, LOG_OPTIONS)
    options["awslogs-region"] = options["awslogs-region"] or region
    options["awslogs-stream-prefix"] = options["awslogs-stream-prefix"] or "ecs"
    d.logConfiguration = { logDriver = "awslogs", options = options }
  end
  if c.health_check then d.healthCheck = to_aws(c.health_check, HEALTH_CHECK) end
  return d
end

local function container_of(d)
  local c = { name = d.name, image = d.image, essential = d.essential ~= false }
  if d.command and #d.command > 0 then c.command = d.command end
  local pm = d.portMappings and d.portMappings[1]
  if pm then c.port = pm.containerPort end
  for _, e in ipairs(d.environment or {}) do
    c.environment = c.environment or {}
    c.environment[e.name] = e.value
  end
  for _, s in ipairs(d.secrets or {}) do
    c.secrets = c.secrets or {}
    c.secrets[#c.secrets + 1] = from_aws(s, SECRET)
  end
  c.secrets = secret_list(c.secrets)
  local lc = d.logConfiguration
  if lc and lc.logDriver == "awslogs" then
    for field, v in pairs(from_aws(lc.options, LOG_OPTIONS)) do c[field] = v end
  end
  if d.healthCheck then c.health_check = from_aws(d.healthCheck, HEALTH_CHECK) end
  return c
end

local function region() return require("aws.transport").resolve_region() end

-- The live fields of one revision, in the fields' form (the region of a
-- container's logs counts as given when it is this region's).
local function fields_of(td, props)
  local containers = {}
  for i, d in ipairs(td.containerDefinitions or {}) do
    local c = container_of(d)
    local want = props and props.containers and props.containers[i]
    if want and want.log_region == nil and c.log_region == region() then c.log_region = nil end
    containers[i] = c
  end
  return { family = td.family, cpu = td.cpu, memory = td.memory, execution_role = td.executionRoleArn,
           task_role = td.taskRoleArn,
           cpu_architecture = td.runtimePlatform and td.runtimePlatform.cpuArchitecture or "X86_64",
           containers = containers }
end

local function active_revisions(family)
  local list = {}
  for _, arn in ipairs(aws.ecs.all("list_task_definitions", { familyPrefix = family, status = "ACTIVE" }).taskDefinitionArns) do
    if arn:match("task%-definition/(.+):%d+$") == family then list[#list + 1] = arn end
  end
  return list
end

-- A role IAM just made may not be passable yet (eventual consistency).
local function role_not_passable(err)
  return type(err) == "table" and err.code == "AccessDeniedException"
    and tostring(err.message):find("iam:PassRole", 1, true) ~= nil
end

-- RegisterTaskDefinition's request, without the tags.
local function request(props)
  local containers = {}
  for i, c in ipairs(props.containers) do containers[i] = container_request(c, region()) end
  return {
    family = props.family, networkMode = "awsvpc", requiresCompatibilities = { "FARGATE" },
    cpu = props.cpu, memory = props.memory, executionRoleArn = props.execution_role, taskRoleArn = props.task_role,
    runtimePlatform = { cpuArchitecture = props.cpu_architecture, operatingSystemFamily = "LINUX" },
    containerDefinitions = containers,
  }
end

local function register(props, ctx)
  local r = request(props)
  r.tags = ctx.tags_lower
  local td = fg_retry.call(function() return aws.ecs.register_task_definition(r).taskDefinition end,
    { on = role_not_passable, timeout = 60, what = "register_task_definition (IAM role propagation)" })
  return { arn = td.taskDefinitionArn, family = td.family, revisions = active_revisions(td.family) }
end

-- Lists that AWS keeps in no order (environment, secrets), sorted by name.
local function by_name(list)
  if list then table.sort(list, function(a, b) return a.name < b.name end) end
  return list
end

local function describe(ref)
  local r = lookup(aws.ecs.describe_task_definition, { taskDefinition = ref }, { "ClientException" })
  return r and r.taskDefinition
end

local TD
TD = T.define{
  kind = "task_definition",
  doc = "an ECS task definition family for Fargate (each change a new revision)",
  fields = {
    { "family", "string", required = true, replace = true, doc = "the family's name" },
    { "cpu", "string", required = true, update = "ecs.register_task_definition (a new revision)",
      check = function(v) return not FARGATE[v] and fargate_size(v, "0") or nil end,
      doc = "CPU units: 256, 512, 1024, ..." },
    { "memory", "string", required = true, update = "ecs.register_task_definition (a new revision)",
      check = function(v, props) return props.cpu and fargate_size(props.cpu, v) end, doc = "MiB, a size that goes with cpu" },
    { "cpu_architecture", { "X86_64", "ARM64" }, default = "X86_64",
      update = "ecs.register_task_definition (a new revision)", doc = "the platform the image is built for" },
    { "execution_role", "string", update = "ecs.register_task_definition (a new revision)",
      doc = "the role ECS uses to pull the image, write logs, read secrets" },
    { "task_role", "string", update = "ecs.register_task_definition (a new revision)",
      doc = "the role the application's own AWS calls use" },
    { "containers", "list", required = true, check = check_containers, coerce = coerce_containers,
      normalize = normalize_containers,
      update = "ecs.register_task_definition (a new revision)", doc = "the containers (see the type's comment)" },
  },
  -- after a crash mid-register: the latest revision, when it is what the inputs say
  find = function(props)
    local td = describe(props.family)
    if not (td and td.status == "ACTIVE") then return nil end
    if #TD:differences(props, fields_of(td, props),
        { "cpu", "memory", "cpu_architecture", "execution_role", "task_role", "containers" }) > 0 then
      return nil
    end
    return { arn = td.taskDefinitionArn, family = td.family, revisions = active_revisions(td.family) }
  end,
  read = function(result, props)
    local td = describe(result.arn)
    return td and td.status == "ACTIVE" and fields_of(td, props) or nil
  end,
  create = register,
  update = function(props, _, _, ctx) return register(props, ctx) end,
  -- a create or an update registers a revision whose ARN only AWS tells
  planned = function(props, previous)
    return { arn = plan.UNKNOWN, family = props.family, revisions = previous and previous.revisions or {} }
  end,
  document = request, -- its environment and secrets already sorted by name
  live_document = function(result)
    local td = describe(result.arn)
    for _, c in ipairs(td and td.containerDefinitions or {}) do by_name(c.environment) by_name(c.secrets) end
    return td
  end,
  undo = function(r)
    local list = {}
    for _, arn in ipairs(r.revisions) do
      list[#list + 1] = { call = "ecs.deregister_task_definition", params = { taskDefinition = arn }, gone = { "ClientException" } }
    end
    return list
  end,
  id = function(r) return r.arn:match("[^/]+$") end,
}
TD.fargate_size = fargate_size
return TD
