-- fg.image: a container image as a deployment step. Build the context for
-- the task's CPU architecture, try it here, push it to an ECR repository,
-- pass the scan gate, and deploy it by digest; skip the build and the push
-- when the context has not changed since the recorded digest.
--
--   local app = fg.image.build(d, {
--     context = "/path/to/app",          -- the build context (a folder with a Dockerfile)
--     dockerfile = nil, buildargs = nil, target = nil,
--     platform = "x86_64",               -- or "arm64" (aliases: amd64, aarch64, linux/...)
--     smoke_test = { port = 3000, path = "/health", env = {...}, timeout = 20 },  -- or false
--     step = "image",                    -- the name of the push step
--   })
--   -- app.platform ("linux/amd64"), app.cpu_architecture ("X86_64", for the
--   -- task definition's runtimePlatform), app.source (the context's digest),
--   -- app.skipped (true: unchanged, nothing was built)
--   ... the repository step ...
--   local image = fg.image.push(d, app, repository, {
--     tags = { "v1.0", "latest" },       -- the first one is scanned
--     fail_on_severity = "CRITICAL",     -- the scan gate (fg/scan.lua); nil: report only
--     scan_timeout = 600, findings_timeout = 300,  -- the scan; Inspector's counts after it
--   })
--   -- image.image ("<uri>@sha256:..."), image.digest, image.cpu_architecture,
--   -- image.platform, image.scan ({status=, scanned=, counts=, text=})
--
-- build() runs before anything is created, so a broken image stops the
-- deploy with nothing made; in destroy or inspect runs it does nothing and
-- push() returns what the journal recorded. The build's output shows with
-- -v only (a failing build says why anyway); push progress likewise. A
-- plan (fgrun --plan) builds a changed context but neither smoke-tests nor
-- pushes it (with --no-build it does not build it either: "rebuilt").
local fgrun = require "fgrun"

local image = {}

local PLATFORMS = {
  x86_64 = { docker = "linux/amd64", ecs = "X86_64" },
  arm64 = { docker = "linux/arm64", ecs = "ARM64" },
}
local ALIASES = { x86_64 = "x86_64", amd64 = "x86_64", ["linux/amd64"] = "x86_64",
                  arm64 = "arm64", aarch64 = "arm64", ["linux/arm64"] = "arm64" }

-- image.platform("arm64") -> {docker = "linux/arm64", ecs = "ARM64"}
function image.platform(name)
  local key = ALIASES[tostring(name or "x86_64"):lower()]
  if not key then
    error(("platform %q: use x86_64 (Fargate's default) or arm64"):format(tostring(name)), 0)
  end
  return PLATFORMS[key]
end

local function say(d, fmt, ...)
  if d.report then d.report:say(fmt, ...) end
end

local code_of = require("fg.lookup").code

-- The recorded image of this source, if ECR still holds it (else nil).
local function recorded_image(d, step, source)
  local r = d:recorded(step)
  if not r or source == nil or r.source ~= source then return nil end
  local ok, found = pcall(require("aws").ecr.describe_images,
    { repositoryName = r.repository, imageIds = { { imageDigest = r.digest } } })
  if ok then return found.imageDetails[1] and r or nil end
  local code = code_of(found)
  if code == "ImageNotFoundException" or code == "RepositoryNotFoundException" then return nil end
  error(found, 0)
end

-- Runs the image here and asks its health endpoint; a broken image stops
-- the deploy before anything is pushed.
local function smoke_test(d, docker, ref, t)
  local http = require "http"
  local env = { PORT = tostring(t.port) }
  for k, v in pairs(t.env or {}) do env[k] = v end
  local c <close> = docker.run{ image = ref, ports = { [t.port] = 0 }, env = env }
  local url = ("http://127.0.0.1:%d%s"):format(c:port(t.port), t.path or "/")
  local ok, err = pcall(require("fg.wait").wait_until, function()
    local got, r = pcall(http.get, url, { timeout = 2 })
    if got and r.status == 200 then return true, "HTTP 200" end
    return false, got and ("HTTP " .. r.status) or tostring(r)
  end, { what = "smoke test of " .. ref, timeout = t.timeout or 20, delay = 0.3, max_delay = 1 })
  if not ok then
    local logs = c:logs() or ""
    error(("the image %s failed its health probe at %s (%s): nothing was pushed. Its last log lines:\n%s")
      :format(ref, url, tostring(err), logs:sub(-1500)), 0)
  end
  say(d, "  smoke test passed: %s answered 200", t.path or "/")
end

local Build = {}
Build.__index = Build

-- The recorded image of this build's source (asked of ECR once per run).
function Build:recorded()
  if self.found == nil then self.found = recorded_image(self.d, self.step, self.source) or false end
  return self.found or nil
end

-- Builds (once) and smoke-tests the image; returns the local reference.
function Build:ensure()
  if self.local_image then return self.local_image end
  local docker = require "docker"
  local o = self.opts
  local ref = ("fgrun-%s:%s"):format(self.d.name, self.source:sub(8, 19))
  say(self.d, "building %s from %s (%s)", ref, o.context, self.platform)
  -- An Engine's layer cache may answer a build for another platform with
  -- layers of its own (podman 4.3 does): a cross-platform build skips it.
  local engine = docker.version()
  local native = ("%s/%s"):format(engine.Os or "linux", engine.Arch or "")
  docker.build{ context = o.context, dockerfile = o.dockerfile, buildargs = o.buildargs, target = o.target,
                platform = self.platform, nocache = self.platform ~= native, tags = { ref }, on_output = function(line)
    if fgrun.verbosity > 0 then io.stderr:write("    ", line, "\n") end
  end }
  if o.smoke_test and not self.d.planning then smoke_test(self.d, docker, ref, o.smoke_test) end
  self.local_image = ref
  return ref
end

function image.build(d, opts)
  if type(opts) ~= "table" or type(opts.context) ~= "string" then
    error("fg.image.build(d, {context = <folder>, ...}) needs the build context", 2)
  end
  local p = image.platform(opts.platform)
  local b = setmetatable({ d = d, opts = opts, step = opts.step or "image",
                           platform = p.docker, cpu_architecture = p.ecs }, Build)
  if d.destroying or d.inspecting then
    b.skipped = true
    return b
  end
  if not require("core.fs").exists(opts.context .. "/" .. (opts.dockerfile or "Dockerfile")) then
    error(("the build context %s has no %s: give the folder to build"):format(opts.context,
      opts.dockerfile or "Dockerfile"), 0)
  end
  -- Everything the build depends on, as one digest.
  local context = require("docker.digest").context(opts.context, opts.dockerfile)
  local json = require "json"
  b.source = "sha256:" .. require("aws.sigv4").sha256_hex(json.encode({
    context = context, dockerfile = opts.dockerfile or "Dockerfile", buildargs = opts.buildargs or {},
    target = opts.target or "", platform = b.platform,
  }, { sort_keys = true }))
  local r = b:recorded()
  if r then
    b.skipped = true
    say(d, "image unchanged since %s: build and push skipped", r.image)
  elseif d.planning and fgrun.options.no_build then
    b.rebuilt = true
  else
    b:ensure()
  end
  return b
end

-- With FGRUN_REGISTRY_MAP (local stand-ins) the push went to a local
-- registry: hand its manifest to the ECR stand-in, as a push to ECR would.
-- The digest is passed on, so that ECR and the registry name the image alike.
local function register_with_local_ecr(docker, repo, tag, digest)
  local ref = repo.uri .. ":" .. tag
  local mapped = docker.map_ref(ref)
  if mapped == ref then return end
  local ecr, http = require("aws").ecr, require("http")
  local host, name = mapped:match("^([^/]+)/(.-):[^:/]+$")
  local r = http.get(("http://%s/v2/%s/manifests/%s"):format(host, name, tag), { headers = {
    Accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" } })
  if r.status ~= 200 then error(("local registry %s: manifest %s:%s: HTTP %d"):format(host, name, tag, r.status), 0) end
  local known = ecr.batch_get_image{ repositoryName = repo.name, imageIds = { { imageTag = tag } } }.images[1]
  if known and known.imageManifest == r.body then return end
  local ok, err = pcall(ecr.put_image, { repositoryName = repo.name, imageTag = tag, imageManifest = r.body,
                                         imageDigest = digest })
  if not ok and code_of(err) ~= "ImageAlreadyExistsException" then error(err, 0) end
end

local function gate(d, i, digest)
  return require("fg.scan").image{
    repository = i.repository, digest = digest, fail_on_severity = i.fail_on_severity or nil,
    timeout = i.scan_timeout, findings_timeout = i.findings_timeout,
    say = function(text) say(d, "  image scan: %s", text) end,
  }
end

local function push_now(d, b, i)
  local docker = require "docker"
  local local_image = b:ensure()
  local repo = { name = i.repository, uri = i.uri }
  local auth = docker.ecr_login(require("aws").ecr)
  local digest
  for _, tag in ipairs(i.tags) do
    local pushed = docker.push(docker.tag(local_image, repo.uri, tag), { auth = auth, quiet = fgrun.verbosity == 0 })
    digest = digest or pushed.digest
    register_with_local_ecr(docker, repo, tag, digest)
  end
  say(d, "  pushed %s:%s (%s)", repo.uri, table.concat(i.tags, ", :"), digest)
  return {
    image = repo.uri .. "@" .. digest, digest = digest, repository = i.repository, uri = i.uri,
    tags = i.tags, source = i.source, platform = i.platform, cpu_architecture = b.cpu_architecture,
    scan = gate(d, i, digest),
  }
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for k = 1, #a do if a[k] ~= b[k] then return false end end
  return true
end

function image.push(d, b, repository, opts)
  opts = opts or {}
  local tags = opts.tags or { "latest" }
  if #tags == 0 then error("fg.image.push: tags must name at least one tag", 2) end
  return d:step(b.step, {
    inputs = { repository = repository.name, uri = repository.uri, source = b.source, platform = b.platform,
               tags = tags, fail_on_severity = opts.fail_on_severity or false, scan_timeout = opts.scan_timeout or 600,
               findings_timeout = opts.findings_timeout or 300 },
    find = function(i) return i.source == b.source and b:recorded() or nil end,
    create = function(i) return push_now(d, b, i) end,
    -- the same image in the same place: only the gate is looked at again
    update = function(i, previous)
      if previous.source == i.source and previous.uri == i.uri and same_list(previous.tags, i.tags)
          and b:recorded() then
        previous.scan = gate(d, i, previous.digest)
        return previous
      end
      return push_now(d, b, i)
    end,
    -- a rollback cannot rebuild the previous context: what was pushed stays
    revert = false,
    -- in a plan: the digest is the push's, known after it
    planned = function(i)
      if b.rebuilt then return require("fg.plan").unknown_result(i), "rebuilt (not built: --no-build)" end
      local id = require("docker").inspect(b.local_image).Id
      return require("fg.plan").unknown_result(i), ("built %s (image %s); pushed by the run"):format(b.local_image, id)
    end,
    -- the image goes with the repository that fgrun made; in one it
    -- adopted, the same digest may be someone else's push: it stays
    undo = function() return {} end,
    id = function(r) return r.image end,
  })
end

return image
