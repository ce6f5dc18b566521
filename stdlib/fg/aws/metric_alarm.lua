-- A CloudWatch metric alarm: one metric and a statistic, or an expression
-- over several (a rate), compared with a threshold; its state changes are
-- sent to SNS topics. PutMetricAlarm writes the whole alarm, so every
-- change is that one call.
local aws = require "aws"
local T = require "fg.aws.type"

local PUT = "cloudwatch.put_metric_alarm"

local function dimensions(map)
  local list = {}
  for k, v in pairs(map or {}) do list[#list + 1] = { Name = k, Value = v } end
  table.sort(list, function(a, b) return a.Name < b.Name end)
  return list
end

local function dimension_map(list)
  local map = {}
  for _, d in ipairs(list or {}) do map[d.Name] = d.Value end
  return map
end

local function request(props)
  local r = { AlarmName = props.name, AlarmDescription = props.description, Threshold = props.threshold,
              ComparisonOperator = props.comparison, EvaluationPeriods = props.evaluation_periods,
              DatapointsToAlarm = props.datapoints_to_alarm, TreatMissingData = props.treat_missing_data,
              AlarmActions = props.actions, OKActions = props.actions }
  if props.expression then
    r.Metrics = { { Id = "e1", Expression = props.expression, Label = props.name, ReturnData = true } }
    local ids = {}
    for id in pairs(props.metrics) do ids[#ids + 1] = id end
    table.sort(ids)
    for _, id in ipairs(ids) do
      local m = props.metrics[id]
      r.Metrics[#r.Metrics + 1] = { Id = id, ReturnData = false, MetricStat = { Period = props.period, Stat = m.statistic,
        Metric = { Namespace = m.namespace, MetricName = m.metric, Dimensions = dimensions(m.dimensions) } } }
    end
  else
    r.Namespace, r.MetricName, r.Statistic, r.Period = props.namespace, props.metric, props.statistic, props.period
    r.Dimensions = dimensions(props.dimensions)
  end
  return r
end

local function describe(name)
  return aws.cloudwatch.describe_alarms{ AlarmNames = { name }, AlarmTypes = { "MetricAlarm" } }.MetricAlarms[1]
end

local function check_metrics(v)
  for id, m in pairs(v) do
    if not tostring(id):match("^[a-z][%w_]*$") then return ("metric id %q must start with a lower-case letter"):format(id) end
    if type(m) ~= "table" or type(m.namespace) ~= "string" or type(m.metric) ~= "string" or type(m.statistic) ~= "string" then
      return ("metric %s needs namespace, metric and statistic"):format(id)
    end
  end
end

return T.define{
  kind = "metric_alarm",
  doc = "a CloudWatch metric alarm",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the alarm's name" },
    { "description", "string", update = PUT, doc = "what it means when it fires" },
    { "namespace", "string", update = PUT, doc = "one metric: its namespace, e.g. AWS/ECS" },
    { "metric", "string", update = PUT, doc = "one metric: its name, e.g. CPUUtilization" },
    { "dimensions", "map", update = PUT, normalize = function(v) return next(v) and v or nil end,
      doc = "one metric: its dimensions, { ClusterName = ... }" },
    { "statistic", { "Average", "Maximum", "Minimum", "Sum", "SampleCount" }, update = PUT,
      doc = "one metric: the statistic" },
    { "expression", "string", update = PUT, doc = "instead: metric math over metrics, e.g. 100 * errors / requests" },
    { "metrics", "map", update = PUT, check = check_metrics,
      doc = "the expression's metrics: { id = { namespace, metric, dimensions, statistic } }" },
    { "period", "integer", default = 60, update = PUT, doc = "seconds per datapoint (10, 30 or a multiple of 60)",
      check = function(v) if v ~= 10 and v ~= 30 and (v < 60 or v % 60 ~= 0) then return "10, 30 or a multiple of 60" end end },
    { "threshold", "number", required = true, update = PUT, doc = "the value compared with" },
    { "comparison", { "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
                      "LessThanOrEqualToThreshold" }, default = "GreaterThanThreshold", update = PUT, doc = "how" },
    { "evaluation_periods", "integer", default = 3, update = PUT, doc = "periods looked at" },
    { "datapoints_to_alarm", "integer", update = PUT, doc = "of those, how many must breach (default: all)" },
    { "treat_missing_data", { "missing", "notBreaching", "breaching", "ignore" }, default = "missing", update = PUT,
      doc = "what a period without data counts as" },
    { "actions", "strings", update = PUT, doc = "SNS topic ARNs told when it goes into ALARM and back to OK" },
  },
  check = function(props)
    if (props.expression ~= nil) == (props.metric ~= nil) then return "an alarm has metric or expression, one of them" end
    if props.expression and not props.metrics then return "an expression needs metrics" end
    if props.metric and not (props.namespace and props.statistic) then return "a metric needs namespace and statistic" end
  end,
  name_field = "name", name_max = 255,
  update_sends_all = true,
  find = function(props)
    local a = describe(props.name)
    return a and { name = a.AlarmName, arn = a.AlarmArn }
  end,
  read = function(result)
    local a = describe(result.name)
    if not a then return nil end
    local live = { name = a.AlarmName, description = a.AlarmDescription, threshold = a.Threshold,
                   comparison = a.ComparisonOperator, evaluation_periods = a.EvaluationPeriods,
                   datapoints_to_alarm = a.DatapointsToAlarm, treat_missing_data = a.TreatMissingData or "missing",
                   actions = #(a.AlarmActions or {}) > 0 and a.AlarmActions or nil }
    if a.Metrics and #a.Metrics > 0 then
      live.metrics = {}
      for _, m in ipairs(a.Metrics) do
        if m.Expression then
          live.expression = m.Expression
        elseif m.MetricStat then
          local s = m.MetricStat
          live.period = s.Period
          live.metrics[m.Id] = { namespace = s.Metric.Namespace, metric = s.Metric.MetricName, statistic = s.Stat,
                                 dimensions = dimension_map(s.Metric.Dimensions) }
        end
      end
    else
      live.namespace, live.metric, live.statistic, live.period = a.Namespace, a.MetricName, a.Statistic, a.Period
      live.dimensions = dimension_map(a.Dimensions)
    end
    return live
  end,
  create = function(props, ctx)
    local r = request(props)
    r.Tags = ctx.tags
    aws.cloudwatch.put_metric_alarm(r)
    return { name = props.name, arn = describe(props.name).AlarmArn }
  end,
  update = function(props, result)
    aws.cloudwatch.put_metric_alarm(request(props))
    return result
  end,
  undo = function(r)
    return { { call = "cloudwatch.delete_alarms", params = { AlarmNames = { r.name } }, gone = { "ResourceNotFound" } } }
  end,
  id = function(r) return r.name end,
}
