-- Where and as whom a recipe runs: the region, the caller's identity and
-- the partition its ARNs are in (aws, aws-cn, aws-us-gov), for building
-- ARNs instead of writing "arn:aws:" by hand.
--
--   account.region()  -> "us-east-1" (--region, the environment, the profile)
--   account.caller()  -> {account=, arn=, user_id=, partition=} (asked of STS once per run)
--   account.arn{service=, resource=, region="", account=<the caller's>, partition=<the caller's>}
--     -> "arn:<partition>:<service>:<region>:<account>:<resource>"
local account = {}

function account.region()
  local region, why = require("aws.transport").resolve_region()
  if not region then error(why, 0) end
  return region
end

local cached

function account.caller(client)
  if cached and not client then return cached end
  local r = (client or require("aws").sts).get_caller_identity{}
  local partition = tostring(r.Arn):match("^arn:([%w%-]+):")
  if not partition then error(("sts.get_caller_identity: an ARN without a partition: %q"):format(tostring(r.Arn)), 0) end
  local me = { account = r.Account, arn = r.Arn, user_id = r.UserId, partition = partition }
  if not client then cached = me end
  return me
end

function account.arn(t)
  if type(t) ~= "table" or type(t.service) ~= "string" or type(t.resource) ~= "string" then
    error("fg.arn{service = ..., resource = ...}: service and resource are needed", 2)
  end
  local partition, id = t.partition, t.account
  if not partition or id == nil then
    local me = account.caller()
    partition, id = partition or me.partition, id == nil and me.account or id
  end
  return ("arn:%s:%s:%s:%s:%s"):format(partition, t.service, t.region or "", id, t.resource)
end

return account
