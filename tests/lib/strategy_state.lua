-- What AWS (moto behind the simulator) holds of the Fargate recipe's
-- deployment strategy, for tests/cli/recipe_strategies.sh: one "key value"
-- line each, read from the service, its load balancer's listeners and
-- rules, the target groups and IAM.
--   strategy ROLLING|BLUE_GREEN|CANARY|LINEAR, bake N, canary P/M, linear P/M, pause STAGES
--   advanced yes|no, role <name> (and "role_policy <policy name>", "role_trust <principal>")
--   listeners <ports>, rule_weights <tg name>=<weight>,... (the production rule), test_rule yes|no
--   tasks_in <tg name> <count> (registered targets per target group)
local aws = require "aws"
local suffix = assert(arg[1], "usage: strategy_state.lua SUFFIX")

local function say(k, v) print(k .. " " .. tostring(v)) end

local s = aws.ecs.describe_services{ cluster = "fargate-cluster-" .. suffix,
  services = { "fargate-service-" .. suffix } }.services[1]
local dc = s.deploymentConfiguration or {}
say("strategy", dc.strategy or "ROLLING")
say("bake", dc.bakeTimeInMinutes or "none")
if dc.canaryConfiguration then
  say("canary", ("%g/%d"):format(dc.canaryConfiguration.canaryPercent, dc.canaryConfiguration.canaryBakeTimeInMinutes))
end
if dc.linearConfiguration then
  say("linear", ("%g/%d"):format(dc.linearConfiguration.stepPercent, dc.linearConfiguration.stepBakeTimeInMinutes))
end
local stages = {}
for _, h in ipairs(dc.lifecycleHooks or {}) do
  for _, st in ipairs(h.lifecycleStages or {}) do stages[#stages + 1] = h.targetType .. ":" .. st end
end
say("pause", #stages > 0 and table.concat(stages, ",") or "none")

local names = {}
for _, g in ipairs(aws.elbv2.describe_target_groups{}.TargetGroups) do names[g.TargetGroupArn] = g.TargetGroupName end
local lb = s.loadBalancers[1] or {}
local adv = lb.advancedConfiguration
say("advanced", adv and "yes" or "no")
say("service_group", names[lb.targetGroupArn] or "none")
if adv then
  local role = adv.roleArn:match("[^/]+$")
  say("role", role)
  for _, p in ipairs(aws.iam.list_attached_role_policies{ RoleName = role }.AttachedPolicies) do
    say("role_policy", p.PolicyName)
  end
  local trust = aws.iam.get_role{ RoleName = role }.Role.AssumeRolePolicyDocument
  say("role_trust", trust.Statement[1].Principal.Service)
  say("test_rule", adv.testListenerRule and "yes" or "no")
end

local alb = aws.elbv2.describe_load_balancers{ Names = { "fargate-alb-" .. suffix } }.LoadBalancers[1]
local ports, rules = {}, 0
for _, l in ipairs(aws.elbv2.describe_listeners{ LoadBalancerArn = alb.LoadBalancerArn }.Listeners) do
  ports[#ports + 1] = l.Port
  for _, r in ipairs(aws.elbv2.describe_rules{ ListenerArn = l.ListenerArn }.Rules) do
    if not r.IsDefault then
      rules = rules + 1
      if l.Port == 80 then
        local parts = {}
        for _, g in ipairs(r.Actions[1].ForwardConfig.TargetGroups) do
          parts[#parts + 1] = names[g.TargetGroupArn] .. "=" .. g.Weight
        end
        table.sort(parts)
        say("rule_weights", table.concat(parts, ","))
      end
    else
      say("default_" .. l.Port, names[r.Actions[1].TargetGroupArn or r.Actions[1].ForwardConfig.TargetGroups[1].TargetGroupArn])
    end
  end
end
table.sort(ports)
say("listeners", table.concat(ports, ","))
say("rules", rules)
for arn, name in pairs(names) do
  if name:find(suffix, 1, true) then
    local n = 0
    for _, t in ipairs(aws.elbv2.describe_target_health{ TargetGroupArn = arn }.TargetHealthDescriptions) do
      if t.TargetHealth.State ~= "draining" then n = n + 1 end
    end
    say("tasks_in " .. name, n)
  end
end
