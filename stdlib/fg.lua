-- require "fg": deployments that roll back, resume, update and destroy.
--
--   local fg = require "fg"
--   local p = fg.params{ desired_count = 3, vpc_id = fg.optional "string" }
--   local d = fg.deployment("myapp")
--   local repo = d:step("repository", { inputs = {...}, create = ..., find = ..., undo = ... })
--
-- See HACKING.md ("Deployments") for the step contract and the journal.
local fgrun = require "fgrun"
local params = require "fg.params"
local deployment = require "fg.deployment"
local retry = require "fg.retry"
local state = require "fg.state"
local commands = require "fg.commands"
local lookup = require "fg.lookup"
local account = require "fg.account"

local fg = {}

local params_used = false
local settings = {} -- fgrun's own settings from the environment files (params.SETTINGS)
local active -- the deployment of this run

-- The folder of the running script (env/ lives beside it) and the
-- recipe's name (the file's, without .lua), when it is a file.
local function script_dir()
  local script = arg and arg[0]
  if script and script ~= "-" and not script:match("^%-") then
    return script:match("^(.*)/[^/]*$") or ".", script:match("([^/]+)%.lua$")
  end
  return "."
end

fg.optional = params.optional

-- fg.params(defaults) -> the parameters: defaults, then --env NAME's files
-- (env/NAME.lua, shared by the folder's recipes, then the recipe's own
-- env/<recipe>.NAME.lua or env/<recipe>/NAME.lua), then -D key=value.
function fg.params(defaults)
  params_used = true
  local dir, recipe = script_dir()
  return params.resolve(defaults, {
    dir = dir, recipe = recipe, env = fgrun.options.env, defines = fgrun.options.defines, settings = settings,
    note = function(text) if not fgrun.quiet then io.stderr:write(text, "\n") end end,
  })
end

-- Where journals live: --state LOCATION (a folder or s3://bucket/prefix),
-- or --state-dir DIR, or ./.fgrun.
local function state_location()
  local options = fgrun.options
  if options.state and options.state_dir then
    error("--state and --state-dir both say where journals live; give one (--state-dir only with --migrate-state)", 0)
  end
  return options.state or options.state_dir
end

-- fg.deployment(name [, {actions = {name = function(d, ...)}}]) -> the
-- deployment, journaled in the state location (--state, --state-dir). The
-- command line's action (the argument after the recipe) decides the run:
-- deploy (the default) goes on with the recipe; status, url, logs [-f] (fg/commands.lua) and the
-- recipe's own actions run here, on the recorded deployment, and end the
-- script. With --confirm (or `confirm = true` in an environment file) a
-- deploy or destroy shows its plan and asks first (fg/confirm.lua).
function fg.deployment(name, opts)
  if active then error("fg.deployment: one deployment per run (already: " .. active.id .. ")", 2) end
  local options = fgrun.options
  local action, args = commands.requested(arg)
  if action ~= "deploy" then
    if options.destroy then error(("--destroy takes no action (got %q)"):format(action), 0) end
    if options.plan then error(("--plan takes no action (got %q): it plans a deploy, or with --destroy a destroy"):format(action), 0) end
    local run = commands.find(action, opts and opts.actions)
    local d = deployment.new(name, { env = options.env, state = state_location(), inspect = true })
    active = d
    run(d, table.unpack(args))
    fgrun.atexit(function(_, err) return err == commands.DONE end)
    error(commands.DONE, 0)
  end
  local confirming = not options.plan and (options.confirm or settings.confirm)
  if confirming then require("fg.confirm").check() end
  local d = deployment.new(name, {
    env = options.env, state = state_location(),
    destroy = options.destroy, keep = options.keep, plan = options.plan,
  })
  if confirming and not d.nothing_to_destroy then
    local ok, err = pcall(require("fg.confirm").ask, d)
    if not ok then
      d:close(false)
      error(err, 0)
    end
  end
  active = d
  fgrun.atexit(function(ok, err, message)
    if ok and not params_used and #options.defines > 0 then
      error("-D was given but the recipe declares no parameters (fg.params)", 0)
    end
    return d:finish(ok, err, message)
  end)
  return d
end

-- fg.destroy_journal(path): fgrun --destroy JOURNAL.json
function fg.destroy_journal(path)
  local d = deployment.from_journal(path, { plan = fgrun.options.plan })
  if d.planning then d:finish_plan(true) else d:destroy_all() end
end

-- fg.force_unlock(lock_id): fgrun --state s3://... --force-unlock ID
function fg.force_unlock(lock_id)
  local deployment_id, holder = state.open(state_location()):force_unlock(lock_id)
  print(("removed lock %s of deployment %s (held by %s)"):format(lock_id, deployment_id, holder))
end

-- fg.migrate_state(from): fgrun --state TO --migrate-state [FROM]; FROM
-- defaults to --state-dir or ./.fgrun.
function fg.migrate_state(from)
  local options = fgrun.options
  if not options.state then error("--migrate-state: name where the journals go with --state LOCATION", 0) end
  local n = require("fg.state.migrate").run(from or options.state_dir or state.DEFAULT, options.state,
    function(fmt, ...) if not fgrun.quiet then print(fmt:format(...)) end end)
  print(("%d journal%s moved; runs now need --state %s"):format(n, n == 1 and "" or "s", options.state))
end

-- fg.retry(fn, {on={codes}, timeout=, delay=}) -> fn's results.
fg.retry = retry.call

-- fg.lookup(fn, params, {codes}) -> fn(params), or nil when it fails with
-- one of those codes (fg/lookup.lua); fg.error_code(err) -> its code or nil.
fg.lookup = lookup.call
fg.error_code = lookup.code

-- fg.region(), fg.caller() -> {account, arn, user_id, partition},
-- fg.arn{service=, resource=, region=} (fg/account.lua).
fg.region = account.region
fg.caller = account.caller
fg.arn = account.arn

-- fg.network{vpc_id=, subnet_ids=, zones=2} -> {vpc, subnets, zones}: one
-- subnet per zone, checked before anything is created (fg/network.lua).
function fg.network(opts) return require("fg.network").resolve(opts) end

-- fg.preflight(d, {needs=, tagging=, service_linked_roles=}): IAM's policy
-- simulator on what the deployment needs, before anything is created
-- (fg/preflight.lua); fg.service_linked_roles(d, {"ecs.amazonaws.com", ...})
-- makes or waits for them (fg/service_roles.lua). Both only when deploying;
-- a plan skips the preflight and lists the roles a run would make.
function fg.preflight(d, opts)
  if d.destroying or d.inspecting or d.planning then return "skipped" end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.caller = o.caller or account.caller()
  o.note = o.note or function(text) if not fgrun.quiet then io.stderr:write(text, "\n") end end
  return require("fg.preflight").check(o)
end

function fg.service_linked_roles(d, services)
  if d.destroying or d.inspecting then return end
  local roles = require "fg.service_roles"
  if not d.planning then return roles.ensure(services) end
  for _, s in ipairs(roles.missing(services)) do
    d.plan:add{ name = "service-linked role " .. s, action = "create",
                note = "the account's; made before the steps, never removed" }
  end
end

-- fg.service_role_not_ready(err): ECS cannot assume its service-linked
-- role yet (for fg.retry's `on` around CreateCluster).
function fg.service_role_not_ready(err) return require("fg.service_roles").not_ready(err) end

-- fg.image.build(d, opts), fg.image.push(d, build, repository, opts): the
-- image step (fg/image.lua); fg.scan.image{...}: its scan gate (fg/scan.lua).
fg.image = require "fg.image"
fg.scan = require "fg.scan"

-- fg.say(fmt, ...): a line where the step lines go; fg.check(label, fn):
-- one check after a deploy, reported and never fatal (fg/check.lua).
fg.say = require("fg.report").line
fg.check = require("fg.check").run

-- Waiting for a condition: see stdlib/fg/wait.lua.
function fg.wait_until(check, opts)
  return require("fg.wait").wait_until(check, opts)
end

-- Waiting for an ECS service's deployment: a BLUE_GREEN, CANARY or LINEAR
-- one in stdlib/fg/ecs/service_deployments.lua, a ROLLING one in
-- stdlib/fg/ecs/wait.lua.
function fg.wait_for_deployment(opts)
  return require("fg.ecs.service_deployments").wait(opts)
end

-- An ECS service's deployment in progress (stdlib/fg/ecs/service_deployments.lua):
-- fg.rollback_deployment{cluster=, service=} rolls it back and waits,
-- fg.continue_deployment{cluster=, service=, action=} continues it past its
-- PAUSE hook (or rolls it back) and waits, fg.deployment_status{cluster=,
-- service=} -> lines saying its stage, traffic, hook and rollback.
function fg.rollback_deployment(opts)
  return require("fg.ecs.service_deployments").rollback(opts)
end

function fg.continue_deployment(opts)
  return require("fg.ecs.service_deployments").continue(opts)
end

function fg.deployment_status(opts)
  return require("fg.ecs.service_deployments").status(opts)
end

return fg
