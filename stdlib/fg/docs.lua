-- The documentation of the deployment library, as help() shows it (in the
-- REPL, and in scripts through require "help"). Each entry: the name a
-- recipe writes, how to reach the value, and the text.
local function fg() return require "fg" end
local function dep() return require "fg.deployment" end

return {
  { name = "fg", value = fg, text = [[
require "fg": deployments that roll back, resume, update and destroy.
  fg.params{...}              parameters: defaults, --env files, -D
  fg.deployment(name)         the deployment (and the generic actions)
  d:step(name, spec)          one resource, journaled
  d:value, d:read, d:output, d:after_deploy
  fg.image.build / push       the image step (build, smoke test, push, scan)
  fg.network{...}             VPC and one subnet per zone
  fg.region(), fg.caller(), fg.arn{...}
  fg.lookup(fn, params, codes), fg.error_code(err), fg.retry(fn, opts)
  fg.preflight(d, ...), fg.service_linked_roles(d, ...)
  fg.check(label, fn), fg.say(fmt, ...), fg.wait_until, fg.wait_for_deployment,
  fg.rollback_deployment, fg.continue_deployment, fg.deployment_status
help(<any of them>) for one.]] },

  { name = "fg.params", value = function() return fg().params end, text = [[
fg.params(defaults) -> p
  The parameters: the defaults given, then --env NAME's files beside the
  script (env/NAME.lua shared by the folder's recipes, then the recipe's own
  env/<recipe>.NAME.lua or env/<recipe>/NAME.lua), then -D key=value. Each
  value must have its default's type; fg.optional("string") declares one
  without a default. Reading or giving an unknown key is an error naming the
  valid ones (a shared file's key another recipe takes is a note).]] },

  { name = "fg.optional", value = function() return fg().optional end, text = [[
fg.optional(type) -> a parameter without a default ("string", "number",
  "integer", "boolean" or "table"); it reads as nil until given.]] },

  { name = "fg.deployment", value = function() return fg().deployment end, text = [[
fg.deployment(name [, {actions = {name = function(d, ...) end}}]) -> d
  The deployment, journaled in --state-dir (./.fgrun) as <name>.<env>.json.
  The argument after the recipe picks the action:
    (none) or deploy   create what is missing, update what changed
    status             recorded steps, services, load balancers, targets, and
                       what is billed while it runs (tasks, public IPv4)
    url                the output "url" (else the load balancer's address)
    logs [-f]          the services' logs (their task definitions' awslogs groups)
    rollback           roll back the ECS service deployment in progress, and wait
    continue           take it past the PAUSE hook awaiting action, and wait
  plus the recipe's own actions; an action other than deploy runs on the
  journal and ends the script. --destroy runs the recipe to learn its steps
  (recorded results, no calls) and undoes them newest first.
  Methods: d:step, d:value, d:read, d:output, d:after_deploy, d:recorded.]] },

  { name = "d:step", value = function() return dep().step end, text = [[
d:step(name, spec) -> the resource (what create, update or find returned)
  spec.inputs            plain data; equal inputs (as sorted JSON) mean unchanged
  spec.create(i, ctx)    makes it, returns plain data for later steps and undo;
                         ctx.token (idempotency, kept across a crash),
                         ctx.tags / ctx.tags_lower / ctx.tag_map (fgrun:* tags)
  spec.undo(result)      the removal, as data: {{call = "svc.op", params =,
                         gone = {codes}, retry_on = {codes}, timeout =},
                         {wait = "svc.waiter", params =, timeout =}}
  spec.find(i, ctx)      optional, read-only: finds it (adoption, crash
                         recovery, deleted behind fgrun's back)
  spec.update(i, previous_result, ctx)  optional: changes it in place; a
                         rollback calls it again with the previous inputs
                         (spec.revert = false: it cannot be reverted)
  spec.id(result)        optional: the text in the report
  Without update, changed inputs are an error that says what changed.]] },

  { name = "d:value", value = function() return dep().value end, text = [[
d:value(name, make) -> a value made once per deployment (make()) and kept in
  the journal: a random suffix for names, say. Never a secret.]] },

  { name = "d:read", value = function() return dep().read end, text = [[
d:read(name, fn) -> fn()'s value while deploying, kept in the journal; a
  destroy or an action gets the recorded value without calling fn.
  Look-ups between steps (the VPC, the caller) go through it, so the recipe
  needs no `if d.destroying`: a destroy does not ask AWS again (the VPC may
  be gone, the caller may lack the read permissions), and it is the value
  the resources were made with.]] },

  { name = "d:after_deploy", value = function() return dep().after_deploy end, text = [[
d:after_deploy(fn): fn() runs once a deploy has succeeded and its journal is
  written (never for --destroy or an action). Its errors are reported and
  roll nothing back: checks go here (fg.check).]] },

  { name = "d:output", value = function() return dep().output end, text = [[
d:output(name, value): shown in the summary (and --json) and kept in the
  journal; the url action prints the output "url".]] },

  { name = "d:recorded", value = function() return dep().recorded end, text = [[
d:recorded(step) -> the journaled result of a completed step, or nil.
  d:recorded_steps() -> the step names; d:recorded_outputs() -> the outputs.]] },

  { name = "fg.image", value = function() return fg().image end, text = [[
fg.image: the image step.
  local app = fg.image.build(d, {context =, platform = "x86_64" | "arm64",
    smoke_test = {port =, path =, env =} or false, dockerfile =, buildargs =,
    target =, step = "image"})
  local image = fg.image.push(d, app, repository, {tags = {"v1", "latest"},
    fail_on_severity = "CRITICAL", scan_timeout = 600})
  image.image is "<uri>@sha256:..."; image.cpu_architecture ("X86_64",
  "ARM64") goes into the task definition's runtimePlatform.
  build() runs before anything is created (a broken image stops the deploy)
  and skips building when the context's digest matches the recorded image
  that ECR still holds; push() is the step (push, scan gate, undo).
  Output of the build and push with -v only.]] },

  { name = "fg.image.build", value = function() return fg().image.build end, text = [[
fg.image.build(d, {context =, platform =, smoke_test =, dockerfile =,
  buildargs =, target =, step = "image"}) -> build
  build.platform ("linux/amd64"), build.cpu_architecture ("X86_64"),
  build.source (digest of everything the build depends on), build.skipped.]] },

  { name = "fg.image.push", value = function() return fg().image.push end, text = [[
fg.image.push(d, build, repository, {tags =, fail_on_severity =, scan_timeout =,
  findings_timeout =})
  -> {image =, digest =, uri =, tags =, platform =, cpu_architecture =, scan =}
  repository: {name =, uri =} (an ECR repository step's result).]] },

  { name = "fg.image.platform", value = function() return fg().image.platform end, text = [[
fg.image.platform(name) -> {docker = "linux/arm64", ecs = "ARM64"}
  for x86_64 (amd64; the default) or arm64 (aarch64).]] },

  { name = "fg.scan.image", value = function() return fg().scan.image end, text = [[
fg.scan.image{repository =, digest = | tag =, fail_on_severity =, timeout = 600,
  findings_timeout = 300} -> {status =, scanned =, counts =, text =}
  ECR's scan as ECR behaves: a running scan on push is awaited, not raced;
  images ECR cannot scan (UNSUPPORTED_IMAGE: FROM scratch) are "not
  scanned", an error only with fail_on_severity; Inspector's ACTIVE is
  accepted and its finding counts awaited; with a gate and no counts, it
  fails closed.]] },

  { name = "fg.network", value = function() return fg().network end, text = [[
fg.network{vpc_id =, subnet_ids =, zones = 2, min_zones = 2}
  -> {vpc =, subnets = {...}, zones = {...}}
  With subnet_ids: their VPC, checked to be one (and vpc_id's), one subnet
  per Availability Zone. Without: vpc_id's (default: the default VPC)
  subnets, one per zone in `zones` zones (each zone of a public load
  balancer holds billed public IPv4 addresses). Errors say what to set.]] },

  { name = "fg.region", value = function() return fg().region end, text = [[
fg.region() -> the region calls go to (--region, AWS_REGION, the profile).]] },

  { name = "fg.caller", value = function() return fg().caller end, text = [[
fg.caller() -> {account =, arn =, user_id =, partition =}: who calls AWS
  (sts:GetCallerIdentity, once per run); partition is aws, aws-cn or
  aws-us-gov, for ARNs.]] },

  { name = "fg.arn", value = function() return fg().arn end, text = [[
fg.arn{service =, resource =, region = "", account =, partition =}
  -> "arn:<partition>:<service>:<region>:<account>:<resource>"; account and
  partition default to the caller's.]] },

  { name = "fg.lookup", value = function() return fg().lookup end, text = [[
fg.lookup(fn, params, {codes}) -> fn(params), or nil when it fails with one
  of the codes ("not there" is an answer): a step's find, a status.
  fg.lookup(aws.iam.get_role, {RoleName = "r"}, {"NoSuchEntity"})]] },

  { name = "fg.error_code", value = function() return fg().error_code end, text = [[
fg.error_code(err) -> the AWS error code of err, or nil for other errors.]] },

  { name = "fg.retry", value = function() return fg().retry end, text = [[
fg.retry(fn, {on = {codes} or function(err), timeout = 60, delay = 1,
  max_delay = 10, what =}) -> fn's results, calling again while the error
  matches `on` (eventual consistency: a role not assumable yet, ...).]] },

  { name = "fg.check", value = function() return fg().check end, text = [[
fg.check(label, fn, ...) -> ok, value
  One check after a deploy: fn returns the text to show, or raises; the
  error is shown as "<label>: not checked (<why>)" and never fails the
  deploy. Text is escaped (it may come from the network).]] },

  { name = "fg.say", value = function() return fg().say end, text = [[
fg.say(fmt, ...): one line where the step lines go (standard output;
  standard error with --json; nothing with -q).]] },

  { name = "fg.preflight", value = function() return fg().preflight end, text = [[
fg.preflight(d, {needs = {{action =, resource =, why =}}, tagging = {"ecs",
  "elasticloadbalancing", "ec2", "iam", "ecr", "logs"},
  service_linked_roles = {...}, caller =}) -> "checked" | "skipped"
  Before anything is created, IAM's policy simulator on what the deployment
  needs; an error names every permission missing. Where the caller may not
  simulate, a note and no check. Only when deploying. An entry of needs may
  be a function returning more needs (called only when the check runs):
  require("fg.aws.secrets").needs(p.secrets) asks for kms:DescribeKey on the
  key behind a secret's key alias.]] },

  { name = "fg.service_linked_roles", value = function() return fg().service_linked_roles end, text = [[
fg.service_linked_roles(d, {"ecs.amazonaws.com",
  "ecs.application-autoscaling.amazonaws.com"})
  Makes the account's service-linked roles that are missing and waits until
  IAM shows them; when the caller may not, says what an administrator must
  run. Never removed (the account's other stacks use them).
  fg.service_role_not_ready(err) is fg.retry's `on` for ECS's "Unable to
  assume the service linked role".]] },

  { name = "fg.service_role_not_ready", value = function() return fg().service_role_not_ready end, text = [[
fg.service_role_not_ready(err) -> true for ECS's "Unable to assume the
  service linked role" (the role was just made): fg.retry's `on` around
  CreateCluster.]] },

  { name = "fg.wait_until", value = function() return fg().wait_until end, text = [[
fg.wait_until(check, {what =, timeout = 300, delay = 2, max_delay = 15})
  check(attempt) returns true (done), false/nil (not yet) or "failed", then
  a status text; progress is shown while it waits.]] },

  { name = "fg.wait_for_deployment", value = function() return fg().wait_for_deployment end, text = [[
fg.wait_for_deployment{cluster =, service =, task_definition =, timeout =}
  Until the ECS deployment is complete; fails at once on a circuit-breaker
  rollback or repeated task failures, saying why. A BLUE_GREEN, CANARY or
  LINEAR deployment is followed stage by stage (traffic, bake time, PAUSE
  hooks); a rollback fails the wait once ECS has finished it.]] },

  { name = "fg.rollback_deployment", value = function() return fg().rollback_deployment end, text = [[
fg.rollback_deployment{cluster =, service =, timeout =}
  StopServiceDeployment (ROLLBACK) on the service deployment in progress,
  then waits for ROLLBACK_SUCCESSFUL; an error when none is in progress.
  The `rollback` action of every deployment.]] },

  { name = "fg.continue_deployment", value = function() return fg().continue_deployment end, text = [[
fg.continue_deployment{cluster =, service =, action = "CONTINUE" | "ROLLBACK"}
  ContinueServiceDeployment for the PAUSE hook awaiting action, then waits
  for the deployment's end. The `continue` action of every deployment.]] },

  { name = "fg.deployment_status", value = function() return fg().deployment_status end, text = [[
fg.deployment_status{cluster =, service =} -> lines
  The service's current service deployment: strategy, stage, traffic on the
  new revision, a hook awaiting action, a rollback and why ({} when ECS has
  none to show). Part of the `status` action.]] },
}
