-- A Route 53 record set in a hosted zone: an alias to a load balancer (A,
-- or AAAA for dualstack) or plain values with a TTL. Written with UPSERT,
-- so a change of target or values is in place; another name, type or zone
-- is another record.
local aws = require "aws"
local T = require "fg.aws.type"
local route53 = require "fg.aws.route53"
local lookup = require("fg.lookup").call

-- The load balancer's DNS name and the zone Route 53 aliases it by.
local function load_balancer(arn)
  local r = lookup(aws.elbv2.describe_load_balancers, { LoadBalancerArns = { arn } }, { "LoadBalancerNotFound" })
  local lb = r and r.LoadBalancers[1]
  if not lb then error(("dns_record: load balancer %s does not exist"):format(arn), 0) end
  return lb
end

local function set_of(props)
  local set = { Name = props.name, Type = props.type }
  if props.alias_load_balancer then
    local lb = load_balancer(props.alias_load_balancer)
    -- the dualstack. prefix answers both address families (Route 53
    -- developer guide, "Routing traffic to an ELB load balancer")
    set.AliasTarget = { HostedZoneId = lb.CanonicalHostedZoneId, DNSName = "dualstack." .. lb.DNSName,
                        EvaluateTargetHealth = props.evaluate_target_health }
  else
    set.TTL = props.ttl
    set.ResourceRecords = {}
    for i, v in ipairs(props.values) do set.ResourceRecords[i] = { Value = v } end
  end
  return set
end

-- The alias target as the fields say it: the load balancer whose DNS name it is.
local function alias_arn(target)
  local dns = route53.name(target.DNSName):gsub("^dualstack%.", "")
  for _, lb in ipairs(aws.elbv2.describe_load_balancers{}.LoadBalancers) do
    if route53.name(lb.DNSName) == dns then return lb.LoadBalancerArn end
  end
  return "(not a load balancer of this region: " .. dns .. ")"
end

local function result_of(props, set)
  return { zone = props.zone, name = route53.name(props.name), type = props.type, set = set }
end

return T.define{
  kind = "dns_record",
  doc = "a Route 53 record set (an alias to a load balancer, or values)",
  fields = {
    { "zone", "string", required = true, replace = true, doc = "the hosted zone's id" },
    { "name", "string", required = true, replace = true, normalize = route53.name, doc = "the record's name" },
    { "type", { "A", "AAAA", "CNAME", "TXT" }, default = "A", replace = true, doc = "the record type" },
    { "alias_load_balancer", "string", update = "route53.change_resource_record_sets",
      doc = "the ARN of the load balancer it aliases" },
    { "evaluate_target_health", "boolean", default = true, update = "route53.change_resource_record_sets",
      doc = "alias: answer only while the load balancer has healthy targets" },
    { "values", "strings", update = "route53.change_resource_record_sets", doc = "the values (no alias)" },
    { "ttl", "integer", default = 300, update = "route53.change_resource_record_sets", doc = "seconds (no alias)" },
  },
  check = function(props)
    if (props.alias_load_balancer ~= nil) == (props.values ~= nil) then
      return "a record has alias_load_balancer or values, one of them"
    end
  end,
  find = function(props)
    local set = route53.record(props.zone, props.name, props.type)
    return set and result_of(props, set)
  end,
  read = function(result)
    local set = route53.record(result.zone, result.name, result.type)
    if not set then return nil end
    local live = { zone = result.zone, name = route53.name(set.Name), type = set.Type }
    if set.AliasTarget then
      live.alias_load_balancer = alias_arn(set.AliasTarget)
      live.evaluate_target_health = set.AliasTarget.EvaluateTargetHealth
      live.ttl = T.UNKNOWN
    else
      live.values = {}
      for i, v in ipairs(set.ResourceRecords or {}) do live.values[i] = v.Value end
      live.ttl, live.evaluate_target_health = set.TTL, T.UNKNOWN
    end
    return live
  end,
  create = function(props)
    local set = set_of(props)
    route53.upsert(props.zone, set)
    return result_of(props, set)
  end,
  update = function(props)
    local set = set_of(props)
    route53.upsert(props.zone, set)
    return result_of(props, set)
  end,
  undo = function(r) return { route53.removal(r.zone, r.set) } end,
  id = function(r) return r.name .. " " .. r.type end,
}
