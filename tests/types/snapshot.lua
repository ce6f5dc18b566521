-- Prints what moto holds of the resources whose names contain arg[1], one
-- line per resource or setting, sorted, with ids turned into names where a
-- name exists (so that a replaced resource compares by what it is). Used
-- by tests/cli/types.sh to assert that a change reached AWS and that
-- nothing else changed; the last line is "total N" (resources, not
-- settings).
local aws = require "aws"
local json = require "json"
local mark = assert(arg[1], "usage: snapshot.lua NAME-PART")
local lines, total = {}, 0
local function has(s) return type(s) == "string" and s:find(mark, 1, true) ~= nil end
local function line(fmt, ...) lines[#lines + 1] = fmt:format(...) end
local function resource(fmt, ...) total = total + 1 line(fmt, ...) end
local function enc(v) return json.encode(v, { sort_keys = true }) end
local function try(fn, params)
  local ok, r = pcall(fn, params)
  return ok and r or nil
end

-- security groups (by name), their rules with group ids as names
local group_names = {}
local groups = aws.ec2.describe_security_groups{}.SecurityGroups
for _, g in ipairs(groups) do group_names[g.GroupId] = g.GroupName end
local function rules(name, direction, perms)
  for _, p in ipairs(perms or {}) do
    local ports = p.IpProtocol == "-1" and "all" or ("%s-%s"):format(p.FromPort, p.ToPort)
    for _, r in ipairs(p.IpRanges or {}) do line("sg_rule %s %s %s %s cidr %s", name, direction, p.IpProtocol, ports, r.CidrIp) end
    for _, r in ipairs(p.UserIdGroupPairs or {}) do
      line("sg_rule %s %s %s %s group %s", name, direction, p.IpProtocol, ports, group_names[r.GroupId] or r.GroupId)
    end
  end
end
for _, g in ipairs(groups) do
  if has(g.GroupName) then
    resource("security_group %s description=%s", g.GroupName, g.Description)
    rules(g.GroupName, "ingress", g.IpPermissions)
    rules(g.GroupName, "egress", g.IpPermissionsEgress)
  end
end

for _, g in ipairs(aws.logs.describe_log_groups{}.logGroups) do
  if has(g.logGroupName) then resource("log_group %s retention=%s", g.logGroupName, tostring(g.retentionInDays)) end
end

for _, r in ipairs(aws.iam.all("list_roles", {}).Roles) do
  if has(r.RoleName) then
    local role = aws.iam.get_role{ RoleName = r.RoleName }.Role
    resource("iam_role %s description=%s trust=%s", r.RoleName, tostring(role.Description), enc(role.AssumeRolePolicyDocument))
    for _, a in ipairs(aws.iam.all("list_attached_role_policies", { RoleName = r.RoleName }).AttachedPolicies) do
      line("iam_role_attachment %s %s", r.RoleName, a.PolicyArn)
    end
    for _, name in ipairs(aws.iam.all("list_role_policies", { RoleName = r.RoleName }).PolicyNames) do
      local doc = aws.iam.get_role_policy{ RoleName = r.RoleName, PolicyName = name }.PolicyDocument
      line("iam_role_policy %s %s %s", r.RoleName, name, enc(doc))
    end
  end
end

table.sort(lines)
for _, l in ipairs(lines) do print(l) end
print("total " .. total)
