-- How an ECS service deploys, as the ECS service type's field
-- `traffic_shift` holds it: nil for ROLLING (tasks replaced in place), else
--   { strategy = "BLUE_GREEN" | "CANARY" | "LINEAR", bake_minutes =,
--     percent =, interval_minutes =,   -- CANARY: the canary's share and how long
--                                       -- it runs; LINEAR: each step's share and
--                                       -- the time between steps
--     pause_at = { stages } }           -- PAUSE lifecycle hooks
-- and the pieces of deploymentConfiguration it makes (a helper of
-- fg/aws/ecs_service.lua, like fg.aws.capacity). The limits are ECS's
-- (API reference: DeploymentConfiguration, CanaryConfiguration,
-- LinearConfiguration, DeploymentLifecycleHook).
local json = require "json"

local M = {}

M.STRATEGIES = { "BLUE_GREEN", "CANARY", "LINEAR" }

-- Stages a hook may name (DeploymentLifecycleHookStage); PAUSE hooks are
-- refused at the two traffic-shift stages themselves.
M.STAGES = { "RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
             "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT" }
local NO_PAUSE = { TEST_TRAFFIC_SHIFT = true, PRODUCTION_TRAFFIC_SHIFT = true }

-- field = { low, high, step } (CanaryConfiguration: canaryPercent 0.1..100.0,
-- canaryBakeTimeInMinutes 0..1440; LinearConfiguration: stepPercent
-- 3.0..100.0, stepBakeTimeInMinutes 0..1440; bakeTimeInMinutes 0..1440)
local PERCENT = { CANARY = { 0.1, 100.0 }, LINEAR = { 3.0, 100.0 } }
local MINUTES = { 0, 1440 }

local function member(list, v)
  for _, x in ipairs(list) do if x == v then return true end end
  return false
end

local function minutes(v, what)
  if math.type(v) ~= "integer" then
    if type(v) == "number" and math.tointeger(v) then return nil end
    return ("%s must be whole minutes, got %s"):format(what, tostring(v))
  end
  if v < MINUTES[1] or v > MINUTES[2] then return ("%s must be 0 to 1440 minutes, got %d"):format(what, v) end
end

-- check(value) -> a message when ECS would refuse it, else nil.
function M.check(s)
  if type(s) ~= "table" then return "a table { strategy =, bake_minutes =, ... }" end
  for k in pairs(s) do
    if not member({ "strategy", "bake_minutes", "percent", "interval_minutes", "pause_at" }, k) then
      return ("unknown key %q (strategy, bake_minutes, percent, interval_minutes, pause_at)"):format(tostring(k))
    end
  end
  if not member(M.STRATEGIES, s.strategy) then
    return ("strategy must be one of %s, got %s"):format(table.concat(M.STRATEGIES, ", "), tostring(s.strategy))
  end
  if s.strategy == "BLUE_GREEN" and s.bake_minutes == nil then return "BLUE_GREEN needs bake_minutes" end
  if s.bake_minutes ~= nil then
    local m = minutes(s.bake_minutes, "bake_minutes")
    if m then return m end
  end
  local range = PERCENT[s.strategy]
  if not range then
    if s.percent ~= nil or s.interval_minutes ~= nil then return "percent and interval_minutes are for CANARY and LINEAR" end
  else
    if s.percent ~= nil then
      local p = tonumber(s.percent)
      if type(s.percent) ~= "number" or p < range[1] or p > range[2] or math.abs(p * 10 - math.floor(p * 10 + 0.5)) > 1e-6 then
        return ("%s percent must be %g to %g in steps of 0.1, got %s"):format(s.strategy, range[1], range[2],
          tostring(s.percent))
      end
    end
    if s.interval_minutes ~= nil then
      local m = minutes(s.interval_minutes, "interval_minutes")
      if m then return m end
    end
  end
  if s.pause_at ~= nil then
    if type(s.pause_at) ~= "table" or #s.pause_at == 0 then return "pause_at must be a list of lifecycle stages" end
    for _, stage in ipairs(s.pause_at) do
      if not member(M.STAGES, stage) then
        return ("pause_at: %s is not a lifecycle stage (%s)"):format(tostring(stage), table.concat(M.STAGES, ", "))
      end
      if NO_PAUSE[stage] then
        return ("pause_at: ECS refuses PAUSE hooks at %s (traffic is moving then); pause before or after it"):format(stage)
      end
    end
  end
end

local function sorted(list)
  local copy = {}
  for i, x in ipairs(list) do copy[i] = x end
  table.sort(copy)
  return copy
end

-- ECS's step settings when none are given (CanaryConfiguration: 5.0 %
-- for 10 minutes; LinearConfiguration: 10.0 % every 6 minutes).
M.DEFAULT_STEP = { CANARY = { percent = 5.0, interval_minutes = 10 }, LINEAR = { percent = 10.0, interval_minutes = 6 } }

-- The form AWS reports, for comparisons: ECS's step defaults filled in,
-- percentages as floats, the stages sorted.
function M.normalize(s)
  if s == nil then return nil end
  local default = M.DEFAULT_STEP[s.strategy] or {}
  local percent, interval = s.percent or default.percent, s.interval_minutes or default.interval_minutes
  return { strategy = s.strategy, bake_minutes = s.bake_minutes and math.tointeger(s.bake_minutes),
           percent = percent and (percent + 0.0), interval_minutes = interval and math.tointeger(interval),
           pause_at = s.pause_at and sorted(s.pause_at) }
end

-- request(s, dc) adds the strategy's settings to a deploymentConfiguration;
-- `switching` (the service had another strategy) also says ROLLING and
-- clears the hooks when s is nil.
function M.request(s, dc, switching)
  if s == nil then
    if switching then dc.strategy, dc.lifecycleHooks = "ROLLING", json.array{} end
    return dc
  end
  s = M.normalize(s)
  dc.strategy, dc.bakeTimeInMinutes = s.strategy, s.bake_minutes
  if s.strategy == "CANARY" then
    dc.canaryConfiguration = { canaryPercent = s.percent, canaryBakeTimeInMinutes = s.interval_minutes }
  elseif s.strategy == "LINEAR" then
    dc.linearConfiguration = { stepPercent = s.percent, stepBakeTimeInMinutes = s.interval_minutes }
  end
  local hooks = {}
  for _, stage in ipairs(s.pause_at or {}) do
    hooks[#hooks + 1] = { targetType = "PAUSE", lifecycleStages = { stage } }
  end
  dc.lifecycleHooks = json.array(hooks)
  return dc
end

-- of(deploymentConfiguration) -> the field's value as ECS holds it.
function M.of(dc)
  if not dc or not member(M.STRATEGIES, dc.strategy) then return nil end
  local step = dc.strategy == "CANARY" and dc.canaryConfiguration or dc.strategy == "LINEAR" and dc.linearConfiguration
    or {}
  local pause
  for _, h in ipairs(dc.lifecycleHooks or {}) do
    if h.targetType == "PAUSE" then
      pause = pause or {}
      for _, stage in ipairs(h.lifecycleStages or {}) do pause[#pause + 1] = stage end
    end
  end
  return M.normalize{ strategy = dc.strategy, bake_minutes = dc.bakeTimeInMinutes,
    percent = step.canaryPercent or step.stepPercent,
    interval_minutes = step.canaryBakeTimeInMinutes or step.stepBakeTimeInMinutes, pause_at = pause }
end

return M
