-- The HTTP connection for an AWS endpoint: one per origin, kept alive and
-- reused (http.connection), trusting AWS_CA_BUNDLE when it is set; while
-- tasks run (stdlib/async.lua), requests are transfers on their loop.
local http = require "http"

local M = {}

-- The connection for a URL's scheme://host:port.
function M.get(url)
  return http.connection(url, {ca_bundle = os.getenv("AWS_CA_BUNDLE")})
end

-- request(req) -> what conn:request returns (http.exchange).
function M.request(req)
  return http.exchange(req, {ca_bundle = os.getenv("AWS_CA_BUNDLE")})
end

return M
