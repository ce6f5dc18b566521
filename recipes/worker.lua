-- A worker on AWS Fargate: a service with no load balancer (a queue
-- consumer, a scheduled job's runner), on the same resource types as
-- fargate_alb.lua.
--
--   fgrun [--env NAME] [-D key=value ...] recipes/worker.lua   deploy or update
--   fgrun [--env NAME] recipes/worker.lua status | logs [-f]   (the actions of every deployment)
--   fgrun [--env NAME] --destroy recipes/worker.lua            remove it all
local fg = require "fg"
local fgrun = require "fgrun"
local fga = require "fg.aws"

local p = fg.params{
  image = "public.ecr.aws/docker/library/busybox:stable", -- the worker's image
  command = { "sh", "-c", "while true; do echo working; sleep 30; done" },
  environment = {},                    -- { NAME = "value" } into the container
  cpu = "256", memory = "512",
  platform = "x86_64",                 -- or arm64: the CPU architecture of the image and the tasks
  desired_count = 1,
  min_capacity = 1, max_capacity = 4, cpu_target = 70.0, -- scale on CPU between these
  spot = true,                         -- FARGATE_SPOT: a worker can be interrupted
  vpc_id = fg.optional "string", subnet_ids = fg.optional "table",
  public_ip = true,                    -- to reach the registry from a public subnet (no NAT)
  secrets = fg.optional "table",       -- { NAME = "<Secrets Manager secret ARN>" }
  task_permissions = fg.optional "table", -- { { actions = {...}, resources = { ARNs } } }, e.g. the queue
  exec = false,
  log_retention_days = 14,
  deploy_timeout = 600,
}
fga.check(p, {
  cpu = "task_definition.cpu", memory = "task_definition.memory",
  platform = fg.image.platform,
  log_retention_days = "log_group.retention_days", secrets = require("fg.aws.secrets").check,
  task_permissions = require("fg.aws.policy_document").check_scoped,
})

local d = fg.deployment("worker")
local res = fga.use(d)
local suffix = d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)
local function name(prefix) return prefix .. "-" .. suffix end

local net = d:read("network", function()
  return fg.network{ vpc_id = p.vpc_id, subnet_ids = p.subnet_ids, min_zones = 1 }
end)
local vpc, subnets = net.vpc, net.subnets

-- no way in (a new group has no ingress rule); out only over HTTPS (the
-- registry, logs, secrets, AWS APIs)
local group = res.security_group("security_group", { name = name("worker"), description = "Worker tasks", vpc = vpc })
res.security_group_rules("egress", { group = group.id, direction = "egress", rules = { { port = 443, cidr = "0.0.0.0/0" } } })

local roles = res.task_roles{ execution_name = name("worker-execution"), task_name = name("worker-task"),
  secrets = p.secrets, task_permissions = p.task_permissions, exec = p.exec, policy_name = "worker" }

local cluster = res.ecs_cluster("cluster", { name = name("worker") })
local log_group = res.log_group("log_group", { name = "/ecs/" .. name("worker"), retention_days = p.log_retention_days })
local task_definition = res.task_definition("task_definition", {
  family = name("worker"), cpu = p.cpu, memory = p.memory, cpu_architecture = fg.image.platform(p.platform).ecs,
  execution_role = roles.execution.arn, task_role = roles.task.arn,
  containers = { { name = "worker", image = p.image, command = p.command, environment = p.environment,
                   secrets = p.secrets, log_group = log_group.name } },
})

local service = res.ecs_service("service", {
  name = name("worker"), cluster = cluster.name, task_definition = task_definition.arn,
  desired_count = p.desired_count,
  capacity_provider_strategy = { { provider = p.spot and "FARGATE_SPOT" or "FARGATE", weight = 1 } },
  subnets = subnets, security_groups = { group.id }, assign_public_ip = p.public_ip,
  enable_execute_command = p.exec, wait_seconds = p.deploy_timeout,
})
res.scalable_target("scalable_target", { cluster = cluster.name, service = service.name,
  min_capacity = p.min_capacity, max_capacity = p.max_capacity })
res.scaling_policy("cpu_scaling", { cluster = cluster.name, service = service.name, name = name("worker-cpu"),
  metric = "ECSServiceAverageCPUUtilization", target = p.cpu_target })

d:output("service", service.arn)
d:output("logs", log_group.name)
