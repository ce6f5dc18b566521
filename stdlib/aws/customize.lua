-- What boto3 changes in the parameters of particular services before they
-- are serialized, so that the same calls work here: Route 53 takes the ids
-- its answers give ("/hostedzone/Z123", "/change/C1") where its URIs want
-- the last part only.
local M = {}

local ROUTE53_ID_SHAPES = {ResourceId = true, DelegationSetId = true, ChangeId = true}

local function route53(_, input, params)
  local copy
  for name, ref in pairs(input.members or {}) do
    local v = params[name]
    if ROUTE53_ID_SHAPES[ref.shape] and type(v) == "string" and v:find("/", 1, true) then
      if not copy then
        copy = {}
        for k, pv in pairs(params) do copy[k] = pv end
      end
      copy[name] = v:match("([^/]*)$")
    end
  end
  return copy or params
end

local BY_SERVICE = {["Route 53"] = route53}

-- The parameters as the service's rules want them (params is not changed).
function M.input(model, input, params)
  local rule = BY_SERVICE[model.metadata.serviceId]
  if not rule then return params end
  return rule(model, input, params)
end

return M
