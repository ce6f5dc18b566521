-- Where a request may go: the checks on URLs that come from the
-- environment, made on the URL as libcurl reads it (net.url) and on the
-- addresses its host resolves to, never on a pattern match of the text
-- ("http://localhost:80@other/" is user "localhost" at host "other").
local url = require "net.url"

local M = {}

-- The container agents of ECS and EKS Pod Identity, which the AWS SDKs
-- allow container credentials to reach over http besides loopback.
local AGENTS = { ["169.254.170.2"] = true, ["169.254.170.23"] = true, ["fd00:ec2::23"] = true }

function M.is_loopback(address)
  return address == "::1" or address:match("^127%.%d+%.%d+%.%d+$") ~= nil
end

-- M.container(text) -> the URL to connect to, the Host header | nil, why.
-- The AWS SDKs' rule for container credentials: https anywhere; http only
-- to loopback or a container agent, every address of the name checked; no
-- user information. An http URL comes back with the checked address in
-- place of the name, so that a second lookup cannot send the
-- authorization token elsewhere.
function M.container(text)
  local u, err = url.parse(text)
  if not u then return nil, ("is not a URL (%s)"):format(err) end
  if u.userinfo then
    return nil, "has a user name or password before the host (user@host), where the token would "
      .. "go to the host after the @"
  end
  local scheme = u.scheme:lower()
  if scheme == "https" then return text end
  if scheme ~= "http" then return nil, "must be https, or http to a loopback or container agent address" end
  local addresses, why = url.resolve(u.host)
  if not addresses or #addresses == 0 then
    return nil, ("names a host with no address (%s)"):format(why or u.host)
  end
  for _, a in ipairs(addresses) do
    if not (M.is_loopback(a) or AGENTS[a]) then
      return nil, ("is http to %s (%s), which is neither loopback (127.0.0.0/8, ::1) nor a container "
        .. "agent (169.254.170.2, 169.254.170.23, fd00:ec2::23); the AWS SDKs refuse it too"):format(u.host, a)
    end
  end
  local a = addresses[1]
  return ("http://%s:%d%s%s"):format(a:find(":", 1, true) and ("[" .. a .. "]") or a, u.port,
    u.path or "/", u.query and ("?" .. u.query) or ""), ("%s:%d"):format(u.host, u.port)
end

-- M.endpoint(text, source, allowed) -> true | nil, why. An endpoint
-- override over plain http sends the session token and every call's data
-- unencrypted: fine on this machine (moto, a proxy), refused elsewhere
-- unless the user opts in (allowed: FGRUN_ALLOW_HTTP_ENDPOINT=1 or the
-- client option allow_http_endpoint).
function M.endpoint(text, source, allowed)
  local u, err = url.parse(text)
  if not u then return nil, ("endpoint URL %q (%s) is not a URL (%s)"):format(text, source, err) end
  if u.userinfo then
    return nil, ("endpoint URL %q (%s) has a user name or password before the host; AWS endpoints take none")
      :format(text, source)
  end
  if u.scheme:lower() ~= "http" or allowed then return true end
  local addresses, why = url.resolve(u.host)
  for _, a in ipairs(addresses or {}) do
    if not M.is_loopback(a) then
      return nil, ("endpoint URL %s (%s) is plain http to %s (%s), which is not this machine: the session "
        .. "token and every call's data would cross the network unencrypted. Use https, or set "
        .. "FGRUN_ALLOW_HTTP_ENDPOINT=1 (or the client option allow_http_endpoint = true) to send them anyway")
        :format(text, source, u.host, a)
    end
  end
  if not addresses or #addresses == 0 then
    return nil, ("endpoint URL %s (%s): %s"):format(text, source, why or "no address")
  end
  return true
end

return M
