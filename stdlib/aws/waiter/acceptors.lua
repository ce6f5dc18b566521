-- The acceptors of waiters-2.json, matched as botocore matches them.
-- A response is {output = parsed answer} or, for an error the service
-- returned, {error = the aws error, code = its code}; status is the HTTP
-- status either way.
local json = require "json"
local jmespath = require "jmespath"
local poll = require "aws.waiter.poll"

local M = {}

local null = json.null

local function is_list(v)
  if type(v) ~= "table" then return false end
  local mt = getmetatable(v)
  if mt == json.array_mt then return true end
  return mt ~= json.object_mt and v[1] ~= nil
end

-- Python's == on JSON values, which is what botocore compares with.
local function equal(a, b)
  if a == null then a = nil end
  if b == null then b = nil end
  return a == b
end

local function search(acceptor, output)
  local q = acceptor._compiled
  if not q then
    q = jmespath.compile(acceptor.argument)
    acceptor._compiled = q
  end
  return q:search(output)
end

local matchers = {}

function matchers.path(a, response)
  if response.error then return false end
  return equal(search(a, response.output), a.expected)
end

-- pathAll: a non-empty list whose every element is expected.
function matchers.pathAll(a, response)
  if response.error then return false end
  local v = search(a, response.output)
  if not is_list(v) or #v == 0 then return false end
  for _, x in ipairs(v) do
    if not equal(x, a.expected) then return false end
  end
  return true
end

-- pathAny: a list with at least one element that is expected.
function matchers.pathAny(a, response)
  if response.error then return false end
  local v = search(a, response.output)
  if not is_list(v) then return false end
  for _, x in ipairs(v) do
    if equal(x, a.expected) then return true end
  end
  return false
end

function matchers.status(a, response)
  return response.status == a.expected
end

-- error: expected is a code, or true (any error), or false (no error).
function matchers.error(a, response)
  if a.expected == true then return response.error ~= nil end
  if a.expected == false then return response.error == nil end
  return response.code == a.expected
end

-- The first acceptor that matches the response, or nil.
function M.match(acceptors, response)
  for _, a in ipairs(acceptors) do
    local matcher = matchers[a.matcher]
    if not matcher then
      error("aws.waiter: unknown acceptor matcher " .. tostring(a.matcher), 0)
    end
    if matcher(a, response) then return a end
  end
  return nil
end

local function quoted(v)
  return type(v) == "string" and '"' .. v .. '"' or tostring(v)
end

-- What an acceptor means, in botocore's words.
function M.explain(a)
  local m, arg, expected = a.matcher, a.argument, quoted(a.expected)
  if m == "path" then
    return string.format('For expression "%s" we matched expected path: %s', arg, expected)
  elseif m == "pathAll" then
    return string.format('For expression "%s" all members matched expected path: %s', arg, expected)
  elseif m == "pathAny" then
    return string.format('For expression "%s" we matched expected path: %s at least once', arg, expected)
  elseif m == "status" then
    return "Matched expected HTTP status code: " .. tostring(a.expected)
  elseif a.expected == true then
    return "Matched an error response"
  elseif a.expected == false then
    return "Matched a response that is not an error"
  end
  return "Matched expected service error code: " .. tostring(a.expected)
end

-- The values the acceptors' expressions give on an answer, for status
-- lines: 'LoadBalancers[].State.Code = ["provisioning"]'.
function M.observe(acceptors, response)
  if response.error then
    return "error " .. tostring(response.code)
  end
  local seen, parts = {}, {}
  for _, a in ipairs(acceptors) do
    if a.argument and not seen[a.argument] then
      seen[a.argument] = true
      local ok, v = pcall(search, a, response.output)
      if ok then
        local shown = poll.show(v == nil and null or v, 120)
        parts[#parts + 1] = a.argument .. " = " .. shown
      end
    end
  end
  return table.concat(parts, "; ")
end

return M
