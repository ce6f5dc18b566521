-- The alarms a service behind a load balancer usually needs, made of
-- resource steps (res.service_alarms{...} of fg.aws.use): an SNS topic
-- with an e-mail subscription (or a topic of the caller's), and CloudWatch
-- alarms on the target groups' unhealthy hosts, the load balancer's 5xx
-- rate and the service's CPU and memory, each telling the topic when it
-- fires and when it is OK again.
--   local alarms = res.service_alarms{ prefix =, email = | topic =, load_balancer = <ARN>,
--     target_group = <ARN>, alternate_target_group = <ARN> (blue/green, canary, linear; optional),
--     cluster =, service =, cpu = 90, memory = 90, errors_percent = 5 }
--   alarms.topic (the topic's ARN), alarms.names
--   service_alarms.check_topic(arn) -> nil, or what is wrong with a topic given (for fg.aws.check)
--
-- Metrics: ELB user guide, "CloudWatch metrics for your Application Load
-- Balancer" (AWS/ApplicationELB: UnHealthyHostCount per TargetGroup and
-- LoadBalancer, HTTPCode_ELB_5XX_Count, HTTPCode_Target_5XX_Count,
-- RequestCount, one datapoint a minute); ECS developer guide, "Amazon ECS
-- CloudWatch metrics" (AWS/ECS: CPUUtilization and MemoryUtilization per
-- ClusterName and ServiceName, percent, one datapoint a minute).

-- "app/<name>/<id>" and "targetgroup/<name>/<id>": the dimension values ELB publishes under
local function lb_dimension(arn) return arn and arn:match(":loadbalancer/(.+)$") end
local function tg_dimension(arn) return arn and arn:match(":(targetgroup/.+)$") end

local service_alarms = {}

-- Unhealthy targets of the primary group, or with an alternate group (where
-- ECS moves production traffic after a blue/green, canary or linear update)
-- of both: one alarm on their sum (counts, so the sum is above 0 when either
-- is), not one per group, so that it keeps its name and state, and a change
-- of strategy rewrites it in place (PutMetricAlarm); FILL because the idle
-- group may publish nothing.
local function unhealthy_hosts(lb, tg, alternate)
  local fields = { description = "targets failing their health check", threshold = 0, evaluation_periods = 3,
                   datapoints_to_alarm = 2, treat_missing_data = "notBreaching" }
  local function count(group)
    return { namespace = "AWS/ApplicationELB", metric = "UnHealthyHostCount", statistic = "Maximum",
             dimensions = { TargetGroup = group, LoadBalancer = lb } }
  end
  if alternate then
    fields.expression = "FILL(primary, 0) + FILL(alternate, 0)"
    fields.metrics = { primary = count(tg), alternate = count(alternate) }
  else
    local m = count(tg)
    fields.namespace, fields.metric, fields.statistic, fields.dimensions = m.namespace, m.metric, m.statistic,
      m.dimensions
  end
  return fields
end

function service_alarms.check_topic(arn)
  if not arn:match("^arn:[%w%-]+:sns:[%w%-]+:%d+:[%w_%-]+$") then return ("%q is not an SNS topic ARN"):format(arn) end
  local aws = require "aws"
  if not require("fg.lookup").call(aws.sns.get_topic_attributes, { TopicArn = arn }, { "NotFound" }) then
    return ("SNS topic %s does not exist"):format(arn)
  end
end

local function steps(res, o)
  local topic = o.topic
  if not topic then
    topic = res.sns_topic("alarm_topic", { name = o.prefix .. "-alarms", display_name = "fgrun alarms" }).arn
    res.sns_subscription("alarm_subscription", { topic = topic, protocol = "email", endpoint = o.email })
  end
  local actions = { topic }
  local lb, tg = lb_dimension(o.load_balancer), tg_dimension(o.target_group)
  local service = { ClusterName = o.cluster, ServiceName = o.service }
  local function alarm(step, fields)
    fields.name, fields.actions = o.prefix .. "-" .. step:gsub("_alarm$", ""):gsub("_", "-"), actions
    return res.metric_alarm(step, fields).name
  end
  local names = {
    alarm("unhealthy_hosts_alarm", unhealthy_hosts(lb, tg, tg_dimension(o.alternate_target_group))),
    -- no requests, no errors: the rate is 0, not missing
    alarm("http_5xx_alarm", { description = ("more than %g%% of requests answered 5xx"):format(o.errors_percent),
      expression = "100 * (FILL(target_5xx, 0) + FILL(elb_5xx, 0)) / FILL(requests, 1)",
      metrics = {
        target_5xx = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", statistic = "Sum",
                       dimensions = { LoadBalancer = lb } },
        elb_5xx = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_ELB_5XX_Count", statistic = "Sum",
                    dimensions = { LoadBalancer = lb } },
        requests = { namespace = "AWS/ApplicationELB", metric = "RequestCount", statistic = "Sum",
                     dimensions = { LoadBalancer = lb } },
      },
      threshold = o.errors_percent, evaluation_periods = 5, datapoints_to_alarm = 3, treat_missing_data = "notBreaching" }),
    alarm("cpu_alarm", { description = ("service CPU above %g%%"):format(o.cpu), namespace = "AWS/ECS",
      metric = "CPUUtilization", dimensions = service, statistic = "Average", threshold = o.cpu, evaluation_periods = 5,
      datapoints_to_alarm = 3 }),
    alarm("memory_alarm", { description = ("service memory above %g%%"):format(o.memory), namespace = "AWS/ECS",
      metric = "MemoryUtilization", dimensions = service, statistic = "Average", threshold = o.memory,
      evaluation_periods = 5, datapoints_to_alarm = 3 }),
  }
  return { topic = topic, names = names }
end

return setmetatable(service_alarms, { __call = function(_, _, res, o) return steps(res, o) end })
