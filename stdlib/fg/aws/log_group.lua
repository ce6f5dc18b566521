-- A CloudWatch Logs log group and how long it keeps events.
local aws = require "aws"
local T = require "fg.aws.type"

-- The only values PutRetentionPolicy accepts (CloudWatch Logs API
-- reference, PutRetentionPolicy, retentionInDays).
local RETENTION = { 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                    3288, 3653 }
local valid = {}
for _, n in ipairs(RETENTION) do valid[n] = true end

local function check_retention(days)
  if not valid[days] then
    return ("%d days is not a retention CloudWatch Logs accepts; use one of %s (or leave it unset: kept forever)")
      :format(days, table.concat(RETENTION, ", "))
  end
end

local function describe(name)
  for _, g in ipairs(aws.logs.describe_log_groups{ logGroupNamePrefix = name }.logGroups) do
    if g.logGroupName == name then return g end
  end
end

local function set_retention(name, days)
  if days then
    aws.logs.put_retention_policy{ logGroupName = name, retentionInDays = days }
  else
    aws.logs.delete_retention_policy{ logGroupName = name }
  end
end

return T.define{
  kind = "log_group",
  doc = "a CloudWatch Logs log group",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the group's name, e.g. /ecs/web" },
    { "retention_days", "integer", update = "logs.put_retention_policy", check = check_retention,
      doc = "days events are kept (unset: forever)" },
  },
  name_field = "name", name_max = 512,
  find = function(props)
    local g = describe(props.name)
    return g and { name = g.logGroupName }
  end,
  read = function(result)
    local g = describe(result.name)
    return g and { name = g.logGroupName, retention_days = g.retentionInDays }
  end,
  create = function(props, ctx)
    aws.logs.create_log_group{ logGroupName = props.name, tags = ctx.tag_map }
    if props.retention_days then set_retention(props.name, props.retention_days) end
    return { name = props.name }
  end,
  update = function(props, result)
    set_retention(result.name, props.retention_days)
    return result
  end,
  undo = function(r) return { { call = "logs.delete_log_group", params = { logGroupName = r.name } } } end,
  id = function(r) return r.name end,
}
