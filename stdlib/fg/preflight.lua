-- Permissions preflight: before anything is created, ask IAM's policy
-- simulator (SimulatePrincipalPolicy) whether the caller may do what the
-- recipe needs beyond the obvious create calls, and name exactly what is
-- missing. Where the caller may not simulate (the root user, federated
-- users, no iam:SimulatePrincipalPolicy), it says so and goes on.
--
--   preflight.check{
--     needs = { { action = "iam:PassRole", resource = "<role ARN>", why = "ECS starts the tasks with it" }, ... },
--             -- or a function returning more such needs (they take AWS reads to find)
--     tagging = { "ecs", "elasticloadbalancing", "ec2", "iam", "ecr", "logs" },
--     service_linked_roles = { "ecs.amazonaws.com", ... },  -- iam:CreateServiceLinkedRole for those missing
--     caller = fg.caller(), client = aws.iam, note = function(text),
--   } -> "checked" | "skipped"; raises naming every permission denied.
local lookup = require "fg.lookup"

local preflight = {}

-- What tagging on create needs besides the create call, per service: the
-- tags of CreateCluster/CreateService (ECS: "Tagging your resources",
-- ecs:TagResource), CreateLoadBalancer/CreateTargetGroup/CreateListener
-- (elasticloadbalancing:AddTags), CreateSecurityGroup's TagSpecifications
-- (ec2:CreateTags), CreateRole/CreatePolicy (iam:TagRole, iam:TagPolicy),
-- CreateRepository (ecr:TagResource), CreateLogGroup (logs:TagResource).
preflight.TAG_ON_CREATE = {
  ecs = { "ecs:TagResource" },
  elasticloadbalancing = { "elasticloadbalancing:AddTags" },
  ec2 = { "ec2:CreateTags" },
  iam = { "iam:TagRole", "iam:TagPolicy" },
  ecr = { "ecr:TagResource" },
  logs = { "logs:TagResource" },
}

-- The ARN the simulator takes for the caller, or nil and why not.
local function principal(iam, caller)
  local arn = caller.arn
  if arn:match(":root$") then return nil, "the account's root user is not simulated (it may do everything)" end
  if arn:match(":federated%-user/") then return nil, "a federated user cannot be simulated" end
  local role = arn:match(":assumed%-role/([^/]+)/")
  if role then
    -- the role's own ARN, with its path
    local ok, r = pcall(iam.get_role, { RoleName = role })
    if not ok then return nil, ("the role %s could not be read (%s)"):format(role, tostring(lookup.code(r) or r)) end
    return r.Role.Arn
  end
  return arn
end

-- Asks about needs in as few calls as the simulator allows: one per
-- resource (and context); returns action -> decision for those not allowed.
local function denied(iam, source, needs)
  local json = require "json"
  local groups, order = {}, {}
  for _, need in ipairs(needs) do
    local key = (need.resource or "*") .. json.encode(need.context or {})
    if not groups[key] then
      groups[key] = { resource = need.resource or "*", context = need.context, actions = {} }
      order[#order + 1] = key
    end
    table.insert(groups[key].actions, need.action)
  end
  local decisions = {}
  -- the questions together: IAM, a global service, answers slowly
  local answers = require("async").map(order, function(key)
    local g = groups[key]
    return iam.simulate_principal_policy{ PolicySourceArn = source, ActionNames = g.actions,
                                          ResourceArns = { g.resource }, ContextEntries = g.context }
  end, "preflight")
  for i, key in ipairs(order) do
    local g, r = groups[key], answers[i]
    for _, e in ipairs(r.EvaluationResults or {}) do
      if e.EvalDecision ~= "allowed" then
        decisions[g.resource .. " " .. tostring(e.EvalActionName):lower()] = e.EvalDecision
      end
    end
  end
  return decisions
end

function preflight.check(opts)
  local iam = opts.client or require("aws").iam
  -- the simulator is asked once: the check is advice, and a service
  -- without it (a stand-in) should not cost the retries' seconds
  local simulator = opts.client or require("aws").client("iam", { max_attempts = 1 })
  local note = opts.note or function() end
  local needs = {}
  for _, n in ipairs(opts.needs or {}) do
    for _, one in ipairs(type(n) == "function" and n() or { n }) do needs[#needs + 1] = one end
  end
  for _, service in ipairs(opts.tagging or {}) do
    local actions = preflight.TAG_ON_CREATE[service]
    if not actions then error(("preflight: no tagging permissions known for %q"):format(tostring(service)), 2) end
    for _, a in ipairs(actions) do
      needs[#needs + 1] = { action = a, why = "tags given at creation (" .. service .. ")" }
    end
  end
  if opts.service_linked_roles and #opts.service_linked_roles > 0 then
    for _, s in ipairs(require("fg.service_roles").missing(opts.service_linked_roles, { client = iam })) do
      needs[#needs + 1] = { action = "iam:CreateServiceLinkedRole", why = "the service-linked role of " .. s,
        resource = ("arn:%s:iam::%s:role/aws-service-role/%s/*"):format(opts.caller.partition, opts.caller.account, s),
        context = { { ContextKeyName = "iam:AWSServiceName", ContextKeyValues = { s }, ContextKeyType = "string" } } }
    end
  end
  local source, why = principal(iam, opts.caller)
  if not source then
    note(("note: permissions not checked beforehand: %s"):format(why))
    return "skipped"
  end
  local ok, decisions = pcall(denied, simulator, source, needs)
  if not ok then
    local code = tostring(lookup.code(decisions) or decisions)
    note(("note: permissions not checked beforehand: IAM's policy simulator answered %s%s"):format(code,
      code:find("AccessDenied", 1, true) and " (the check needs iam:SimulatePrincipalPolicy on the caller itself)" or ""))
    return "skipped"
  end
  local missing = {}
  for _, need in ipairs(needs) do
    local decision = decisions[(need.resource or "*") .. " " .. need.action:lower()]
    if decision then
      missing[#missing + 1] = ("%s%s (%s; %s)"):format(need.action,
        need.resource and need.resource ~= "*" and (" on " .. need.resource) or "", need.why or "needed", decision)
    end
  end
  if #missing > 0 then
    error(("%s may not do what this deployment needs; nothing was created. Missing, by IAM's policy simulator:\n  %s")
      :format(source, table.concat(missing, "\n  ")), 0)
  end
  return "checked"
end

return preflight
