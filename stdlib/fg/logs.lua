-- The generic `logs [-f]` action of every deployment: the last hour of the
-- log groups its services write to (from their task definitions' awslogs
-- configuration, and any log group ARN the journal records), then, with
-- -f, new events every two seconds until Ctrl-C.
--
--   logs.show(d, {follow=, since=3600, interval=2, client=aws.logs, out=io.stdout})
--
-- FilterLogEvents may answer a page with no events and a nextToken (it
-- searches the streams in pieces): every page is followed to the end.
-- Messages come from the network: control bytes are escaped (fgrun.text),
-- newlines too, so that one event is one line.
local fgrun = require "fgrun"
local recorded = require "fg.recorded"
local escape = require("fgrun.text").escape

local logs = {}

-- The awslogs groups of the services' current task definitions.
local function groups_of_services(found, seen, names)
  local ecs = require("aws").ecs
  for _, svc in ipairs(found.services) do
    local ok, r = pcall(ecs.describe_services, { cluster = svc.cluster or "default", services = { svc.arn } })
    local s = ok and r.services[1]
    if s and s.taskDefinition then
      local td = ecs.describe_task_definition{ taskDefinition = s.taskDefinition }.taskDefinition
      for _, c in ipairs(td.containerDefinitions or {}) do
        local lc = c.logConfiguration
        local group = lc and lc.logDriver == "awslogs" and lc.options and lc.options["awslogs-group"]
        if group and not seen[group] then seen[group], names[#names + 1] = true, group end
      end
    end
  end
end

-- logs.groups(d) -> the names of the deployment's log groups, sorted.
function logs.groups(d)
  local found = recorded.resources(d)
  local seen, names = {}, {}
  groups_of_services(found, seen, names)
  for _, g in ipairs(found.log_groups) do
    if not seen[g.name] then seen[g.name], names[#names + 1] = true, g.name end
  end
  table.sort(names)
  return names
end

-- One pass over a group from `start` (ms): every page, to the end. Returns
-- the events not seen before, oldest first.
function logs.fetch(client, group, start, seen)
  local events, token = {}, nil
  repeat
    local page = client.filter_log_events{ logGroupName = group, startTime = start, nextToken = token }
    for _, e in ipairs(page.events or {}) do
      if not seen[e.eventId] then
        seen[e.eventId] = e.timestamp
        events[#events + 1] = e
      end
    end
    token = page.nextToken
  until not token
  table.sort(events, function(a, b) return a.timestamp < b.timestamp end)
  return events
end

function logs.show(d, opts)
  opts = opts or {}
  local client = opts.client or require("aws").logs
  local out = opts.out or io.stdout
  local groups = opts.groups or logs.groups(d)
  if #groups == 0 then
    error(("%s has no log group recorded (no service with awslogs, no log group step): deploy it first")
      :format(d.id), 0)
  end
  local start = math.floor((fgrun.now() - (opts.since or 3600)) * 1000)
  local state = {}
  for _, g in ipairs(groups) do state[g] = { start = start, seen = {} } end
  repeat
    for _, g in ipairs(groups) do
      local st = state[g]
      for _, e in ipairs(logs.fetch(client, g, st.start, st.seen)) do
        out:write(os.date("!%Y-%m-%dT%H:%M:%SZ", e.timestamp // 1000), " ",
          #groups > 1 and (escape(g) .. " ") or "",
          escape(e.logStreamName or ""), " ", escape(e.message or ""), "\n")
        st.start = math.max(st.start, e.timestamp)
      end
      -- events older than the next pass's start cannot come again
      for id, ts in pairs(st.seen) do
        if ts < st.start then st.seen[id] = nil end
      end
    end
    out:flush()
    if opts.follow then fgrun.sleep(opts.interval or 2) end
  until not opts.follow
end

return logs
