-- require "http": plain HTTP requests (libcurl, through net.http), for
-- smoke tests and checks of a deployed service.
--   http.get(url, {timeout=, headers=}) -> {status=, headers=, body=}
-- A request that gets no answer raises an error object
-- {code = "timeout"|"connection"|..., message=, url=} with __tostring.
local pool = require "aws.transport.http_pool"

local http = {}

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
  local status, headers, body = pool.get(req.url):request{
    method = method, url = req.url, headers = req.headers or {}, body = req.body,
    timeout_ms = math.floor(timeout * 1000), connect_timeout_ms = math.floor(math.min(timeout, 10) * 1000),
  }
  if not status then
    error(setmetatable({ code = headers, message = body, url = req.url, method = method }, Error), 2)
  end
  return { status = status, headers = headers, body = body }
end

function http.get(url, opts)
  opts = opts or {}
  return http.request{ method = "GET", url = url, headers = opts.headers, timeout = opts.timeout }
end

return http
