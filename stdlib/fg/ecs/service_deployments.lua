-- ECS service deployments (ListServiceDeployments, DescribeServiceDeployments,
-- StopServiceDeployment, ContinueServiceDeployment): following a service's
-- deployment through its lifecycle stages, rolling it back, continuing it
-- past a PAUSE hook, and its state for `status`.
--
--   follows(service) -> whether a described service deploys BLUE_GREEN,
--     CANARY or LINEAR (its stages, traffic and bake time are only seen here)
--   wait{cluster=, service=, task_definition=, ...} (fg.wait_for_deployment)
--     -> the service as last described and its service deployment once
--     SUCCESSFUL; a service deploying ROLLING is waited for by
--     fg/ecs/wait.lua's rollout wait instead. Notes each lifecycle stage as it comes,
--     the traffic on the new revision, a PAUSE hook awaiting action. A
--     rollback (the circuit breaker, a hook, StopServiceDeployment) or a
--     STOPPED deployment fails the wait (WaitError) once ECS has finished
--     rolling back, with the diagnosis (fg/ecs/diagnose.lua).
--     Options: timeout (default 1200 s plus the deployment's bake times),
--     delay (first pause, default 5), client (ECS; default aws.ecs), elbv2,
--     logs (for the diagnosis), what, progress, paused = "wait" (default)
--     or "return" (return the deployment when a hook awaits action).
--   rollback{cluster=, service=, ...} -> StopServiceDeployment ROLLBACK on
--     the deployment in progress, then waits for ROLLBACK_SUCCESSFUL.
--   continue{cluster=, service=, action = "CONTINUE" | "ROLLBACK", ...} ->
--     ContinueServiceDeployment for the hook awaiting action, then waits.
--   in_progress{cluster=, service=} -> whether one is in progress.
--   status{cluster=, service=, client=} -> lines on the current deployment
--     ({} when ECS gives no service deployments: moto alone).
local poll = require "aws.waiter.poll"
local diagnose = require "fg.ecs.diagnose"

local M = {}

local TRAFFIC_SHIFTING = {BLUE_GREEN = true, CANARY = true, LINEAR = true}
local ROLLING_BACK = {ROLLBACK_REQUESTED = true, ROLLBACK_IN_PROGRESS = true}
local IN_FLIGHT = {PENDING = true, IN_PROGRESS = true, ROLLBACK_REQUESTED = true, ROLLBACK_IN_PROGRESS = true}

-- What each stage does, for the note that announces it (ECS API reference,
-- ServiceDeployment.lifecycleStage).
local STAGES = {
  RECONCILE_SERVICE = "stopping revisions left over from an earlier deployment",
  PRE_SCALE_UP = "before the new revision starts",
  SCALE_UP = "starting the new revision's tasks, no traffic on them yet",
  POST_SCALE_UP = "the new revision runs; production traffic still on the old one",
  TEST_TRAFFIC_SHIFT = "test traffic moving to the new revision",
  POST_TEST_TRAFFIC_SHIFT = "test traffic on the new revision",
  PRE_PRODUCTION_TRAFFIC_SHIFT = "before production traffic moves",
  PRODUCTION_TRAFFIC_SHIFT = "production traffic moving to the new revision",
  POST_PRODUCTION_TRAFFIC_SHIFT = "production traffic on the new revision",
  BAKE_TIME = "baking: both revisions run, the old one kept for a rollback",
  CLEAN_UP = "stopping the old revision's tasks",
}

local function list(t) return type(t) == "table" and t or {} end

local function short(arn)
  return tostring(arn):match("([^/]+)$") or tostring(arn)
end

local function strategy(service)
  return list(service.deploymentConfiguration).strategy or "ROLLING"
end

function M.follows(service)
  return TRAFFIC_SHIFTING[strategy(service)] == true
end

local function percent(x)
  return x and string.format("%g%%", x) or "?"
end

local function when(ts)
  if type(ts) == "number" then return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(ts)) end
  return tostring(ts)
end

local function describe_service(ecs, cluster, name)
  local out = ecs.describe_services{cluster = cluster, services = {name}}
  local service = list(out.services)[1]
  if not service then
    local f = list(out.failures)[1]
    error(string.format("service %s not found in cluster %s%s", name, cluster,
                        f and " (" .. tostring(f.reason) .. ")" or ""), 0)
  end
  return service
end

local function describe(ecs, arn)
  return list(ecs.describe_service_deployments{serviceDeploymentArns = {arn}}.serviceDeployments)[1]
end

-- The service's newest service deployment, described (nil when there is none).
local function current(ecs, cluster, service)
  local arn = service.currentServiceDeployment
  if not arn then
    local found = list(ecs.list_service_deployments{cluster = cluster, service = service.serviceName,
                                                    maxResults = 1}.serviceDeployments)[1]
    arn = found and found.serviceDeploymentArn
  end
  return arn and describe(ecs, arn)
end

local function awaiting(sd)
  for _, h in ipairs(list(sd.lifecycleHookDetails)) do
    if h.status == "AWAITING_ACTION" then return h end
  end
end

local function traffic(sd)
  local t = sd.targetServiceRevision or {}
  if t.requestedProductionTrafficWeight == nil and t.requestedTestTrafficWeight == nil then return nil end
  return string.format("production %s, test %s on the new revision", percent(t.requestedProductionTrafficWeight),
                       percent(t.requestedTestTrafficWeight))
end

-- "CANARY ecs-svc/…: PRODUCTION_TRAFFIC_SHIFT, production 10%, test 100% on the new revision, 2/2 new tasks running"
local function summary(sd)
  local cfg = list(sd.deploymentConfiguration)
  local parts = {string.format("%s %s: %s", cfg.strategy or "ROLLING", short(sd.serviceDeploymentArn),
                               sd.status == "IN_PROGRESS" and sd.lifecycleStage or sd.status)}
  local t = traffic(sd)
  if t then parts[#parts + 1] = t end
  local target = sd.targetServiceRevision or {}
  if target.requestedTaskCount then
    parts[#parts + 1] = string.format("%d/%d new tasks running", target.runningTaskCount or 0,
                                      target.requestedTaskCount)
  end
  return table.concat(parts, ", ")
end

local function hook_line(h)
  return string.format("paused at this stage: hook %s awaits ContinueServiceDeployment until %s (then %s); "
    .. "continue it (the `continue` action) or roll back (`rollback`)", tostring(h.hookId), when(h.expiresAt),
    tostring(h.timeoutAction or "ROLLBACK"))
end

-- The state of a service deployment for errors and `status`: one line each.
local function state_lines(sd)
  local lines = {summary(sd)}
  if sd.statusReason then lines[#lines + 1] = "reason: " .. sd.statusReason end
  local r = sd.rollback
  if r then
    lines[#lines + 1] = string.format("rollback to %s: %s", short(r.serviceRevisionArn), tostring(r.reason))
  end
  local cb = sd.deploymentCircuitBreaker
  if cb and cb.status and cb.status ~= "DISABLED" then
    lines[#lines + 1] = string.format("circuit breaker %s: %d of %d failed tasks", cb.status, cb.failureCount or 0,
                                      cb.threshold or 0)
  end
  local h = awaiting(sd)
  if h then lines[#lines + 1] = hook_line(h) end
  return lines
end

-- Minutes the deployment's stages wait on purpose: bake times and steps.
local function planned_minutes(cfg)
  local minutes = cfg.bakeTimeInMinutes or 0
  local canary, linear = list(cfg.canaryConfiguration), list(cfg.linearConfiguration)
  if cfg.strategy == "CANARY" then minutes = minutes + (canary.canaryBakeTimeInMinutes or 10) end
  if cfg.strategy == "LINEAR" then
    minutes = minutes + (linear.stepBakeTimeInMinutes or 6) * math.ceil(100 / (linear.stepPercent or 10))
  end
  return minutes
end

local function same_task_definition(ref, arn)
  if ref == nil or arn == nil then return false end
  return ref == arn or tostring(arn):sub(-#ref - 1) == "/" .. ref
end

-- Follows the service deployment `arn` until its status is `want`
-- (SUCCESSFUL, or ROLLBACK_SUCCESSFUL after a requested rollback).
local function follow(ecs, opts, arn, want)
  local cluster, name = opts.cluster, opts.service
  local first = describe(ecs, arn)
  if not first then error("service deployment " .. tostring(arn) .. " not found", 0) end
  local seen_stage, seen_status, seen_traffic, seen_hooks = nil, nil, nil, {}
  local last = first

  local function failure(sd, reason)
    return {state = "failure", status = summary(sd), reason = reason,
            last_state = table.concat(state_lines(sd), "\n")}
  end

  local function check()
    local sd = describe(ecs, arn)
    if not sd then return {state = "failure", status = "gone", reason = "service deployment " .. arn .. " is gone"} end
    last = sd
    local notes = {}
    if sd.status ~= seen_status then
      if ROLLING_BACK[sd.status] then
        notes[#notes + 1] = string.format("%s: %s", sd.status,
          tostring(sd.rollback and sd.rollback.reason or sd.statusReason or "rolling back"))
      elseif sd.status ~= "IN_PROGRESS" or seen_status then
        notes[#notes + 1] = sd.status .. (sd.statusReason and ": " .. sd.statusReason or "")
      end
      seen_status = sd.status
    end
    if sd.status == "IN_PROGRESS" and sd.lifecycleStage and sd.lifecycleStage ~= seen_stage then
      seen_stage = sd.lifecycleStage
      local what = STAGES[seen_stage]
      notes[#notes + 1] = string.format("stage %s%s", seen_stage, what and ": " .. what or "")
    end
    local t = traffic(sd)
    if sd.status == "IN_PROGRESS" and t and t ~= seen_traffic then
      if seen_traffic or t ~= "production 0%, test 0% on the new revision" then notes[#notes + 1] = "traffic: " .. t end
      seen_traffic = t
    end
    local h = awaiting(sd)
    if h and not seen_hooks[h.hookId] then
      seen_hooks[h.hookId] = true
      notes[#notes + 1] = hook_line(h)
    end
    local r = {state = "retry", status = summary(sd), notes = notes, last_state = table.concat(state_lines(sd), "\n")}
    if sd.status == want then
      if want == "SUCCESSFUL" and opts.task_definition then
        local service = describe_service(ecs, cluster, name)
        if not same_task_definition(opts.task_definition, service.taskDefinition) then
          local f = failure(sd, string.format("the service runs %s, not %s: a newer deployment replaced it",
                                              tostring(service.taskDefinition), opts.task_definition))
          f.notes = notes
          return f
        end
      end
      r.state, r.value = "success", sd
    elseif IN_FLIGHT[sd.status] then
      if h and opts.paused == "return" then r.state, r.value = "success", sd end
    elseif sd.status == "ROLLBACK_SUCCESSFUL" then
      local f = failure(sd, string.format("deployment %s was rolled back to %s: %s", short(arn),
        short(sd.rollback and sd.rollback.serviceRevisionArn), tostring(sd.rollback and sd.rollback.reason
        or sd.statusReason)))
      f.notes = notes
      return f
    else
      local f = failure(sd, string.format("deployment %s ended %s%s", short(arn), tostring(sd.status),
                                          sd.statusReason and ": " .. sd.statusReason or ""))
      f.notes = notes
      return f
    end
    return r
  end

  local what = opts.what or string.format("deployment of %s/%s", cluster, name)
  local ok, result = pcall(poll.poll, {
    waiter = what, what = what,
    params = {cluster = cluster, service = name, service_deployment = arn},
    check = check,
    delay = opts.delay or 5, backoff = 1.5, max_delay = opts.max_delay or 15,
    timeout = opts.timeout or 1200 + 60 * planned_minutes(list(first.deploymentConfiguration)),
    progress = opts.progress == nil and {quiet_for = 0} or opts.progress,
  })
  if ok then return result end
  if poll.is_wait_error(result) then
    result.service_deployment = last
    local service_state
    local got, service = pcall(describe_service, ecs, cluster, name)
    if got then service_state = service end
    result.service_state = service_state
    result.diagnosis = diagnose.for_wait(opts, {ecs = ecs, cluster = cluster, service = name, last = service_state})
  end
  error(result, 0)
end

local function client(opts)
  if type(opts) ~= "table" or type(opts.cluster) ~= "string" or type(opts.service) ~= "string" then
    error("needs {cluster = name, service = name}", 3)
  end
  return opts.client or opts.ecs or require("aws").ecs
end

function M.wait(opts)
  local ecs = client(opts)
  local service = list(ecs.describe_services{cluster = opts.cluster, services = {opts.service}}.services)[1]
  if not (service and M.follows(service)) then return require("fg.ecs.wait").wait_for_deployment(opts) end
  local sd = current(ecs, opts.cluster, service)
  if not sd then
    error(string.format("service %s has no service deployment to follow", opts.service), 0)
  end
  sd = follow(ecs, opts, sd.serviceDeploymentArn, "SUCCESSFUL")
  return describe_service(ecs, opts.cluster, opts.service), sd
end

-- The deployment in progress, or an error saying what there is instead.
local function in_progress(ecs, opts, doing)
  local service = describe_service(ecs, opts.cluster, opts.service)
  local sd = current(ecs, opts.cluster, service)
  if not sd then error(string.format("%s: service %s has no service deployment", doing, opts.service), 0) end
  if sd.status ~= "IN_PROGRESS" then
    error(string.format("%s: no deployment of %s is in progress (the last one, %s, is %s); "
      .. "to go back to an earlier version deploy it again", doing, opts.service, short(sd.serviceDeploymentArn),
      tostring(sd.status)), 0)
  end
  return sd
end

-- in_progress{cluster=, service=} -> whether a service deployment of it is in progress.
function M.in_progress(opts)
  local ecs = client(opts)
  local ok, service = pcall(describe_service, ecs, opts.cluster, opts.service)
  local sd = ok and current(ecs, opts.cluster, service)
  return sd and sd.status == "IN_PROGRESS" or false
end

function M.rollback(opts)
  local ecs = client(opts)
  local sd = in_progress(ecs, opts, "rollback")
  ecs.stop_service_deployment{serviceDeploymentArn = sd.serviceDeploymentArn, stopType = "ROLLBACK"}
  return follow(ecs, opts, sd.serviceDeploymentArn, "ROLLBACK_SUCCESSFUL")
end

function M.continue(opts)
  local ecs = client(opts)
  local action = opts.action or "CONTINUE"
  if action ~= "CONTINUE" and action ~= "ROLLBACK" then
    error(string.format("continue: action must be CONTINUE or ROLLBACK, not %s", tostring(action)), 2)
  end
  local sd = in_progress(ecs, opts, "continue")
  local h = awaiting(sd)
  if not h then
    error(string.format("continue: deployment %s is not paused (stage %s, no hook awaits action)",
                        short(sd.serviceDeploymentArn), tostring(sd.lifecycleStage)), 0)
  end
  ecs.continue_service_deployment{serviceDeploymentArn = sd.serviceDeploymentArn, hookId = h.hookId, action = action}
  return follow(ecs, opts, sd.serviceDeploymentArn, action == "ROLLBACK" and "ROLLBACK_SUCCESSFUL" or "SUCCESSFUL")
end

function M.status(opts)
  local ecs = client(opts)
  local service = describe_service(ecs, opts.cluster, opts.service)
  if not service.currentServiceDeployment then return {} end
  local sd = describe(ecs, service.currentServiceDeployment)
  if not sd then return {} end
  local lines = state_lines(sd)
  lines[1] = "service deployment " .. lines[1] .. (sd.updatedAt and " (since " .. when(sd.updatedAt) .. ")" or "")
  for i = 2, #lines do lines[i] = "  " .. lines[i] end
  return lines
end

return M
