-- A rule of a listener: requests matching its paths or hosts go to a
-- target group (a second service behind the same load balancer, say).
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function conditions(props)
  local list = {}
  if props.path_patterns then list[#list + 1] = { Field = "path-pattern", PathPatternConfig = { Values = props.path_patterns } } end
  if props.host_headers then list[#list + 1] = { Field = "host-header", HostHeaderConfig = { Values = props.host_headers } } end
  return list
end

local function fields_of(rule, listener)
  local f = { listener = listener, priority = math.tointeger(tonumber(rule.Priority)) }
  for _, c in ipairs(rule.Conditions or {}) do
    if c.Field == "path-pattern" then f.path_patterns = (c.PathPatternConfig or {}).Values or c.Values end
    if c.Field == "host-header" then f.host_headers = (c.HostHeaderConfig or {}).Values or c.Values end
  end
  local a = rule.Actions and rule.Actions[1]
  f.target_group = a and a.TargetGroupArn
  return f
end

local function rules_of(listener)
  local r = lookup(aws.elbv2.describe_rules, { ListenerArn = listener }, { "ListenerNotFound" })
  return r and r.Rules or {}
end

return T.define{
  kind = "listener_rule",
  doc = "a listener rule that forwards matching requests to a target group",
  fields = {
    { "listener", "string", required = true, replace = true, doc = "the listener's ARN" },
    { "priority", "integer", required = true, update = "elbv2.set_rule_priorities", doc = "1..50000, lower first",
      check = function(v) if v < 1 or v > 50000 then return "1 to 50000" end end },
    { "path_patterns", "strings", normalize = T.sorted, update = "elbv2.modify_rule", doc = "e.g. { \"/api/*\" }" },
    { "host_headers", "strings", normalize = T.sorted, update = "elbv2.modify_rule", doc = "e.g. { \"api.example.com\" }" },
    { "target_group", "string", required = true, update = "elbv2.modify_rule", doc = "where matching requests go" },
  },
  check = function(props)
    if not props.path_patterns and not props.host_headers then return "a rule needs path_patterns or host_headers" end
  end,
  find = function(props)
    for _, rule in ipairs(rules_of(props.listener)) do
      if math.tointeger(tonumber(rule.Priority)) == props.priority then return { arn = rule.RuleArn, listener = props.listener } end
    end
  end,
  read = function(result)
    for _, rule in ipairs(rules_of(result.listener)) do
      if rule.RuleArn == result.arn then return fields_of(rule, result.listener) end
    end
  end,
  create = function(props, ctx)
    local rule = aws.elbv2.create_rule{ ListenerArn = props.listener, Priority = props.priority, Tags = ctx.tags,
      Conditions = conditions(props), Actions = { { Type = "forward", TargetGroupArn = props.target_group } } }.Rules[1]
    return { arn = rule.RuleArn, listener = props.listener }
  end,
  update = function(props, result, changed)
    if changed.path_patterns or changed.host_headers or changed.target_group then
      aws.elbv2.modify_rule{ RuleArn = result.arn, Conditions = conditions(props),
        Actions = { { Type = "forward", TargetGroupArn = props.target_group } } }
    end
    if changed.priority then
      aws.elbv2.set_rule_priorities{ RulePriorities = { { RuleArn = result.arn, Priority = props.priority } } }
    end
    return result
  end,
  undo = function(r)
    return { { call = "elbv2.delete_rule", params = { RuleArn = r.arn }, gone = { "RuleNotFound" } } }
  end,
  id = function(r) return r.arn:match("[^/]+$") end,
}
