-- Short status texts of the answers waits poll, for progress lines and
-- timeout errors: "web: 1/2 running, 1 pending, 2 deployments".
local M = {}

local function list(t) return type(t) == "table" and t or {} end

-- "2 RUNNING, 1 PENDING" from a list of values, most frequent first.
local function counts(values)
  local n, order = {}, {}
  for _, v in ipairs(values) do
    v = tostring(v)
    if not n[v] then order[#order + 1] = v end
    n[v] = (n[v] or 0) + 1
  end
  table.sort(order, function(a, b)
    if n[a] ~= n[b] then return n[a] > n[b] end
    return a < b
  end)
  local parts = {}
  for _, v in ipairs(order) do parts[#parts + 1] = n[v] .. " " .. v end
  return table.concat(parts, ", ")
end

local function failures(out, parts)
  for _, f in ipairs(list(out.failures)) do
    parts[#parts + 1] = tostring(f.arn or "?") .. ": " .. tostring(f.reason or "failure")
  end
end

-- One ECS service: "web: 1/2 running, 1 pending, 2 deployments (PRIMARY IN_PROGRESS)".
function M.service(s)
  local text = string.format("%s: %s/%s running", tostring(s.serviceName or "?"),
                             tostring(s.runningCount or 0), tostring(s.desiredCount or 0))
  if (s.pendingCount or 0) > 0 then text = text .. ", " .. s.pendingCount .. " pending" end
  local deployments = list(s.deployments)
  if #deployments > 1 then text = text .. ", " .. #deployments .. " deployments" end
  for _, d in ipairs(deployments) do
    if d.status == "PRIMARY" and d.rolloutState and d.rolloutState ~= "COMPLETED" then
      text = text .. ", rollout " .. d.rolloutState
    end
  end
  if s.status and s.status ~= "ACTIVE" then text = text .. ", " .. s.status end
  return text
end

-- One line per deployment of a service:
-- "PRIMARY ecs-svc/1 web:3 IN_PROGRESS: 1/2 running, 1 pending, 0 failed".
function M.deployments(s)
  local lines = {}
  for _, d in ipairs(list(s.deployments)) do
    local td = tostring(d.taskDefinition or "?"):match("task%-definition/(.+)$") or d.taskDefinition
    local line = string.format("%s %s %s", tostring(d.status), tostring(d.id), tostring(td))
    if d.rolloutState then line = line .. " " .. d.rolloutState end
    line = line .. string.format(": %s/%s running", tostring(d.runningCount or 0), tostring(d.desiredCount or 0))
    if (d.pendingCount or 0) > 0 then line = line .. ", " .. d.pendingCount .. " pending" end
    if (d.failedTasks or 0) > 0 then line = line .. ", " .. d.failedTasks .. " failed" end
    if d.rolloutStateReason then line = line .. " (" .. d.rolloutStateReason .. ")" end
    lines[#lines + 1] = line
  end
  return lines
end

local by_operation = {}

function by_operation.DescribeServices(out)
  local parts = {}
  for _, s in ipairs(list(out.services)) do parts[#parts + 1] = M.service(s) end
  failures(out, parts)
  return table.concat(parts, "; ")
end

function by_operation.DescribeTasks(out)
  local states = {}
  for _, t in ipairs(list(out.tasks)) do states[#states + 1] = t.lastStatus or "?" end
  local parts = {#states > 0 and counts(states) or "no tasks"}
  failures(out, parts)
  return table.concat(parts, "; ")
end

function by_operation.DescribeTargetHealth(out)
  local states = {}
  for _, d in ipairs(list(out.TargetHealthDescriptions)) do
    states[#states + 1] = d.TargetHealth and d.TargetHealth.State or "?"
  end
  return #states > 0 and counts(states) or "no targets"
end

function by_operation.DescribeLoadBalancers(out)
  local parts = {}
  for _, lb in ipairs(list(out.LoadBalancers)) do
    parts[#parts + 1] = tostring(lb.LoadBalancerName or "?") .. ": "
      .. tostring(lb.State and lb.State.Code or "?")
  end
  return #parts > 0 and table.concat(parts, ", ") or "no load balancers"
end

local details = {}

function details.DescribeServices(out)
  local lines = {}
  for _, s in ipairs(list(out.services)) do
    lines[#lines + 1] = M.service(s)
    for _, d in ipairs(M.deployments(s)) do lines[#lines + 1] = "  " .. d end
  end
  failures(out, lines)
  return table.concat(lines, "\n")
end

-- A longer, multi-line account of an answer for errors (deployments and
-- their counts for DescribeServices), or nil when there is none.
function M.detail(operation, output)
  local f = details[operation]
  if not f or type(output) ~= "table" then return nil end
  local ok, text = pcall(f, output)
  return ok and text or nil
end

-- The status text of an operation's answer, or nil when there is no
-- summary for that operation.
function M.of(operation, output)
  local f = by_operation[operation]
  if not f or type(output) ~= "table" then return nil end
  local ok, text = pcall(f, output)
  return ok and text or nil
end

return M
