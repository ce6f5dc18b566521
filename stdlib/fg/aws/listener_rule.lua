-- A rule of a listener: requests matching its paths or hosts go to a
-- target group (a second service behind the same load balancer, say).
-- With alternate_target_group it forwards to both groups, all of the
-- traffic on target_group when made: the production or test rule of a
-- blue/green, canary or linear ECS service, whose weights ECS moves (so
-- they are never compared or reset here; a change of groups keeps the
-- weight of a group that stays).
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function conditions(props)
  local list = {}
  if props.path_patterns then list[#list + 1] = { Field = "path-pattern", PathPatternConfig = { Values = props.path_patterns } } end
  if props.host_headers then list[#list + 1] = { Field = "host-header", HostHeaderConfig = { Values = props.host_headers } } end
  return list
end

local function fields_of(rule, listener, props)
  local f = { listener = listener, priority = math.tointeger(tonumber(rule.Priority)) }
  for _, c in ipairs(rule.Conditions or {}) do
    if c.Field == "path-pattern" then f.path_patterns = (c.PathPatternConfig or {}).Values or c.Values end
    if c.Field == "host-header" then f.host_headers = (c.HostHeaderConfig or {}).Values or c.Values end
  end
  local a = rule.Actions and rule.Actions[1]
  local groups = a and a.ForwardConfig and a.ForwardConfig.TargetGroups or {}
  f.target_group = a and a.TargetGroupArn or (#groups == 1 and groups[1].TargetGroupArn) or nil
  if #groups == 2 then
    -- which is which is the recipe's, the weights are ECS's
    local arns = { groups[1].TargetGroupArn, groups[2].TargetGroupArn }
    if props and arns[2] == props.target_group then arns[1], arns[2] = arns[2], arns[1] end
    f.target_group, f.alternate_target_group = arns[1], arns[2]
  end
  return f
end

-- The rule's action: one group, or both with the weights they hold now
-- (all on target_group for a new rule).
local function actions(props, current)
  if not props.alternate_target_group then return { { Type = "forward", TargetGroupArn = props.target_group } } end
  local weights = current or { [props.target_group] = 100, [props.alternate_target_group] = 0 }
  local groups = {}
  for _, arn in ipairs({ props.target_group, props.alternate_target_group }) do
    groups[#groups + 1] = { TargetGroupArn = arn, Weight = weights[arn] or 0 }
  end
  return { { Type = "forward", ForwardConfig = { TargetGroups = groups } } }
end

local function weights_of(rule)
  local a = rule and rule.Actions and rule.Actions[1]
  local groups = a and a.ForwardConfig and a.ForwardConfig.TargetGroups
  if not groups or #groups < 2 then return nil end
  local w = {}
  for _, g in ipairs(groups) do w[g.TargetGroupArn] = g.Weight or 0 end
  return w
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
    { "alternate_target_group", "string", update = "elbv2.modify_rule",
      doc = "a second group for blue/green: weighted forward to both, the weights ECS's" },
  },
  check = function(props)
    if not props.path_patterns and not props.host_headers then return "a rule needs path_patterns or host_headers" end
  end,
  find = function(props)
    for _, rule in ipairs(rules_of(props.listener)) do
      if math.tointeger(tonumber(rule.Priority)) == props.priority then return { arn = rule.RuleArn, listener = props.listener } end
    end
  end,
  read = function(result, props)
    for _, rule in ipairs(rules_of(result.listener)) do
      if rule.RuleArn == result.arn then return fields_of(rule, result.listener, props) end
    end
  end,
  create = function(props, ctx)
    local rule = aws.elbv2.create_rule{ ListenerArn = props.listener, Priority = props.priority, Tags = ctx.tags,
      Conditions = conditions(props), Actions = actions(props) }.Rules[1]
    return { arn = rule.RuleArn, listener = props.listener }
  end,
  update = function(props, result, changed)
    if changed.path_patterns or changed.host_headers or changed.target_group or changed.alternate_target_group then
      local live
      for _, rule in ipairs(rules_of(result.listener)) do
        if rule.RuleArn == result.arn then live = rule end
      end
      aws.elbv2.modify_rule{ RuleArn = result.arn, Conditions = conditions(props), Actions = actions(props, weights_of(live)) }
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
