-- A containerized service on AWS Fargate behind an Application Load Balancer.
--
--   fgrun [--env NAME] [-D key=value ...] recipes/fargate_alb.lua   deploy or update
--   fgrun [--env NAME] recipes/fargate_alb.lua status | url | logs [-f]
--   fgrun [--env NAME] recipes/fargate_alb.lua rollback | continue    the deployment in progress
--   fgrun [--env NAME] --destroy recipes/fargate_alb.lua            remove it all
--
-- Every resource is a step: fgrun records what each one created and how to
-- remove it, so a failure rolls back, a re-run changes only what changed,
-- and --destroy needs nothing else. Edit freely: it is plain Lua.
local fg = require "fg"
local aws = require "aws"
local json = require "json"
local fgrun = require "fgrun"

local action = arg[1] or "deploy"
local ACTIONS = { deploy = true, status = true, url = true, logs = true, rollback = true, continue = true }
if not ACTIONS[action] then
  local hint = action:match("^%-") and " (fgrun's options go before the recipe: fgrun --env prod recipes/fargate_alb.lua)" or ""
  error(("unknown action %q: use deploy (the default), status, url, logs [-f], rollback or continue%s"):format(action, hint), 0)
end

local p = fg.params{
  app_dir = "app",                     -- the service's build context, beside this file
  image = fg.optional "string",        -- deploy this image instead of building app_dir
  version = "v1.0",                    -- image tag, besides "latest"
  container_port = 3000,
  cpu = "256", memory = "512",         -- a Fargate size: 0.25 vCPU, 512 MiB
  desired_count = 3,
  min_capacity = 2, max_capacity = 10, -- auto scaling bounds
  cpu_target = 70.0, memory_target = 80.0,
  spot = false,                        -- FARGATE_SPOT capacity strategy instead of the FARGATE launch type
  vpc_id = fg.optional "string",       -- default: the region's default VPC
  subnet_ids = fg.optional "table",    -- default: its default subnets, one per zone
  secrets = fg.optional "table",       -- { NAME = "<Secrets Manager ARN>" } into the container
  fail_on_severity = fg.optional "string", -- e.g. "CRITICAL": stop when the image scan finds that or worse
  log_retention_days = 7,
  health_check_path = "/health",
  smoke_test = true,                   -- run the image here and probe it before pushing
  deploy_timeout = 900,
}

local d = fg.deployment("fargate-alb", { inspect = action ~= "deploy" })
local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local region = require("aws.transport").resolve_region()

-- what AWS answers may hold control bytes: they are escaped
local escape = require("fgrun.text").escape
local function say(fmt, ...)
  if not fgrun.quiet then io.stdout:write(escape(fmt:format(...), true), "\n") io.stdout:flush() end
end

local function code_of(err) return type(err) == "table" and err.code or nil end

-- Calls fn(params); an error whose code is in `absent` means "not there": nil.
local function lookup(fn, params, absent)
  local ok, result = pcall(fn, params)
  if ok then return result end
  for _, c in ipairs(absent) do
    if code_of(result) == c then return nil end
  end
  error(result, 0)
end

-- ---- actions that only look ------------------------------------------------

local function show_status()
  local steps = d:recorded_steps()
  if #steps == 0 then say("fargate-alb is not deployed (no journal)") return end
  say("fargate-alb%s: %d recorded steps", fgrun.options.env and (" (env " .. fgrun.options.env .. ")") or "", #steps)
  for _, step in ipairs(steps) do
    local r = d:recorded(step)
    local id = r == nil and "(interrupted before its result was recorded)"
      or type(r) ~= "table" and tostring(r)
      or r.id or r.arn or r.name or r.resource or r.policy or r.group or json.encode(r)
    say("  %-22s %s", step, id)
  end
  local service = d:recorded("service")
  if service then
    local s = aws.ecs.describe_services{ cluster = service.cluster, services = { service.name } }.services[1]
    if s then
      say("service %s: %s, %d/%d running, %d pending", s.serviceName, s.status, s.runningCount, s.desiredCount, s.pendingCount)
      for _, dep in ipairs(s.deployments or {}) do
        say("  deployment %s %s: %s, %d/%d running", dep.id, dep.status, dep.rolloutState or "?", dep.runningCount, dep.desiredCount)
      end
      for _, line in ipairs(fg.deployment_status{ cluster = service.cluster, service = service.name }) do say("  %s", line) end
    end
  end
  local lb = d:recorded("load_balancer")
  if lb then
    local l = lookup(aws.elbv2.describe_load_balancers, { LoadBalancerArns = { lb.arn } }, { "LoadBalancerNotFound" })
    l = l and l.LoadBalancers[1]
    say("load balancer %s: %s, http://%s", lb.name, l and l.State.Code or "gone", lb.dns)
  end
  local tg = d:recorded("target_group")
  if tg then
    local h = lookup(aws.elbv2.describe_target_health, { TargetGroupArn = tg.arn }, { "TargetGroupNotFound" })
    for _, t in ipairs(h and h.TargetHealthDescriptions or {}) do
      say("  target %s:%s %s %s", t.Target.Id, tostring(t.Target.Port), t.TargetHealth.State, t.TargetHealth.Description or "")
    end
  end
end

local function show_logs(follow)
  local group = d:recorded("log_group")
  if not group then error("fargate-alb has no log group recorded: deploy it first", 0) end
  local start = math.floor((fgrun.now() - 3600) * 1000)
  local seen = {}
  repeat
    local page = aws.logs.filter_log_events{ logGroupName = group.name, startTime = start }
    for _, e in ipairs(page.events or {}) do
      if not seen[e.eventId] then
        seen[e.eventId] = true
        io.stdout:write(os.date("!%Y-%m-%dT%H:%M:%SZ", e.timestamp // 1000), " ", escape(e.logStreamName), " ",
          escape(e.message, true), "\n")
        start = math.max(start, e.timestamp)
      end
    end
    io.stdout:flush()
    if follow then fgrun.sleep(2) end
  until not follow
end

if action == "status" then return show_status() end
if action == "url" then
  local url = d:recorded_outputs().url
  if not url then error("fargate-alb is not deployed (no URL recorded)", 0) end
  return print(url)
end
if action == "logs" then return show_logs(arg[2] == "-f") end
if action == "rollback" or action == "continue" then
  local service = d:recorded("service")
  if not service then error("fargate-alb has no service recorded: deploy it first", 0) end
  local run = action == "rollback" and fg.rollback_deployment or fg.continue_deployment
  local sd = run{ cluster = service.cluster, service = service.name, timeout = p.deploy_timeout }
  return say("%s: deployment %s %s", service.name, sd.serviceDeploymentArn:match("[^/]+$"), sd.status)
end

-- ---- names -----------------------------------------------------------------

local suffix = d:value("suffix", function()
  return aws.secretsmanager.get_random_password{
    PasswordLength = 6, ExcludePunctuation = true, ExcludeUppercase = true,
    RequireEachIncludedType = true,
  }.RandomPassword
end)

local names = {
  cluster = "fargate-cluster-" .. suffix,
  service = "fargate-service-" .. suffix,
  family = "fargate-task-" .. suffix,
  repository = "fargate-demo-" .. suffix,
  alb = "fargate-alb-" .. suffix,
  target_group = "fargate-tg-" .. suffix,
  task_sg = "fargate-sg-" .. suffix,
  alb_sg = "fargate-alb-" .. suffix .. "-sg",
  execution_role = "ecsTaskExecutionRole-" .. suffix,
  task_role = "ecsTaskRole-" .. suffix,
  task_policy = "ecsTaskRole-" .. suffix .. "-Policy",
  log_group = "/ecs/fargate-task-" .. suffix,
  container = "fargate-demo-container",
}

-- ---- network ---------------------------------------------------------------

local function network()
  local vpc = p.vpc_id
  if not vpc then
    local vpcs = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs
    if #vpcs == 0 then
      error(("region %s has no default VPC: set vpc_id and subnet_ids (in env/<name>.lua, or "
        .. "-D vpc_id=vpc-... -D 'subnet_ids=[\"subnet-a\",\"subnet-b\"]')"):format(region), 0)
    end
    vpc = vpcs[1].VpcId
  end
  local filters = p.subnet_ids and { { Name = "subnet-id", Values = p.subnet_ids } }
      or { { Name = "vpc-id", Values = { vpc } }, { Name = "default-for-az", Values = { "true" } } }
  local ids, zones, zone_count = {}, {}, 0
  for _, s in ipairs(aws.ec2.describe_subnets{ Filters = filters }.Subnets) do
    ids[#ids + 1] = s.SubnetId
    if not zones[s.AvailabilityZone] then zones[s.AvailabilityZone], zone_count = true, zone_count + 1 end
  end
  table.sort(ids)
  if zone_count < 2 then
    error(("the subnets (%s) span %d Availability Zone(s); the load balancer needs two: set "
      .. "subnet_ids to subnets in at least two zones"):format(#ids > 0 and table.concat(ids, ", ") or "none",
      zone_count), 0)
  end
  return vpc, ids
end

local vpc, subnets
if not d.destroying then vpc, subnets = network() end

-- ---- the image: build, try, push, scan -------------------------------------

-- Runs the image here and asks its health endpoint; a broken image stops
-- the deploy before anything is pushed.
local function smoke_test(docker, image)
  local http = require "http"
  local c <close> = docker.run{ image = image, ports = { [p.container_port] = 0 },
                                env = { PORT = tostring(p.container_port) } }
  local url = ("http://127.0.0.1:%d%s"):format(c:port(p.container_port), p.health_check_path)
  local ok, err = pcall(fg.wait_until, function()
    local got, r = pcall(http.get, url, { timeout = 2 })
    if got and r.status == 200 then return true, "HTTP 200" end
    return false, got and ("HTTP " .. r.status) or tostring(r)
  end, { what = "smoke test of " .. image, timeout = 20, delay = 0.3, max_delay = 1 })
  if not ok then
    local logs = c:logs() or ""
    error(("the image %s failed its health probe at %s (%s): nothing was pushed. Its last log lines:\n%s")
      :format(image, url, tostring(err), logs:sub(-1500)), 0)
  end
  say("  smoke test passed: %s answered 200", p.health_check_path)
end

-- With FGRUN_REGISTRY_MAP (local stand-ins) the push went to a local
-- registry: hand its manifest to the ECR stand-in, as a push to ECR would.
local function register_with_local_ecr(docker, repo, tag)
  local http = require "http"
  local ref = repo.uri .. ":" .. tag
  local mapped = docker.map_ref(ref)
  if mapped == ref then return end
  local host, name = mapped:match("^([^/]+)/(.-):[^:/]+$")
  local r = http.get(("http://%s/v2/%s/manifests/%s"):format(host, name, tag), { headers = {
    Accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } })
  if r.status ~= 200 then error(("local registry %s: manifest %s:%s: HTTP %d"):format(host, name, tag, r.status), 0) end
  local known = aws.ecr.batch_get_image{ repositoryName = repo.name, imageIds = { { imageTag = tag } } }.images[1]
  if known and known.imageManifest == r.body then return end
  local ok, err = pcall(aws.ecr.put_image, { repositoryName = repo.name, imageTag = tag, imageManifest = r.body })
  if not ok and code_of(err) ~= "ImageAlreadyExistsException" then error(err, 0) end
end

local SEVERITIES = { "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED" }

local function scan_image(repo, tag)
  local params = { repositoryName = repo.name, imageId = { imageTag = tag } }
  local started = lookup(aws.ecr.describe_image_scan_findings, params, { "ScanNotFoundException" })
  if not started then aws.ecr.start_image_scan(params) end
  aws.ecr.wait("image_scan_complete", params, { timeout = 600, delay = 5, what = "image scan" })
  local counts = aws.ecr.describe_image_scan_findings(params).imageScanFindings.findingSeverityCounts or {}
  local parts, worst = {}, nil
  for rank, s in ipairs(SEVERITIES) do
    if (counts[s] or 0) > 0 then
      parts[#parts + 1] = ("%s %d"):format(s, counts[s])
      worst = worst or rank
    end
  end
  say("  image scan: %s", #parts > 0 and table.concat(parts, ", ") or "no findings")
  if p.fail_on_severity then
    local limit
    for rank, s in ipairs(SEVERITIES) do if s == p.fail_on_severity:upper() then limit = rank end end
    if not limit then
      error(("fail_on_severity must be one of %s, got %q"):format(table.concat(SEVERITIES, ", "), p.fail_on_severity), 0)
    end
    if worst and worst <= limit then
      error(("the image scan found %s findings at or above %s (fail_on_severity): nothing runs this image")
        :format(table.concat(parts, ", "), SEVERITIES[limit]), 0)
    end
  end
end

-- Builds the image and tries it here, before anything is created.
local function build_image()
  local docker = require "docker"
  local context = p.app_dir:sub(1, 1) == "/" and p.app_dir or (here .. "/" .. p.app_dir)
  if not io.open(context .. "/Dockerfile", "r") then
    error(("the app folder %s has no Dockerfile: set app_dir to the folder to build"):format(context), 0)
  end
  local local_image = ("fgrun-demo-%s:%s"):format(suffix, p.version)
  say("building %s from %s", local_image, context)
  -- the engine's build log only with -v; a failing build says why anyway
  docker.build{ context = context, tags = { local_image }, on_output = function(line)
    if fgrun.verbosity > 0 then io.stderr:write("    ", line, "\n") end
  end }
  if p.smoke_test then smoke_test(docker, local_image) end
  return local_image
end

-- Pushes both tags; returns the image by digest, so that each build
-- deploys exactly what was pushed.
local function push_image(local_image, repo)
  local docker = require "docker"
  local auth = docker.ecr_login(aws.ecr)
  local digest
  for _, tag in ipairs({ p.version, "latest" }) do
    local pushed = docker.push(docker.tag(local_image, repo.uri, tag), { auth = auth })
    digest = digest or pushed.digest
    register_with_local_ecr(docker, repo, tag)
  end
  say("  pushed %s:%s and :latest (%s)", repo.uri, p.version, digest)
  scan_image(repo, p.version)
  return repo.uri .. "@" .. digest
end

local building = not d.destroying and not p.image
local local_image = building and build_image() or nil

-- ---- image repository --------------------------------------------------------

local repository = d:step("repository", {
  inputs = { name = names.repository },
  find = function(i)
    local r = lookup(aws.ecr.describe_repositories, { repositoryNames = { i.name } }, { "RepositoryNotFoundException" })
    r = r and r.repositories[1]
    return r and { name = r.repositoryName, uri = r.repositoryUri }
  end,
  create = function(i, ctx)
    local r = aws.ecr.create_repository{
      repositoryName = i.name, tags = ctx.tags,
      imageScanningConfiguration = { scanOnPush = true },
      encryptionConfiguration = { encryptionType = "AES256" },
    }.repository
    return { name = r.repositoryName, uri = r.repositoryUri }
  end,
  undo = function(r)
    return { { call = "ecr.delete_repository", params = { repositoryName = r.name, force = true } } }
  end,
  id = function(r) return r.uri end,
})

local image = building and push_image(local_image, repository) or p.image

-- ---- security groups -------------------------------------------------------

local function find_group(i)
  local g = aws.ec2.describe_security_groups{ Filters = {
    { Name = "group-name", Values = { i.name } }, { Name = "vpc-id", Values = { i.vpc } } } }.SecurityGroups[1]
  return g and { id = g.GroupId, name = g.GroupName }
end

local function security_group(step, name, description)
  return d:step(step, {
    inputs = { name = name, vpc = vpc },
    find = find_group,
    create = function(i, ctx)
      local id = aws.ec2.create_security_group{
        GroupName = i.name, Description = description, VpcId = i.vpc,
        TagSpecifications = { { ResourceType = "security-group", Tags = ctx.tags } },
      }.GroupId
      return { id = id, name = i.name }
    end,
    -- network interfaces of the load balancer and tasks drain for a while
    undo = function(r)
      return { { call = "ec2.delete_security_group", params = { GroupId = r.id },
                 retry_on = { "DependencyViolation" }, timeout = 900 } }
    end,
    id = function(r) return r.id end,
  })
end

local function tcp(port, source)
  local rule = { IpProtocol = "tcp", FromPort = port, ToPort = port }
  if source:match("^sg%-") then rule.UserIdGroupPairs = { { GroupId = source } }
  else rule.IpRanges = { { CidrIp = source } } end
  return rule
end

-- Rules are steps of their own: each one call to make, one to take back.
local function rules(step, group, direction, permissions, revoke_default)
  local authorize = "authorize_security_group_" .. direction
  local revoke = "revoke_security_group_" .. direction
  local all_traffic = { { IpProtocol = "-1", IpRanges = { { CidrIp = "0.0.0.0/0" } } } }
  local function has(granted, want)
    for _, g in ipairs(granted) do
      local pair = g.UserIdGroupPairs and g.UserIdGroupPairs[1]
      local range = g.IpRanges and g.IpRanges[1]
      if g.IpProtocol == want.IpProtocol and g.FromPort == want.FromPort and g.ToPort == want.ToPort
          and ((want.UserIdGroupPairs and pair and pair.GroupId == want.UserIdGroupPairs[1].GroupId)
            or (want.IpRanges and range and range.CidrIp == want.IpRanges[1].CidrIp)) then
        return true
      end
    end
  end
  return d:step(step, {
    inputs = { group = group.id, permissions = permissions, revoke_default = revoke_default or false },
    find = function(i)
      local r = lookup(aws.ec2.describe_security_groups, { GroupIds = { i.group } }, { "InvalidGroup.NotFound" })
      local g = r and r.SecurityGroups[1]
      if not g then return nil end
      local granted = direction == "ingress" and g.IpPermissions or g.IpPermissionsEgress
      for _, want in ipairs(i.permissions) do
        if not has(granted, want) then return nil end
      end
      return { group = i.group, permissions = i.permissions }
    end,
    create = function(i)
      if i.revoke_default then
        local ok, err = pcall(aws.ec2[revoke], { GroupId = i.group, IpPermissions = all_traffic })
        if not ok and code_of(err) ~= "InvalidPermission.NotFound" then error(err, 0) end
      end
      local ok, err = pcall(aws.ec2[authorize], { GroupId = i.group, IpPermissions = i.permissions })
      if not ok and code_of(err) ~= "InvalidPermission.Duplicate" then error(err, 0) end
      return { group = i.group, permissions = i.permissions }
    end,
    undo = function(r)
      return { { call = "ec2." .. revoke, params = { GroupId = r.group, IpPermissions = r.permissions },
                 gone = { "InvalidGroup.NotFound" } } }
    end,
    id = function(r) return r.group end,
  })
end

local alb_sg = security_group("alb_security_group", names.alb_sg, "Load balancer of " .. names.service)
rules("alb_ingress", alb_sg, "ingress", { tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0") })
local task_sg = security_group("task_security_group", names.task_sg, "Fargate tasks of " .. names.service)
rules("task_ingress", task_sg, "ingress", { tcp(p.container_port, alb_sg.id) })
-- egress: HTTPS and HTTP only, instead of the default allow-all rule
rules("task_egress", task_sg, "egress", { tcp(443, "0.0.0.0/0"), tcp(80, "0.0.0.0/0") }, true)

-- ---- IAM -------------------------------------------------------------------

local TRUST = {
  Version = "2012-10-17",
  Statement = { { Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" } },
}

local function role(step, name)
  return d:step(step, {
    inputs = { name = name },
    find = function(i)
      local r = lookup(aws.iam.get_role, { RoleName = i.name }, { "NoSuchEntity" })
      return r and { name = r.Role.RoleName, arn = r.Role.Arn }
    end,
    create = function(i, ctx)
      local r = aws.iam.create_role{ RoleName = i.name, AssumeRolePolicyDocument = json.encode(TRUST), Tags = ctx.tags }.Role
      return { name = r.RoleName, arn = r.Arn }
    end,
    undo = function(r)
      return { { call = "iam.delete_role", params = { RoleName = r.name }, retry_on = { "DeleteConflict" }, timeout = 60 } }
    end,
    id = function(r) return r.name end,
  })
end

local function attachment(step, role_name, policy_arn)
  return d:step(step, {
    inputs = { role = role_name, policy = policy_arn },
    find = function(i)
      for _, a in ipairs(aws.iam.all("list_attached_role_policies", { RoleName = i.role }).AttachedPolicies) do
        if a.PolicyArn == i.policy then return { role = i.role, policy = i.policy } end
      end
    end,
    create = function(i)
      aws.iam.attach_role_policy{ RoleName = i.role, PolicyArn = i.policy }
      return { role = i.role, policy = i.policy }
    end,
    undo = function(r)
      return { { call = "iam.detach_role_policy", params = { RoleName = r.role, PolicyArn = r.policy } } }
    end,
    id = function(r) return r.policy:match("[^/]+$") end,
  })
end

local execution_role = role("execution_role", names.execution_role)
attachment("execution_role_policy", execution_role.name,
  "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy")

-- Read access for exactly the secrets the container gets.
local secret_arns = {}
for _, arn in pairs(p.secrets or {}) do secret_arns[#secret_arns + 1] = arn end
table.sort(secret_arns)
if #secret_arns > 0 then
  d:step("execution_role_secrets", {
    inputs = { role = execution_role.name, secrets = secret_arns },
    find = function(i)
      local r = lookup(aws.iam.get_role_policy, { RoleName = i.role, PolicyName = "read-secrets" }, { "NoSuchEntity" })
      return r and { role = i.role, secrets = i.secrets } or nil
    end,
    create = function(i)
      aws.iam.put_role_policy{ RoleName = i.role, PolicyName = "read-secrets", PolicyDocument = json.encode{
        Version = "2012-10-17",
        Statement = { { Effect = "Allow", Action = { "secretsmanager:GetSecretValue" }, Resource = i.secrets } },
      } }
      return { role = i.role, secrets = i.secrets }
    end,
    update = function(i) return d.specs.execution_role_secrets.create(i) end,
    undo = function(r)
      return { { call = "iam.delete_role_policy", params = { RoleName = r.role, PolicyName = "read-secrets" } } }
    end,
  })
end

local account = aws.sts.get_caller_identity{}.Account
local task_policy = d:step("task_policy", {
  inputs = { name = names.task_policy },
  find = function(i)
    local arn = ("arn:aws:iam::%s:policy/%s"):format(account, i.name)
    local r = lookup(aws.iam.get_policy, { PolicyArn = arn }, { "NoSuchEntity" })
    return r and { name = i.name, arn = r.Policy.Arn }
  end,
  create = function(i, ctx)
    local r = aws.iam.create_policy{ PolicyName = i.name, Tags = ctx.tags, PolicyDocument = json.encode{
      Version = "2012-10-17",
      Statement = { { Effect = "Allow", Resource = "*",
                      Action = { "logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData" } } },
    } }.Policy
    return { name = r.PolicyName, arn = r.Arn }
  end,
  undo = function(r)
    return { { call = "iam.delete_policy", params = { PolicyArn = r.arn }, retry_on = { "DeleteConflict" }, timeout = 60 } }
  end,
  id = function(r) return r.name end,
})
local task_role = role("task_role", names.task_role)
attachment("task_role_policy", task_role.name, task_policy.arn)

-- ---- cluster, logs, task definition -----------------------------------------

local cluster = d:step("cluster", {
  inputs = { name = names.cluster },
  find = function(i)
    local c = aws.ecs.describe_clusters{ clusters = { i.name } }.clusters[1]
    return c and c.status == "ACTIVE" and { name = c.clusterName, arn = c.clusterArn } or nil
  end,
  create = function(i, ctx)
    local c = aws.ecs.create_cluster{
      clusterName = i.name, tags = ctx.tags_lower,
      capacityProviders = { "FARGATE", "FARGATE_SPOT" },
      defaultCapacityProviderStrategy = {
        { capacityProvider = "FARGATE", weight = 1, base = 1 },
        { capacityProvider = "FARGATE_SPOT", weight = 4 },
      },
    }.cluster
    return { name = c.clusterName, arn = c.clusterArn }
  end,
  undo = function(r)
    return { { call = "ecs.delete_cluster", params = { cluster = r.arn },
               retry_on = { "ClusterContainsServicesException", "ClusterContainsTasksException" }, timeout = 600 } }
  end,
  id = function(r) return r.name end,
})

local function find_log_group(name)
  for _, g in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = name }.logGroups) do
    if g.logGroupName == name then return g end
  end
end

local log_group = d:step("log_group", {
  inputs = { name = names.log_group },
  find = function(i) return find_log_group(i.name) and { name = i.name } or nil end,
  create = function(i, ctx)
    aws.logs.create_log_group{ logGroupName = i.name, tags = ctx.tag_map }
    return { name = i.name }
  end,
  undo = function(r) return { { call = "logs.delete_log_group", params = { logGroupName = r.name } } } end,
  id = function(r) return r.name end,
})

-- CreateLogGroup takes no retention: it is a policy of its own.
d:step("log_retention", {
  inputs = { group = log_group.name, days = p.log_retention_days },
  find = function(i)
    local g = find_log_group(i.group)
    return g and g.retentionInDays == i.days and { group = i.group, days = i.days } or nil
  end,
  create = function(i)
    aws.logs.put_retention_policy{ logGroupName = i.group, retentionInDays = i.days }
    return { group = i.group, days = i.days }
  end,
  update = function(i) return d.specs.log_retention.create(i) end,
  undo = function(r) return { { call = "logs.delete_retention_policy", params = { logGroupName = r.group } } } end,
  id = function(r) return r.days .. " days" end,
})

local function container_secrets()
  local list = {}
  for name, arn in pairs(p.secrets or {}) do list[#list + 1] = { name = name, valueFrom = arn } end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

local function register_task_definition(i, ctx)
  local container = {
    name = names.container, image = i.image, essential = true,
    portMappings = { { containerPort = i.port, protocol = "tcp" } },
    environment = { { name = "PORT", value = tostring(i.port) }, { name = "APP_ENV", value = fgrun.options.env or "default" } },
    logConfiguration = { logDriver = "awslogs", options = {
      ["awslogs-group"] = i.log_group, ["awslogs-region"] = region, ["awslogs-stream-prefix"] = "ecs" } },
    -- there is no shell or curl in the image: the binary checks itself
    healthCheck = { command = { "CMD", "/fgrun-demo-app", "--healthcheck" },
                    interval = 30, timeout = 5, retries = 3, startPeriod = 60 },
  }
  if #i.secrets > 0 then container.secrets = i.secrets end
  return aws.ecs.register_task_definition{
    family = i.family, networkMode = "awsvpc", requiresCompatibilities = { "FARGATE" },
    cpu = i.cpu, memory = i.memory,
    executionRoleArn = i.execution_role, taskRoleArn = i.task_role,
    containerDefinitions = { container }, tags = ctx.tags_lower,
  }.taskDefinition.taskDefinitionArn
end

local function active_revisions(family)
  return aws.ecs.all("list_task_definitions", { familyPrefix = family, status = "ACTIVE" }).taskDefinitionArns
end

local task_definition = d:step("task_definition", {
  inputs = {
    family = names.family, image = image, port = p.container_port, cpu = p.cpu, memory = p.memory,
    log_group = log_group.name, execution_role = execution_role.arn, task_role = task_role.arn,
    secrets = container_secrets(),
  },
  find = function(i)
    local r = lookup(aws.ecs.describe_task_definition, { taskDefinition = i.family }, { "ClientException" })
    local td = r and r.taskDefinition
    if td and td.status == "ACTIVE" and td.containerDefinitions[1].image == i.image then
      return { arn = td.taskDefinitionArn, revisions = active_revisions(i.family) }
    end
  end,
  -- Every active revision of the family is recorded for removal: a retried
  -- RegisterTaskDefinition whose first answer was lost made one more.
  create = function(i, ctx)
    return { arn = register_task_definition(i, ctx), revisions = active_revisions(i.family) }
  end,
  -- a new revision; the older ones stay registered for the service's rollback
  update = function(i, _, ctx)
    return { arn = register_task_definition(i, ctx), revisions = active_revisions(i.family) }
  end,
  undo = function(r)
    local list = {}
    for _, arn in ipairs(r.revisions) do
      list[#list + 1] = { call = "ecs.deregister_task_definition", params = { taskDefinition = arn }, gone = { "ClientException" } }
    end
    return list
  end,
  id = function(r) return r.arn:match("[^/]+$") end,
})

-- ---- load balancer -----------------------------------------------------------

local load_balancer = d:step("load_balancer", {
  inputs = { name = names.alb, subnets = subnets, security_group = alb_sg.id },
  find = function(i)
    local r = lookup(aws.elbv2.describe_load_balancers, { Names = { i.name } }, { "LoadBalancerNotFound" })
    local lb = r and r.LoadBalancers[1]
    return lb and { name = i.name, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  create = function(i, ctx)
    local lb = aws.elbv2.create_load_balancer{
      Name = i.name, Subnets = i.subnets, SecurityGroups = { i.security_group },
      Scheme = "internet-facing", Type = "application", IpAddressType = "ipv4", Tags = ctx.tags,
    }.LoadBalancers[1]
    aws.elbv2.wait("load_balancer_available", { LoadBalancerArns = { lb.LoadBalancerArn } },
      { timeout = 600, what = "load balancer " .. i.name })
    return { name = i.name, arn = lb.LoadBalancerArn, dns = lb.DNSName }
  end,
  undo = function(r)
    return {
      { call = "elbv2.delete_load_balancer", params = { LoadBalancerArn = r.arn } },
      { wait = "elbv2.load_balancers_deleted", params = { LoadBalancerArns = { r.arn } }, timeout = 600 },
    }
  end,
  id = function(r) return r.dns end,
})

local target_group = d:step("target_group", {
  inputs = { name = names.target_group, port = p.container_port, vpc = vpc, path = p.health_check_path },
  find = function(i)
    local r = lookup(aws.elbv2.describe_target_groups, { Names = { i.name } }, { "TargetGroupNotFound" })
    local tg = r and r.TargetGroups[1]
    return tg and { name = i.name, arn = tg.TargetGroupArn }
  end,
  create = function(i, ctx)
    local tg = aws.elbv2.create_target_group{
      Name = i.name, Protocol = "HTTP", Port = i.port, VpcId = i.vpc, TargetType = "ip", Tags = ctx.tags,
      HealthCheckEnabled = true, HealthCheckPath = i.path, HealthCheckIntervalSeconds = 30,
      HealthCheckTimeoutSeconds = 5, HealthyThresholdCount = 2, UnhealthyThresholdCount = 3,
      Matcher = { HttpCode = "200" },
    }.TargetGroups[1]
    return { name = i.name, arn = tg.TargetGroupArn }
  end,
  undo = function(r)
    return { { call = "elbv2.delete_target_group", params = { TargetGroupArn = r.arn },
               retry_on = { "ResourceInUse" }, timeout = 300 } }
  end,
  id = function(r) return r.name end,
})

local listener = d:step("listener", {
  inputs = { load_balancer = load_balancer.arn, target_group = target_group.arn },
  find = function(i)
    for _, l in ipairs(aws.elbv2.describe_listeners{ LoadBalancerArn = i.load_balancer }.Listeners) do
      if l.Port == 80 then return { arn = l.ListenerArn } end
    end
  end,
  create = function(i, ctx)
    local l = aws.elbv2.create_listener{
      LoadBalancerArn = i.load_balancer, Protocol = "HTTP", Port = 80, Tags = ctx.tags,
      DefaultActions = { { Type = "forward", TargetGroupArn = i.target_group } },
    }.Listeners[1]
    return { arn = l.ListenerArn }
  end,
  undo = function(r) return { { call = "elbv2.delete_listener", params = { ListenerArn = r.arn } } } end,
  id = function(r) return r.arn:match("[^/]+/[^/]+$") end,
})

-- ---- the service -------------------------------------------------------------

-- ECS may not yet be able to assume a role that IAM just made.
local function role_not_ready(err)
  return code_of(err) == "InvalidParameterException" and tostring(err.message):lower():find("role") ~= nil
end

local function wait_deployed(i, task_definition_arn)
  fg.wait_for_deployment{ cluster = i.cluster, service = i.name, task_definition = task_definition_arn,
                          timeout = p.deploy_timeout }
end

local service = d:step("service", {
  inputs = {
    name = names.service, cluster = cluster.name, task_definition = task_definition.arn,
    desired_count = p.desired_count, spot = p.spot, subnets = subnets, security_group = task_sg.id,
    target_group = target_group.arn, port = p.container_port, listener = listener.arn,
  },
  find = function(i)
    local s = aws.ecs.describe_services{ cluster = i.cluster, services = { i.name } }.services[1]
    return s and s.status ~= "INACTIVE" and { name = s.serviceName, arn = s.serviceArn, cluster = i.cluster } or nil
  end,
  create = function(i, ctx)
    local request = {
      cluster = i.cluster, serviceName = i.name, taskDefinition = i.task_definition,
      desiredCount = i.desired_count, platformVersion = "LATEST", clientToken = ctx.token,
      networkConfiguration = { awsvpcConfiguration = {
        subnets = i.subnets, securityGroups = { i.security_group }, assignPublicIp = "ENABLED" } },
      loadBalancers = { { targetGroupArn = i.target_group, containerName = names.container, containerPort = i.port } },
      healthCheckGracePeriodSeconds = 120,
      deploymentConfiguration = { maximumPercent = 200, minimumHealthyPercent = 50,
                                  deploymentCircuitBreaker = { enable = true, rollback = true } },
      enableExecuteCommand = true, tags = ctx.tags_lower, propagateTags = "SERVICE",
    }
    if i.spot then
      request.capacityProviderStrategy = { { capacityProvider = "FARGATE_SPOT", weight = 1 } }
    else
      request.launchType = "FARGATE"
    end
    local s = fg.retry(function() return aws.ecs.create_service(request).service end,
      { on = role_not_ready, timeout = 120, what = "create_service (IAM role propagation)" })
    wait_deployed(i, i.task_definition)
    return { name = s.serviceName, arn = s.serviceArn, cluster = i.cluster }
  end,
  update = function(i, previous)
    aws.ecs.update_service{ cluster = i.cluster, service = previous.name, taskDefinition = i.task_definition,
                            desiredCount = i.desired_count }
    wait_deployed(i, i.task_definition)
    return previous
  end,
  undo = function(r)
    return {
      { call = "ecs.update_service", params = { cluster = r.cluster, service = r.name, desiredCount = 0 },
        gone = { "ServiceNotActiveException" } },
      { call = "ecs.delete_service", params = { cluster = r.cluster, service = r.name, force = true },
        gone = { "ServiceNotActiveException" } },
      { wait = "ecs.services_inactive", params = { cluster = r.cluster, services = { r.name } }, timeout = 900 },
    }
  end,
  id = function(r) return r.name end,
})

-- ---- auto scaling ------------------------------------------------------------

local resource_id = ("service/%s/%s"):format(cluster.name, service.name)
local SCALING = { ServiceNamespace = "ecs", ScalableDimension = "ecs:service:DesiredCount" }

local function with_scaling(t)
  for k, v in pairs(SCALING) do t[k] = v end
  return t
end

d:step("scalable_target", {
  inputs = { resource = resource_id, min = p.min_capacity, max = p.max_capacity },
  find = function(i)
    local t = aws.application_autoscaling.describe_scalable_targets(with_scaling{ ResourceIds = { i.resource } }).ScalableTargets[1]
    return t and { resource = i.resource } or nil
  end,
  create = function(i)
    aws.application_autoscaling.register_scalable_target(with_scaling{
      ResourceId = i.resource, MinCapacity = i.min, MaxCapacity = i.max })
    return { resource = i.resource }
  end,
  update = function(i, _, ctx) return d.specs.scalable_target.create(i, ctx) end,
  undo = function(r)
    return { { call = "application_autoscaling.deregister_scalable_target", params = with_scaling{ ResourceId = r.resource },
               gone = { "ObjectNotFoundException", "ValidationException" } } }
  end,
  id = function(r) return r.resource end,
})

local function scaling_policy(step, metric, target)
  local name = ("%s-%s-scaling"):format(names.service, step:match("^(%a+)"))
  return d:step(step, {
    inputs = { resource = resource_id, name = name, metric = metric, target = target },
    find = function(i)
      for _, r in ipairs(aws.application_autoscaling.describe_scaling_policies(with_scaling{
        ResourceId = i.resource, PolicyNames = { i.name } }).ScalingPolicies) do
        if r.PolicyName == i.name then return { resource = i.resource, name = i.name, arn = r.PolicyARN } end
      end
    end,
    create = function(i)
      local arn = aws.application_autoscaling.put_scaling_policy(with_scaling{
        ResourceId = i.resource, PolicyName = i.name, PolicyType = "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration = {
          TargetValue = i.target, ScaleOutCooldown = 300, ScaleInCooldown = 300,
          PredefinedMetricSpecification = { PredefinedMetricType = i.metric },
        },
      }).PolicyARN
      return { resource = i.resource, name = i.name, arn = arn }
    end,
    update = function(i, _, ctx) return d.specs[step].create(i, ctx) end,
    undo = function(r)
      -- moto answers ValidationException where AWS says ObjectNotFoundException
      return { { call = "application_autoscaling.delete_scaling_policy",
                 params = with_scaling{ ResourceId = r.resource, PolicyName = r.name },
                 gone = { "ObjectNotFoundException", "ValidationException" } } }
    end,
    id = function(r) return r.name end,
  })
end

scaling_policy("cpu_scaling", "ECSServiceAverageCPUUtilization", p.cpu_target)
scaling_policy("memory_scaling", "ECSServiceAverageMemoryUtilization", p.memory_target)

-- ---- checks ----------------------------------------------------------------

local function check_deployment()
  say("checks:")
  local s = aws.ecs.describe_services{ cluster = cluster.name, services = { service.name } }.services[1]
  say("  service %s: %s, %d/%d running", s.serviceName, s.status, s.runningCount, s.desiredCount)
  local tasks = aws.ecs.list_tasks{ cluster = cluster.name, serviceName = service.name }.taskArns
  if #tasks > 0 then
    for _, t in ipairs(aws.ecs.describe_tasks{ cluster = cluster.name, tasks = tasks }.tasks) do
      say("  task %s: %s, health %s, cpu %s, memory %s", t.taskArn:match("[^/]+$"), t.lastStatus,
        t.healthStatus or "UNKNOWN", tostring(t.cpu), tostring(t.memory))
    end
  end
  for _, t in ipairs(aws.elbv2.describe_target_health{ TargetGroupArn = target_group.arn }.TargetHealthDescriptions) do
    say("  target %s: %s %s", t.Target.Id, t.TargetHealth.State, t.TargetHealth.Description or "")
  end
  local http = require "http"
  local base = "http://" .. load_balancer.dns
  local reachable, why = pcall(http.get, base .. "/health", { timeout = 5 })
  if not reachable then
    say("  HTTP checks skipped: %s cannot be reached from here (%s)", base, tostring(why.message or why))
  else
    for _, path in ipairs({ "/", "/health", "/metrics" }) do
      local r = http.get(base .. path, { timeout = 5 })
      local ok_json = pcall(json.decode, r.body)
      say("  GET %s: HTTP %d%s", path, r.status, ok_json and ", JSON" or ", not JSON")
    end
    local spread = {}
    for _ = 1, 20 do
      local ok, r = pcall(http.get, base .. "/", { timeout = 5 })
      local host = ok and (pcall(json.decode, r.body) and json.decode(r.body).container.hostname) or "error"
      spread[host] = (spread[host] or 0) + 1
    end
    local parts = {}
    for host, n in pairs(spread) do parts[#parts + 1] = host .. " " .. n end
    table.sort(parts)
    say("  20 requests over %d task(s): %s", #parts, table.concat(parts, ", "))
  end
  local streams = aws.logs.describe_log_streams{ logGroupName = log_group.name, orderBy = "LastEventTime",
                                                  descending = true, limit = 1 }.logStreams
  if streams[1] then
    local events = aws.logs.get_log_events{ logGroupName = log_group.name, logStreamName = streams[1].logStreamName,
                                            limit = 5 }.events
    say("  recent log events (%s): %d", streams[1].logStreamName, #events)
    for _, e in ipairs(events) do say("    %s", e.message) end
  else
    say("  no log streams yet in %s", log_group.name)
  end
end

if not d.destroying then
  check_deployment()
  d:output("url", "http://" .. load_balancer.dns)
  d:output("service", service.arn)
  d:output("image", image)
end
