-- Capacity provider strategies of clusters and services, as the types take
-- them: { { provider = "FARGATE" | "FARGATE_SPOT", weight =, base = } }.
local capacity = {}

function capacity.check(list)
  for i, s in ipairs(list) do
    if type(s) ~= "table" or type(s.provider) ~= "string" then return ("entry %d needs provider"):format(i) end
  end
end

-- In the request's shape.
function capacity.request(list)
  local out = {}
  for i, s in ipairs(list or {}) do out[i] = { capacityProvider = s.provider, weight = s.weight, base = s.base } end
  return out
end

-- From AWS's answer.
function capacity.of(list)
  local out = {}
  for i, s in ipairs(list or {}) do out[i] = { provider = s.capacityProvider, weight = s.weight, base = s.base } end
  return out
end

-- Compared as AWS reports them: base 0 is no base, weight 0 explicit, sorted by provider.
function capacity.normalize(list)
  local out = {}
  for i, s in ipairs(list) do
    out[i] = { provider = s.provider, weight = s.weight or 0, base = (s.base ~= 0) and s.base or nil }
  end
  table.sort(out, function(a, b) return a.provider < b.provider end)
  return out
end

return capacity
