-- What an ECS service behind an Application Load Balancer needs to deploy
-- BLUE_GREEN, CANARY or LINEAR, made of resource steps (res.traffic_shift
-- of fg.aws.use), and the recipe parameters that choose it:
--
--   local shift = traffic_shift.settings(p)   -- before anything is made: nil for rolling
--   local traffic = res.traffic_shift(shift, {
--     name = "web-x1",                         -- prefix of the names made here
--     load_balancer =, listener =,             -- ARNs: the production listener
--     target_group = <primary's ARN>, alternate = <fields of the primary's target_group>,
--     test_port = 8080 })                      -- optional: a test listener
--   res.ecs_service("service", { ..., traffic_shift = shift,
--     load_balancers = { traffic.load_balancer{ target_group =, container =, port = } } })
--
-- For a traffic-shifting strategy it makes the alternate target group (the
-- primary's settings), the production listener rule (every path, both
-- groups, all traffic on the primary until ECS moves it), the test
-- listener and its rule when test_port is given, and the infrastructure
-- role ECS moves the rules with (trusting ecs.amazonaws.com for this
-- account, AmazonECSInfrastructureRolePolicyForLoadBalancers attached).
-- For rolling it makes nothing: steps of an earlier strategy are no longer
-- declared, so the run removes them once the service has switched.
local account = require "fg.account"
local strategy = require "fg.aws.deployment_strategy"

local M = {}

-- The recipe parameters, their ECS strategy names.
M.STRATEGIES = { rolling = false, blue_green = "BLUE_GREEN", canary = "CANARY", linear = "LINEAR" }

-- ECS developer guide, "Amazon ECS infrastructure IAM role for load balancers".
M.POLICY = "AmazonECSInfrastructureRolePolicyForLoadBalancers"

-- The rule priority of the production and test rules: first, so that every
-- request goes by the weights ECS sets.
M.PRIORITY = 1

-- settings(p) -> the ECS service's traffic_shift value (nil for rolling)
-- from the parameters strategy, bake_minutes, canary_percent,
-- canary_interval, linear_percent, linear_interval, pause_at; raises on
-- what ECS would refuse, naming the parameter, and on pause_at or
-- test_listener_port given to a rolling deployment (which has neither).
function M.settings(p)
  local name = M.STRATEGIES[p.strategy]
  if name == nil then
    error(("parameter strategy: rolling, blue_green, canary or linear, not %q"):format(tostring(p.strategy)), 0)
  end
  if not name then
    for _, k in ipairs{ "pause_at", "test_listener_port" } do
      if p[k] ~= nil then
        error(("parameter %s: only with strategy blue_green, canary or linear (a rolling deployment has no %s)")
          :format(k, k == "pause_at" and "lifecycle hooks" or "test listener"), 0)
      end
    end
    return nil
  end
  local s = { strategy = name, bake_minutes = p.bake_minutes }
  if name == "CANARY" then s.percent, s.interval_minutes = p.canary_percent, p.canary_interval end
  if name == "LINEAR" then s.percent, s.interval_minutes = p.linear_percent, p.linear_interval end
  if p.pause_at then s.pause_at = type(p.pause_at) == "string" and { p.pause_at } or p.pause_at end
  local message = strategy.check(s)
  if message then
    message = message:gsub("^CANARY percent", "canary_percent"):gsub("^LINEAR percent", "linear_percent")
    if name ~= "BLUE_GREEN" then
      message = message:gsub("^interval_minutes", name == "CANARY" and "canary_interval" or "linear_interval")
    end
    error(("parameters for strategy %s: %s"):format(p.strategy, message), 0)
  end
  return s
end

-- The group of steps (fg.aws.use's res.traffic_shift(shift, o)).
function M.make(d, res, shift, o)
  if not shift then
    return { load_balancer = function(lb) return lb end }
  end
  local me = not d.destroying and account.caller() or nil
  local role = res.iam_role("infrastructure_role", { name = o.role_name or (o.name .. "-ecs-infrastructure"),
    service = "ecs.amazonaws.com", source_account = me and me.account,
    description = "ECS moves the listener rules of blue/green, canary and linear deployments with it" })
  res.role_policy_attachment("infrastructure_role_policy", { role = role.name,
    policy_arn = account.arn{ service = "iam", account = "aws", resource = "policy/" .. M.POLICY } })
  local fields = {}
  for k, v in pairs(o.alternate or {}) do fields[k] = v end
  fields.name = o.alternate_name or (o.name .. "-tg2")
  local alternate = res.target_group("alternate_target_group", fields)
  local production = res.listener_rule("production_rule", { listener = o.listener, priority = M.PRIORITY,
    path_patterns = { "/*" }, target_group = o.target_group, alternate_target_group = alternate.arn })
  local test
  if o.test_port then
    local listener = res.listener("test_listener", { load_balancer = o.load_balancer, port = o.test_port,
      target_group = alternate.arn })
    test = res.listener_rule("test_rule", { listener = listener.arn, priority = M.PRIORITY, path_patterns = { "/*" },
      target_group = o.target_group, alternate_target_group = alternate.arn })
  end
  return {
    role = role, alternate_target_group = alternate, production_rule = production, test_rule = test,
    -- a load balancer entry of the ECS service with its advanced configuration
    load_balancer = function(lb)
      local out = {}
      for k, v in pairs(lb) do out[k] = v end
      out.alternate_target_group, out.production_rule = alternate.arn, production.arn
      out.test_rule, out.role = test and test.arn, role.arn
      return out
    end,
  }
end

return M
