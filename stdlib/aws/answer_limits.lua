-- How large an answer kept in memory may be, per operation: what AWS sends
-- at most, with room, rather than one cap for every call. A larger answer
-- is cut off while it arrives ("response over N bytes"), before it is
-- decoded; the JSON decoder has its own memory budget besides
-- (runtime/aws/answer_budget.c). A body streamed to a file (download_file) is
-- not kept, and the cap counts none of it.
local M = {}

local MiB = 1024 * 1024

-- Paginated lists and describes of the nine services answer in pages of at
-- most 100-1000 items of a few KB (ECS DescribeServices takes 10 services,
-- ELBv2 400 load balancers, IAM 1000 items a page).
M.DEFAULT = 16 * MiB

local BY_SERVICE = {
  -- EC2's Describe* answer every item when MaxResults is left out, in XML
  -- of up to tens of KB an instance: the old cap, kept for it alone
  ec2 = 64 * MiB,
  -- credentials and identities; a session policy is at most 2,048
  -- characters packed (STS API reference, AssumeRole)
  sts = 1 * MiB,
}

local BY_OPERATION = {
  -- at most 1 MB of log events a page (CloudWatch Logs API reference,
  -- GetLogEvents and FilterLogEvents), up to six bytes each when escaped
  ["logs.GetLogEvents"] = 8 * MiB,
  ["logs.FilterLogEvents"] = 8 * MiB,
  -- a secret is at most 65,536 bytes (Secrets Manager quotas), base64 as
  -- SecretBinary, escaped as SecretString
  ["secretsmanager.GetSecretValue"] = 1 * MiB,
  -- a token of a few KB
  ["ecr.GetAuthorizationToken"] = 1 * MiB,
  -- an object held in memory (S3 sends up to 5 TB): the cap every call
  -- had before; s3.download_file streams to a file, which no cap limits
  ["s3.GetObject"] = 64 * MiB,
}

-- M.max_body(service, operation) -> bytes. service: the client's name
-- ("logs"), operation: the model's ("FilterLogEvents").
function M.max_body(service, operation)
  return BY_OPERATION[service .. "." .. operation] or BY_SERVICE[service] or M.DEFAULT
end

return M
