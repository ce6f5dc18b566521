-- Why an ECS deployment is not coming up, gathered when a wait for it fails:
-- the latest service events, stopped tasks (stoppedReason, container exit
-- codes), unhealthy targets of the service's target groups, and the last log
-- lines of a stopped task when its task definition logs with awslogs. Each
-- part that cannot be read says so and the others are still gathered.
local M = {}

local EVENTS, TASKS, LOG_LINES = 5, 3, 10

local function list(t) return type(t) == "table" and t or {} end

local function task_id(arn)
  return tostring(arn):match("([^/]+)$")
end

local function short_arn(arn)
  return tostring(arn):match("task%-definition/(.+)$") or tostring(arn)
end

local function target_group_name(arn)
  return tostring(arn):match("targetgroup/([^/]+)") or tostring(arn)
end

local function one_line(s)
  return (tostring(s):gsub("%s+", " "))
end

local function event_lines(service, out)
  local events = list(service and service.events)
  if #events == 0 then return end
  out[#out + 1] = "latest service events:"
  for i = 1, math.min(EVENTS, #events) do
    local e = events[i]
    out[#out + 1] = "  " .. tostring(e.createdAt or "") .. " " .. one_line(e.message or "")
  end
end

-- The stopped tasks of the service, newest first (at most TASKS), unless
-- the wait already collected some.
local function stopped_tasks(ctx)
  if ctx.stopped and #ctx.stopped > 0 then return ctx.stopped end
  local arns = list(ctx.ecs.list_tasks{cluster = ctx.cluster, serviceName = ctx.service,
                                       desiredStatus = "STOPPED"}.taskArns)
  if #arns == 0 then return {} end
  local some = {}
  for i = 1, math.min(#arns, 100) do some[i] = arns[i] end
  local tasks = list(ctx.ecs.describe_tasks{cluster = ctx.cluster, tasks = some}.tasks)
  local sorted = {}
  for _, t in ipairs(tasks) do sorted[#sorted + 1] = t end
  table.sort(sorted, function(a, b) return tostring(a.stoppedAt or "") > tostring(b.stoppedAt or "") end)
  return sorted
end

local function task_lines(tasks, out)
  if #tasks == 0 then return end
  out[#out + 1] = "stopped tasks:"
  for i = 1, math.min(TASKS, #tasks) do
    local t = tasks[i]
    local line = "  " .. task_id(t.taskArn) .. " (" .. short_arn(t.taskDefinitionArn) .. "): "
      .. one_line(t.stoppedReason or "no reason given")
    if t.stopCode then line = line .. " [" .. t.stopCode .. "]" end
    out[#out + 1] = line
    for _, c in ipairs(list(t.containers)) do
      local parts = {}
      if c.exitCode ~= nil then parts[#parts + 1] = "exit code " .. tostring(c.exitCode) end
      if c.reason then parts[#parts + 1] = one_line(c.reason) end
      if #parts > 0 then
        out[#out + 1] = "    container " .. tostring(c.name) .. ": " .. table.concat(parts, ", ")
      end
    end
  end
end

local function target_lines(ctx, service, out)
  local header = false
  for _, lb in ipairs(list(service and service.loadBalancers)) do
    if lb.targetGroupArn then
      local health = ctx.elbv2().describe_target_health{TargetGroupArn = lb.targetGroupArn}
      for _, d in ipairs(list(health.TargetHealthDescriptions)) do
        local h = d.TargetHealth or {}
        if h.State ~= "healthy" then
          if not header then
            out[#out + 1] = "unhealthy targets:"
            header = true
          end
          local target = d.Target or {}
          local line = string.format("  %s %s:%s %s", target_group_name(lb.targetGroupArn),
            tostring(target.Id), tostring(target.Port or "?"), tostring(h.State))
          if h.Reason then line = line .. " " .. h.Reason end
          if h.Description then line = line .. ": " .. one_line(h.Description) end
          out[#out + 1] = line
        end
      end
    end
  end
end

-- The container whose logs tell most: one that exited non-zero, else the first.
local function failed_container(task)
  local containers = list(task.containers)
  for _, c in ipairs(containers) do
    if c.exitCode ~= nil and c.exitCode ~= 0 then return c end
  end
  return containers[1]
end

local function log_lines(ctx, tasks, out)
  local task = tasks[1]
  if not task then return end
  local container = failed_container(task)
  if not container then return end
  local td = ctx.ecs.describe_task_definition{taskDefinition = task.taskDefinitionArn}.taskDefinition
  for _, def in ipairs(list(td and td.containerDefinitions)) do
    local lc = def.logConfiguration
    if def.name == container.name and lc and lc.logDriver == "awslogs" then
      local o = lc.options or {}
      local group, prefix = o["awslogs-group"], o["awslogs-stream-prefix"]
      if not (group and prefix) then
        out[#out + 1] = string.format("(container %s logs to awslogs without a stream prefix: "
          .. "its stream cannot be found)", container.name)
        return
      end
      local stream = prefix .. "/" .. container.name .. "/" .. task_id(task.taskArn)
      local ok, answer = pcall(ctx.logs(o["awslogs-region"]).get_log_events, {logGroupName = group, logStreamName = stream,
                                                           limit = LOG_LINES, startFromHead = false})
      if not ok and type(answer) == "table" and answer.code == "ResourceNotFoundException" then
        out[#out + 1] = string.format("no log stream %s in %s (the container may never have started)",
                                      stream, group)
        return
      elseif not ok then
        error(answer, 0)
      end
      local events = list(answer.events)
      out[#out + 1] = string.format("last log lines of %s (%s %s):", task_id(task.taskArn), group, stream)
      if #events == 0 then out[#out + 1] = "  (none)" end
      for i = math.max(1, #events - LOG_LINES + 1), #events do
        out[#out + 1] = "  " .. tostring(events[i].message):gsub("%s+$", "")
      end
      return
    end
  end
end

local function attempt(out, what, fn, ...)
  local ok, err = pcall(fn, ...)
  if not ok then out[#out + 1] = "(could not read " .. what .. ": " .. one_line(err) .. ")" end
  return ok and err or nil
end

-- diagnose(ctx) -> text (lines). ctx: ecs (client), elbv2() and
-- logs(region) (functions giving those clients; region: awslogs-region), cluster, service (name), last (the last
-- described service, may be nil), stopped (tasks already described, newest
-- first, may be nil).
function M.diagnose(ctx)
  local out = {}
  event_lines(ctx.last, out)
  local tasks = attempt(out, "stopped tasks", stopped_tasks, ctx) or {}
  task_lines(tasks, out)
  attempt(out, "target health", target_lines, ctx, ctx.last, out)
  attempt(out, "task logs", log_lines, ctx, tasks, out)
  return table.concat(out, "\n")
end

-- for_wait(opts, ctx) -> diagnose(ctx), its elbv2 and logs clients those a
-- wait's options name (opts.elbv2, opts.logs), else aws's own.
function M.for_wait(opts, ctx)
  ctx.elbv2 = function() return opts.elbv2 or require("aws").elbv2 end
  ctx.logs = function(region)
    if opts.logs then return opts.logs end
    return region and require("aws").client("logs", {region = region}) or require("aws").logs
  end
  return M.diagnose(ctx)
end

return M
