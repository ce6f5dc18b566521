-- A subscription of an SNS topic (an e-mail address, say). An e-mail
-- subscription stays "pending confirmation" until its owner follows the
-- link SNS sends; SNS removes one left unconfirmed after 48 hours.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call

local function subscriptions(topic)
  local r = lookup(aws.sns.list_subscriptions_by_topic, { TopicArn = topic }, { "NotFound" })
  return r and r.Subscriptions or {}
end

return T.define{
  kind = "sns_subscription",
  doc = "a subscription of an SNS topic",
  fields = {
    { "topic", "string", required = true, replace = true, doc = "the topic's ARN" },
    { "protocol", { "email", "email-json", "sms", "https", "sqs", "lambda" }, default = "email", replace = true,
      doc = "how messages are delivered" },
    { "endpoint", "string", required = true, replace = true, doc = "where: an e-mail address, a URL, an ARN",
      check = function(v, props)
        if (props.protocol or "email"):match("^email") and not v:match("^[^@%s]+@[^@%s]+%.[^@%s]+$") then
          return ("%q is not an e-mail address"):format(v)
        end
      end },
  },
  find = function(props)
    for _, s in ipairs(subscriptions(props.topic)) do
      if s.Protocol == props.protocol and s.Endpoint == props.endpoint then
        return { topic = props.topic, arn = s.SubscriptionArn, endpoint = props.endpoint }
      end
    end
  end,
  read = function(result)
    for _, s in ipairs(subscriptions(result.topic)) do
      if s.Endpoint == result.endpoint then
        return { topic = result.topic, protocol = s.Protocol, endpoint = s.Endpoint,
                 pending = s.SubscriptionArn == "PendingConfirmation" }
      end
    end
  end,
  create = function(props)
    -- ReturnSubscriptionArn: the ARN even while confirmation is pending
    local arn = aws.sns.subscribe{ TopicArn = props.topic, Protocol = props.protocol, Endpoint = props.endpoint,
                                   ReturnSubscriptionArn = true }.SubscriptionArn
    return { topic = props.topic, arn = arn, endpoint = props.endpoint }
  end,
  undo = function(r)
    return { { call = "sns.unsubscribe", params = { SubscriptionArn = r.arn }, gone = { "NotFound", "InvalidParameter" } } }
  end,
  id = function(r) return r.endpoint end,
}
