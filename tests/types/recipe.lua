-- Every resource type of fg.aws in one small deployment, each field fed by
-- a parameter, for tests/cli/types.sh: deploy, change one parameter,
-- re-run, and compare moto's state (tests/types/snapshot.lua).
local fg = require "fg"
local aws = require "aws"
local fgrun = require "fgrun"

local p = fg.params{
  name = "tyt",
  retention = 7,
  sg_name = "sg", sg_description = "types test",
  ingress_port = 8080, ingress_cidr = "10.0.0.0/16", egress_port = 443,
  role_name = "role", role_service = "ecs-tasks.amazonaws.com", role_description = "types test",
  role_source_account = fg.optional "string",
  fail_at = "",
}
local d = fg.deployment(p.name)
local res = require("fg.aws").use(d)
local prefix = p.name .. "-" .. d:value("suffix", function() return fgrun.uuid4():sub(1, 6) end)
local vpc = aws.ec2.describe_vpcs{ Filters = { { Name = "is-default", Values = { "true" } } } }.Vpcs[1].VpcId

local function fail(step) if p.fail_at == step then error("injected failure after " .. step, 0) end end

local logs = res.log_group("log_group", { name = "/tyt/" .. prefix, retention_days = p.retention })
fail("log_group")
local sg = res.security_group("security_group", { name = prefix .. "-" .. p.sg_name, description = p.sg_description, vpc = vpc })
fail("security_group")
res.security_group_rules("ingress", { group = sg.id, rules = { { port = p.ingress_port, cidr = p.ingress_cidr } } })
res.security_group_rules("egress", { group = sg.id, direction = "egress", rules = { { port = p.egress_port, cidr = "0.0.0.0/0" } } })
fail("rules")
local role = res.iam_role("role", { name = prefix .. "-" .. p.role_name, service = p.role_service,
  description = p.role_description, source_account = p.role_source_account })
fail("role")
d:output("log_group", logs.name)
d:output("role", role.arn)
fail("end")
