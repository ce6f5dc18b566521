-- Where a service lives and how its requests are signed. Precedence, as
-- in the SDKs' "service-specific endpoints": the endpoint_url option,
-- AWS_ENDPOINT_URL_<SERVICE>, the [services] section of the config file,
-- AWS_ENDPOINT_URL, the profile's endpoint_url, then the default
-- https://<endpointPrefix>.<region>.amazonaws.com (.com.cn in China);
-- global services (IAM) sign for the partition's home region.
local destination = require "aws.transport.destination"

local M = {}

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

-- "Elastic Load Balancing v2" -> "ELASTIC_LOAD_BALANCING_V2"
function M.env_key(service_id)
  return (service_id:gsub("[%s%-]+", "_"):upper())
end

local function partition(region)
  if region:match("^cn%-") then return "aws-cn", "amazonaws.com.cn" end
  if region:match("^us%-gov%-") then return "aws-us-gov", "amazonaws.com" end
  return "aws", "amazonaws.com"
end

-- Global endpoints and the region they sign for, by partition.
local GLOBAL = {
  iam = {
    ["aws"] = { "https://iam.amazonaws.com", "us-east-1" },
    ["aws-cn"] = { "https://iam.cn-north-1.amazonaws.com.cn", "cn-north-1" },
    ["aws-us-gov"] = { "https://iam.us-gov.amazonaws.com", "us-gov-west-1" },
  },
}

local function strip_slash(url)
  return (url:gsub("/+$", ""))
end

local function configured(o)
  if o.endpoint_url and o.endpoint_url ~= "" then return o.endpoint_url, "endpoint_url option" end
  local ignore = (env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or ""):lower() == "true"
    or ((o.settings or {}).ignore_configured_endpoint_urls or ""):lower() == "true"
  if ignore then return nil end
  local key = M.env_key(o.service_id)
  local v = env("AWS_ENDPOINT_URL_" .. key)
  if v then return v, "AWS_ENDPOINT_URL_" .. key end
  local section = o.services and o.services[key:lower()]
  if type(section) == "table" and section.endpoint_url then
    return section.endpoint_url, "config [services] " .. key:lower()
  end
  v = env("AWS_ENDPOINT_URL")
  if v then return v, "AWS_ENDPOINT_URL" end
  local p = o.settings and o.settings.endpoint_url
  if type(p) == "string" and p ~= "" then return p, "profile endpoint_url" end
end

-- resolve{metadata=, region=, endpoint_url=, settings=, services=,
-- allow_http=} -> {url=, signing_region=, signing_name=, source=}. An
-- override over http to another machine is refused unless allow_http or
-- FGRUN_ALLOW_HTTP_ENDPOINT=1 (see aws.transport.destination): read here,
-- so that the credential chain's own STS and SSO calls follow it too.
function M.resolve(o)
  local md = o.metadata or {}
  local prefix = md.endpointPrefix or error("service metadata lacks endpointPrefix", 2)
  local service_id = md.serviceId or prefix
  local signing_name = md.signingName or prefix
  local region = o.region
  local part, suffix = partition(region)
  local global = GLOBAL[prefix] and GLOBAL[prefix][part]
  local signing_region = global and global[2] or region
  local url, source = configured {
    endpoint_url = o.endpoint_url, service_id = service_id,
    settings = o.settings, services = o.services,
  }
  if url then
    if not url:match("^https?://[^/]") then
      error(("endpoint URL %q (%s) must start with http:// or https://"):format(url, source), 0)
    end
    local ok, why = destination.endpoint(url, source, o.allow_http or env("FGRUN_ALLOW_HTTP_ENDPOINT") == "1")
    if not ok then error(why, 0) end
    return { url = strip_slash(url), signing_region = signing_region,
             signing_name = signing_name, source = source }
  end
  if global then
    return { url = global[1], signing_region = signing_region,
             signing_name = signing_name, source = "global endpoint" }
  end
  return { url = ("https://%s.%s.%s"):format(prefix, region, suffix),
           signing_region = region, signing_name = signing_name, source = "default" }
end

return M
