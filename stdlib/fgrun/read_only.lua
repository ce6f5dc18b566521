-- A read-only run (fgrun --plan): AWS and Docker calls that could change
-- something are refused where they are made, whatever code makes them
-- (a recipe's own calls too), so that a plan cannot change anything by
-- mistake. On from the start of a --plan run; it cannot be turned off.
--
--   read_only.on()                  -> the reason ("--plan") or nil
--   read_only.aws(service, op)      -> nil, or why the operation is refused (not a read)
--   read_only.docker(method, path)  -> nil, or why the request is refused (not a read or a build)
--   read_only.enable(reason)        turns it on (for tests; --plan does it from the start)
-- The AWS client and the Docker client raise the refusal as their own
-- errors, with the code ReadOnlyRun.
local fgrun = require "fgrun"

local read_only = {}

local reason = fgrun.options.plan and "--plan" or nil

-- The operations that only read, by the verb AWS names them with
-- (Describe*, List*, Get*, BatchGet*, Head* and the like, as read-only IAM
-- policies grant them); IAM's policy simulator and ECR's layer check read too.
local READ_VERBS = { "Describe", "List", "Get", "BatchGet", "BatchCheck", "Head", "Simulate", "Filter", "Lookup",
                     "Search" }

function read_only.on() return reason end

function read_only.enable(why) reason = reason or why or "read-only" end

-- true when an AWS operation (its model name, e.g. "DescribeServices") only reads.
function read_only.aws_reads(operation)
  for _, verb in ipairs(READ_VERBS) do
    if operation:sub(1, #verb) == verb and operation:sub(#verb + 1, #verb + 1):match("%u") then return true end
  end
  return false
end

local function refusal(what)
  return ("%s would change something; a %s run makes only calls that read"):format(what, reason)
end

function read_only.aws(service, operation)
  if reason and not read_only.aws_reads(operation) then return refusal(("%s.%s"):format(service, operation)) end
end

-- Docker: reads (GET, HEAD) and image builds; never a push, a tag, a
-- container or a removal.
function read_only.docker(method, path)
  if not reason or method == "GET" or method == "HEAD" then return nil end
  if method == "POST" and (path == "/build" or path:match("^/build%?")) then return nil end
  return refusal(("docker %s %s"):format(method, (path:gsub("%?.*", ""))))
end

return read_only
