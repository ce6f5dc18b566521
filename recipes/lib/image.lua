-- The image of a recipe: build the context, run it here and probe its
-- health endpoint, push it to ECR (both tags), wait for the ECR scan and
-- apply the scan gate; the image is deployed by digest.
-- Recipe-local until the library's image step (fg.image) lands; used as
--   local image = dofile(here .. "/lib/image.lua")
--   local built = image.build{ context =, tag =, port =, health_path =, smoke_test = }
--   local ref = image.push(built, repository, { version =, fail_on_severity = })
local fgrun = require "fgrun"
local aws = require "aws"
local fg = require "fg"

local M = {}

local escape = require("fgrun.text").escape
local function say(fmt, ...)
  if not fgrun.quiet then io.stdout:write(escape(fmt:format(...), true), "\n") io.stdout:flush() end
end

local function code_of(err) return type(err) == "table" and err.code or nil end

-- Runs the image here and asks its health endpoint; a broken image stops
-- the deploy before anything is pushed.
local function smoke_test(docker, image, port, path)
  local http = require "http"
  local c <close> = docker.run{ image = image, ports = { [port] = 0 }, env = { PORT = tostring(port) } }
  local url = ("http://127.0.0.1:%d%s"):format(c:port(port), path)
  local ok, err = pcall(fg.wait_until, function()
    local got, r = pcall(http.get, url, { timeout = 2 })
    if got and r.status == 200 then return true, "HTTP 200" end
    return false, got and ("HTTP " .. r.status) or tostring(r)
  end, { what = "smoke test of " .. image, timeout = 20, delay = 0.3, max_delay = 1 })
  if not ok then
    local logs = c:logs() or ""
    error(("the image %s failed its health probe at %s (%s): nothing was pushed. Its last log lines:\n%s")
      :format(image, url, tostring(err), logs:sub(-1500)), 0)
  end
  say("  smoke test passed: %s answered 200", path)
end

-- M.build{context, tag, port, health_path, smoke_test} -> the local image.
function M.build(o)
  local docker = require "docker"
  if not io.open(o.context .. "/Dockerfile", "r") then
    error(("the app folder %s has no Dockerfile: set app_dir to the folder to build"):format(o.context), 0)
  end
  say("building %s from %s", o.tag, o.context)
  -- the engine's build log only with -v; a failing build says why anyway
  docker.build{ context = o.context, tags = { o.tag }, on_output = function(line)
    if fgrun.verbosity > 0 then io.stderr:write("    ", line, "\n") end
  end }
  if o.smoke_test then smoke_test(docker, o.tag, o.port, o.health_path) end
  return o.tag
end

-- With FGRUN_REGISTRY_MAP (local stand-ins) the push went to a local
-- registry: hand its manifest to the ECR stand-in, as a push to ECR would.
local function register_with_local_ecr(docker, repo, tag)
  local http = require "http"
  local ref = repo.uri .. ":" .. tag
  local mapped = docker.map_ref(ref)
  if mapped == ref then return end
  local host, name = mapped:match("^([^/]+)/(.-):[^:/]+$")
  local r = http.get(("http://%s/v2/%s/manifests/%s"):format(host, name, tag), { headers = {
    Accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } })
  if r.status ~= 200 then error(("local registry %s: manifest %s:%s: HTTP %d"):format(host, name, tag, r.status), 0) end
  local known = aws.ecr.batch_get_image{ repositoryName = repo.name, imageIds = { { imageTag = tag } } }.images[1]
  if known and known.imageManifest == r.body then return end
  local ok, err = pcall(aws.ecr.put_image, { repositoryName = repo.name, imageTag = tag, imageManifest = r.body })
  if not ok and code_of(err) ~= "ImageAlreadyExistsException" then error(err, 0) end
end

local SEVERITIES = { "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED" }

-- M.check_severity(text): nil, or what is wrong with a fail_on_severity value.
function M.check_severity(text)
  for _, s in ipairs(SEVERITIES) do if s == text:upper() then return nil end end
  return ("fail_on_severity must be one of %s, got %q"):format(table.concat(SEVERITIES, ", "), text)
end

local function scan(repo, tag, fail_on)
  local params = { repositoryName = repo.name, imageId = { imageTag = tag } }
  local ok, err = pcall(aws.ecr.describe_image_scan_findings, params)
  if not ok then
    if code_of(err) ~= "ScanNotFoundException" then error(err, 0) end
    aws.ecr.start_image_scan(params)
  end
  aws.ecr.wait("image_scan_complete", params, { timeout = 600, delay = 5, what = "image scan" })
  local counts = aws.ecr.describe_image_scan_findings(params).imageScanFindings.findingSeverityCounts or {}
  local parts, worst = {}, nil
  for rank, s in ipairs(SEVERITIES) do
    if (counts[s] or 0) > 0 then
      parts[#parts + 1] = ("%s %d"):format(s, counts[s])
      worst = worst or rank
    end
  end
  say("  image scan: %s", #parts > 0 and table.concat(parts, ", ") or "no findings")
  if not fail_on then return end
  local limit
  for rank, s in ipairs(SEVERITIES) do if s == fail_on:upper() then limit = rank end end
  if worst and worst <= limit then
    error(("the image scan found %s findings at or above %s (fail_on_severity): nothing runs this image")
      :format(table.concat(parts, ", "), SEVERITIES[limit]), 0)
  end
end

-- M.push(local_image, repository, {version, fail_on_severity}) -> the
-- image by digest, so that each build deploys exactly what was pushed.
function M.push(local_image, repo, o)
  local docker = require "docker"
  local auth = docker.ecr_login(aws.ecr)
  local digest
  for _, tag in ipairs({ o.version, "latest" }) do
    local pushed = docker.push(docker.tag(local_image, repo.uri, tag), { auth = auth })
    digest = digest or pushed.digest
    register_with_local_ecr(docker, repo, tag)
  end
  say("  pushed %s:%s and :latest (%s)", repo.uri, o.version, digest)
  scan(repo, o.version, o.fail_on_severity)
  return repo.uri .. "@" .. digest
end

return M
