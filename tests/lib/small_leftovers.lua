-- Prints how many resources whose names start with arg[1] moto still
-- holds, per type, then the total: "total N".
local aws = require "aws"
local prefix = assert(arg[1], "usage: small_leftovers.lua PREFIX")
local function starts(s) return s:sub(1, #prefix) == prefix end
local counts = { security_groups = 0, roles = 0, log_groups = 0, clusters = 0 }

for _, g in ipairs(aws.ec2.describe_security_groups{}.SecurityGroups) do
  if starts(g.GroupName) then counts.security_groups = counts.security_groups + 1 end
end
for _, r in ipairs(aws.iam.all("list_roles", {}).Roles) do
  if starts(r.RoleName) then counts.roles = counts.roles + 1 end
end
for _ in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = "/fgtest/" .. prefix }.logGroups) do
  counts.log_groups = counts.log_groups + 1
end
local arns = aws.ecs.list_clusters{}.clusterArns
if #arns > 0 then
  for _, c in ipairs(aws.ecs.describe_clusters{ clusters = arns }.clusters) do
    if starts(c.clusterName) and c.status == "ACTIVE" then counts.clusters = counts.clusters + 1 end
  end
end
local total = 0
for k, n in pairs(counts) do
  total = total + n
  if n > 0 then print(k .. " " .. n) end
end
print("total " .. total)
