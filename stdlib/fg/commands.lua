-- The actions of every deployment, chosen by the first argument after the
-- recipe (fgrun [options] recipe.lua [action [args...]]):
--   deploy (the default)  create or update what changed
--   status                the recorded steps, what AWS says of them, what is billed
--   url                   the recorded URL (the output "url", else the load balancer's)
--   logs [-f]             the last hour of the services' logs; -f follows them
--   rollback              roll back the ECS service deployment in progress, and wait
--   continue              take it past the PAUSE hook awaiting action, and wait
-- A recipe adds its own with fg.deployment(name, {actions = {name = function(d, ...) end}}).
-- Actions other than deploy take no lock and run no step; rollback and
-- continue act on ECS (the deployment in progress), not on the journal.
local commands = {}

-- Raised once an action has run, so that the rest of the recipe does not;
-- fg's exit handler counts it as success.
commands.DONE = setmetatable({}, { __tostring = function() return "the action is done" end })

commands.GENERIC = {
  status = function(d) require("fg.status").show(d) end,
  url = function(d)
    local url = d:recorded_outputs().url
    if not url then
      local lb = require("fg.recorded").resources(d).load_balancers[1]
      if lb then
        local r = require("aws").elbv2.describe_load_balancers{ LoadBalancerArns = { lb.arn } }
        url = "http://" .. r.LoadBalancers[1].DNSName
      end
    end
    if not url then error(("%s is not deployed (no URL recorded)"):format(d.id), 0) end
    print(url)
  end,
  logs = function(d, flag)
    if flag ~= nil and flag ~= "-f" and flag ~= "--follow" then
      error(("logs: unknown option %q (logs, or logs -f to follow)"):format(flag), 0)
    end
    require("fg.logs").show(d, { follow = flag ~= nil })
  end,
  rollback = function(d) commands.service_deployment(d, "rollback") end,
  continue = function(d) commands.service_deployment(d, "continue") end,
}

-- rollback / continue: on the recorded ECS service (the one with a
-- deployment in progress when there are several), then waits and says
-- how the deployment ended; a failure raises with the diagnosis.
function commands.service_deployment(d, which)
  local services = require("fg.recorded").resources(d).services
  if #services == 0 then error(("%s: %s has no ECS service recorded: deploy it first"):format(which, d.id), 0) end
  local sd = require("fg.ecs.service_deployments")
  local chosen = services[1]
  if #services > 1 then
    for _, s in ipairs(services) do
      if sd.in_progress{ cluster = s.cluster or "default", service = s.name } then chosen = s break end
    end
  end
  local run = which == "rollback" and sd.rollback or sd.continue
  local done = run{ cluster = chosen.cluster or "default", service = chosen.name }
  require("fg.report").line("%s: deployment %s %s", chosen.name,
    tostring(done.serviceDeploymentArn):match("[^/]+$"), tostring(done.status))
end

-- The action the command line asks for, and its arguments.
function commands.requested(argv)
  if not argv or not argv[0] or argv[1] == nil then return "deploy", {} end
  return argv[1], { table.unpack(argv, 2) }
end

-- The function of an action (the recipe's own first), or an error naming them.
function commands.find(action, own)
  local fn = (own and own[action]) or commands.GENERIC[action]
  if fn then return fn end
  local names = { "status", "url", "logs [-f]", "rollback", "continue" }
  local extra = {}
  for k in pairs(own or {}) do
    if not commands.GENERIC[k] then extra[#extra + 1] = k end
  end
  table.sort(extra)
  for _, k in ipairs(extra) do names[#names + 1] = k end
  local hint = tostring(action):match("^%-")
    and (" (fgrun's options go before the recipe: fgrun --env prod %s)"):format(arg and arg[0] or "recipe.lua") or ""
  error(("unknown action %q: use deploy (the default), %s%s"):format(action, table.concat(names, ", "), hint), 0)
end

return commands
