-- The permissions preflight (stdlib/fg/preflight.lua) and the
-- service-linked roles (stdlib/fg/service_roles.lua) on fake IAM answers:
-- moto has no policy simulator and never refuses a missing permission.
local fake = dofile("tests/lib/fake_client.lua")
local preflight = require "fg.preflight"
local service_roles = require "fg.service_roles"

local USER = { account = "111", arn = "arn:aws:iam::111:user/deployer", partition = "aws" }

local function decisions(map)
  return function(params)
    local out = {}
    for _, a in ipairs(params.ActionNames) do
      out[#out + 1] = { EvalActionName = a, EvalResourceName = params.ResourceArns[1],
                        EvalDecision = map[a .. " " .. params.ResourceArns[1]] or map[a] or "allowed" }
    end
    return { EvaluationResults = out }
  end
end

local function iam(simulate, roles)
  local client, calls = fake.client({ list_roles = roles or { { Roles = { { RoleName = "x" } } } },
                                      get_role = { { Role = { Arn = "arn:aws:iam::111:role/ops/Deployer" } } } })
  client.simulate_principal_policy = function(p)
    calls[#calls + 1] = { op = "simulate_principal_policy", params = p }
    if type(simulate) == "table" then
      error(require("aws.errors").new{ code = simulate.code, message = "no" }, 0)
    end
    return simulate(p)
  end
  return client, calls
end

local ROLE = "arn:aws:iam::111:role/app-*"
local function run(client, extra)
  local notes = {}
  local opts = { client = client, caller = USER, note = function(t) notes[#notes + 1] = t end,
                 needs = { { action = "iam:PassRole", resource = ROLE, why = "the tasks run with it" },
                           { action = "secretsmanager:GetRandomPassword", why = "names" } },
                 tagging = { "ecs", "iam" } }
  for k, v in pairs(extra or {}) do opts[k] = v end
  local ok, r = pcall(preflight.check, opts)
  return ok, r, notes
end

describe("fg.preflight", function()
  it("passes when the simulator allows everything, in one call per resource", function()
    local client, calls = iam(decisions{})
    local ok, r = run(client)
    assert.is_true(ok, tostring(r))
    assert.are.equal("checked", r)
    assert.are.equal(2, fake.count(calls, "simulate_principal_policy"))
    local all = {}
    for _, c in ipairs(calls) do
      for _, a in ipairs(c.params.ActionNames or {}) do all[#all + 1] = a end
    end
    table.sort(all)
    assert.are.same({ "ecs:TagResource", "iam:PassRole", "iam:TagPolicy", "iam:TagRole", "secretsmanager:GetRandomPassword" }, all)
  end)

  it("names every permission denied, its resource and why it is needed", function()
    local client = iam(decisions{ ["iam:PassRole " .. ROLE] = "implicitDeny", ["ecs:TagResource"] = "explicitDeny" })
    local ok, err = run(client)
    assert.is_false(ok)
    assert.matches("arn:aws:iam::111:user/deployer may not do what this deployment needs; nothing was created", err, 1, true)
    assert.matches("iam:PassRole on " .. ROLE .. " (the tasks run with it; implicitDeny)", err, 1, true)
    assert.matches("ecs:TagResource (tags given at creation (ecs); explicitDeny)", err, 1, true)
    assert.is_nil(err:find("GetRandomPassword", 1, true))
  end)

  it("asks about needs a function finds, as about the others", function()
    local KEY = "arn:aws:kms:us-east-1:111:key/k1"
    local client, calls = iam(decisions{ ["kms:DescribeKey " .. KEY] = "implicitDeny" })
    local found = function() return { { action = "kms:DescribeKey", resource = KEY, why = "the alias" } } end
    local ok, err = run(client, { needs = { found, { action = "iam:PassRole", resource = ROLE } } })
    assert.is_false(ok)
    assert.matches("kms:DescribeKey on " .. KEY .. " (the alias; implicitDeny)", err, 1, true)
    assert.are.equal(3, fake.count(calls, "simulate_principal_policy"))
  end)

  it("simulates an assumed role as the role, with its path", function()
    local client, calls = iam(decisions{})
    local ok = run(client, { caller = { account = "111", partition = "aws",
                                        arn = "arn:aws:sts::111:assumed-role/Deployer/session" } })
    assert.is_true(ok)
    assert.are.equal("arn:aws:iam::111:role/ops/Deployer", calls[#calls].params.PolicySourceArn)
  end)

  it("skips with a note where the caller may not simulate", function()
    local ok, r, notes = run(iam({ code = "AccessDenied" }))
    assert.is_true(ok)
    assert.are.equal("skipped", r)
    assert.matches("not checked beforehand: .*AccessDenied .*iam:SimulatePrincipalPolicy", notes[1])
    local ok2, r2, notes2 = run(iam(decisions{}), { caller = { account = "1", partition = "aws", arn = "arn:aws:iam::1:root" } })
    assert.is_true(ok2)
    assert.are.equal("skipped", r2)
    assert.matches("root user", notes2[1])
  end)

  it("asks for iam:CreateServiceLinkedRole only for the roles still missing, with the service as context", function()
    local client, calls = iam(decisions{}, { { Roles = {} }, { Roles = { { RoleName = "AWSServiceRoleForECS" } } } })
    local ok = run(client, { service_linked_roles = { "ecs.application-autoscaling.amazonaws.com", "ecs.amazonaws.com" } })
    assert.is_true(ok)
    local asked
    for _, c in ipairs(calls) do
      if c.op == "simulate_principal_policy" and c.params.ActionNames[1] == "iam:CreateServiceLinkedRole" then asked = c.params end
    end
    assert.is_truthy(asked)
    assert.are.same({ "ecs.application-autoscaling.amazonaws.com" }, asked.ContextEntries[1].ContextKeyValues)
    assert.matches("role/aws%-service%-role/ecs%.application%-autoscaling%.amazonaws%.com/", asked.ResourceArns[1])
  end)
end)

describe("fg.service_linked_roles", function()
  local clock
  before_each(function() clock = fake.virtual_clock() end)
  after_each(function() clock.restore() end)

  it("creates a missing role and waits until IAM shows it", function()
    local client, calls = fake.client{ list_roles = { { Roles = {} }, { Roles = {} }, { Roles = { { RoleName = "r" } } } },
                                       create_service_linked_role = { { Role = { RoleName = "r" } } } }
    service_roles.ensure({ "ecs.test-a.amazonaws.com" }, { client = client, progress = false })
    assert.are.equal(1, fake.count(calls, "create_service_linked_role"))
    assert.are.equal(3, fake.count(calls, "list_roles"))
    assert.are.equal("/aws-service-role/ecs.test-a.amazonaws.com/", calls[1].params.PathPrefix)
  end)

  it("makes nothing when the role is there", function()
    local client, calls = fake.client{ list_roles = { { Roles = { { RoleName = "r" } } } } }
    service_roles.ensure({ "ecs.test-b.amazonaws.com" }, { client = client })
    assert.are.equal(0, fake.count(calls, "create_service_linked_role"))
  end)

  it("takes a role made meanwhile (\"has been taken\") as made", function()
    local client = fake.client{ list_roles = { { Roles = {} }, { Roles = { { RoleName = "r" } } } },
      create_service_linked_role = { { error = { code = "InvalidInput",
        message = "Service role name AWSServiceRoleForECS has been taken in this account" } } } }
    assert.has_no.errors(function() service_roles.ensure({ "ecs.test-c.amazonaws.com" }, { client = client, progress = false }) end)
  end)

  it("says what an administrator must run when the caller may not create it", function()
    local client = fake.client{ list_roles = { { Roles = {} } },
      create_service_linked_role = { { error = { code = "AccessDenied", message = "not authorized" } } } }
    local ok, err = pcall(service_roles.ensure, { "ecs.test-d.amazonaws.com" }, { client = client })
    assert.is_false(ok)
    assert.matches("aws iam create-service-linked-role --aws-service-name ecs.test-d.amazonaws.com", err, 1, true)
  end)

  it("knows ECS's answer while its role is not usable yet", function()
    local errors = require "aws.errors"
    assert.is_true(service_roles.not_ready(errors.new{ code = "InvalidParameterException",
      message = "Unable to assume the service linked role. Please verify that the ECS service linked role exists." }))
    assert.is_false(service_roles.not_ready(errors.new{ code = "InvalidParameterException", message = "bad cluster name" }))
  end)
end)
