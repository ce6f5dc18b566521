-- Where a listener sends its requests now, and the health of the targets
-- there. After a blue/green, canary or linear deployment ECS has moved the
-- production rule's weights, so the traffic may be on the alternate target
-- group rather than the one the recipe made first. Used by the recipe's
-- checks after a deploy (fg.aws.serving_targets).
--
--   live_traffic.groups(listener_arn) -> { { arn =, name =, percent = } }: the target
--     groups of the first rule that takes every request (a path pattern "/*"
--     alone, else the default action), those with a weight above 0
--   live_traffic.targets(listener_arn) -> "fargate-tg2-abc (100%): 10.0.1.5 healthy, ..."
--   live_traffic.forwards(rule) -> { { arn =, weight = } }: a rule's forward action
--     (also read by ecs_service, which moves traffic home before leaving blue/green)
local aws = require "aws"

local live_traffic = {}

local function pattern_values(condition)
  return condition.PathPatternConfig and condition.PathPatternConfig.Values or condition.Values or {}
end

-- A rule that every request matches: the default, or one path pattern "/*".
local function takes_all(rule)
  if rule.IsDefault then return true end
  local conditions = rule.Conditions or {}
  if #conditions ~= 1 or conditions[1].Field ~= "path-pattern" then return false end
  for _, v in ipairs(pattern_values(conditions[1])) do
    if v == "/*" or v == "*" then return true end
  end
  return false
end

-- { {arn, weight} } of a rule's forward action (a plain TargetGroupArn weighs 1).
function live_traffic.forwards(rule)
  for _, a in ipairs(rule.Actions or {}) do
    if a.Type == "forward" then
      local groups = a.ForwardConfig and a.ForwardConfig.TargetGroups
      if groups and #groups > 0 then
        local out = {}
        for _, g in ipairs(groups) do out[#out + 1] = { arn = g.TargetGroupArn, weight = g.Weight or 1 } end
        return out
      end
      if a.TargetGroupArn then return { { arn = a.TargetGroupArn, weight = 1 } } end
    end
  end
  return {} -- a redirect or a fixed response
end

function live_traffic.groups(listener)
  local rules = aws.elbv2.describe_rules{ ListenerArn = listener }.Rules or {}
  -- by priority, the default ("default", no number) last
  table.sort(rules, function(a, b) return (tonumber(a.Priority) or math.huge) < (tonumber(b.Priority) or math.huge) end)
  for _, rule in ipairs(rules) do
    if takes_all(rule) then
      local groups, total = live_traffic.forwards(rule), 0
      for _, g in ipairs(groups) do total = total + g.weight end
      local out = {}
      for _, g in ipairs(groups) do
        if g.weight > 0 then
          out[#out + 1] = { arn = g.arn, name = g.arn:match("targetgroup/([^/]+)/") or g.arn,
                            percent = math.floor(g.weight * 100 / total + 0.5) }
        end
      end
      return out
    end
  end
  return {}
end

function live_traffic.targets(listener)
  local parts = {}
  for _, g in ipairs(live_traffic.groups(listener)) do
    local states = {}
    for _, t in ipairs(aws.elbv2.describe_target_health{ TargetGroupArn = g.arn }.TargetHealthDescriptions) do
      states[#states + 1] = t.Target.Id .. " " .. t.TargetHealth.State
    end
    parts[#parts + 1] = ("%s (%d%%): %s"):format(g.name, g.percent,
      #states > 0 and table.concat(states, ", ") or "none registered yet")
  end
  return #parts > 0 and table.concat(parts, "; ") or "the listener forwards to no target group"
end

return live_traffic
