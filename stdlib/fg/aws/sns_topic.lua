-- An SNS topic (standard), where alarms send their notifications.
local aws = require "aws"
local T = require "fg.aws.type"
local lookup = require("fg.lookup").call
local account = require "fg.account"

local function attributes(arn)
  local r = lookup(aws.sns.get_topic_attributes, { TopicArn = arn }, { "NotFound" })
  return r and r.Attributes
end

return T.define{
  kind = "sns_topic",
  doc = "an SNS topic",
  fields = {
    { "name", "string", required = true, replace = true, doc = "the topic's name (256 characters at most)",
      check = function(v) if #v > 256 or not v:match("^[%w_%-]+$") then return "letters, digits, - and _ only" end end },
    { "display_name", "string", update = "sns.set_topic_attributes", doc = "the sender's name in e-mail" },
  },
  name_field = "name", name_max = 256,
  find = function(props)
    local arn = account.arn{ service = "sns", region = account.region(), resource = props.name }
    return attributes(arn) and { name = props.name, arn = arn }
  end,
  read = function(result)
    local a = attributes(result.arn)
    if not a then return nil end
    local display = a.DisplayName
    return { name = result.name, display_name = display ~= "" and display or nil }
  end,
  create = function(props, ctx)
    local attrs = props.display_name and { DisplayName = props.display_name } or nil
    return { name = props.name, arn = aws.sns.create_topic{ Name = props.name, Tags = ctx.tags, Attributes = attrs }.TopicArn }
  end,
  update = function(props, result)
    aws.sns.set_topic_attributes{ TopicArn = result.arn, AttributeName = "DisplayName", AttributeValue = props.display_name or "" }
    return result
  end,
  -- deleting a topic deletes its subscriptions
  undo = function(r) return { { call = "sns.delete_topic", params = { TopicArn = r.arn } } } end,
  id = function(r) return r.arn end,
}
