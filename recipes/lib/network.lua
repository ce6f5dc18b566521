-- Where a recipe's tasks run: the given VPC and subnets, or the region's
-- default VPC and its default subnets (one per zone). Recipe-local until
-- the library's network helper lands.
--   local network = dofile(here .. "/lib/network.lua")
--   local vpc, subnets = network.resolve{ vpc_id =, subnet_ids =, min_zones = 2, why = "the load balancer" }
local aws = require "aws"

local M = {}

function M.resolve(o)
  local vpc = o.vpc_id
  if not vpc then
    local vpcs = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs
    if #vpcs == 0 then
      error(("region %s has no default VPC: set vpc_id and subnet_ids (in env/<name>.lua, or "
        .. "-D vpc_id=vpc-... -D 'subnet_ids=[\"subnet-a\",\"subnet-b\"]')")
        :format(require("aws.transport").resolve_region()), 0)
    end
    vpc = vpcs[1].VpcId
  end
  local filters = o.subnet_ids and { { Name = "subnet-id", Values = o.subnet_ids } }
      or { { Name = "vpc-id", Values = { vpc } }, { Name = "default-for-az", Values = { "true" } } }
  local ids, zones, zone_count = {}, {}, 0
  for _, s in ipairs(aws.ec2.describe_subnets{ Filters = filters }.Subnets) do
    ids[#ids + 1] = s.SubnetId
    if not zones[s.AvailabilityZone] then zones[s.AvailabilityZone], zone_count = true, zone_count + 1 end
  end
  table.sort(ids)
  if zone_count < (o.min_zones or 1) then
    error(("the subnets (%s) span %d Availability Zone(s); %s needs %d: set subnet_ids to subnets in at least "
      .. "%d zones"):format(#ids > 0 and table.concat(ids, ", ") or "none", zone_count, o.why or "this recipe",
      o.min_zones, o.min_zones), 0)
  end
  return vpc, ids
end

return M
