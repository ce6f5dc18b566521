-- Prints what moto holds of the resources whose names contain arg[1], one
-- line per resource or setting, sorted, with ids turned into names where a
-- name exists (so that a replaced resource compares by what it is). Used
-- by tests/cli/types.sh to assert that a change reached AWS and that
-- nothing else changed; the last line is "total N" (resources, not
-- settings). With arg[2], a DNS zone's name: also the certificates for
-- names in it and its records (other than NS and SOA).
local aws = require "aws"
local json = require "json"
local mark = assert(arg[1], "usage: snapshot.lua NAME-PART [ZONE-NAME]")
local zone_name = arg[2]
local lines, total = {}, 0
local function has(s) return type(s) == "string" and s:find(mark, 1, true) ~= nil end
local function line(fmt, ...) lines[#lines + 1] = fmt:format(...) end
local function resource(fmt, ...) total = total + 1 line(fmt, ...) end
local function enc(v) return json.encode(v, { sort_keys = true }) end

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
    line("security_group %s vpc=%s", g.GroupName, g.VpcId)
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

local function role_name(arn) return arn and arn:match("role/(.+)$") or tostring(arn) end

for _, r in ipairs(aws.ecr.describe_repositories{}.repositories) do
  if has(r.repositoryName) then
    resource("ecr_repository %s scan=%s mutability=%s encryption=%s", r.repositoryName,
      tostring(r.imageScanningConfiguration.scanOnPush), r.imageTagMutability, r.encryptionConfiguration.encryptionType)
  end
end

for _, pol in ipairs(aws.iam.all("list_policies", { Scope = "Local" }).Policies) do
  if has(pol.PolicyName) then
    local v = aws.iam.get_policy_version{ PolicyArn = pol.Arn, VersionId = pol.DefaultVersionId }.PolicyVersion
    local versions = #aws.iam.all("list_policy_versions", { PolicyArn = pol.Arn }).Versions
    resource("iam_policy %s description=%s versions=%d document=%s", pol.PolicyName, tostring(pol.Description),
      versions, enc(v.Document))
  end
end

-- task definitions: the latest active revision of each family (a change
-- registers a new one; the older ones stay for the service's rollback)
local latest = {}
for _, arn in ipairs(aws.ecs.all("list_task_definitions", { status = "ACTIVE" }).taskDefinitionArns) do
  local family, rev = arn:match("task%-definition/(.+):(%d+)$")
  if has(family) and (not latest[family] or tonumber(rev) > latest[family].rev) then
    latest[family] = { rev = tonumber(rev), arn = arn }
  end
end
for family, l in pairs(latest) do
  local td = aws.ecs.describe_task_definition{ taskDefinition = l.arn }.taskDefinition
  local c = td.containerDefinitions[1]
  resource("task_definition %s cpu=%s memory=%s arch=%s execution_role=%s task_role=%s container=%s", family, td.cpu,
    td.memory, td.runtimePlatform and td.runtimePlatform.cpuArchitecture or "-", role_name(td.executionRoleArn),
    role_name(td.taskRoleArn), enc({
      name = c.name, image = c.image, portMappings = c.portMappings, environment = c.environment,
      logConfiguration = c.logConfiguration, healthCheck = c.healthCheck }))
end

local tg_names = {}
for _, tg in ipairs(aws.elbv2.describe_target_groups{}.TargetGroups) do tg_names[tg.TargetGroupArn] = tg.TargetGroupName end
local function names_of(list, map)
  local out = {}
  for i, x in ipairs(list or {}) do out[i] = map[x] or x end
  table.sort(out)
  return table.concat(out, ",")
end

local clusters = aws.ecs.list_clusters{}.clusterArns
for _, c in ipairs(#clusters > 0 and aws.ecs.describe_clusters{ clusters = clusters, include = { "SETTINGS" } }.clusters or {}) do
  if has(c.clusterName) and c.status == "ACTIVE" then
    resource("ecs_cluster %s providers=%s strategy=%s settings=%s", c.clusterName, enc(c.capacityProviders or {}),
      enc(c.defaultCapacityProviderStrategy or {}), enc(c.settings or {}))
    local arns = aws.ecs.list_services{ cluster = c.clusterArn }.serviceArns
    for _, sv in ipairs(#arns > 0 and aws.ecs.describe_services{ cluster = c.clusterArn, services = arns,
        include = { "TAGS" } }.services or {}) do
      if sv.status == "ACTIVE" then
        local family, rev = sv.taskDefinition:match("task%-definition/(.+):(%d+)$")
        local net = sv.networkConfiguration.awsvpcConfiguration
        local lbs = {}
        for i, lb in ipairs(sv.loadBalancers or {}) do
          lbs[i] = ("%s:%s:%d"):format(tg_names[lb.targetGroupArn] or lb.targetGroupArn, lb.containerName, lb.containerPort)
        end
        local tags = {}
        for _, t in ipairs(sv.tags or {}) do if not t.key:match("^fgrun:") then tags[#tags + 1] = t.key .. "=" .. t.value end end
        table.sort(tags)
        resource("ecs_service %s td=%s desired=%d strategy=%s subnets=%s groups=%s public_ip=%s lbs=%s grace=%s "
          .. "deployment=%s exec=%s platform=%s tags=%s", sv.serviceName,
          family .. (latest[family] and latest[family].rev == tonumber(rev) and "@latest" or (":" .. rev)),
          sv.desiredCount, enc(sv.capacityProviderStrategy or {}), table.concat(net.subnets, ","),
          names_of(net.securityGroups, group_names), net.assignPublicIp, table.concat(lbs, ","),
          tostring(sv.healthCheckGracePeriodSeconds), enc(sv.deploymentConfiguration or {}),
          tostring(sv.enableExecuteCommand), tostring(sv.platformVersion), table.concat(tags, ","))
      end
    end
  end
end

for _, lb in ipairs(aws.elbv2.describe_load_balancers{}.LoadBalancers) do
  if has(lb.LoadBalancerName) then
    local attrs = {}
    for _, a in ipairs(aws.elbv2.describe_load_balancer_attributes{ LoadBalancerArn = lb.LoadBalancerArn }.Attributes) do
      if a.Key == "routing.http.drop_invalid_header_fields.enabled" or a.Key == "idle_timeout.timeout_seconds" then
        attrs[#attrs + 1] = a.Key .. "=" .. a.Value
      end
    end
    table.sort(attrs)
    local subnets = {}
    for _, z in ipairs(lb.AvailabilityZones) do subnets[#subnets + 1] = z.SubnetId end
    table.sort(subnets)
    resource("load_balancer %s scheme=%s subnets=%s groups=%s ip=%s %s", lb.LoadBalancerName, lb.Scheme,
      table.concat(subnets, ","), names_of(lb.SecurityGroups, group_names), lb.IpAddressType, table.concat(attrs, " "))
    for _, l in ipairs(aws.elbv2.describe_listeners{ LoadBalancerArn = lb.LoadBalancerArn }.Listeners) do
      local a = l.DefaultActions[1]
      local redirect = a.RedirectConfig and ("%s:%s:%s"):format(a.RedirectConfig.Protocol, a.RedirectConfig.Port,
        a.RedirectConfig.StatusCode)
      resource("listener %s port=%d protocol=%s %s%s", lb.LoadBalancerName, l.Port, l.Protocol,
        redirect and ("redirect=" .. redirect) or ("forward=" .. (tg_names[a.TargetGroupArn] or "?")),
        l.Certificates and #l.Certificates > 0 and (" certificate=%s policy=%s"):format(
          aws.acm.describe_certificate{ CertificateArn = l.Certificates[1].CertificateArn }.Certificate.DomainName,
          tostring(l.SslPolicy)) or "")
      for _, r in ipairs(aws.elbv2.describe_rules{ ListenerArn = l.ListenerArn }.Rules) do
        if not r.IsDefault then
          resource("listener_rule %s:%d priority=%s conditions=%s forward=%s", lb.LoadBalancerName, l.Port, r.Priority,
            enc(r.Conditions), tg_names[r.Actions[1].TargetGroupArn] or "?")
        end
      end
    end
  end
end

for _, tg in ipairs(aws.elbv2.describe_target_groups{}.TargetGroups) do
  if has(tg.TargetGroupName) then
    local delay = "?"
    for _, a in ipairs(aws.elbv2.describe_target_group_attributes{ TargetGroupArn = tg.TargetGroupArn }.Attributes) do
      if a.Key == "deregistration_delay.timeout_seconds" then delay = a.Value end
    end
    line("target_group %s vpc=%s", tg.TargetGroupName, tg.VpcId)
    resource("target_group %s port=%d protocol=%s type=%s health=%s,%d,%d,%d,%d,%s deregistration_delay=%s",
      tg.TargetGroupName, tg.Port, tg.Protocol, tg.TargetType, tg.HealthCheckPath, tg.HealthCheckIntervalSeconds,
      tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount, tg.Matcher.HttpCode, delay)
  end
end

local scaling = aws.application_autoscaling
for _, t in ipairs(scaling.describe_scalable_targets{ ServiceNamespace = "ecs" }.ScalableTargets) do
  if has(t.ResourceId) then resource("scalable_target %s min=%d max=%d", t.ResourceId, t.MinCapacity, t.MaxCapacity) end
end
for _, sp in ipairs(scaling.describe_scaling_policies{ ServiceNamespace = "ecs" }.ScalingPolicies) do
  if has(sp.PolicyName) then
    local c = sp.TargetTrackingScalingPolicyConfiguration
    local m = c.PredefinedMetricSpecification
    resource("scaling_policy %s on=%s metric=%s%s target=%s cooldown=%s/%s", sp.PolicyName, sp.ResourceId,
      m.PredefinedMetricType, m.ResourceLabel and ("@" .. m.ResourceLabel) or "", tostring(c.TargetValue),
      tostring(c.ScaleInCooldown), tostring(c.ScaleOutCooldown))
  end
end

local lb_names = {}
for _, lb in ipairs(aws.elbv2.describe_load_balancers{}.LoadBalancers) do lb_names[lb.DNSName:lower()] = lb.LoadBalancerName end
if zone_name then
  local function in_zone(n) n = n:lower():gsub("%.$", "") return n == zone_name or n:sub(-#zone_name - 1) == "." .. zone_name end
  local certs = aws.acm.list_certificates{ Includes = { keyTypes = { "RSA_2048", "EC_prime256v1", "EC_secp384r1" } } }
  for _, c in ipairs(certs.CertificateSummaryList) do
    if in_zone(c.DomainName) then
      local cert = aws.acm.describe_certificate{ CertificateArn = c.CertificateArn }.Certificate
      local rr = cert.DomainValidationOptions and cert.DomainValidationOptions[1].ResourceRecord
      resource("certificate %s status=%s validation=%s key=%s", cert.DomainName, cert.Status,
        rr and (rr.Name .. " " .. rr.Type .. " " .. rr.Value) or "-", tostring(cert.KeyAlgorithm))
    end
  end
  for _, z in ipairs(aws.route53.list_hosted_zones{}.HostedZones) do
    if z.Name:lower():gsub("%.$", "") == zone_name then
      for _, set in ipairs(aws.route53.list_resource_record_sets{ HostedZoneId = z.Id }.ResourceRecordSets) do
        if set.Type ~= "NS" and set.Type ~= "SOA" then
          local values = {}
          for i, v in ipairs(set.ResourceRecords or {}) do values[i] = v.Value end
          local alias = set.AliasTarget and set.AliasTarget.DNSName:lower():gsub("%.$", ""):gsub("^dualstack%.", "")
          resource("dns_record %s %s %s", set.Name, set.Type, alias and ("alias=" .. (lb_names[alias] or alias))
            or ("ttl=" .. tostring(set.TTL) .. " values=" .. table.concat(values, ",")))
        end
      end
    end
  end
end

local topic_names = {}
for _, t in ipairs(aws.sns.list_topics{}.Topics) do
  local name = t.TopicArn:match("[^:]+$")
  topic_names[t.TopicArn] = name
  if has(name) then
    resource("sns_topic %s", name)
    for _, sub in ipairs(aws.sns.list_subscriptions_by_topic{ TopicArn = t.TopicArn }.Subscriptions) do
      resource("sns_subscription %s %s %s", name, sub.Protocol, sub.Endpoint)
    end
  end
end
for _, a in ipairs(aws.cloudwatch.describe_alarms{}.MetricAlarms) do
  -- TargetTracking-*: Application Auto Scaling's own, named after the service
  if has(a.AlarmName) and not a.AlarmName:match("^TargetTracking%-") then
    local what
    if a.Metrics and #a.Metrics > 0 then
      local parts = {}
      for _, m in ipairs(a.Metrics) do
        parts[#parts + 1] = m.Expression or (m.Id .. "=" .. m.MetricStat.Metric.MetricName .. "/" .. m.MetricStat.Stat)
      end
      what = table.concat(parts, ";")
    else
      local dims = {}
      for _, d in ipairs(a.Dimensions or {}) do dims[#dims + 1] = d.Name .. "=" .. d.Value:gsub("/[%w]+$", "") end
      table.sort(dims)
      what = ("%s/%s %s %s"):format(a.Namespace, a.MetricName, a.Statistic, table.concat(dims, ","))
    end
    local actions = {}
    for i, t in ipairs(a.AlarmActions or {}) do actions[i] = topic_names[t] or t end
    resource("metric_alarm %s %s %s threshold=%s periods=%s/%s missing=%s actions=%s", a.AlarmName, what,
      a.ComparisonOperator, tostring(a.Threshold), tostring(a.DatapointsToAlarm), tostring(a.EvaluationPeriods),
      tostring(a.TreatMissingData), table.concat(actions, ","))
  end
end

table.sort(lines)
for _, l in ipairs(lines) do print(l) end
print("total " .. total)
