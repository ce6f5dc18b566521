-- Signs a request with SigV4 (aws.sigv4): sets url, Host, X-Amz-Date,
-- X-Amz-Security-Token (the credentials object, which the HTTP layer turns
-- into the token in C), User-Agent and Authorization.
local sigv4 = require "aws.sigv4"
local fgrun = require "fgrun"
local time = require "base.time"

local M = {}

M.USER_AGENT = "fgrun/" .. tostring(fgrun.version)

function M.amz_date(t)
  return os.date("!%Y%m%dT%H%M%SZ", math.floor(t))
end

-- "Thu, 26 Nov 2026 13:37:31 GMT" -> Unix seconds, or nil.
function M.parse_http_date(s)
  if type(s) ~= "string" or not s:find(" GMT$") then return nil end
  return time.parse(s)
end

-- "https://host:443/prefix" -> "host", "/prefix"
function M.split_url(base)
  local scheme, authority, path = base:match("^(%a[%w+.-]*)://([^/]+)(.*)$")
  if not scheme then error(("bad endpoint URL %q"):format(base), 0) end
  authority = authority:gsub("^.*@", "")
  scheme = scheme:lower()
  if (scheme == "https" and authority:match(":443$")) or (scheme == "http" and authority:match(":80$")) then
    authority = authority:gsub(":%d+$", "")
  end
  return authority, path
end

-- Sets (or replaces, whatever the case of the name) one header.
function M.set_header(headers, name, value)
  local lower = name:lower()
  for k in pairs(headers) do
    if k:lower() == lower and k ~= name then headers[k] = nil end
  end
  headers[name] = value
end

-- An IP address or localhost: a host that cannot take a host prefix.
local function is_address(host)
  local name = host:gsub(":%d+$", "")
  return name == "localhost" or name:match("^[%d.]+$") ~= nil or name:sub(1, 1) == "["
end

-- sign(req, creds, {base_url=, region=, service=, time=}) -> req. The
-- request's own fields: method, path, query, headers, body; host_prefix
-- (the operation's endpoint trait, put before the host); unsigned (an
-- operation that takes no authentication: creds may be nil).
function M.sign(req, creds, o)
  req.headers = req.headers or {}
  req.query = req.query or ""
  req.body = req.body or ""
  local host, prefix = M.split_url(o.base_url)
  local path = prefix .. (req.path or "/")
  if path == "" then path = "/" end
  local origin = o.base_url:match("^(%a[%w+.-]*://[^/]+)")
  if req.host_prefix and not is_address(host) then
    host = req.host_prefix .. host
    origin = origin:gsub("://", "://" .. req.host_prefix, 1)
  end
  req.url = origin .. path .. (req.query ~= "" and "?" .. req.query or "")
  local h = req.headers
  M.set_header(h, "Authorization", nil)
  M.set_header(h, "Host", host)
  M.set_header(h, "X-Amz-Date", M.amz_date(o.time))
  M.set_header(h, "User-Agent", M.USER_AGENT)
  if req.unsigned or o.unsigned then return req end
  M.set_header(h, "X-Amz-Security-Token", creds:has_token() and creds or nil)
  M.set_header(h, "Authorization", sigv4.sign(creds, {
    method = req.method, path = path, query = req.query, headers = h,
    payload_hash = req.payload_hash or sigv4.sha256_hex(req.body), amz_date = h["X-Amz-Date"],
    region = o.region, service = o.service, raw_path = req.raw_path,
  }))
  return req
end

return M
