-- Lists what moto still holds of the Fargate recipe's deployment with the
-- given name suffix, one line per resource, then "total N". Every list
-- API of the resource types the recipe creates is asked.
local aws = require "aws"
local suffix = assert(arg[1], "usage: fargate_leftovers.lua SUFFIX")
local found = {}
local function has(s) return type(s) == "string" and s:find(suffix, 1, true) ~= nil end
local function note(kind, id) found[#found + 1] = kind .. " " .. id end

for _, r in ipairs(aws.ecr.describe_repositories{}.repositories) do
  if has(r.repositoryName) then note("ecr repository", r.repositoryName) end
end
for _, g in ipairs(aws.ec2.describe_security_groups{}.SecurityGroups) do
  if has(g.GroupName) then note("security group", g.GroupId) end
end
for _, r in ipairs(aws.iam.all("list_roles", {}).Roles) do
  if has(r.RoleName) then note("iam role", r.RoleName) end
end
for _, p in ipairs(aws.iam.all("list_policies", { Scope = "Local" }).Policies) do
  if has(p.PolicyName) then note("iam policy", p.PolicyName) end
end
local clusters = aws.ecs.list_clusters{}.clusterArns
for _, c in ipairs(#clusters > 0 and aws.ecs.describe_clusters{ clusters = clusters }.clusters or {}) do
  if has(c.clusterName) and c.status == "ACTIVE" then
    note("ecs cluster", c.clusterName)
    for _, s in ipairs(aws.ecs.list_services{ cluster = c.clusterArn }.serviceArns) do note("ecs service", s) end
  end
end
for _, arn in ipairs(aws.ecs.all("list_task_definitions", { status = "ACTIVE" }).taskDefinitionArns) do
  if has(arn) then note("task definition", arn) end
end
for _, g in ipairs(aws.logs.describe_log_groups{}.logGroups) do
  if has(g.logGroupName) then note("log group", g.logGroupName) end
end
for _, lb in ipairs(aws.elbv2.describe_load_balancers{}.LoadBalancers) do
  if has(lb.LoadBalancerName) then note("load balancer", lb.LoadBalancerName) end
end
for _, tg in ipairs(aws.elbv2.describe_target_groups{}.TargetGroups) do
  if has(tg.TargetGroupName) then note("target group", tg.TargetGroupName) end
end
local scaling = aws.application_autoscaling
for _, t in ipairs(scaling.describe_scalable_targets{ ServiceNamespace = "ecs" }.ScalableTargets) do
  if has(t.ResourceId) then note("scalable target", t.ResourceId) end
end
for _, sp in ipairs(scaling.describe_scaling_policies{ ServiceNamespace = "ecs" }.ScalingPolicies) do
  if has(sp.PolicyName) then note("scaling policy", sp.PolicyName) end
end
for _, line in ipairs(found) do print(line) end
print("total " .. #found)
