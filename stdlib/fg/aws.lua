-- require "fg.aws": AWS resource types as deployment steps. Each type
-- (stdlib/fg/aws/<kind>.lua) declares its fields, which change in place
-- (and by which call) and which force a replacement, and how to find, read,
-- create, update and remove one.
--
--   local fg = require "fg"
--   local d = fg.deployment("web")
--   local res = require("fg.aws").use(d)
--   local logs = res.log_group("log_group", { name = "/ecs/web", retention_days = 14 })
--   print(logs.name)
--
-- res.<kind>(step, fields[, {after = {steps}, ready = {steps}}]) runs one
-- step and returns what it recorded (a pending result: fg/pending.lua);
-- after names steps that AWS needs done first though the fields do not
-- read them, ready steps whose background wait must have ended too (a
-- certificate ISSUED before the HTTPS listener that uses it).
-- help(require("fg.aws").types.log_group) lists a type's fields.
local T = require "fg.aws.type"

local M = {}

-- Every kind, in the order a service on Fargate usually needs them.
M.kinds = {
  "ecr_repository", "security_group", "security_group_rules", "iam_role", "role_policy_attachment",
  "iam_policy", "role_policy", "ecs_cluster", "log_group", "task_definition", "load_balancer",
  "target_group", "listener", "listener_rule", "ecs_service", "scalable_target", "scaling_policy",
  "acm_certificate", "dns_record", "sns_topic", "sns_subscription", "metric_alarm",
}

local known = {}
for _, k in ipairs(M.kinds) do known[k] = true end

local function unknown(kind)
  error(("fg.aws: no resource type %q; the types are: %s"):format(tostring(kind), table.concat(M.kinds, ", ")), 3)
end

-- M.types.<kind>: the type, loaded on first use.
M.types = setmetatable({}, { __index = function(t, kind)
  if not known[kind] then unknown(kind) end
  local module = "fg.aws." .. kind
  local ty = require(module)
  rawset(t, kind, ty)
  return ty
end })

M.UNKNOWN = T.UNKNOWN

-- M.traffic_shift(p) -> an ECS service's traffic_shift from the recipe
-- parameters strategy, bake_minutes, canary_*, linear_*, pause_at (nil for
-- rolling), checked before anything is made (stdlib/fg/aws/traffic_shift.lua).
function M.traffic_shift(p) return require("fg.aws.traffic_shift").settings(p) end

-- M.serving_targets(listener_arn) -> text: the target groups the listener
-- forwards its requests to now (after a blue/green deployment, maybe the
-- alternate one), with their share and their targets' health
-- (stdlib/fg/aws/live_traffic.lua), for a check after a deploy.
function M.serving_targets(listener) return require("fg.aws.live_traffic").targets(listener) end

-- M.use(d) -> the constructors bound to deployment d: res.<kind>(step,
-- fields), res.task_roles{...} (stdlib/fg/aws/task_roles.lua) and
-- res.service_alarms{...} (stdlib/fg/aws/service_alarms.lua), and
-- res.traffic_shift(shift, {...}) (stdlib/fg/aws/traffic_shift.lua).
function M.use(d)
  local res
  res = setmetatable({
    task_roles = function(o) return require("fg.aws.task_roles")(d, res, o) end,
    service_alarms = function(o) return require("fg.aws.service_alarms")(d, res, o) end,
    traffic_shift = function(shift, o) return require("fg.aws.traffic_shift").make(d, res, shift, o) end,
  }, { __index = function(t, kind)
    local ty = M.types[kind]
    local function make(step, fields, opts)
      if type(step) ~= "string" then
        error(("res.%s(step, fields): the step name comes first"):format(kind), 2)
      end
      local spec = ty:spec(fields, ("step %s (%s)"):format(step, kind), d.destroying)
      spec.after, spec.ready = opts and opts.after, opts and opts.ready
      return d:step(step, spec)
    end
    rawset(t, kind, make)
    return make
  end })
  return res
end

-- M.check(values, map): checks parameters against the fields they will
-- feed, before anything is created: map = { log_retention_days =
-- "log_group.retention_days", cpu = "task_definition.cpu", memory =
-- "task_definition.memory" }, or a function(value) that returns a message
-- (a string) or raises when the value is wrong.
-- Parameters feeding one kind are checked together (memory against cpu).
-- A nil value is not checked.
function M.check(values, map)
  local names, props = {}, {}
  for param, target in pairs(map) do
    names[#names + 1] = param
    if type(target) ~= "function" then
      local kind, field = tostring(target):match("^([%w_]+)%.([%w_]+)$")
      if not kind then error(("fg.aws.check: %q is not kind.field"):format(tostring(target)), 2) end
      props[kind] = props[kind] or {}
      props[kind][field] = values[param]
    end
  end
  table.sort(names)
  for _, param in ipairs(names) do
    local v, target = values[param], map[param]
    if v ~= nil and type(target) == "function" then
      -- a checker returns what is wrong, or raises it (fg.image.platform, fg.scan.rank)
      local ok, message = pcall(target, v)
      if not ok or type(message) == "string" then error(("parameter %s: %s"):format(param, tostring(message)), 0) end
    elseif v ~= nil then
      local kind, field = target:match("^([%w_]+)%.([%w_]+)$")
      M.types[kind]:check_value(field, v, "parameter " .. param, props[kind])
    end
  end
end

return M
