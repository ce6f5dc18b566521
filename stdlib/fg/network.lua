-- Where a service runs: a VPC and one subnet per Availability Zone, checked
-- before anything is created.
--
--   network.resolve{vpc_id=, subnet_ids=, zones=2, min_zones=2, client=aws.ec2}
--     -> {vpc = "vpc-...", subnets = {"subnet-...", ...}, zones = {"us-east-1a", ...}}
--
-- With subnet_ids, the VPC is theirs: they must exist, share one VPC (the
-- vpc_id when given), and lie in different zones (CreateLoadBalancer takes
-- one subnet per zone). Without, the subnets are vpc_id's (default: the
-- region's default VPC), one per zone (its default subnet, else one that
-- gives public addresses, else the first), in the first `zones` zones by
-- name: each zone of an internet-facing load balancer holds public IPv4
-- addresses, billed by the hour, so two are taken unless told otherwise.
local network = {}

local function ec2_of(opts) return opts.client or require("aws").ec2 end
-- For messages only: a missing region has been said by the failed call.
local function region() return (require("aws.transport").resolve_region()) or "(none set)" end

local function sorted(t) table.sort(t) return t end

local function too_few(ids, zone_count, min)
  error(("the subnets (%s) span %d Availability Zone(s); the load balancer needs %s: set subnet_ids to subnets "
    .. "in at least %s zones"):format(#ids > 0 and table.concat(ids, ", ") or "none", zone_count,
    min == 2 and "two" or tostring(min), min == 2 and "two" or tostring(min)), 0)
end

local function given_subnets(ec2, opts)
  local ids = opts.subnet_ids
  if #ids == 0 then error("subnet_ids is empty: give subnets in at least two zones, or leave it out for the default VPC's", 0) end
  for _, id in ipairs(ids) do
    if type(id) ~= "string" or not id:match("^subnet%-%x+$") then
      error(("subnet_ids: %q is not a subnet ID (subnet-...)"):format(tostring(id)), 0)
    end
  end
  local ok, r = pcall(ec2.describe_subnets, { SubnetIds = ids })
  if not ok then
    if type(r) == "table" and r.code == "InvalidSubnetID.NotFound" then
      error(("subnet_ids: %s (region %s)"):format(r.message or "a subnet does not exist", region()), 0)
    end
    error(r, 0)
  end
  local by_vpc, vpcs, by_zone, zones = {}, {}, {}, {}
  for _, s in ipairs(r.Subnets) do
    if not by_vpc[s.VpcId] then by_vpc[s.VpcId], vpcs[#vpcs + 1] = {}, s.VpcId end
    table.insert(by_vpc[s.VpcId], s.SubnetId)
    local other = by_zone[s.AvailabilityZone]
    if other then
      error(("subnets %s and %s are both in zone %s; the load balancer takes one subnet per Availability Zone: "
        .. "keep one of them in subnet_ids"):format(other, s.SubnetId, s.AvailabilityZone), 0)
    end
    by_zone[s.AvailabilityZone], zones[#zones + 1] = s.SubnetId, s.AvailabilityZone
  end
  sorted(vpcs)
  if #vpcs > 1 then
    local parts = {}
    for _, v in ipairs(vpcs) do parts[#parts + 1] = ("%s (%s)"):format(v, table.concat(sorted(by_vpc[v]), ", ")) end
    error(("subnet_ids span several VPCs: %s; security groups, target group and load balancer must share one: "
      .. "give subnets of one VPC"):format(table.concat(parts, ", ")), 0)
  end
  local vpc = vpcs[1]
  if opts.vpc_id and vpc and opts.vpc_id ~= vpc then
    error(("subnet_ids are in %s, not in vpc_id %s: leave vpc_id out (it is taken from the subnets) or give "
      .. "subnets of %s"):format(vpc, opts.vpc_id, opts.vpc_id), 0)
  end
  local subnets = sorted({ table.unpack(ids) })
  if #zones < (opts.min_zones or 2) then too_few(subnets, #zones, opts.min_zones or 2) end
  return { vpc = vpc, subnets = subnets, zones = sorted(zones) }
end

local function default_vpc(ec2)
  local vpcs = ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs
  if #vpcs == 0 then
    error(("region %s has no default VPC: set vpc_id and subnet_ids (in env/<name>.lua, or "
      .. "-D vpc_id=vpc-... -D 'subnet_ids=[\"subnet-a\",\"subnet-b\"]')"):format(region()), 0)
  end
  return vpcs[1].VpcId
end

-- Which of two subnets of a zone to take: the default one, then one that
-- gives public addresses, then the lower ID.
local function better(a, b)
  if a.DefaultForAz ~= b.DefaultForAz then return a.DefaultForAz == true end
  if a.MapPublicIpOnLaunch ~= b.MapPublicIpOnLaunch then return a.MapPublicIpOnLaunch == true end
  return a.SubnetId < b.SubnetId
end

local function chosen_subnets(ec2, opts)
  local vpc = opts.vpc_id or default_vpc(ec2)
  local best = {}
  for _, s in ipairs(ec2.all("describe_subnets", { Filters = { { Name = "vpc-id", Values = { vpc } } } }).Subnets) do
    local z = s.AvailabilityZone
    if not best[z] or better(s, best[z]) then best[z] = s end
  end
  local zones = {}
  for z in pairs(best) do zones[#zones + 1] = z end
  sorted(zones)
  local want, min = opts.zones or 2, opts.min_zones or 2
  local subnets, taken = {}, {}
  for k = 1, math.min(want, #zones) do
    subnets[#subnets + 1], taken[#taken + 1] = best[zones[k]].SubnetId, zones[k]
  end
  if #taken < min then too_few(sorted(subnets), #taken, min) end
  return { vpc = vpc, subnets = sorted(subnets), zones = taken }
end

function network.resolve(opts)
  opts = opts or {}
  if opts.zones ~= nil and (math.type(opts.zones) ~= "integer" or opts.zones < 1) then
    error("fg.network: zones must be a whole number of zones, 1 or more", 2)
  end
  local ec2 = ec2_of(opts)
  if opts.subnet_ids then return given_subnets(ec2, opts) end
  return chosen_subnets(ec2, opts)
end

return network
