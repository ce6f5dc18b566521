-- fg.aws resource types without AWS: field validation, change detection
-- (in place, replacement, impossible), names of replacements, the forms
-- values are compared in, and the checks made before any call.
local fga = require "fg.aws"
local T = require "fg.aws.type"

local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok)
  return tostring(e)
end

describe("fg.aws types", function()
  it("lists every kind, each one loadable with documented fields", function()
    assert.are.equal(22, #fga.kinds)
    for _, kind in ipairs(fga.kinds) do
      local t = fga.types[kind]
      assert.are.equal(kind, t.kind)
      for _, f in ipairs(t.fields) do assert.is_string(f.doc, kind .. "." .. f.name) end
      assert.is_truthy(t:help():find(kind, 1, true))
    end
    assert.is_truthy(err_of(function() return fga.types.nope end):find("no resource type \"nope\"", 1, true))
  end)

  it("refuses an unknown field, a wrong type and a missing field, naming the step", function()
    local lg = fga.types.log_group
    assert.is_truthy(err_of(lg.validate, lg, { name = "x", retention = 7 }, "step logs (log_group)")
      :find('step logs (log_group): unknown field "retention"; the fields of log_group are: name, retention_days', 1, true))
    assert.is_truthy(err_of(lg.validate, lg, { name = 5 }, "step logs (log_group)")
      :find("field name must be string, got integer 5", 1, true))
    assert.is_truthy(err_of(lg.validate, lg, {}, "s"):find("field name is required", 1, true))
    assert.is_truthy(err_of(lg.validate, lg, { name = "x", retention_days = 10 }, "s")
      :find("10 days is not a retention CloudWatch Logs accepts", 1, true))
  end)

  it("fills defaults and tells in-place changes from replacements", function()
    local tg = fga.types.target_group
    local a = tg:validate({ name = "tg", port = 80, vpc = "vpc-1" }, "s")
    assert.are.equal(30, a.deregistration_delay)
    assert.are.equal(5, a.health_check_interval)
    local b = tg:validate({ name = "tg", port = 80, vpc = "vpc-1", health_check_path = "/h" }, "s")
    local c = tg:validate({ name = "tg", port = 81, vpc = "vpc-1" }, "s")
    assert.are.same({ { field = "health_check_path", old = "/", new = "/h", forces_replacement = false } }, tg:diff(a, b))
    assert.is_true(tg:diff(a, c)[1].forces_replacement)
    assert.are.same({}, tg:diff(a, a))
    assert.is_truthy(err_of(tg.validate, tg, { name = "tg", port = 80, vpc = "v", health_check_timeout = 9 }, "s")
      :find("health_check_timeout (9) must be less than health_check_interval (5)", 1, true))
  end)

  it("checks the HTTPS and alarm types' fields, and tells what each change does", function()
    local l = fga.types.listener
    assert.is_truthy(err_of(l.validate, l, { load_balancer = "lb" }, "s"):find("target_group or redirect_port, one of them", 1, true))
    local fwd = l:validate({ load_balancer = "lb", target_group = "tg" }, "s")
    local redirect = l:validate({ load_balancer = "lb", redirect_port = 443 }, "s")
    for _, c in ipairs(l:diff(fwd, redirect)) do assert.is_false(c.forces_replacement) end
    local cert = fga.types.acm_certificate
    assert.is_truthy(err_of(cert.validate, cert, { domain = "a b.example.com", zone = "Z1" }, "s"):find("not a DNS name", 1, true))
    local c1 = cert:validate({ domain = "app.example.com", zone = "Z1" }, "s")
    local c2 = cert:validate({ domain = "www.example.com", zone = "Z1" }, "s")
    assert.is_true(cert:diff(c1, c2)[1].forces_replacement)
    local rec = fga.types.dns_record
    assert.is_truthy(err_of(rec.validate, rec, { zone = "Z1", name = "a.example.com" }, "s")
      :find("alias_load_balancer or values, one of them", 1, true))
    local r1 = rec:validate({ zone = "Z1", name = "App.Example.com.", alias_load_balancer = "arn:1" }, "s")
    local r2 = rec:validate({ zone = "Z1", name = "app.example.com", alias_load_balancer = "arn:2" }, "s")
    assert.are.same({ { field = "alias_load_balancer", old = "arn:1", new = "arn:2", forces_replacement = false } },
      rec:diff(r1, r2))
    local sub = fga.types.sns_subscription
    assert.is_truthy(err_of(sub.validate, sub, { topic = "t", endpoint = "ops" }, "s"):find('"ops" is not an e-mail address', 1, true))
    local alarm = fga.types.metric_alarm
    assert.is_truthy(err_of(alarm.validate, alarm, { name = "a", threshold = 1 }, "s"):find("metric or expression", 1, true))
    assert.is_truthy(err_of(alarm.validate, alarm, { name = "a", threshold = 1, metric = "m", namespace = "n",
      statistic = "Average", period = 45 }, "s"):find("10, 30 or a multiple of 60", 1, true))
    local a1 = alarm:validate({ name = "a", threshold = 90, metric = "CPUUtilization", namespace = "AWS/ECS", statistic = "Average" }, "s")
    local a2 = alarm:validate({ name = "a", threshold = 75, metric = "CPUUtilization", namespace = "AWS/ECS", statistic = "Average" }, "s")
    assert.are.same({ { field = "threshold", old = 90, new = 75, forces_replacement = false } }, alarm:diff(a1, a2))
  end)

  it("refuses a change AWS never makes, naming the field and what to do", function()
    local repo = fga.types.ecr_repository
    local a = repo:validate({ name = "r" }, "s")
    local b = repo:validate({ name = "r", encryption = "KMS" }, "s")
    assert.is_truthy(err_of(repo.diff, repo, a, b, "step repository (ecr_repository)")
      :find("step repository (ecr_repository): field encryption cannot change", 1, true))
  end)

  it("names a replacement apart from the resource it replaces, within the limit", function()
    local tg = fga.types.target_group
    local props = { name = "fargate-tg-abcdef-0123456789abcd", port = 80 }
    assert.are.equal(props, tg:physical(props, {}))
    local r = tg:physical(props, { generation = 3, replacing = { results = { { name = props.name } } } })
    assert.are.equal("fargate-tg-abcdef-0123456789ab-3", r.name)
    assert.is_true(#r.name <= 32)
    -- a new name needs no suffix; a recorded resource keeps its own
    assert.are.equal("other", tg:physical({ name = "other" }, { generation = 1, replacing = { results = { { name = "x" } } } }).name)
    assert.are.equal("x-1", tg:physical({ name = "x" }, { recorded = { name = "x-1" } }).name)
  end)

  it("compares values the way AWS reports them", function()
    local rules = fga.types.security_group_rules
    local a = rules:validate({ group = "sg-1", rules = { { port = 443, cidr = "0.0.0.0/0" }, { port = 80, group = "sg-2" } } }, "s")
    local live = { group = "sg-1", direction = "ingress", rules = {
      { protocol = "tcp", from_port = 80, to_port = 80, group = "sg-2" },
      { protocol = "tcp", from_port = 443, to_port = 443, cidr = "0.0.0.0/0" } } }
    assert.are.same({}, rules:differences(a, live, { "rules" }))
    local policy = fga.types.role_policy
    local pd = require "fg.aws.policy_document"
    local p = policy:validate({ role = "r", name = "n",
      statements = { { actions = { "s3:PutObject", "s3:GetObject" }, resources = { "arn:aws:s3:::b/*" } } } }, "s")
    -- IAM gives back a single action or resource as a string
    local read = pd.statements({ Version = "2012-10-17", Statement = { { Effect = "Allow",
      Action = { "s3:GetObject", "s3:PutObject" }, Resource = "arn:aws:s3:::b/*" } } })
    assert.are.same({}, policy:differences(p, { statements = read }, { "statements" }))
    assert.is_truthy(pd.check_scoped({ { actions = { "s3:GetObject" }, resources = { "*" } } }):find("names no resource"))
    assert.is_nil(pd.check_scoped({ { actions = { "s3:GetObject" }, resources = { "arn:aws:s3:::b/*" } } }))
    assert.is_truthy(pd.check_scoped({ { actions = { "s3:GetObject" }, resources = { "arn:aws:s3:::*" } } }))
    assert.is_truthy(pd.check_scoped({ { actions = { "sqs:*" }, resources = { "arn:aws:sqs:us-east-1:123456789012:*" } } }):find("names no resource"))
    local sp = fga.types.scaling_policy
    assert.are.same({}, sp:differences({ target = 50 }, { target = 50.0 }, { "target" }))
    -- what something else owns is not compared
    assert.are.same({}, fga.types.ecs_service:differences({ desired_count = 3 }, { desired_count = T.UNKNOWN }, { "desired_count" }))
  end)

  it("checks Fargate sizes", function()
    local td = fga.types.task_definition
    assert.is_nil(td.fargate_size("256", "512"))
    assert.is_nil(td.fargate_size("1024", "3072"))
    assert.is_truthy(td.fargate_size("256", "1536"):find("use one of 512, 1024, 2048", 1, true))
    assert.is_truthy(td.fargate_size("300", "512"):find("cpu 300 is not a Fargate size", 1, true))
    assert.is_truthy(err_of(td.validate, td, { family = "f", cpu = "512", memory = "512",
      containers = { { name = "a", image = "i" } } }, "s"):find("memory 512 does not go with cpu 512", 1, true))
  end)

  it("accepts only full Secrets Manager ARNs, without wildcards", function()
    local secrets = require "fg.aws.secrets"
    local arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    assert.is_nil(secrets.check({ DB = arn }))
    assert.is_nil(secrets.check({ DB = arn .. ":password::" }))
    assert.are.equal(arn, secrets.secret_arn(arn .. ":password::"))
    assert.is_truthy(secrets.check({ DB = "arn:aws:secretsmanager:us-east-1:123456789012:secret:*" }):find("wildcard"))
    assert.is_truthy(secrets.check({ DB = "db-password" }):find("is not a Secrets Manager secret ARN"))
    assert.is_truthy(secrets.check({ DB = arn .. ":password" }):find("after the secret's name"))
  end)

  it("checks parameters against the fields they feed, before any call", function()
    assert.is_truthy(err_of(fga.check, { days = 10 }, { days = "log_group.retention_days" })
      :find("parameter days: field retention_days: 10 days", 1, true))
    fga.check({ days = 14 }, { days = "log_group.retention_days" })
    assert.is_truthy(err_of(fga.check, { cpu = "512", memory = "512" },
      { cpu = "task_definition.cpu", memory = "task_definition.memory" })
      :find("parameter memory: field memory: memory 512 does not go with cpu 512", 1, true))
  end)
end)

-- What AWS does and moto does not, answered by a scripted client in place
-- of the default one (tests/lib/fake_client.lua).
describe("fg.aws types against AWS's own behaviour", function()
  local aws = require "aws"
  local fake = dofile("tests/lib/fake_client.lua")
  local saved = {}
  local function use(name, client) saved[name] = saved[name] or rawget(aws, name) or false; rawset(aws, name, client) end
  after_each(function()
    for name, client in pairs(saved) do rawset(aws, name, client or nil) end
    saved = {}
  end)

  it("retries a rule the moment after its group was made (EC2 eventual consistency)", function()
    local group = { GroupId = "sg-1", IpPermissions = {}, IpPermissionsEgress = {} }
    local client, calls = fake.client({
      -- "Eventual consistency in the Amazon EC2 API": a new group may be unknown for a moment
      describe_security_groups = { { error = { code = "InvalidGroup.NotFound", status = 400 } },
                                   { SecurityGroups = { group } } },
      authorize_security_group_ingress = { { error = { code = "InvalidGroup.NotFound", status = 400 } }, {} },
    })
    use("ec2", client)
    local rules = fga.types.security_group_rules
    local props = rules:validate({ group = "sg-1", rules = { { port = 80, cidr = "0.0.0.0/0" } } }, "s")
    local r = rules.create(props, {})
    assert.are.equal("sg-1", r.group)
    local authorized = 0
    for _, c in ipairs(calls) do if c.op == "authorize_security_group_ingress" then authorized = authorized + 1 end end
    assert.are.equal(2, authorized)
  end)

  it("ends the wait for a load balancer in state failed at once, with its reason", function()
    local client = fake.client({
      create_load_balancer = { { LoadBalancers = { { LoadBalancerArn = "arn:lb", DNSName = "lb.example" } } } },
      modify_load_balancer_attributes = { {} },
      describe_load_balancers = { { LoadBalancers = { { LoadBalancerArn = "arn:lb",
        State = { Code = "failed", Reason = "no capacity in us-east-1c" } } } } },
    })
    use("elbv2", client)
    local lb = fga.types.load_balancer
    local props = lb:validate({ name = "lb", subnets = { "subnet-1", "subnet-2" }, security_groups = { "sg-1" } }, "s")
    local started = require("fgrun").monotonic()
    -- made at once; the wait for active is the type's own, in the background
    local made = lb.create(props, { tags = {} })
    local e = err_of(lb.wait, props, made)
    assert.is_truthy(e:find("no capacity in us-east-1c", 1, true), e)
    assert.is_true(require("fgrun").monotonic() - started < 5)
  end)

  it("names the execution role's managed policy in the caller's partition, not arn:aws:", function()
    use("sts", fake.client({ get_caller_identity = { { Account = "123456789012",
      Arn = "arn:aws-cn:iam::123456789012:user/me" } } }))
    package.loaded["fg.account"] = nil
    local steps = {}
    local res = setmetatable({}, { __index = function()
      return function(step, fields) steps[step] = fields; return { name = fields.name, arn = "arn" } end
    end })
    require("fg.aws.task_roles")({ destroying = false }, res, { execution_name = "e", task_name = "t", region = "cn-north-1" })
    package.loaded["fg.account"] = nil
    assert.are.equal("arn:aws-cn:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
      steps.execution_role_policy.policy_arn)
    assert.are.equal("arn:aws-cn:ecs:cn-north-1:123456789012:*", steps.task_role.source_arn)
    assert.are.equal("123456789012", steps.task_role.source_account)
    assert.is_nil(steps.task_role_policy) -- no policy unless task_permissions asks
  end)

  -- issue 15 item 4: an update AWS accepted but does not hold is an error
  -- naming the field, never a silent success
  it("sends no desired count when it cannot tell whether auto scaling owns it: the error stops the update", function()
    local ecs, calls = fake.client({ update_service = { { service = {} } } }, "ecs")
    use("ecs", ecs)
    use("application_autoscaling", fake.client({ describe_scalable_targets = {
      { error = { code = "InternalFailure", status = 500 } } } }, "application-autoscaling"))
    local svc = fga.types.ecs_service
    local props = svc:validate({ name = "web", cluster = "c", task_definition = "td:2", desired_count = 3,
      subnets = { "subnet-1" }, security_groups = { "sg-1" } }, "s")
    local e = err_of(svc.update, props, { name = "web", cluster = "c", arn = "arn:svc" }, { task_definition = true }, {})
    assert.is_truthy(e:find("InternalFailure", 1, true), e)
    assert.are.equal(0, fake.count(calls, "update_service"))
  end)

  it("reads the resource back after an update and names a field AWS does not hold", function()
    local client, calls = fake.client({
      put_retention_policy = { {} },            -- accepted ...
      describe_log_groups = { { logGroups = { { logGroupName = "/g", retentionInDays = 7 } } } }, -- ... not held
    })
    use("logs", client)
    local lg = fga.types.log_group
    local spec = lg:spec({ name = "/g", retention_days = 14 }, "step logs (log_group)")
    local e = err_of(spec.update, spec.inputs, { name = "/g" },
      { previous_inputs = lg:validate({ name = "/g", retention_days = 7 }, "s") })
    assert.are.equal(1, fake.count(calls, "put_retention_policy"))
    assert.is_truthy(e:find("step logs (log_group): after the update AWS holds retention_days = 7, the inputs say 14",
      1, true), e)
    client = fake.client({ put_retention_policy = { {} },
      describe_log_groups = { { logGroups = { { logGroupName = "/g", retentionInDays = 14 } } } } })
    use("logs", client)
    assert.are.same({ name = "/g" }, spec.update(spec.inputs, { name = "/g" },
      { previous_inputs = lg:validate({ name = "/g", retention_days = 7 }, "s") }))
    use("logs", fake.client({ put_retention_policy = { {} }, describe_log_groups = { { logGroups = {} } } }))
    assert.is_truthy(err_of(spec.update, spec.inputs, { name = "/g" }, { previous_inputs = { name = "/g" } })
      :find("after the update, log_group is gone", 1, true))
  end)

  it("reads a secret for its own ARN and its customer key", function()
    use("secretsmanager", fake.client({ describe_secret = { {
      ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
      KmsKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab" } } }))
    local found = require("fg.aws.secrets").resolve({
      DB = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password::" })
    assert.are.same({ "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" }, found.arns)
    assert.are.same({ "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, found.kms_keys)
  end)

  it("grants kms:Decrypt on the key behind an alias, not on the alias", function()
    use("secretsmanager", fake.client({ describe_secret = { {
      ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf", KmsKeyId = "alias/db" } } }))
    local kms, calls = fake.client({ describe_key = { { KeyMetadata = {
      Arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" } } } })
    use("kms", kms)
    local found = require("fg.aws.secrets").resolve({ DB = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" })
    assert.are.same({ "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" }, found.kms_keys)
    assert.are.equal("arn:aws:kms:eu-west-1:123456789012:alias/db", calls[1].params.KeyId)
  end)

  it("finds the target groups a listener forwards to now: the first rule taking every request", function()
    local TG1 = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg1/a"
    local TG2 = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg2/b"
    local default = { IsDefault = true, Priority = "default", Actions = { { Type = "forward", TargetGroupArn = TG1 } } }
    local production = { Priority = "1", Conditions = { { Field = "path-pattern", Values = { "/*" } } },
      Actions = { { Type = "forward", ForwardConfig = { TargetGroups = {
        { TargetGroupArn = TG1, Weight = 0 }, { TargetGroupArn = TG2, Weight = 100 } } } } } }
    local api = { Priority = "2", Conditions = { { Field = "path-pattern", Values = { "/api/*" } } },
      Actions = { { Type = "forward", TargetGroupArn = TG1 } } }
    local client = fake.client({
      describe_rules = { { Rules = { default, api, production } }, { Rules = { default } },
                         { Rules = { { IsDefault = true, Actions = { { Type = "redirect" } } } } } },
      describe_target_health = { { TargetHealthDescriptions = {
        { Target = { Id = "10.0.0.5" }, TargetHealth = { State = "healthy" } } } } },
    })
    use("elbv2", client)
    local live = require "fg.aws.live_traffic"
    assert.are.equal("tg2 (100%): 10.0.0.5 healthy", live.targets("l"))
    assert.are.same({ { arn = TG1, name = "tg1", percent = 100 } }, live.groups("l"))
    assert.are.same({}, live.groups("l"))
  end)

  it("tells a replacing field changed outside fgrun as drift that forces replacement, when AWS shows it", function()
    local ARN = "arn:aws:iam::123456789012:policy/p"
    local function policy(description)
      return fake.client({
        get_policy = { { Policy = { PolicyName = "p", Arn = ARN, DefaultVersionId = "v1", Description = description } } },
        get_policy_version = { { PolicyVersion = { Document = { Version = "2012-10-17", Statement = {
          { Effect = "Allow", Action = { "s3:GetObject" }, Resource = { "arn:aws:s3:::b/*" } } } } } } },
      })
    end
    local ty = fga.types.iam_policy
    local spec = ty:spec({ name = "p", description = "ours",
      statements = { { actions = { "s3:GetObject" }, resources = { "arn:aws:s3:::b/*" } } } }, "step policy", false)
    local result = { name = "p", arn = ARN }
    local ctx = { recorded = result }
    -- the policy made again under its name with another description (IAM never changes one in place)
    use("iam", policy("made outside fgrun"))
    local changes = spec.drift(spec.inputs, result, ctx)
    local forced
    for _, c in ipairs(changes) do
      if c.field == "description" then forced = c end
    end
    assert.are.same({ field = "description", old = "made outside fgrun", new = "ours", forces_replacement = true,
                      drift = true }, forced)
    assert.are.equal("description", require("fg.plan").forced_field(changes))
    -- AWS shows none (moto keeps no description): nothing to replace
    use("iam", policy(nil))
    for _, c in ipairs(spec.drift(spec.inputs, result, ctx)) do assert.are_not.equal("description", c.field) end
  end)
end)
