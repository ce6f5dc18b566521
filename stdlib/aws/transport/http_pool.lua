-- One HTTP connection (net.http) per endpoint origin, kept alive and reused.
local http = require "net.http"

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

return M
