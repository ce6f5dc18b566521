-- require "http": plain HTTP requests (libcurl, through net.http), for
-- smoke tests and checks of a deployed service.
--   http.get(url, {timeout=, headers=}) -> {status=, headers=, body=}
--   http.connection(url[, {ca_bundle=}]) -> the kept-alive net.http
--     connection for the URL's scheme://host:port (one per origin and CA
--     bundle), which the AWS transport shares
-- A request that gets no answer raises an error object
-- {code = "timeout"|"connection"|..., message=, url=} with __tostring.
local net = require "net.http"

local http = {}

local conns = {}

function http.connection(url, opts)
  local origin = url:match("^(%a[%w+.-]*://[^/]+)") or url
  local ca_bundle = opts and opts.ca_bundle or ""
  local key = origin .. "\0" .. ca_bundle
  local c = conns[key]
  if not c then
    c = net.new{ca_bundle = ca_bundle ~= "" and ca_bundle or nil}
    conns[key] = c
  end
  return c
end

local Error = {}
Error.__index = Error
Error.__tostring = function(e)
  return ("http %s %s: %s"):format(e.method, e.url, e.message)
end

-- http.request{method=, url=, headers=, body=, timeout=} -> response
function http.request(req)
  assert(type(req) == "table" and type(req.url) == "string", "http.request: url required")
  local method = req.method or "GET"
  local timeout = req.timeout or 10
  local status, headers, body = http.connection(req.url):request{
    method = method, url = req.url, headers = req.headers or {}, body = req.body,
    timeout_ms = math.floor(timeout * 1000), connect_timeout_ms = math.floor(math.min(timeout, 10) * 1000),
  }
  if not status then -- headers: the message, body: the kind of failure
    error(setmetatable({ code = body, message = headers, url = req.url, method = method }, Error), 2)
  end
  return { status = status, headers = headers, body = body }
end

function http.get(url, opts)
  opts = opts or {}
  return http.request{ method = "GET", url = url, headers = opts.headers, timeout = opts.timeout }
end

return http
