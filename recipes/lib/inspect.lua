-- The actions that only look at a deployment: status, url, logs [-f].
-- Recipe-local until the library gives every deployment these actions.
--   local inspect = dofile(here .. "/lib/inspect.lua")
--   if action ~= "deploy" then return inspect.run(d, action, arg[2]) end
local fgrun = require "fgrun"
local aws = require "aws"
local json = require "json"

local M = {}

-- what AWS answers may hold control bytes: they are escaped
local escape = require("fgrun.text").escape
local function say(fmt, ...)
  if not fgrun.quiet then io.stdout:write(escape(fmt:format(...), true), "\n") io.stdout:flush() end
end

local function absent(fn, params, code)
  local ok, r = pcall(fn, params)
  if ok then return r end
  if type(r) == "table" and r.code == code then return nil end
  error(r, 0)
end

local function status(d)
  local steps = d:recorded_steps()
  if #steps == 0 then say("%s is not deployed (no journal)", d.name) return end
  say("%s%s: %d recorded steps", d.name, d.env and (" (env " .. d.env .. ")") or "", #steps)
  for _, step in ipairs(steps) do
    local r = d:recorded(step)
    local id = r == nil and "(interrupted before its result was recorded)"
      or type(r) ~= "table" and tostring(r)
      or r.id or r.arn or r.name or r.resource_id or json.encode(r)
    say("  %-22s %s", step, id)
  end
  for _, step in ipairs(steps) do
    local r = d:recorded(step)
    if type(r) == "table" and r.cluster and r.name and r.arn and r.arn:find(":service/", 1, true) then
      local s = aws.ecs.describe_services{ cluster = r.cluster, services = { r.name } }.services[1]
      if s then
        say("service %s: %s, %d/%d running, %d pending", s.serviceName, s.status, s.runningCount, s.desiredCount,
          s.pendingCount)
        for _, dep in ipairs(s.deployments or {}) do
          say("  deployment %s %s: %s, %d/%d running", dep.id, dep.status, dep.rolloutState or "?", dep.runningCount,
            dep.desiredCount)
        end
      end
    elseif type(r) == "table" and r.dns then
      local l = absent(aws.elbv2.describe_load_balancers, { LoadBalancerArns = { r.arn } }, "LoadBalancerNotFound")
      l = l and l.LoadBalancers[1]
      say("load balancer %s: %s, http://%s", r.name, l and l.State.Code or "gone", r.dns)
    elseif type(r) == "table" and r.arn and r.arn:find(":targetgroup/", 1, true) then
      local h = absent(aws.elbv2.describe_target_health, { TargetGroupArn = r.arn }, "TargetGroupNotFound")
      for _, t in ipairs(h and h.TargetHealthDescriptions or {}) do
        say("  target %s:%s %s %s", t.Target.Id, tostring(t.Target.Port), t.TargetHealth.State,
          t.TargetHealth.Description or "")
      end
    end
  end
end

local function logs(d, follow, step)
  local group = d:recorded(step or "log_group")
  if not group then error(d.name .. " has no log group recorded: deploy it first", 0) end
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

-- M.run(d, action, argument): status, url or logs ("-f" follows).
function M.run(d, action, argument)
  if action == "status" then return status(d) end
  if action == "logs" then return logs(d, argument == "-f") end
  if action == "url" then
    local url = d:recorded_outputs().url
    if not url then error(d.name .. " is not deployed (no URL recorded)", 0) end
    return print(url)
  end
end

-- M.action(list): the action given after the recipe, checked.
function M.action(list)
  local action = arg[1] or "deploy"
  for _, a in ipairs(list) do if a == action then return action end end
  local hint = action:match("^%-") and " (fgrun's options go before the recipe: fgrun --env prod RECIPE)" or ""
  error(("unknown action %q: use %s%s"):format(action, table.concat(list, ", "), hint), 0)
end

return M
