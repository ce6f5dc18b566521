-- A listener of a load balancer, forwarding to a target group by default,
-- or answering every request with a permanent redirect to HTTPS.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function default_actions(props)
  if props.redirect_port then
    -- the path, query and host are kept (#{host}, #{path}, #{query} by default)
    return { { Type = "redirect", RedirectConfig = { Protocol = "HTTPS", Port = tostring(props.redirect_port),
                                                     StatusCode = "HTTP_301" } } }
  end
  return { { Type = "forward", TargetGroupArn = props.target_group } }
end

local function fields_of(l)
  local action = l.DefaultActions and l.DefaultActions[1]
  local tg = action and (action.TargetGroupArn
    or (action.ForwardConfig and action.ForwardConfig.TargetGroups and action.ForwardConfig.TargetGroups[1].TargetGroupArn))
  local redirect = action and action.Type == "redirect" and action.RedirectConfig
  return { load_balancer = l.LoadBalancerArn, port = l.Port, protocol = l.Protocol, target_group = tg,
           redirect_port = redirect and redirect.Protocol == "HTTPS" and math.tointeger(tonumber(redirect.Port)) or nil,
           certificate = l.Certificates and l.Certificates[1] and l.Certificates[1].CertificateArn or nil,
           ssl_policy = l.Protocol == "HTTPS" and l.SslPolicy or nil }
end

local function request(props)
  local r = { Port = props.port, Protocol = props.protocol, DefaultActions = default_actions(props) }
  if props.certificate then r.Certificates = { { CertificateArn = props.certificate } } end
  if props.protocol == "HTTPS" then r.SslPolicy = props.ssl_policy end
  return r
end

return T.define{
  kind = "listener",
  doc = "a load balancer listener",
  fields = {
    { "load_balancer", "string", required = true, replace = true, doc = "the load balancer's ARN" },
    { "port", "integer", default = 80, update = "elbv2.modify_listener", doc = "the port it listens on" },
    { "protocol", { "HTTP", "HTTPS" }, default = "HTTP", update = "elbv2.modify_listener", doc = "HTTP or HTTPS" },
    { "target_group", "string", update = "elbv2.modify_listener", doc = "where requests go by default" },
    { "redirect_port", "integer", update = "elbv2.modify_listener",
      doc = "instead of target_group: every request redirected (301) to HTTPS on this port" },
    { "certificate", "string", update = "elbv2.modify_listener", doc = "the ACM certificate ARN (HTTPS)" },
    { "ssl_policy", "string", update = "elbv2.modify_listener", doc = "the TLS policy (HTTPS)" },
  },
  check = function(props)
    if props.protocol == "HTTPS" and not props.certificate then return "an HTTPS listener needs certificate" end
    if (props.target_group ~= nil) == (props.redirect_port ~= nil) then
      return "a listener has target_group or redirect_port, one of them"
    end
  end,
  find = function(props)
    local r = lookup(aws.elbv2.describe_listeners, { LoadBalancerArn = props.load_balancer }, { "LoadBalancerNotFound" })
    for _, l in ipairs(r and r.Listeners or {}) do
      if l.Port == props.port then return { arn = l.ListenerArn } end
    end
  end,
  read = function(result)
    local r = lookup(aws.elbv2.describe_listeners, { ListenerArns = { result.arn } }, { "ListenerNotFound" })
    local l = r and r.Listeners[1]
    return l and fields_of(l)
  end,
  create = function(props, ctx)
    local r = request(props)
    r.LoadBalancerArn, r.Tags = props.load_balancer, ctx.tags
    return { arn = aws.elbv2.create_listener(r).Listeners[1].ListenerArn }
  end,
  update = function(props, result)
    local r = request(props)
    r.ListenerArn = result.arn
    aws.elbv2.modify_listener(r)
    return result
  end,
  undo = function(r)
    return { { call = "elbv2.delete_listener", params = { ListenerArn = r.arn }, gone = { "ListenerNotFound" } } }
  end,
  id = function(r) return r.arn:match("[^/]+/[^/]+$") end,
}
