-- An Application Load Balancer. It drops HTTP header fields that are not
-- valid (request smuggling) unless told otherwise.
local aws = require "aws"
local fg_wait = require "fg.wait"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function describe(params)
  local r = lookup(aws.elbv2.describe_load_balancers, params, { "LoadBalancerNotFound" })
  return r and r.LoadBalancers[1]
end

local function attributes(props)
  return {
    { Key = "routing.http.drop_invalid_header_fields.enabled", Value = tostring(props.drop_invalid_header_fields) },
    { Key = "idle_timeout.timeout_seconds", Value = tostring(props.idle_timeout) },
  }
end

-- Until the load balancer is active; "failed" ends the wait at once.
local function wait_active(arn, name)
  fg_wait.wait_until(function()
    local lb = describe({ LoadBalancerArns = { arn } })
    local state = lb and lb.State or {}
    if state.Code == "active" then return true, "active" end
    if state.Code == "failed" then return "failed", "failed: " .. tostring(state.Reason or "no reason given") end
    return false, state.Code or "not visible yet"
  end, { what = "load balancer " .. name, timeout = 600, delay = 2, max_delay = 15 })
end

return T.define{
  kind = "load_balancer",
  doc = "an Application Load Balancer",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the name (32 characters at most)",
      check = function(v) if #v > 32 then return "at most 32 characters" end end },
    { "scheme", { "internet-facing", "internal" }, default = "internet-facing", replace = true,
      doc = "reachable from the internet, or only inside the VPC" },
    { "vpc", "string", replace = true, doc = "the VPC of its subnets (a load balancer never moves to another)" },
    { "subnets", "strings", required = true, normalize = T.sorted, update = "elbv2.set_subnets",
      doc = "one subnet per Availability Zone, two zones at least" },
    { "security_groups", "strings", required = true, normalize = T.sorted, update = "elbv2.set_security_groups",
      doc = "security group ids" },
    { "ip_address_type", { "ipv4", "dualstack" }, default = "ipv4", update = "elbv2.set_ip_address_type",
      doc = "IPv4 only, or IPv4 and IPv6" },
    { "drop_invalid_header_fields", "boolean", default = true, update = "elbv2.modify_load_balancer_attributes",
      doc = "drop header fields that are not valid HTTP" },
    { "idle_timeout", "integer", default = 60, update = "elbv2.modify_load_balancer_attributes",
      doc = "seconds an idle connection stays open" },
  },
  name_field = "name", name_max = 32,
  find = function(props)
    local lb = describe({ Names = { props.name } })
    return lb and { name = lb.LoadBalancerName, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  read = function(result)
    local lb = describe({ LoadBalancerArns = { result.arn } })
    if not lb then return nil end
    local subnets = {}
    for _, z in ipairs(lb.AvailabilityZones or {}) do subnets[#subnets + 1] = z.SubnetId end
    local attrs = {}
    for _, a in ipairs(aws.elbv2.describe_load_balancer_attributes{ LoadBalancerArn = result.arn }.Attributes) do
      attrs[a.Key] = a.Value
    end
    local drop = attrs["routing.http.drop_invalid_header_fields.enabled"]
    local idle = attrs["idle_timeout.timeout_seconds"]
    return { name = lb.LoadBalancerName, scheme = lb.Scheme, vpc = lb.VpcId, subnets = subnets, security_groups = lb.SecurityGroups or {},
             ip_address_type = lb.IpAddressType,
             drop_invalid_header_fields = drop == nil and T.UNKNOWN or drop == "true",
             idle_timeout = idle == nil and T.UNKNOWN or math.tointeger(tonumber(idle)) }
  end,
  create = function(props, ctx)
    local lb = aws.elbv2.create_load_balancer{
      Name = props.name, Subnets = props.subnets, SecurityGroups = props.security_groups, Scheme = props.scheme,
      Type = "application", IpAddressType = props.ip_address_type, Tags = ctx.tags,
    }.LoadBalancers[1]
    wait_active(lb.LoadBalancerArn, props.name)
    aws.elbv2.modify_load_balancer_attributes{ LoadBalancerArn = lb.LoadBalancerArn, Attributes = attributes(props) }
    return { name = props.name, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  update = function(props, result, changed)
    if changed.subnets then aws.elbv2.set_subnets{ LoadBalancerArn = result.arn, Subnets = props.subnets } end
    if changed.security_groups then
      aws.elbv2.set_security_groups{ LoadBalancerArn = result.arn, SecurityGroups = props.security_groups }
    end
    if changed.ip_address_type then
      aws.elbv2.set_ip_address_type{ LoadBalancerArn = result.arn, IpAddressType = props.ip_address_type }
    end
    if changed.drop_invalid_header_fields or changed.idle_timeout then
      aws.elbv2.modify_load_balancer_attributes{ LoadBalancerArn = result.arn, Attributes = attributes(props) }
    end
    return result
  end,
  undo = function(r)
    return {
      { call = "elbv2.delete_load_balancer", params = { LoadBalancerArn = r.arn } },
      { wait = "elbv2.load_balancers_deleted", params = { LoadBalancerArns = { r.arn } }, timeout = 600 },
    }
  end,
  id = function(r) return r.dns end,
}
