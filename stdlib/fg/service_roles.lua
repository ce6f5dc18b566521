-- Service-linked roles: the account-wide roles through which AWS services
-- act (ECS's AWSServiceRoleForECS, Application Auto Scaling's
-- AWSServiceRoleForApplicationAutoScaling_ECSService). A fresh account has
-- none: ECS creates its own while the first cluster is made, and that
-- CreateCluster can fail with "Unable to assume the service linked role";
-- RegisterScalableTarget needs iam:CreateServiceLinkedRole the first time
-- (ECS and Application Auto Scaling developer guides, "Using
-- service-linked roles"). So: make them first, or wait for them, or say
-- exactly what an administrator has to run.
--
--   service_roles.missing({"ecs.amazonaws.com", ...}, {client=}) -> the services without one
--   service_roles.ensure({"ecs.amazonaws.com", ...}, {client=, timeout=60})
--   service_roles.not_ready(err) -> true for ECS's "Unable to assume the
--     service linked role" (for fg.retry's `on`)
--
-- They are never removed: other stacks of the account use them.
local fgrun = require "fgrun"

local service_roles = {}

local function iam_of(opts) return opts and opts.client or require("aws").iam end
local code_of = require("fg.lookup").code

local seen = {} -- services whose role was found: it stays for the run

-- IAM keeps a service-linked role under /aws-service-role/<service>/;
-- looking it up by path works whatever the role's name.
local function exists(iam, service)
  if seen[service] then return true end
  local r = iam.list_roles{ PathPrefix = "/aws-service-role/" .. service .. "/" }
  seen[service] = #(r.Roles or {}) > 0 or nil
  return seen[service] == true
end

function service_roles.missing(services, opts)
  local iam, list = iam_of(opts), {}
  local found = require("async").map(services, function(s) return exists(iam, s) end, "service-linked role")
  for i, s in ipairs(services) do
    if not found[i] then list[#list + 1] = s end
  end
  return list
end

function service_roles.ensure(services, opts)
  opts = opts or {}
  local iam = iam_of(opts)
  -- each made and awaited in a task of its own: IAM answers slowly
  require("async").map(service_roles.missing(services, opts), function(s)
    fgrun.log(1, "creating the service-linked role of %s", s)
    local ok, err = pcall(iam.create_service_linked_role, { AWSServiceName = s })
    local code = code_of(err)
    -- made meanwhile by the service itself or by another run
    local taken = code == "EntityAlreadyExists" or (code == "InvalidInput"
      and tostring(err.message):find("has been taken", 1, true))
    if not ok and not taken then
      if code == "AccessDenied" or code == "AccessDeniedException" then
        error(("the service-linked role of %s does not exist in this account and this caller may not create it "
          .. "(iam:CreateServiceLinkedRole). An administrator can create it once for the account with: "
          .. "aws iam create-service-linked-role --aws-service-name %s; then deploy again. Nothing was created")
          :format(s, s), 0)
      end
      error(err, 0)
    end
    require("fg.wait").wait_until(function()
      return exists(iam, s), "not visible in IAM yet"
    end, { what = "service-linked role of " .. s, timeout = opts.timeout or 60, delay = 1, max_delay = 5,
           progress = opts.progress })
  end, "service-linked role")
end

function service_roles.not_ready(err)
  return code_of(err) == "InvalidParameterException"
    and tostring(err.message):lower():find("service linked role", 1, true) ~= nil
end

return service_roles
