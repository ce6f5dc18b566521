-- The HTTP connection for an AWS endpoint: one per origin, kept alive and
-- reused (http.connection), trusting AWS_CA_BUNDLE when it is set.
local http = require "http"

local M = {}

-- The connection for a URL's scheme://host:port.
function M.get(url)
  return http.connection(url, {ca_bundle = os.getenv("AWS_CA_BUNDLE")})
end

return M
