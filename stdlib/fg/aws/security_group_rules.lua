-- The rules of one direction (ingress or egress) of a security group. The
-- step owns that direction: whatever else is there (such as the allow-all
-- egress rule EC2 gives a new group) is revoked, so AWS holds exactly the
-- rules listed. A rule: { port = 443, cidr = "0.0.0.0/0" },
-- { port = 3000, group = "sg-..." }, { from_port =, to_port =, protocol =
-- "tcp" | "udp" | "icmp" | "-1" (all) }.
local aws = require "aws"
local json = require "json"
local fg_retry = require "fg.retry"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local PROTOCOLS = { tcp = true, udp = true, icmp = true, ["-1"] = true }

-- One rule in the form compared and sent: protocol, from_port, to_port,
-- and one of cidr, cidr6, group (a canonical rule stays as it is).
local function canonical_rule(r)
  local protocol = r.protocol or "tcp"
  local c = { protocol = protocol, cidr = r.cidr, cidr6 = r.cidr6, group = r.group }
  if protocol ~= "-1" then
    c.from_port = r.from_port or r.port
    c.to_port = r.to_port or r.from_port or r.port
  end
  return c
end

local function key(c) return json.encode(c, { sort_keys = true }) end

-- The rules as a sorted list of canonical rules (the comparison form).
local function normalize(rules)
  local list, seen = {}, {}
  for _, r in ipairs(rules) do
    local c = canonical_rule(r)
    if not seen[key(c)] then
      seen[key(c)] = true
      list[#list + 1] = c
    end
  end
  table.sort(list, function(a, b) return key(a) < key(b) end)
  return list
end

local RULE_FIELDS = { port = true, from_port = true, to_port = true, protocol = true, cidr = true, cidr6 = true,
                      group = true, description = true }

local function check_rules(rules)
  for i, r in ipairs(rules) do
    if type(r) ~= "table" then return ("rule %d must be a table"):format(i) end
    for k in pairs(r) do
      if not RULE_FIELDS[k] then
        return ("rule %d: unknown key %q (port, from_port, to_port, protocol, cidr, cidr6, group, description)")
          :format(i, tostring(k))
      end
    end
    local protocol = r.protocol or "tcp"
    if not PROTOCOLS[protocol] then return ("rule %d: protocol must be tcp, udp, icmp or -1"):format(i) end
    local sources = (r.cidr and 1 or 0) + (r.cidr6 and 1 or 0) + (r.group and 1 or 0)
    if sources ~= 1 then return ("rule %d needs exactly one of cidr, cidr6, group"):format(i) end
    if protocol ~= "-1" and math.type(r.port or r.from_port) ~= "integer" then
      return ("rule %d needs port (or from_port and to_port) as an integer"):format(i)
    end
    if r.cidr and not r.cidr:match("^%d+%.%d+%.%d+%.%d+/%d+$") then
      return ("rule %d: cidr %q is not an IPv4 CIDR block"):format(i, r.cidr)
    end
  end
end

local function permission(c)
  local p = { IpProtocol = c.protocol, FromPort = c.from_port, ToPort = c.to_port }
  if c.group then p.UserIdGroupPairs = { { GroupId = c.group } }
  elseif c.cidr6 then p.Ipv6Ranges = { { CidrIpv6 = c.cidr6 } }
  else p.IpRanges = { { CidrIp = c.cidr } } end
  return p
end

-- The live rules of one direction, canonical.
local function live_rules(group, direction)
  local list = {}
  local perms = direction == "ingress" and group.IpPermissions or group.IpPermissionsEgress
  for _, p in ipairs(perms or {}) do
    local function add(field, value)
      local c = { protocol = p.IpProtocol }
      if p.IpProtocol ~= "-1" then c.from_port, c.to_port = p.FromPort, p.ToPort end
      c[field] = value
      list[#list + 1] = c
    end
    for _, r in ipairs(p.IpRanges or {}) do add("cidr", r.CidrIp) end
    for _, r in ipairs(p.Ipv6Ranges or {}) do add("cidr6", r.CidrIpv6) end
    for _, r in ipairs(p.UserIdGroupPairs or {}) do add("group", r.GroupId) end
  end
  return normalize(list)
end

local function describe(id)
  local r = lookup(aws.ec2.describe_security_groups, { GroupIds = { id } }, { "InvalidGroup.NotFound" })
  return r and r.SecurityGroups[1]
end

-- Right after CreateSecurityGroup, EC2 may not know the group for a moment
-- ("Eventual consistency in the Amazon EC2 API"): retry briefly.
local function ec2_call(op, params)
  return fg_retry.call(function() return aws.ec2[op](params) end,
    { on = { "InvalidGroup.NotFound" }, timeout = 30, delay = 1, what = "ec2." .. op })
end

-- Makes AWS hold exactly the wanted rules in that direction.
local function sync(group_id, direction, rules)
  local want = normalize(rules)
  local found, g = pcall(fg_retry.call, function()
    return describe(group_id) or error({ code = "InvalidGroup.NotFound" })
  end, { on = { "InvalidGroup.NotFound" }, timeout = 30, what = "ec2.describe_security_groups" })
  if not found then
    if type(g) == "table" and g.code == "InvalidGroup.NotFound" then
      error(("security group %s does not exist"):format(group_id), 0)
    end
    error(g, 0)
  end
  local have = live_rules(g, direction)
  local wanted, present = {}, {}
  for _, c in ipairs(want) do wanted[key(c)] = true end
  for _, c in ipairs(have) do present[key(c)] = true end
  local revoke, authorize = {}, {}
  for _, c in ipairs(have) do if not wanted[key(c)] then revoke[#revoke + 1] = permission(c) end end
  for _, c in ipairs(want) do if not present[key(c)] then authorize[#authorize + 1] = permission(c) end end
  if #revoke > 0 then
    ec2_call("revoke_security_group_" .. direction, { GroupId = group_id, IpPermissions = revoke })
  end
  if #authorize > 0 then
    local ok, err = pcall(ec2_call, "authorize_security_group_" .. direction, { GroupId = group_id, IpPermissions = authorize })
    if not ok and not (type(err) == "table" and err.code == "InvalidPermission.Duplicate") then error(err, 0) end
  end
end

local function result_of(props)
  return { group = props.group, direction = props.direction, rules = normalize(props.rules) }
end

return T.define{
  kind = "security_group_rules",
  doc = "every rule of one direction of a security group",
  fields = {
    { "group", "string", required = true, replace = true, doc = "the security group's id" },
    { "direction", { "ingress", "egress" }, default = "ingress", replace = true, doc = "ingress or egress" },
    { "rules", "list", required = true, check = check_rules, normalize = normalize,
      update = "ec2.authorize_security_group_* / revoke_security_group_*",
      doc = "{ port =, cidr = | group = | cidr6 = } each (protocol tcp unless said)" },
  },
  -- a recovery after a crash: the group holds every wanted rule
  find = function(props)
    local g = describe(props.group)
    if not g then return nil end
    local have = {}
    for _, c in ipairs(live_rules(g, props.direction)) do have[key(c)] = true end
    for _, c in ipairs(normalize(props.rules)) do
      if not have[key(c)] then return nil end
    end
    return result_of(props)
  end,
  read = function(result)
    local g = describe(result.group)
    return g and { group = g.GroupId, direction = result.direction, rules = live_rules(g, result.direction) }
  end,
  create = function(props)
    sync(props.group, props.direction, props.rules)
    return result_of(props)
  end,
  update = function(props)
    sync(props.group, props.direction, props.rules)
    return result_of(props)
  end,
  undo = function(r)
    local perms = {}
    for _, c in ipairs(r.rules) do perms[#perms + 1] = permission(c) end
    if #perms == 0 then return {} end
    return { { call = "ec2.revoke_security_group_" .. r.direction, params = { GroupId = r.group, IpPermissions = perms },
               gone = { "InvalidGroup.NotFound", "InvalidPermission.NotFound" } } }
  end,
  id = function(r) return ("%s %s, %d rule(s)"):format(r.group, r.direction, #r.rules) end,
}
