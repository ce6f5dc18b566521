-- Every resource type of fg.aws in one small deployment, each field fed by
-- a parameter, for tests/cli/types.sh: deploy, change one parameter,
-- re-run, and compare moto's state (tests/types/snapshot.lua).
local fg = require "fg"
local aws = require "aws"
local fgrun = require "fgrun"

local p = fg.params{
  name = "tyt", fail_at = "",
  scope = "all", -- "core": only the log group, security group, its rules and the role
  repo_scan = true, repo_mutability = "MUTABLE", repo_encryption = "AES256",
  retention = 7,
  sg_name = "sg", sg_description = "types test",
  ingress_port = 8080, ingress_cidr = "10.0.0.0/16", egress_port = 443,
  role_name = "role", role_service = "ecs-tasks.amazonaws.com", role_description = "types test",
  role_source_account = fg.optional "string",
  managed_policy = "AmazonECSTaskExecutionRolePolicy",
  policy_action = "s3:GetObject", policy_description = "types test", inline_action = "sqs:SendMessage",
  cluster_name = "cluster", insights = "disabled", default_spot_weight = 0,
  family = "td", cpu = "256", memory = "512", arch = "X86_64", image = "busybox:1", env_value = "a",
  container_port = 8080, log_prefix = "ecs", health_interval = 30,
  lb_name = "lb", scheme = "internet-facing", idle_timeout = 60, drop_invalid = true, subnet_count = 2,
  tg_name = "tg", tg_port = 8080, tg_protocol = "HTTP", hc_path = "/health", hc_interval = 5, hc_timeout = 4,
  healthy = 2, unhealthy = 2, matcher = "200", dereg = 30,
  listener_port = 80, rule_priority = 10, rule_path = "/api/*",
  service_name = "svc", desired = 2, spot = false, grace = 60, max_percent = 200, min_healthy = 100,
  breaker = true, exec = false, public_ip = true, service_tag = "a",
  min_capacity = 1, max_capacity = 4, scaling_target = 70.0, cooldown = 300,
  metric = "ECSServiceAverageCPUUtilization",
}
local d = fg.deployment(p.name)
local res = require("fg.aws").use(d)
local prefix = p.name .. "-" .. d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)
local function named(s) return prefix .. "-" .. s end
local vpc = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs[1].VpcId
local subnets = {}
for _, s in ipairs(aws.ec2.describe_subnets{ Filters = { { Name = "vpc-id", Values = { vpc } },
    { Name = "default-for-az", Values = { "true" } } } }.Subnets) do subnets[#subnets + 1] = s.SubnetId end
table.sort(subnets)
subnets = table.move(subnets, 1, p.subnet_count, 1, {})

local function fail(step) if p.fail_at == step then error("injected failure after " .. step, 0) end end

local repo = res.ecr_repository("repository", { name = named("repo"), scan_on_push = p.repo_scan,
  tag_mutability = p.repo_mutability, encryption = p.repo_encryption })
local logs = res.log_group("log_group", { name = "/tyt/" .. prefix, retention_days = p.retention })
fail("log_group")
local sg = res.security_group("security_group", { name = named(p.sg_name), description = p.sg_description, vpc = vpc })
fail("security_group")
res.security_group_rules("ingress", { group = sg.id, rules = { { port = p.ingress_port, cidr = p.ingress_cidr } } })
res.security_group_rules("egress", { group = sg.id, direction = "egress", rules = { { port = p.egress_port, cidr = "0.0.0.0/0" } } })
fail("rules")
local role = res.iam_role("role", { name = named(p.role_name), service = p.role_service,
  description = p.role_description, source_account = p.role_source_account })
fail("role")
if p.scope == "core" then return end
res.role_policy_attachment("managed_policy", { role = role.name,
  policy_arn = "arn:aws:iam::aws:policy/service-role/" .. p.managed_policy })
local policy = res.iam_policy("policy", { name = named("policy"), description = p.policy_description,
  statements = { { actions = { p.policy_action }, resources = { "arn:aws:s3:::tyt/*" } } } })
res.role_policy_attachment("customer_policy", { role = role.name, policy_arn = policy.arn })
res.role_policy("inline_policy", { role = role.name, name = "send",
  statements = { { actions = { p.inline_action }, resources = { "arn:aws:sqs:us-east-1:123456789012:tyt" } } } })
local cluster = res.ecs_cluster("cluster", { name = named(p.cluster_name), container_insights = p.insights,
  default_strategy = p.default_spot_weight > 0 and { { provider = "FARGATE_SPOT", weight = p.default_spot_weight } } or {} })
local td = res.task_definition("task_definition", { family = named(p.family), cpu = p.cpu, memory = p.memory,
  cpu_architecture = p.arch, execution_role = role.arn, containers = { {
    name = "app", image = p.image, port = p.container_port, environment = { MODE = p.env_value },
    log_group = logs.name, log_prefix = p.log_prefix,
    health_check = { command = { "CMD", "true" }, interval = p.health_interval } } } })
local lb = res.load_balancer("load_balancer", { name = named(p.lb_name), scheme = p.scheme, subnets = subnets,
  security_groups = { sg.id }, idle_timeout = p.idle_timeout, drop_invalid_header_fields = p.drop_invalid })
local tg = res.target_group("target_group", { name = named(p.tg_name), port = p.tg_port, protocol = p.tg_protocol,
  vpc = vpc, health_check_path = p.hc_path, health_check_interval = p.hc_interval, health_check_timeout = p.hc_timeout,
  healthy_threshold = p.healthy, unhealthy_threshold = p.unhealthy, matcher = p.matcher, deregistration_delay = p.dereg })
local listener = res.listener("listener", { load_balancer = lb.arn, port = p.listener_port, target_group = tg.arn })
res.listener_rule("rule", { listener = listener.arn, priority = p.rule_priority, path_patterns = { p.rule_path },
  target_group = tg.arn })
fail("rule")
local service = res.ecs_service("service", { name = named(p.service_name), cluster = cluster.name,
  task_definition = td.arn, desired_count = p.desired,
  capacity_provider_strategy = { { provider = p.spot and "FARGATE_SPOT" or "FARGATE", weight = 1 } },
  subnets = subnets, security_groups = { sg.id }, assign_public_ip = p.public_ip,
  load_balancers = { { target_group = tg.arn, container = "app", port = p.container_port } },
  health_check_grace = p.grace, max_percent = p.max_percent, min_healthy_percent = p.min_healthy,
  circuit_breaker = p.breaker, enable_execute_command = p.exec, tags = { team = p.service_tag }, wait_seconds = 60 })
fail("service")
res.scalable_target("scaling", { cluster = cluster.name, service = service.name, min_capacity = p.min_capacity,
  max_capacity = p.max_capacity })
res.scaling_policy("scaling_policy", { cluster = cluster.name, service = service.name, name = named("cpu"),
  metric = p.metric, target = p.scaling_target, scale_in_cooldown = p.cooldown, scale_out_cooldown = p.cooldown })
d:output("repository", repo.uri)
d:output("service", service.arn)
fail("end")
