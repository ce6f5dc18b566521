-- The wait for an ECS service's deployment (fg exposes it as
-- fg.wait_for_deployment):
--
--   wait_for_deployment{cluster=, service=, timeout=, task_definition=}:
--     until the service's deployment (the one running task_definition when
--     given, else the PRIMARY one when the wait starts) is PRIMARY,
--     COMPLETED and running its desired count. Fails at once when that
--     deployment failed or was rolled back (circuit breaker), or when the
--     same task failure repeats (repeated_failures times, default 3), and
--     the error's diagnosis says why (fg/ecs/diagnose.lua). More options:
--     client (ECS client; default aws.ecs), elbv2, logs
--     (clients for the diagnosis), what, progress, on_poll(service, attempt).
--     Polls after 1 s, then every tenth of the time waited, at most
--     max_delay (default 15) apart (delay sets the first pause); once the
--     deployment's tasks all run, also when they can first be healthy
--     (expected_end below).
--     Returns the service as last described.
--
-- It raises the waiters' WaitError (code "WaiterFailure"/"WaiterTimeout").
local errors = require "aws.errors"
local fgrun = require "fgrun"
local poll = require "aws.waiter.poll"
local status = require "aws.waiter.status"
local diagnose = require "fg.ecs.diagnose"

local M = {}

local function list(t) return type(t) == "table" and t or {} end

-- Does a task definition reference ("family:3", an ARN) name the ARN?
local function same_task_definition(ref, arn)
  if ref == nil or arn == nil then return false end
  if ref == arn then return true end
  return tostring(arn):sub(-#ref - 1) == "/" .. ref
end

local function find_deployment(service, pred)
  for _, d in ipairs(list(service.deployments)) do
    if pred(d) then return d end
  end
end

local function epoch(ts)
  if ts == nil then return nil end
  local ok, t = pcall(require("base.time").parse, ts)
  return ok and t or nil
end

local ROLLBACK = {"rolling back", "circuit breaker"}

-- Does an event say that deployment `ours` is being rolled back? Not when
-- it names another deployment as the failed one, nor when `ours` is the one
-- rolled back to (a revert that waits for ECS's own rollback deployment).
local function is_rollback_event(message, ours)
  local m = tostring(message):lower()
  local about
  for _, words in ipairs(ROLLBACK) do
    if m:find(words, 1, true) then about = true end
  end
  if not about then return false end
  if m:find("rolling back to deployment " .. tostring(ours):lower(), 1, true) then return false end
  local failed = tostring(message):match("%(deployment ([^)]+)%)")
  return failed == nil or failed == ours
end

-- The progress text of a deployment: "web: 1/2 running, 1 pending, rollout IN_PROGRESS".
local function describe(service, ours)
  local text = status.service(service)
  if ours and ours.status ~= "PRIMARY" then text = text .. ", our deployment " .. tostring(ours.status) end
  if ours and (ours.failedTasks or 0) > 0 then text = text .. ", " .. ours.failedTasks .. " failed tasks" end
  return text
end

-- The last state for errors: the summary, then one line per deployment.
local function state_of(service, ours)
  local lines = {describe(service, ours)}
  for _, d in ipairs(status.deployments(service)) do lines[#lines + 1] = "  " .. d end
  return table.concat(lines, "\n")
end

-- What a task's health waits for, read once per wait: container = seconds
-- from its start to its containers' first health check (one interval: ECS
-- task definition parameters, healthCheck), targets = seconds from its
-- target groups' first checks to HealthyThresholdCount passes one
-- HealthCheckIntervalSeconds apart (ELB user guide, "Health checks for
-- target groups"), balancers = their load balancers (checks begin once
-- they are active).
local function health_settings(ecs, elbv2, service, ours)
  local h = {container = 0, targets = 0, balancers = {}}
  local td = ecs.describe_task_definition{taskDefinition = ours.taskDefinition}.taskDefinition or {}
  for _, c in ipairs(list(td.containerDefinitions)) do
    if c.healthCheck then h.container = math.max(h.container, c.healthCheck.interval or 30) end
  end
  local groups = {}
  for _, lb in ipairs(list(service.loadBalancers)) do
    if lb.targetGroupArn then groups[#groups + 1] = lb.targetGroupArn end
  end
  if #groups == 0 then return h end
  for _, tg in ipairs(list(elbv2.describe_target_groups{TargetGroupArns = groups}.TargetGroups)) do
    h.targets = math.max(h.targets, (tg.HealthCheckIntervalSeconds or 30) * (tg.HealthyThresholdCount or 5))
    for _, arn in ipairs(list(tg.LoadBalancerArns)) do h.balancers[#h.balancers + 1] = arn end
  end
  return h
end

local function all_active(elbv2, arns)
  for _, lb in ipairs(list(elbv2.describe_load_balancers{LoadBalancerArns = arns}.LoadBalancers)) do
    if not (lb.State and lb.State.Code == "active") then return false end
  end
  return true
end

-- The latest start (AWS's clock) of the deployment's running tasks, or nil
-- while fewer than its desired count have started.
local function latest_start(ecs, cluster, name, ours)
  local arns = list(ecs.list_tasks{cluster = cluster, serviceName = name, desiredStatus = "RUNNING"}.taskArns)
  if #arns == 0 then return nil end
  local latest, n = nil, 0
  for _, t in ipairs(list(ecs.describe_tasks{cluster = cluster, tasks = {table.unpack(arns, 1, 100)}}.tasks)) do
    local at = epoch(t.startedAt)
    if at and (t.startedBy == ours.id or (not t.startedBy and same_task_definition(ours.taskDefinition,
                                                                                   t.taskDefinitionArn))) then
      n, latest = n + 1, math.max(latest or at, at)
    end
  end
  return n >= (ours.desiredCount or 1) and latest or nil
end

-- f() for a prediction: an answer of AWS's (no permission to read what it
-- needs) is no prediction; anything else (interrupted) goes on.
local function advice(f)
  local ok, v = pcall(f)
  if ok then return v end
  if errors.is_error(v) and v.status then return nil end
  error(v, 0)
end

function M.wait_for_deployment(opts)
  if type(opts) ~= "table" or type(opts.cluster) ~= "string" or type(opts.service) ~= "string" then
    error("wait_for_deployment: needs {cluster = name, service = name}", 2)
  end
  local ecs = opts.client or opts.ecs or require("aws").ecs
  local cluster, name = opts.cluster, opts.service
  -- for expected_end: the start of the poll that found the deployment
  -- (it was made before) and of this one; the health
  -- settings; whether a load balancer was seen provisioning, and when they
  -- were all seen active (-huge: already when first read); the task counts
  -- the latest start was read for, and it
  local asked, attempt_at, health, provisioning, active_seen, started_for, started
  local threshold = opts.repeated_failures or 3
  local ours_id, ours_created, baseline
  local last, last_ours
  local seen_failed = 0
  local seen_tasks, reasons, stopped = {}, {}, {}

  -- "task 9c0a7e1f stopped: Essential container in task exited (app: exit code 1)"
  local function stopped_note(t)
    local codes = {}
    for _, c in ipairs(list(t.containers)) do
      if c.exitCode ~= nil then codes[#codes + 1] = tostring(c.name) .. ": exit code " .. tostring(c.exitCode) end
    end
    return string.format("task %s stopped: %s%s", tostring(t.taskArn):match("([^/]+)$"),
      tostring(t.stoppedReason or "no reason given"),
      #codes > 0 and " (" .. table.concat(codes, ", ") .. ")" or "")
  end

  -- Stopped tasks of our deployment not seen before: their reasons counted,
  -- and a note for each in `notes`.
  local function count_new_failures(ours, notes)
    local arns = list(ecs.list_tasks{cluster = cluster, serviceName = name, desiredStatus = "STOPPED"}.taskArns)
    local new = {}
    for _, arn in ipairs(arns) do
      if not seen_tasks[arn] and #new < 100 then new[#new + 1] = arn end
    end
    if #new == 0 then return end
    local tasks = list(ecs.describe_tasks{cluster = cluster, tasks = new}.tasks)
    for _, t in ipairs(tasks) do
      seen_tasks[t.taskArn] = true
      -- A service's tasks are started by their deployment's id.
      local mine
      if t.startedBy then mine = t.startedBy == ours.id
      else mine = same_task_definition(ours.taskDefinition, t.taskDefinitionArn) end
      if mine then
        table.insert(stopped, 1, t)
        local reason = t.stoppedReason or "stopped without a reason"
        reasons[reason] = (reasons[reason] or 0) + 1
        notes[#notes + 1] = stopped_note(t)
      end
    end
    table.sort(stopped, function(a, b) return tostring(a.stoppedAt or "") > tostring(b.stoppedAt or "") end)
  end

  local function fail(service, text)
    return {state = "failure", status = describe(service, last_ours), reason = text,
            last_state = state_of(service, last_ours)}
  end

  -- When (fgrun.monotonic()) the rollout, its tasks all running, can
  -- complete at the earliest: the later of the last task's start plus its
  -- containers' first health check and its targets' passes, counted from
  -- that start or from when the load balancer was seen active. AWS's times are placed on
  -- the local clock by the deployment's createdAt, which came before
  -- `asked`: never too early. Reads once per wait
  -- (the settings), once per change of the tasks (their starts) and, while
  -- a load balancer provisions, one call a poll. nil when not known.
  local function expected_end(service, ours)
    if not (ours.rolloutState == "IN_PROGRESS" and ours_created and (ours.desiredCount or 0) > 0
            and (ours.runningCount or 0) >= ours.desiredCount and (ours.pendingCount or 0) == 0) then
      return nil
    end
    local elbv2 = opts.elbv2 or require("aws").elbv2
    if health == nil then health = advice(function() return health_settings(ecs, elbv2, service, ours) end) or false end
    if not health then return nil end
    if #health.balancers > 0 and not active_seen then
      local active = advice(function() return all_active(elbv2, health.balancers) end)
      if active == nil then health = false end -- not readable: no predictions
      if not active then
        provisioning = true
        return nil
      end
      active_seen = provisioning and attempt_at or -math.huge
    end
    local counts = ours.runningCount .. "/" .. (ours.failedTasks or 0)
    if started_for ~= counts then
      started_for, started = counts, advice(function() return latest_start(ecs, cluster, name, ours) end)
    end
    if not started then return nil end
    local start = asked + (started - ours_created)
    local checks_from = math.max(start, active_seen or start)
    local pace = poll.pace() -- a simulator scales the settings' seconds too
    return math.max(start + health.container * pace, checks_from + health.targets * pace)
  end

  local function check(attempt)
    attempt_at = fgrun.monotonic()
    local out = ecs.describe_services{cluster = cluster, services = {name}}
    local service = list(out.services)[1]
    if not service then
      local f = list(out.failures)[1]
      return {state = "failure", status = "not found",
              reason = string.format("service %s not found in cluster %s%s", name, cluster,
                                     f and " (" .. tostring(f.reason) .. ")" or "")}
    end
    last = service
    if service.status ~= "ACTIVE" then
      return fail(service, "the service is " .. tostring(service.status))
    end
    local primary = find_deployment(service, function(d) return d.status == "PRIMARY" end)
    local ours
    if not ours_id then
      if opts.task_definition then
        ours = find_deployment(service, function(d)
          return same_task_definition(opts.task_definition, d.taskDefinition)
        end)
        if not ours and primary and same_task_definition(opts.task_definition, service.taskDefinition) then
          -- The service is set to run it, yet no deployment does: AWS makes
          -- the deployment in update_service itself (a rollback resets the
          -- service's task definition too), moto_server keeps the old one.
          ours = primary
        end
        if not ours then
          return fail(service, string.format("no deployment runs %s; the PRIMARY one runs %s "
            .. "(rolled back by the circuit breaker, or replaced)", opts.task_definition,
            tostring(primary and primary.taskDefinition)))
        end
      else
        ours = primary
        if not ours then return fail(service, "the service has no PRIMARY deployment") end
      end
      ours_id, ours_created, asked = ours.id, epoch(ours.createdAt), attempt_at
      baseline = {}
      for _, e in ipairs(list(service.events)) do baseline[e.id or e.message] = true end
    else
      ours = find_deployment(service, function(d) return d.id == ours_id end)
      if not ours then
        for _, e in ipairs(list(service.events)) do
          if tostring(e.message):find(ours_id, 1, true) and is_rollback_event(e.message, ours_id) then
            return fail(service, "the circuit breaker rolled it back: " .. tostring(e.message))
          end
        end
        return fail(service, string.format("deployment %s is gone (rolled back or replaced); "
          .. "the PRIMARY one is %s running %s", ours_id, tostring(primary and primary.id),
          tostring(primary and primary.taskDefinition)))
      end
    end
    last_ours = ours
    if opts.on_poll then opts.on_poll(service, attempt) end
    if ours.rolloutState == "FAILED" then
      return fail(service, string.format("deployment %s failed: %s", ours_id,
                                         tostring(ours.rolloutStateReason or "rollout FAILED")))
    end
    if ours.status ~= "PRIMARY" then
      return fail(service, string.format("deployment %s is %s, no longer PRIMARY: rolled back to %s (%s)",
        ours_id, tostring(ours.status), tostring(primary and primary.id),
        tostring(primary and primary.taskDefinition)))
    end
    for _, e in ipairs(list(service.events)) do
      -- Only events since our deployment began: by their time when it is
      -- known, else those that appeared after the first poll.
      local at = epoch(e.createdAt)
      local recent
      if at and ours_created then recent = at >= ours_created
      else recent = not baseline[e.id or e.message] end
      if recent and is_rollback_event(e.message, ours_id) then
        return fail(service, "the circuit breaker is rolling back: " .. tostring(e.message))
      end
    end
    local notes = {}
    if ours.failedTasks == nil or ours.failedTasks > seen_failed then
      seen_failed = ours.failedTasks or 0
      count_new_failures(ours, notes)
      for reason, n in pairs(reasons) do
        if n >= threshold then
          local r = fail(service, string.format("the same task failure repeated %d times: %s", n, reason))
          r.notes = notes
          return r
        end
      end
    end
    local text = describe(service, ours)
    local completed
    if ours.rolloutState then
      completed = ours.rolloutState == "COMPLETED"
    else -- no rollout state (older controllers): steady when it is the only deployment
      completed = #list(service.deployments) == 1
    end
    if completed and ours.runningCount == ours.desiredCount then
      return {state = "success", status = text, value = service, notes = notes}
    end
    return {state = "retry", status = text, last_state = state_of(service, ours), notes = notes,
            expect_at = expected_end(service, ours)}
  end

  local what = opts.what or string.format("deployment of %s/%s", cluster, name)
  local ok, result = pcall(poll.poll, {
    waiter = what, what = what,
    params = {cluster = cluster, service = name, task_definition = opts.task_definition},
    check = check,
    delay = opts.delay or 1,
    max_delay = opts.max_delay or 15,
    timeout = opts.timeout or 1200,
    progress = opts.progress,
  })
  if ok then return result end
  if poll.is_wait_error(result) then
    result.service_state = last
    result.diagnosis = diagnose.for_wait(opts, {ecs = ecs, cluster = cluster, service = name, last = last,
                                                stopped = stopped})
  end
  error(result, 0)
end

return M
