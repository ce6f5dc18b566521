-- A containerized service on AWS Fargate behind an Application Load Balancer.
--
--   fgrun [--env NAME] [-D key=value ...] recipes/fargate_alb.lua   deploy or update
--   fgrun [--env NAME] recipes/fargate_alb.lua status | url | logs [-f]
--   fgrun [--env NAME] recipes/fargate_alb.lua rollback | continue    the deployment in progress
--   fgrun [--env NAME] --destroy recipes/fargate_alb.lua            remove it all
--
-- Every resource is a step of the fg.aws library: fgrun records what each
-- one created, changes in place what can change in place, replaces what
-- cannot, rolls back a failure, and --destroy needs nothing else. Edit
-- freely: it is plain Lua.
local fg = require "fg"
local aws = require "aws"
local json = require "json"
local fgrun = require "fgrun"
local fga = require "fg.aws"

local p = fg.params{
  app_dir = "app",                     -- the service's build context, beside this file
  image = fg.optional "string",        -- deploy this image instead of building app_dir
  version = "v1.0",                    -- image tag, besides "latest"
  container_port = 3000,
  cpu = "256", memory = "512",         -- a Fargate size: 0.25 vCPU, 512 MiB
  platform = "x86_64",                 -- the tasks' CPU architecture (or arm64); the image is built for it
  desired_count = 3,
  min_capacity = 2, max_capacity = 10, -- auto scaling bounds
  cpu_target = 70.0, memory_target = 80.0,
  spot = false,                        -- FARGATE_SPOT capacity instead of FARGATE
  vpc_id = fg.optional "string",       -- default: the region's default VPC
  subnet_ids = fg.optional "table",    -- default: its default subnets, one per zone
  secrets = fg.optional "table",       -- { NAME = "<Secrets Manager secret ARN>" } into the container
  task_permissions = fg.optional "table", -- { { actions = {...}, resources = { ARNs } } } for the app's own calls
  exec = false,                        -- ECS Exec into the tasks (and the permissions it needs)
  domain = fg.optional "string",       -- serve HTTPS at this name (app.example.com), HTTP redirected to it
  hosted_zone = fg.optional "string",  -- domain's Route 53 zone (id or name); default: the zone holding it
  tls_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06", -- the HTTPS listener's TLS versions and ciphers
  alarm_email = fg.optional "string",  -- alarms to a new SNS topic that mails this address,
  alarm_topic = fg.optional "string",  -- or to this SNS topic (ARN)
  alarm_cpu = 90, alarm_memory = 90,   -- percent of the service's CPU or memory that raises an alarm
  alarm_5xx_percent = 5,               -- percent of requests answered 5xx that raises an alarm
  fail_on_severity = fg.optional "string", -- e.g. "CRITICAL": stop when the image scan finds that or worse
  log_retention_days = 7,
  health_check_path = "/health",
  health_check_interval = 5, health_check_timeout = 4, -- seconds; then healthy/unhealthy after
  healthy_threshold = 2, unhealthy_threshold = 2,      -- this many probes in a row
  deregistration_delay = 30,           -- seconds a stopping task keeps its connections
  smoke_test = true,                   -- run the image here and probe it before pushing
  deploy_timeout = 900,
  -- how a new version replaces the old: rolling (tasks replaced in place), blue_green (all
  -- production traffic at once), canary (canary_percent, the rest canary_interval minutes
  -- later) or linear (linear_percent every linear_interval minutes); the old version is kept
  -- bake_minutes after, for a rollback (fgrun ... rollback)
  strategy = "rolling", bake_minutes = 5,
  canary_percent = 5.0, canary_interval = 10, linear_percent = 10.0, linear_interval = 6,
  test_listener_port = fg.optional "integer", -- the new version on this port before production traffic moves
  pause_at = fg.optional "string",     -- a lifecycle stage to wait at for `fgrun ... continue`
}

-- Values that AWS would refuse are refused here, before anything is made.
fga.check(p, {
  cpu = "task_definition.cpu", memory = "task_definition.memory", platform = fg.image.platform,
  log_retention_days = "log_group.retention_days", health_check_path = "target_group.health_check_path",
  health_check_interval = "target_group.health_check_interval", health_check_timeout = "target_group.health_check_timeout",
  healthy_threshold = "target_group.healthy_threshold", unhealthy_threshold = "target_group.unhealthy_threshold",
  deregistration_delay = "target_group.deregistration_delay", secrets = require("fg.aws.secrets").check,
  task_permissions = require("fg.aws.policy_document").check_scoped,
  fail_on_severity = fg.scan.rank,
})
fga.check(p, { domain = "acm_certificate.domain", alarm_email = "sns_subscription.endpoint",
  alarm_topic = require("fg.aws.service_alarms").check_topic, alarm_cpu = "metric_alarm.threshold",
  alarm_memory = "metric_alarm.threshold", alarm_5xx_percent = "metric_alarm.threshold" })
if p.alarm_email and p.alarm_topic then error("parameters alarm_email and alarm_topic: give one of them", 0) end
if p.hosted_zone and not p.domain then error("parameter hosted_zone: only with domain (the zone that holds its name)", 0) end
local shift = fga.traffic_shift(p) -- nil for rolling

local d = fg.deployment("fargate-alb") -- status, url and logs [-f] are the actions of every deployment
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local res = fga.use(d)

-- ---- before anything is created: what the caller may do -------------------------

local caller = d:read("caller", fg.caller) -- its account and partition, for ARNs
local SERVICE_ROLES = { "ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com" }
local function role_arns(prefix) return fg.arn{ service = "iam", resource = "role/" .. prefix .. "-*", account = caller.account,
                                            partition = caller.partition } end
fg.preflight(d, {
  needs = {
    { action = "iam:PassRole", resource = role_arns("ecsTaskExecutionRole"), why = "ECS pulls the image and writes logs with it" },
    { action = "iam:PassRole", resource = role_arns("ecsTaskRole"), why = "the tasks run with it" },
    { action = "secretsmanager:GetRandomPassword", why = "the random suffix of the names" },
    require("fg.aws.secrets").needs(p.secrets), -- a secret's key named by an alias: kms:DescribeKey
    shift and { action = "iam:PassRole", resource = role_arns("ecsInfrastructureRole"),
                why = "ECS moves the listener rules of the " .. p.strategy .. " deployments with it" } or nil,
  },
  tagging = { "ecs", "elasticloadbalancing", "ec2", "iam", "ecr", "logs" },
  service_linked_roles = SERVICE_ROLES, caller = caller,
})
-- the hosted zone that holds domain (an error names what is wrong)
local zone = p.domain and not d.destroying and require("fg.aws.route53").zone_for(p.domain, p.hosted_zone) or nil

-- ---- names and network: one subnet per zone, two zones unless subnet_ids says --

local suffix = d:value("suffix", function()
  return aws.secretsmanager.get_random_password{
    PasswordLength = 6, ExcludePunctuation = true, ExcludeUppercase = true, RequireEachIncludedType = true,
  }.RandomPassword
end)
local function name(prefix) return prefix .. "-" .. suffix end

local net = d:read("network", function() return fg.network{ vpc_id = p.vpc_id, subnet_ids = p.subnet_ids } end)
local vpc, subnets = net.vpc, net.subnets

-- ---- the image: built and tried here before anything is created, then pushed ---

local app = not p.image and fg.image.build(d, {
  context = p.app_dir:sub(1, 1) == "/" and p.app_dir or (here .. "/" .. p.app_dir),
  platform = p.platform, smoke_test = p.smoke_test and { port = p.container_port, path = p.health_check_path },
})
-- the account's service-linked roles of ECS and its auto scaling, made or
-- awaited once the image is known to work
fg.service_linked_roles(d, SERVICE_ROLES)

-- ---- network rules: the load balancer reaches the tasks, the tasks reach HTTPS --

local alb_sg = res.security_group("alb_security_group",
  { name = name("fargate-alb") .. "-sg", description = "Load balancer of fargate-service-" .. suffix, vpc = vpc })
local task_sg = res.security_group("task_security_group",
  { name = name("fargate-sg"), description = "Fargate tasks of fargate-service-" .. suffix, vpc = vpc })
local alb_ports = { { port = 80, cidr = "0.0.0.0/0" } }
if p.domain then alb_ports[#alb_ports + 1] = { port = 443, cidr = "0.0.0.0/0" } end
if shift and p.test_listener_port then alb_ports[#alb_ports + 1] = { port = p.test_listener_port, cidr = "0.0.0.0/0" } end
res.security_group_rules("alb_ingress", { group = alb_sg.id, rules = alb_ports })
res.security_group_rules("alb_egress", { group = alb_sg.id, direction = "egress",
  rules = { { port = p.container_port, group = task_sg.id } } })
local task_ingress = res.security_group_rules("task_ingress", { group = task_sg.id, rules = { { port = p.container_port, group = alb_sg.id } } })
local task_egress = res.security_group_rules("task_egress", { group = task_sg.id, direction = "egress",
  rules = { { port = 443, cidr = "0.0.0.0/0" } } }) -- ECR, logs, secrets: HTTPS only

-- ---- IAM: the roles of the task (ECS assumes them for this account only) ----------

local roles = res.task_roles{ execution_name = "ecsTaskExecutionRole-" .. suffix, task_name = "ecsTaskRole-" .. suffix,
  secrets = p.secrets, task_permissions = p.task_permissions, exec = p.exec }

-- ---- cluster, logs --------------------------------------------------------------

local cluster = res.ecs_cluster("cluster", { name = name("fargate-cluster"), capacity_providers = { "FARGATE", "FARGATE_SPOT" },
  default_strategy = { { provider = "FARGATE", weight = 1, base = 1 }, { provider = "FARGATE_SPOT", weight = 4 } } })
local log_group = res.log_group("log_group", { name = "/ecs/" .. name("fargate-task"), retention_days = p.log_retention_days })

-- ---- load balancer ----------------------------------------------------------------

local load_balancer = res.load_balancer("load_balancer",
  { name = name("fargate-alb"), vpc = vpc, subnets = subnets, security_groups = { alb_sg.id } })
local target_group_fields = {
  name = name("fargate-tg"), port = p.container_port, vpc = vpc, health_check_path = p.health_check_path,
  health_check_interval = p.health_check_interval, health_check_timeout = p.health_check_timeout,
  healthy_threshold = p.healthy_threshold, unhealthy_threshold = p.unhealthy_threshold,
  deregistration_delay = p.deregistration_delay,
}
local target_group = res.target_group("target_group", target_group_fields)
-- HTTPS at domain: a certificate validated through the zone, the listener, the name (before
-- HTTP turns into a redirect to it; --destroy removes the certificate after the listener)
local https_listener
if p.domain then
  local certificate = res.acm_certificate("certificate", { domain = p.domain, zone = zone and zone.id })
  https_listener = res.listener("https_listener", { load_balancer = load_balancer.arn, port = 443, protocol = "HTTPS",
    certificate = certificate.arn, ssl_policy = p.tls_policy, target_group = target_group.arn },
    { ready = { certificate } }) -- once ACM has issued it (its wait runs beside the load balancer's)
  res.dns_record("dns_record", { zone = zone and zone.id, name = p.domain, alias_load_balancer = load_balancer.arn })
end
local listener = res.listener("listener", { load_balancer = load_balancer.arn, port = 80,
  target_group = not p.domain and target_group.arn or nil, redirect_port = p.domain and 443 or nil })
-- blue/green, canary, linear: a second target group, the listener rules ECS moves (on the
-- HTTPS listener when there is a domain), its role
local traffic = res.traffic_shift(shift, { name = name("fargate"), load_balancer = load_balancer.arn,
  listener = (https_listener or listener).arn, target_group = target_group.arn, alternate = target_group_fields,
  alternate_name = name("fargate-tg2"), role_name = "ecsInfrastructureRole-" .. suffix, test_port = p.test_listener_port })

-- ---- the image pushed and scanned while the load balancer provisions --------------

local repository = res.ecr_repository("repository", { name = name("fargate-demo"), scan_on_push = true })
local pushed = app and fg.image.push(d, app, repository, { tags = { p.version, "latest" },
                                                          fail_on_severity = p.fail_on_severity })
local image = pushed and pushed.image or p.image

-- ---- task definition -------------------------------------------------------------

local task_definition = res.task_definition("task_definition", {
  family = name("fargate-task"), cpu = p.cpu, memory = p.memory, cpu_architecture = fg.image.platform(p.platform).ecs,
  execution_role = roles.execution.arn, task_role = roles.task.arn,
  containers = { {
    name = "fargate-demo-container", image = image, port = p.container_port, secrets = p.secrets,
    environment = { PORT = tostring(p.container_port), APP_ENV = fgrun.options.env or "default" },
    log_group = log_group.name,
    -- there is no shell or curl in the image: the binary checks itself
    health_check = { command = { "CMD", "/fgrun-demo-app", "--healthcheck" }, interval = 30, timeout = 5, retries = 3,
                     start_period = 60 },
  } },
})

-- ---- the service and its scaling -----------------------------------------------------

local service = res.ecs_service("service", {
  name = name("fargate-service"), cluster = cluster.name, task_definition = task_definition.arn,
  desired_count = p.desired_count, -- left to auto scaling once its target exists
  capacity_provider_strategy = { { provider = p.spot and "FARGATE_SPOT" or "FARGATE", weight = 1 } },
  subnets = subnets, security_groups = { task_sg.id }, assign_public_ip = true,
  load_balancers = { traffic.load_balancer{ target_group = target_group.arn, container = "fargate-demo-container",
                                           port = p.container_port } },
  health_check_grace = 120, max_percent = 200, min_healthy_percent = 50, circuit_breaker = true,
  enable_execute_command = p.exec, wait_seconds = p.deploy_timeout, traffic_shift = shift,
}, { after = { listener, task_ingress, task_egress, table.unpack(roles.grants) } }) -- what ECS needs first

local scalable_target = res.scalable_target("scalable_target", { cluster = cluster.name, service = service.name,
  min_capacity = p.min_capacity, max_capacity = p.max_capacity })
res.scaling_policy("cpu_scaling", { cluster = cluster.name, service = service.name, name = service.name .. "-cpu-scaling",
  metric = "ECSServiceAverageCPUUtilization", target = p.cpu_target }, { after = { scalable_target } })
res.scaling_policy("memory_scaling", { cluster = cluster.name, service = service.name,
  name = service.name .. "-memory-scaling", metric = "ECSServiceAverageMemoryUtilization", target = p.memory_target },
  { after = { scalable_target } })

-- ---- alarms: unhealthy targets, 5xx answers, CPU, memory, to SNS -------------------

if p.alarm_email or p.alarm_topic then
  res.service_alarms{ prefix = name("fargate"), email = p.alarm_email, topic = p.alarm_topic,
    load_balancer = load_balancer.arn, target_group = target_group.arn,
    alternate_target_group = traffic.alternate_target_group and traffic.alternate_target_group.arn,
    cluster = cluster.name, service = service.name,
    cpu = p.alarm_cpu, memory = p.alarm_memory, errors_percent = p.alarm_5xx_percent }
end

-- ---- checks: they report, and never fail a deploy AWS says is healthy -------

local url = p.domain and ("https://" .. p.domain) or ("http://" .. load_balancer.dns)
d:output("url", url)
d:output("service", service.arn)
d:output("image", image)

d:after_deploy(function()
  local http = require "http"
  local base = url
  fg.say("checks:")
  fg.check("service", function()
    local s = aws.ecs.describe_services{ cluster = cluster.name, services = { service.name } }.services[1]
    return ("%s: %s, %d/%d running"):format(s.serviceName, s.status, s.runningCount, s.desiredCount)
  end)
  -- where the listener sends requests now: after a blue/green update, the other target group
  fg.check("targets", fga.serving_targets, (https_listener or listener).arn)
  if not fg.check("GET /health", function()
    return ("HTTP %d"):format(http.get(base .. "/health", { timeout = 5 }).status)
  end) then
    return fg.say("  HTTP checks skipped: %s cannot be reached from here", base)
  end
  fg.check("20 requests", function()
    local spread, parts = {}, {}
    for _ = 1, 20 do
      local ok, r = pcall(http.get, base .. "/", { timeout = 5 })
      local got, body = false, nil
      if ok then got, body = pcall(json.decode, r.body) end
      local host = got and type(body) == "table" and type(body.container) == "table" and body.container.hostname
      host = host or (ok and ("HTTP " .. r.status) or "error")
      spread[host] = (spread[host] or 0) + 1
    end
    for host, n in pairs(spread) do parts[#parts + 1] = tostring(host) .. " " .. n end
    table.sort(parts)
    return ("over %d task(s): %s"):format(#parts, table.concat(parts, ", "))
  end)
end)
