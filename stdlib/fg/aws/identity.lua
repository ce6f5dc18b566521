-- Who is calling: the account and the partition (aws, aws-cn,
-- aws-us-gov), from STS GetCallerIdentity, asked once per run. ARNs the
-- library builds take the partition from here, never a hard-coded "aws".
local aws = require "aws"

local identity = {}
local cached

local function caller()
  if not cached then
    local r = aws.sts.get_caller_identity{}
    cached = { account = r.Account, arn = r.Arn, partition = r.Arn:match("^arn:([^:]+):") or "aws" }
  end
  return cached
end

function identity.account() return caller().account end
function identity.partition() return caller().partition end

-- identity.arn("iam", "", "aws", "policy/service-role/X") ->
-- "arn:<partition>:iam::aws:policy/service-role/X"
function identity.arn(service, region, account, resource)
  return ("arn:%s:%s:%s:%s:%s"):format(caller().partition, service, region or "", account or "", resource)
end

return identity
