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

local fg = {}

local params_used = false
local active -- the deployment of this run

-- The folder of the running script: env/<name>.lua lives beside it.
local function script_dir()
  local script = arg and arg[0]
  if script and script ~= "-" and not script:match("^%-") then
    return script:match("^(.*)/[^/]*$") or "."
  end
  return "."
end

fg.optional = params.optional

-- fg.params(defaults) -> the parameters: defaults, then env/<name>.lua
-- (--env NAME), then -D key=value.
function fg.params(defaults)
  params_used = true
  return params.resolve(defaults, {
    dir = script_dir(), env = fgrun.options.env, defines = fgrun.options.defines,
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

-- fg.deployment(name [, {inspect=true}]) -> the deployment, journaled in
-- the state location. inspect: only read what is recorded (status, logs).
function fg.deployment(name, opts)
  if active then error("fg.deployment: one deployment per run (already: " .. active.id .. ")", 2) end
  local options = fgrun.options
  local inspect = opts and opts.inspect and not options.destroy
  local d = deployment.new(name, {
    env = options.env, state = state_location(),
    destroy = options.destroy, keep = options.keep, inspect = inspect,
  })
  active = d
  if inspect then return d end
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
  deployment.from_journal(path):destroy_all()
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

-- Waiting: see stdlib/fg/wait.lua.
function fg.wait_until(check, opts)
  return require("fg.wait").wait_until(check, opts)
end

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
