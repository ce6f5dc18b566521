-- One HTTP connection (aws.http) per endpoint origin, kept alive and reused;
-- while tasks run (stdlib/async.lua), requests are transfers on their loop.
local http = require "aws.http"
local async = require "async"

local M = {}
local conns = {}

-- The connection for a URL's scheme://host:port.
function M.get(url)
  local origin = url:match("^(%a[%w+.-]*://[^/]+)") or url
  local c = conns[origin]
  if not c then
    c = http.new()
    conns[origin] = c
  end
  return c
end

-- request(req) -> what conn:request returns (see runtime/http.c): on the
-- kept connection, or as a concurrent transfer while tasks are alive
-- (streamed transfers, S3's files, stay on the connection and block).
function M.request(req)
  if async.active() and not (req.upload_file or req.download_file or req.progress) then
    return async.request(req)
  end
  return M.get(req.url):request(req)
end

return M
