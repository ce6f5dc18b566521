-- The generic `status` action of every deployment: the recorded steps,
-- then what AWS says of the services, load balancers, target groups,
-- certificates and alarms they name, then what the deployment holds that is billed while it runs
-- (tasks, load balancers, public IPv4 addresses).
--
--   status.show(d, {say = function(line)})   (default: standard output)
local json = require "json"
local recorded = require "fg.recorded"
local lookup = require "fg.lookup"
local escape = require("fgrun.text").escape

local status = {}

-- Amazon VPC pricing, "Public IPv4 address": $0.005 per IP per hour, in
-- use or idle, since 2024-02-01 (https://aws.amazon.com/vpc/pricing/).
status.IPV4_HOURLY_USD = 0.005

local function aws() return require "aws" end

local function short_id(arn) return tostring(arn):match("[^/]+$") end

local function vcpu(units)
  local n = tonumber(units)
  return n and (("%g vCPU"):format(n / 1024)) or "? vCPU"
end

-- The public IPv4 addresses of these network interfaces (id -> address).
local function public_addresses(eni_ids)
  local found = {}
  if #eni_ids == 0 then return found end
  local ok, r = pcall(aws().ec2.describe_network_interfaces, { NetworkInterfaceIds = eni_ids })
  if not ok then return found end
  for _, n in ipairs(r.NetworkInterfaces or {}) do
    if n.Association and n.Association.PublicIp then found[n.NetworkInterfaceId] = n.Association.PublicIp end
  end
  return found
end

local function eni_of(task)
  for _, a in ipairs(task.attachments or {}) do
    if a.type == "ElasticNetworkInterface" then
      for _, kv in ipairs(a.details or {}) do
        if kv.name == "networkInterfaceId" then return kv.value end
      end
    end
  end
end

local function show_service(svc, say, billed)
  local ecs = aws().ecs
  local cluster = svc.cluster or "default"
  local s = ecs.describe_services{ cluster = cluster, services = { svc.arn } }.services[1]
  if not s or s.status == "INACTIVE" then
    say(("service %s: not found (recorded, but gone from AWS)"):format(svc.name))
    return
  end
  say(("service %s: %s, %d/%d running, %d pending"):format(s.serviceName, s.status, s.runningCount,
    s.desiredCount, s.pendingCount))
  for _, dep in ipairs(s.deployments or {}) do
    say(("  deployment %s %s: %s, %d/%d running"):format(short_id(dep.id), dep.status, dep.rolloutState or "?",
      dep.runningCount or 0, dep.desiredCount or 0))
  end
  -- a blue/green, canary or linear deployment: its stage, traffic and hook
  for _, line in ipairs(require("fg.ecs.service_deployments").status{ cluster = cluster, service = s.serviceName }) do
    say("  " .. line)
  end
  local public = s.networkConfiguration and s.networkConfiguration.awsvpcConfiguration
    and s.networkConfiguration.awsvpcConfiguration.assignPublicIp == "ENABLED"
  local arns = ecs.list_tasks{ cluster = cluster, serviceName = s.serviceName }.taskArns
  if #arns == 0 then return end
  local tasks = ecs.describe_tasks{ cluster = cluster, tasks = arns }.tasks
  local enis = {}
  for _, t in ipairs(tasks) do enis[#enis + 1] = eni_of(t) end
  local addresses = public and public_addresses(enis) or {}
  for _, t in ipairs(tasks) do
    local address = addresses[eni_of(t) or ""]
    say(("  task %s: %s, health %s, %s, %s MiB, %s%s"):format(short_id(t.taskArn), t.lastStatus,
      t.healthStatus or "UNKNOWN", vcpu(t.cpu), tostring(t.memory), t.capacityProviderName or t.launchType or "?",
      address and (", public IPv4 " .. address) or ""))
    if t.lastStatus ~= "STOPPED" then
      billed.tasks[#billed.tasks + 1] = ("%s, %s MiB (%s)"):format(vcpu(t.cpu), tostring(t.memory),
        t.capacityProviderName or t.launchType or "?")
      -- a task with a public IP holds one address, shown or not
      if public then billed.task_ips = billed.task_ips + 1 end
    end
  end
end

local function show_load_balancer(lb, say, billed)
  local elbv2 = aws().elbv2
  local r = lookup.call(elbv2.describe_load_balancers, { LoadBalancerArns = { lb.arn } }, { "LoadBalancerNotFound" })
  local l = r and r.LoadBalancers[1]
  if not l then
    say(("load balancer %s: not found (recorded, but gone from AWS)"):format(lb.name))
    return
  end
  local zones = {}
  for _, z in ipairs(l.AvailabilityZones or {}) do zones[#zones + 1] = z.ZoneName end
  table.sort(zones)
  say(("load balancer %s: %s, %s, %d zone(s) (%s), http://%s"):format(l.LoadBalancerName, l.State and l.State.Code
    or "?", l.Scheme or "?", #zones, table.concat(zones, ", "), l.DNSName))
  billed.load_balancers[#billed.load_balancers + 1] = ("%s %s (%d zones)"):format(l.Type or "application",
    l.LoadBalancerName, #zones)
  if l.Scheme == "internet-facing" then
    -- each zone's node holds at least one public address; count the
    -- load balancer's interfaces when EC2 lists them
    local ok, n = pcall(aws().ec2.describe_network_interfaces, { Filters = {
      { Name = "description", Values = { "ELB " .. (l.LoadBalancerArn:match("loadbalancer/(.+)$") or "") } } } })
    local count = 0
    for _, eni in ipairs(ok and n.NetworkInterfaces or {}) do
      if eni.Association and eni.Association.PublicIp then count = count + 1 end
    end
    billed.lb_ips = billed.lb_ips + math.max(count, #zones)
  end
end

local function show_targets(tg, say)
  local r = lookup.call(aws().elbv2.describe_target_health, { TargetGroupArn = tg.arn }, { "TargetGroupNotFound" })
  if not r then
    say(("target group %s: not found (recorded, but gone from AWS)"):format(tg.name))
    return
  end
  say(("target group %s: %d target(s)"):format(tg.name, #r.TargetHealthDescriptions))
  for _, t in ipairs(r.TargetHealthDescriptions) do
    say(("  target %s:%s %s %s"):format(t.Target.Id, tostring(t.Target.Port), t.TargetHealth.State,
      t.TargetHealth.Description or ""))
  end
end

local function show_certificate(c, say)
  local r = lookup.call(aws().acm.describe_certificate, { CertificateArn = c.arn }, { "ResourceNotFoundException" })
  if not r then
    say(("certificate %s: not found (recorded, but gone from AWS)"):format(short_id(c.arn)))
    return
  end
  local cert = r.Certificate
  say(("certificate %s: %s%s, in use by %d"):format(tostring(cert.DomainName), tostring(cert.Status),
    cert.NotAfter and (", expires " .. tostring(cert.NotAfter):sub(1, 10)) or "",
    #(cert.InUseBy or {})))
end

-- The alarms' states, in one call (DescribeAlarms takes 100 names).
local function show_alarms(alarms, say)
  if #alarms == 0 then return end
  local names = {}
  for i, a in ipairs(alarms) do names[i] = a.name end
  local found = {}
  for _, a in ipairs(aws().cloudwatch.describe_alarms{ AlarmNames = names }.MetricAlarms or {}) do found[a.AlarmName] = a end
  for _, name in ipairs(names) do
    local a = found[name]
    say(a and ("alarm %s: %s (%s)"):format(name, tostring(a.StateValue), tostring(a.StateReason))
      or ("alarm %s: not found (recorded, but gone from AWS)"):format(name))
  end
end

local function show_billed(billed, say)
  local ips = billed.task_ips + billed.lb_ips
  if #billed.tasks + #billed.load_balancers + ips == 0 then
    say("billed while it runs: nothing found")
    return
  end
  say("billed while it runs:")
  for _, lb in ipairs(billed.load_balancers) do say("  load balancer " .. lb) end
  if #billed.tasks > 0 then
    local kinds, order = {}, {}
    for _, t in ipairs(billed.tasks) do
      if not kinds[t] then kinds[t], order[#order + 1] = 0, t end
      kinds[t] = kinds[t] + 1
    end
    local parts = {}
    for _, t in ipairs(order) do parts[#parts + 1] = ("%d × %s"):format(kinds[t], t) end
    say(("  %d Fargate task(s): %s"):format(#billed.tasks, table.concat(parts, ", ")))
  end
  if ips > 0 then
    say(("  %d public IPv4 address(es) (%d of tasks, %d of load balancer zones) at $%.3f an hour each: $%.3f an hour")
      :format(ips, billed.task_ips, billed.lb_ips, status.IPV4_HOURLY_USD, ips * status.IPV4_HOURLY_USD))
  end
end

local function describe_result(r)
  if r == nil then return "(interrupted before its result was recorded)" end
  if type(r) ~= "table" then return tostring(r) end
  return r.id or r.image or r.arn or r.name or r.resource or r.policy or r.group or json.encode(r)
end

function status.show(d, opts)
  local say = opts and opts.say or function(line) io.stdout:write(escape(line), "\n") end
  local steps = d:recorded_steps()
  if #steps == 0 then
    say(("%s is not deployed (no journal)"):format(d.id))
    return
  end
  say(("%s: %d recorded steps"):format(d.id, #steps))
  for _, step in ipairs(steps) do
    say(("  %-24s %s"):format(step, describe_result(d:recorded(step))))
  end
  local found = recorded.resources(d)
  local billed = { tasks = {}, load_balancers = {}, task_ips = 0, lb_ips = 0 }
  for _, svc in ipairs(found.services) do show_service(svc, say, billed) end
  for _, lb in ipairs(found.load_balancers) do show_load_balancer(lb, say, billed) end
  for _, tg in ipairs(found.target_groups) do show_targets(tg, say) end
  for _, c in ipairs(found.certificates) do show_certificate(c, say) end
  show_alarms(found.alarms, say)
  show_billed(billed, say)
  io.stdout:flush()
  return billed
end

return status
