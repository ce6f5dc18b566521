-- A containerized service on AWS Fargate behind an Application Load Balancer.
--
--   fgrun [--env NAME] [-D key=value ...] recipes/fargate_alb.lua   deploy or update
--   fgrun [--env NAME] recipes/fargate_alb.lua status | url | logs [-f]
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

local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local inspect = dofile(here .. "/lib/inspect.lua") -- status, url, logs
local image_step = dofile(here .. "/lib/image.lua") -- build, smoke test, push, scan
local network = dofile(here .. "/lib/network.lua") -- the VPC and subnets
local action = inspect.action({ "deploy", "status", "url", "logs" })

local p = fg.params{
  app_dir = "app",                     -- the service's build context, beside this file
  image = fg.optional "string",        -- deploy this image instead of building app_dir
  version = "v1.0",                    -- image tag, besides "latest"
  container_port = 3000,
  cpu = "256", memory = "512",         -- a Fargate size: 0.25 vCPU, 512 MiB
  cpu_architecture = "X86_64",         -- or ARM64: the platform the image is built for
  desired_count = 3,
  min_capacity = 2, max_capacity = 10, -- auto scaling bounds
  cpu_target = 70.0, memory_target = 80.0,
  spot = false,                        -- FARGATE_SPOT capacity instead of FARGATE
  vpc_id = fg.optional "string",       -- default: the region's default VPC
  subnet_ids = fg.optional "table",    -- default: its default subnets, one per zone
  secrets = fg.optional "table",       -- { NAME = "<Secrets Manager secret ARN>" } into the container
  task_permissions = fg.optional "table", -- { { actions = {...}, resources = { ARNs } } } for the app's own calls
  exec = false,                        -- ECS Exec into the tasks (and the permissions it needs)
  fail_on_severity = fg.optional "string", -- e.g. "CRITICAL": stop when the image scan finds that or worse
  log_retention_days = 7,
  health_check_path = "/health",
  health_check_interval = 5, health_check_timeout = 4, -- seconds; then healthy/unhealthy after
  healthy_threshold = 2, unhealthy_threshold = 2,      -- this many probes in a row
  deregistration_delay = 30,           -- seconds a stopping task keeps its connections
  smoke_test = true,                   -- run the image here and probe it before pushing
  deploy_timeout = 900,
}

-- Values that AWS would refuse are refused here, before anything is made.
fga.check(p, {
  cpu = "task_definition.cpu", memory = "task_definition.memory", cpu_architecture = "task_definition.cpu_architecture",
  log_retention_days = "log_group.retention_days", health_check_path = "target_group.health_check_path",
  health_check_interval = "target_group.health_check_interval", health_check_timeout = "target_group.health_check_timeout",
  healthy_threshold = "target_group.healthy_threshold", unhealthy_threshold = "target_group.unhealthy_threshold",
  deregistration_delay = "target_group.deregistration_delay", secrets = require("fg.aws.secrets").check,
  task_permissions = require("fg.aws.policy_document").check_scoped, fail_on_severity = image_step.check_severity,
})

local d = fg.deployment("fargate-alb", { inspect = action ~= "deploy" })
if action ~= "deploy" then return inspect.run(d, action, arg[2]) end
local res = fga.use(d)

-- ---- names and network --------------------------------------------------------

local suffix = d:value("suffix", function()
  return aws.secretsmanager.get_random_password{
    PasswordLength = 6, ExcludePunctuation = true, ExcludeUppercase = true, RequireEachIncludedType = true,
  }.RandomPassword
end)
local function name(prefix) return prefix .. "-" .. suffix end

local vpc, subnets
if not d.destroying then
  vpc, subnets = network.resolve{ vpc_id = p.vpc_id, subnet_ids = p.subnet_ids, min_zones = 2, why = "the load balancer" }
end

-- ---- the image ----------------------------------------------------------------

local building = not d.destroying and not p.image
local local_image = building and image_step.build{
  context = p.app_dir:sub(1, 1) == "/" and p.app_dir or (here .. "/" .. p.app_dir),
  tag = ("fgrun-demo-%s:%s"):format(suffix, p.version), port = p.container_port,
  health_path = p.health_check_path, smoke_test = p.smoke_test,
} or nil

local repository = res.ecr_repository("repository", { name = name("fargate-demo"), scan_on_push = true })
local image = building and image_step.push(local_image, repository,
  { version = p.version, fail_on_severity = p.fail_on_severity }) or p.image

-- ---- network rules: the load balancer reaches the tasks, the tasks reach HTTPS --

local alb_sg = res.security_group("alb_security_group",
  { name = name("fargate-alb") .. "-sg", description = "Load balancer of fargate-service-" .. suffix, vpc = vpc })
local task_sg = res.security_group("task_security_group",
  { name = name("fargate-sg"), description = "Fargate tasks of fargate-service-" .. suffix, vpc = vpc })
res.security_group_rules("alb_ingress", { group = alb_sg.id, rules = { { port = 80, cidr = "0.0.0.0/0" } } })
res.security_group_rules("alb_egress", { group = alb_sg.id, direction = "egress",
  rules = { { port = p.container_port, group = task_sg.id } } })
res.security_group_rules("task_ingress", { group = task_sg.id, rules = { { port = p.container_port, group = alb_sg.id } } })
res.security_group_rules("task_egress", { group = task_sg.id, direction = "egress",
  rules = { { port = 443, cidr = "0.0.0.0/0" } } }) -- ECR, logs, secrets: HTTPS only

-- ---- IAM: the roles of the task (ECS assumes them for this account only) ----------

local roles = res.task_roles{ execution_name = "ecsTaskExecutionRole-" .. suffix, task_name = "ecsTaskRole-" .. suffix,
  secrets = p.secrets, task_permissions = p.task_permissions, exec = p.exec }

-- ---- cluster, logs, task definition ---------------------------------------------

local cluster = res.ecs_cluster("cluster", { name = name("fargate-cluster"), capacity_providers = { "FARGATE", "FARGATE_SPOT" },
  default_strategy = { { provider = "FARGATE", weight = 1, base = 1 }, { provider = "FARGATE_SPOT", weight = 4 } } })
local log_group = res.log_group("log_group", { name = "/ecs/" .. name("fargate-task"), retention_days = p.log_retention_days })

local task_definition = res.task_definition("task_definition", {
  family = name("fargate-task"), cpu = p.cpu, memory = p.memory, cpu_architecture = p.cpu_architecture,
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

-- ---- load balancer ----------------------------------------------------------------

local load_balancer = res.load_balancer("load_balancer",
  { name = name("fargate-alb"), vpc = vpc, subnets = subnets, security_groups = { alb_sg.id } })
local target_group = res.target_group("target_group", {
  name = name("fargate-tg"), port = p.container_port, vpc = vpc, health_check_path = p.health_check_path,
  health_check_interval = p.health_check_interval, health_check_timeout = p.health_check_timeout,
  healthy_threshold = p.healthy_threshold, unhealthy_threshold = p.unhealthy_threshold,
  deregistration_delay = p.deregistration_delay,
})
local listener = res.listener("listener", { load_balancer = load_balancer.arn, port = 80, target_group = target_group.arn })

-- ---- the service and its scaling -----------------------------------------------------

local service = res.ecs_service("service", {
  name = name("fargate-service"), cluster = cluster.name, task_definition = task_definition.arn,
  desired_count = p.desired_count, -- left to auto scaling once its target exists
  capacity_provider_strategy = { { provider = p.spot and "FARGATE_SPOT" or "FARGATE", weight = 1 } },
  subnets = subnets, security_groups = { task_sg.id }, assign_public_ip = true,
  load_balancers = { { target_group = target_group.arn, container = "fargate-demo-container", port = p.container_port } },
  health_check_grace = 120, max_percent = 200, min_healthy_percent = 50, circuit_breaker = true,
  enable_execute_command = p.exec, wait_seconds = p.deploy_timeout,
})

res.scalable_target("scalable_target", { cluster = cluster.name, service = service.name,
  min_capacity = p.min_capacity, max_capacity = p.max_capacity })
res.scaling_policy("cpu_scaling", { cluster = cluster.name, service = service.name, name = service.name .. "-cpu-scaling",
  metric = "ECSServiceAverageCPUUtilization", target = p.cpu_target })
res.scaling_policy("memory_scaling", { cluster = cluster.name, service = service.name,
  name = service.name .. "-memory-scaling", metric = "ECSServiceAverageMemoryUtilization", target = p.memory_target })

-- ---- checks: they report, they never fail a deploy AWS calls healthy --------------------

local function check_deployment()
  local escape = require("fgrun.text").escape -- what AWS answers may hold control bytes
  local say = function(fmt, ...) if not fgrun.quiet then print(escape(fmt:format(...), true)) end end
  say("checks:")
  local s = aws.ecs.describe_services{ cluster = cluster.name, services = { service.name } }.services[1]
  say("  service %s: %s, %d/%d running", s.serviceName, s.status, s.runningCount, s.desiredCount)
  local tasks = aws.ecs.list_tasks{ cluster = cluster.name, serviceName = service.name }.taskArns
  for _, t in ipairs(#tasks > 0 and aws.ecs.describe_tasks{ cluster = cluster.name, tasks = tasks }.tasks or {}) do
    say("  task %s: %s, health %s, cpu %s, memory %s", t.taskArn:match("[^/]+$"), t.lastStatus,
      t.healthStatus or "UNKNOWN", tostring(t.cpu), tostring(t.memory))
  end
  for _, t in ipairs(aws.elbv2.describe_target_health{ TargetGroupArn = target_group.arn }.TargetHealthDescriptions) do
    say("  target %s: %s %s", t.Target.Id, t.TargetHealth.State, t.TargetHealth.Description or "")
  end
  local http = require "http"
  local base = "http://" .. load_balancer.dns
  local reachable, why = pcall(http.get, base .. "/health", { timeout = 5 })
  if not reachable then
    say("  HTTP checks skipped: %s cannot be reached from here (%s)", base, tostring(why.message or why))
    return
  end
  local spread, count = {}, 0
  for _ = 1, 20 do
    local ok, r = pcall(http.get, base .. "/", { timeout = 5 })
    local okj, body = pcall(json.decode, ok and r.body or "")
    local host = okj and type(body) == "table" and type(body.container) == "table" and body.container.hostname or "error"
    if not spread[host] then count = count + 1 end
    spread[host] = (spread[host] or 0) + 1
  end
  local parts = {}
  for host, n in pairs(spread) do parts[#parts + 1] = host .. " " .. n end
  table.sort(parts)
  say("  20 requests over %d task(s): %s", count, table.concat(parts, ", "))
end

if not d.destroying then
  local ok, err = pcall(check_deployment)
  if not ok then print(require("fgrun.text").escape("  checks stopped: " .. tostring(err), true)) end
  d:output("url", "http://" .. load_balancer.dns)
  d:output("service", service.arn)
  d:output("image", image)
end
