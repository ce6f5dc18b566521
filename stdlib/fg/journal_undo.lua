-- What --destroy may run from a journal alone. A journal is a file, and its
-- undo actions are calls: whoever could write one could make --destroy call
-- anything (attach a policy, open a port). Without the recipe, fgrun runs
-- only removals (delete, deregister, revoke, detach, remove, waiters; an
-- unsubscription, a DNS record's DELETE) of a known shape, and only on resources that carry this deployment's
-- fgrun:deployment tag, or whose parent does (a role's policy, a group's
-- rule, a service's scaling). Everything is checked before the first
-- removal: a refused journal changes nothing.
local aws = require "aws"
local actions = require "fg.actions"

local journal_undo = {}

local REMOVAL_VERBS = { "delete", "deregister", "revoke", "detach", "remove" }
local TAG = "fgrun:deployment"

-- Tag lists in the shapes AWS answers with, as a map.
local function tag_map(list)
  local map = {}
  for _, t in ipairs(list or {}) do
    local k, v = t.Key or t.key, t.Value or t.value
    if k then map[k] = v end
  end
  return map
end

-- Each owner lookup returns the tags of the resource the action removes
-- (or of its parent), or nil when it is already gone.
local function security_group(p)
  local g = aws.ec2.describe_security_groups{ GroupIds = { p.GroupId } }.SecurityGroups[1]
  return g and tag_map(g.Tags), "security group " .. tostring(p.GroupId)
end

local function role(p)
  return tag_map(aws.iam.list_role_tags{ RoleName = p.RoleName }.Tags), "role " .. tostring(p.RoleName)
end

local function policy(p)
  return tag_map(aws.iam.list_policy_tags{ PolicyArn = p.PolicyArn }.Tags), "policy " .. tostring(p.PolicyArn)
end

local function repository(p)
  local what = "repository " .. tostring(p.repositoryName)
  local r = aws.ecr.describe_repositories{ repositoryNames = { p.repositoryName } }.repositories[1]
  return r and tag_map(aws.ecr.list_tags_for_resource{ resourceArn = r.repositoryArn }.tags), what
end

local function cluster(p)
  local c = aws.ecs.describe_clusters{ clusters = { p.cluster }, include = { "TAGS" } }.clusters[1]
  return c and tag_map(c.tags), "cluster " .. tostring(p.cluster)
end

local function service(p)
  local s = aws.ecs.describe_services{ cluster = p.cluster, services = { p.service }, include = { "TAGS" } }.services[1]
  return s and tag_map(s.tags), ("service %s in %s"):format(tostring(p.service), tostring(p.cluster))
end

local function task_definition(p)
  local r = aws.ecs.describe_task_definition{ taskDefinition = p.taskDefinition, include = { "TAGS" } }
  return r.taskDefinition and tag_map(r.tags), "task definition " .. tostring(p.taskDefinition)
end

local function log_group(p)
  return aws.logs.list_tags_log_group{ logGroupName = p.logGroupName }.tags or {},
    "log group " .. tostring(p.logGroupName)
end

local function elbv2(key)
  return function(p)
    local d = aws.elbv2.describe_tags{ ResourceArns = { p[key] } }.TagDescriptions[1]
    return d and tag_map(d.Tags), tostring(p[key])
  end
end

-- Application Auto Scaling targets an ECS service: the service is the owner.
local function scaled_service(p)
  local cluster_name, service_name = tostring(p.ResourceId):match("^service/([^/]+)/([^/]+)$")
  if p.ServiceNamespace ~= "ecs" or not cluster_name then return false, "scalable target " .. tostring(p.ResourceId) end
  return service{ cluster = cluster_name, service = service_name }
end

local function certificate(p)
  local r = aws.acm.list_tags_for_certificate{ CertificateArn = p.CertificateArn }
  return tag_map(r.Tags), "certificate " .. tostring(p.CertificateArn)
end

local function alarm(p)
  local name = p.AlarmNames[1]
  local a = aws.cloudwatch.describe_alarms{ AlarmNames = { name } }.MetricAlarms[1]
  return a and tag_map(aws.cloudwatch.list_tags_for_resource{ ResourceARN = a.AlarmArn }.Tags), "alarm " .. tostring(name)
end

local function topic(p)
  return tag_map(aws.sns.list_tags_for_resource{ ResourceArn = p.TopicArn }.Tags), "topic " .. tostring(p.TopicArn)
end

local function subscription(p)
  local a = aws.sns.get_subscription_attributes{ SubscriptionArn = p.SubscriptionArn }.Attributes
  return topic{ TopicArn = a.TopicArn }
end

-- A DNS record has no tags: it is this deployment's when it aliases one of
-- its load balancers, or is the validation record of one of its certificates.
local function record(p)
  local route53 = require "fg.aws.route53"
  local set = p.ChangeBatch.Changes[1].ResourceRecordSet
  local what = ("DNS record %s %s"):format(tostring(set.Name), tostring(set.Type))
  local neither = what .. " (neither an alias nor a certificate's validation record)"
  if set.AliasTarget then
    local dns = route53.name(set.AliasTarget.DNSName):gsub("^dualstack%.", "")
    for _, lb in ipairs(aws.elbv2.describe_load_balancers{}.LoadBalancers) do
      if route53.name(lb.DNSName) == dns then return elbv2("LoadBalancerArn")(lb), what end
    end
    return false, neither
  end
  local value = set.Type == "CNAME" and set.ResourceRecords and #set.ResourceRecords == 1 and set.ResourceRecords[1].Value
  if not value then return false, neither end
  local list = aws.acm.list_certificates{ Includes = { keyTypes = { "RSA_2048", "EC_prime256v1", "EC_secp384r1" } } }
  for _, c in ipairs(list.CertificateSummaryList or {}) do
    local cert = aws.acm.describe_certificate{ CertificateArn = c.CertificateArn }.Certificate
    for _, o in ipairs(cert.DomainValidationOptions or {}) do
      local rr = o.ResourceRecord
      if rr and route53.name(rr.Name) == route53.name(set.Name) and route53.name(rr.Value) == route53.name(value) then
        return certificate{ CertificateArn = c.CertificateArn }, what
      end
    end
  end
  return false, neither
end

-- The removals a journal may hold: the parameters each may have (nothing
-- else, so none can widen what it touches) and who owns what it removes.
local KNOWN = {
  ["ec2.delete_security_group"] = { keys = { "GroupId" }, owner = security_group },
  ["ec2.revoke_security_group_ingress"] = { keys = { "GroupId", "IpPermissions" }, owner = security_group },
  ["ec2.revoke_security_group_egress"] = { keys = { "GroupId", "IpPermissions" }, owner = security_group },
  ["iam.delete_role"] = { keys = { "RoleName" }, owner = role },
  ["iam.detach_role_policy"] = { keys = { "RoleName", "PolicyArn" }, owner = role },
  ["iam.delete_role_policy"] = { keys = { "RoleName", "PolicyName" }, owner = role },
  ["iam.delete_policy"] = { keys = { "PolicyArn" }, owner = policy },
  ["ecr.delete_repository"] = { keys = { "repositoryName", "force" }, owner = repository },
  ["ecs.delete_cluster"] = { keys = { "cluster" }, owner = cluster },
  ["ecs.delete_service"] = { keys = { "cluster", "service", "force" }, owner = service },
  -- scaling a service to zero before its removal
  ["ecs.update_service"] = { keys = { "cluster", "service", "desiredCount" }, owner = service,
                             only = function(p) return p.desiredCount == 0 end },
  ["ecs.deregister_task_definition"] = { keys = { "taskDefinition" }, owner = task_definition },
  ["logs.delete_log_group"] = { keys = { "logGroupName" }, owner = log_group },
  ["logs.delete_retention_policy"] = { keys = { "logGroupName" }, owner = log_group },
  ["elbv2.delete_load_balancer"] = { keys = { "LoadBalancerArn" }, owner = elbv2("LoadBalancerArn") },
  ["elbv2.delete_target_group"] = { keys = { "TargetGroupArn" }, owner = elbv2("TargetGroupArn") },
  ["elbv2.delete_listener"] = { keys = { "ListenerArn" }, owner = elbv2("ListenerArn") },
  ["elbv2.delete_rule"] = { keys = { "RuleArn" }, owner = elbv2("RuleArn") },
  ["application_autoscaling.deregister_scalable_target"] = {
    keys = { "ServiceNamespace", "ScalableDimension", "ResourceId" }, owner = scaled_service },
  ["application_autoscaling.delete_scaling_policy"] = {
    keys = { "ServiceNamespace", "ScalableDimension", "ResourceId", "PolicyName" }, owner = scaled_service },
  ["acm.delete_certificate"] = { keys = { "CertificateArn" }, owner = certificate },
  ["cloudwatch.delete_alarms"] = { keys = { "AlarmNames" }, owner = alarm,
                                   only = function(p) return type(p.AlarmNames) == "table" and #p.AlarmNames == 1 end },
  ["sns.delete_topic"] = { keys = { "TopicArn" }, owner = topic },
  ["sns.unsubscribe"] = { keys = { "SubscriptionArn" }, owner = subscription },
  -- one record set deleted
  ["route53.change_resource_record_sets"] = { keys = { "HostedZoneId", "ChangeBatch" }, owner = record,
    only = function(p)
      local changes = type(p.ChangeBatch) == "table" and p.ChangeBatch.Changes
      return type(changes) == "table" and #changes == 1 and changes[1].Action == "DELETE"
        and type(changes[1].ResourceRecordSet) == "table"
    end },
}

local function is_removal(call)
  local op = call:match("%.([%w_]+)$") or ""
  for _, verb in ipairs(REMOVAL_VERBS) do
    if op:find("^" .. verb .. "_") then return true end
  end
  -- the scale-down before a service's removal, an unsubscription, a DNS
  -- change (each checked by KNOWN's only)
  return call == "ecs.update_service" or call == "sns.unsubscribe" or call == "route53.change_resource_record_sets"
end

local function refuse(path, step, fmt, ...)
  error(("journal %s, step %s: %s. Nothing was changed; run --destroy with the recipe instead of the journal")
    :format(path, step, fmt:format(...)), 0)
end

-- The shape of one call action, without any call to AWS.
local function check_shape(a, path, step)
  if not is_removal(a.call) then
    refuse(path, step, "its undo calls %s, which removes nothing (a journal alone may only delete, "
      .. "deregister, revoke, detach or remove)", a.call)
  end
  local known = KNOWN[a.call:gsub("-", "_")]
  if not known then refuse(path, step, "fgrun cannot check who owns what %s removes", a.call) end
  local allowed = {}
  for _, k in ipairs(known.keys) do allowed[k] = true end
  for k in pairs(a.params or {}) do
    if not allowed[k] then refuse(path, step, "%s with parameter %s is not a removal fgrun knows", a.call, tostring(k)) end
  end
  if known.only and not known.only(a.params or {}) then
    refuse(path, step, "%s with these parameters is not a removal", a.call)
  end
  return known
end

-- journal_undo.check(steps, deployment_id, path): raises unless every call
-- of every step's journaled undo is a known removal of a resource tagged
-- fgrun:deployment = deployment_id (or already gone). steps: entries with
-- name and undo. The shapes are checked first, with no call at all.
function journal_undo.check(steps, deployment_id, path)
  local owners = {}
  for _, entry in ipairs(steps) do
    actions.check(entry.undo or {}, "journal " .. path .. ", step " .. tostring(entry.name))
    for _, a in ipairs(entry.undo or {}) do
      if a.call then owners[#owners + 1] = { entry = entry, action = a, known = check_shape(a, path, entry.name) } end
    end
  end
  for _, o in ipairs(owners) do
    local ok, tags, what = pcall(o.known.owner, o.action.params or {})
    if not ok and not actions.is_gone(type(tags) == "table" and tags.code) then
      refuse(path, o.entry.name, "cannot check who owns what %s removes (%s)", o.action.call, tostring(tags))
    end
    if ok and tags == false then
      refuse(path, o.entry.name, "%s is not a removal fgrun knows", what)
    end
    if ok and tags and tags[TAG] ~= deployment_id then
      refuse(path, o.entry.name, "%s does not carry the tag %s=%s (%s), so it is not this deployment's",
        what, TAG, deployment_id, tags[TAG] and ("it has " .. tags[TAG]) or "it has none")
    end
  end
end

return journal_undo
