-- The Docker Engine client: build, tag, inspect, push, run, ECR login.
-- The wire work (socket, version negotiation, streamed build context,
-- progress streams, registry credentials, container handles) is C, in
-- `docker.engine` (runtime/docker/); this module shapes requests and
-- answers. Failures raise a docker.Error: {service = "docker", operation,
-- message, status} with __tostring.
local engine = require "docker.engine"
local percent = require "base.percent"
local time = require "base.time"
local json = require "json"
local progress = require "docker.progress"
local escape = require("fgrun.text").escape

local M = {}

local Error = {}
Error.__index = Error
-- the message often quotes the Engine: its control bytes are escaped
Error.__tostring = function(e)
  local line = "docker." .. tostring(e.operation) .. ": " .. escape(e.message, true)
  if e.status then line = line .. " (HTTP " .. e.status .. ")" end
  return line
end
M.Error = Error

function M.is_error(e) return getmetatable(e) == Error end

local function fail(operation, message, status)
  error(setmetatable({service = "docker", operation = operation,
                      message = message, status = status}, Error), 0)
end

-- The message of an Engine error answer ({"message": ...}), else a excerpt.
local function answer_message(body)
  local ok, doc = pcall(json.decode, body)
  if ok and type(doc) == "table" and type(doc.message) == "string" then
    return doc.message
  end
  body = tostring(body or ""):gsub("%s+$", "")
  return body ~= "" and body:sub(1, 300) or "no message"
end

-- ---- connection -----------------------------------------------------------

local conn

-- The connection, opened on first use (DOCKER_HOST, else
-- /var/run/docker.sock) and negotiated. Its calls block the thread: the
-- tasks of a deployment send what they have to send first (async.settle),
-- so that AWS works on it meanwhile.
local function connection(operation)
  require("async").settle()
  if not conn then
    local c, err = engine.connect()
    if not c then fail(operation, err) end
    conn = c
  end
  return conn
end

-- Uses the Engine at host ("unix:///path") from now on.
function M.connect(host)
  local c, err = engine.connect(host)
  if not c then fail("connect", err) end
  if conn then conn:close() end
  conn = c
  return M
end

local read_only = require "fgrun.read_only" -- fgrun --plan: builds, never pushes

local log = (function()
  local ok, fgrun = pcall(require, "fgrun")
  return ok and fgrun.log or function() end
end)()

-- Sends a request; raises on a transport failure, returns status, body.
-- With -vv each call is logged (never its headers: they may hold auth; nor
-- build arguments, which often carry tokens).
local function request(operation, method, path, opts)
  local refused = read_only.docker(method, path)
  if refused then fail(operation, refused) end
  local status, body = connection(operation):request(method, path, opts)
  if not status then fail(operation, body) end
  log(2, "docker: %s %s -> %d", method, (path:gsub("([?&]buildargs=)[^&]*", "%1<redacted>")), status)
  return status, body
end

local function expect(operation, status, body, ...)
  for _, ok in ipairs{...} do
    if status == ok then return end
  end
  fail(operation, answer_message(body), status)
end

-- {api_version, engine_api_version, socket}: the Engine answers and the
-- version both sides speak (the lower of the two; 1.40 at least).
function M.ping()
  local c = connection("ping")
  local api, engine_api = c:negotiate()
  if not api then fail("ping", engine_api) end
  return {api_version = api, engine_api_version = engine_api, socket = c:socket(),
          client_api_version = engine.client_api_version}
end

-- The Engine's /version answer, as a table.
function M.version()
  local status, body = request("version", "GET", "/version")
  expect("version", status, body, 200)
  return json.decode(body)
end

-- ---- references and local mode ------------------------------------------

local function check_ref(operation, ref)
  if type(ref) ~= "string" or not ref:match("^[%w][%w%._%-/:@]*$") then
    fail(operation, "not an image reference: " .. tostring(ref))
  end
  return ref
end

-- name and tag of "host:port/repo/name:tag" (tag defaults to latest).
local function split_tag(ref)
  local name, tag = ref:match("^(.-):([%w_][%w_%.%-]*)$")
  if name and not tag:find("/") and name ~= "" then return name, tag end
  return ref, "latest"
end

local function registry_map()
  local map = {}
  for from, to in (os.getenv("FGRUN_REGISTRY_MAP") or ""):gmatch("([^,=%s]+)=([^,%s]+)") do
    map[from] = to
  end
  return map
end

local announced = {}

-- The reference with its registry host rewritten by FGRUN_REGISTRY_MAP
-- ("<from-host>=<to-host:port>[,...]"), saying so once per mapping.
function M.map_ref(ref)
  local host, rest = ref:match("^([^/]+)/(.+)$")
  if not host then return ref end
  local to = registry_map()[host]
  if not to then return ref end
  if not announced[host] then
    announced[host] = true
    progress.note(string.format("docker: local mode: registry %s is mapped to %s (FGRUN_REGISTRY_MAP)",
                                host, to))
  end
  return to .. "/" .. rest
end

-- ---- images ----------------------------------------------------------------

local function query(params)
  local parts = {}
  for _, p in ipairs(params) do
    if p[2] ~= nil and p[2] ~= false then
      local v = p[2] == true and "1" or tostring(p[2])
      parts[#parts + 1] = p[1] .. "=" .. percent.encode(v)
    end
  end
  return #parts > 0 and "?" .. table.concat(parts, "&") or ""
end

local function string_map(operation, what, t)
  if t == nil then return nil end
  if type(t) ~= "table" then fail(operation, what .. " must be a table") end
  local out = {}
  for k, v in pairs(t) do out[tostring(k)] = tostring(v) end
  return json.encode(json.object(out))
end

-- build{context=, dockerfile=, tags={}, buildargs={}, labels={}, target=,
--   platform=, pull=, nocache=, on_output=function(line), idle_timeout_s=}
-- -> {id=, tags=}. The context folder is streamed as a tar (honouring
-- .dockerignore); each output line goes to on_output, else to stderr
-- (not with -q). An error in the output fails the build with its message.
function M.build(opts)
  if type(opts) ~= "table" or type(opts.context) ~= "string" then
    fail("build", "build{context = <folder>, ...} needs a context folder")
  end
  local tags = opts.tags or {}
  if type(tags) == "string" then tags = {tags} end
  local params = {}
  for _, t in ipairs(tags) do params[#params + 1] = {"t", check_ref("build", t)} end
  for _, p in ipairs{
    {"dockerfile", opts.dockerfile}, {"buildargs", string_map("build", "buildargs", opts.buildargs)},
    {"labels", string_map("build", "labels", opts.labels)}, {"target", opts.target},
    {"platform", opts.platform}, {"pull", opts.pull and true}, {"nocache", opts.nocache and true},
    {"rm", true}, {"forcerm", true},
  } do params[#params + 1] = p end

  local out = progress.lines(opts.on_output)
  local id, failure
  local function on_line(m)
    if m.errorDetail or m.error then
      failure = (m.errorDetail and m.errorDetail.message) or m.error
    elseif type(m.aux) == "table" and m.aux.ID then
      id = m.aux.ID
    elseif m.stream then
      out.write(m.stream)
    elseif m.status then
      out.write(m.status .. (m.progress and (" " .. m.progress) or "") .. "\n")
    end
  end
  local status, body = request("build", "POST", "/build" .. query(params), {
    context = {dir = opts.context, dockerfile = opts.dockerfile},
    timeout_ms = 0, idle_timeout_s = opts.idle_timeout_s or 3600, on_line = on_line,
  })
  out.finish()
  expect("build", status, body, 200)
  if failure then fail("build", (tostring(failure):gsub("%s+$", ""))) end
  if not id and out.last then id = out.last:match("^Successfully built (%x+)") end
  if not id then fail("build", "the Engine's output named no image") end
  return {id = id, tags = tags}
end

-- tag(image, repo, tag): repo's registry host follows FGRUN_REGISTRY_MAP.
-- Returns the full reference "repo:tag".
function M.tag(image, repo, tag)
  check_ref("tag", image)
  repo = M.map_ref(check_ref("tag", repo))
  tag = tag or "latest"
  local status, body = request("tag", "POST", "/images/" .. image .. "/tag"
                                 .. query{{"repo", repo}, {"tag", tag}})
  expect("tag", status, body, 201, 200)
  return repo .. ":" .. tag
end

-- inspect(ref) -> the Engine's image description (json-decoded table), or
-- nil and the Engine's message when there is no such image.
function M.inspect(ref)
  check_ref("inspect", ref)
  local status, body = request("inspect", "GET", "/images/" .. ref .. "/json")
  if status == 404 then return nil, answer_message(body) end
  expect("inspect", status, body, 200)
  return json.decode(body)
end

-- remove_image(ref[, {force=}]): true, or false when there was none.
function M.remove_image(ref, opts)
  check_ref("remove_image", ref)
  local status, body = request("remove_image", "DELETE", "/images/" .. ref
                                 .. query{{"force", opts and opts.force and true}})
  if status == 404 then return false end
  expect("remove_image", status, body, 200)
  return true
end

local function auth_of(operation, auth)
  if auth == nil then return engine.auth{} end
  if type(auth) == "table" then return engine.auth(auth) end
  if tostring(auth):match("^docker registry auth") then return auth end
  fail(operation, "auth must be docker.ecr_login's result or {username=, password=, serveraddress=}")
end

-- push(ref, {auth=, on_progress=function(event), quiet=}) -> {digest=, ref=}
-- auth: ecr_login's result, a {username=, password=, serveraddress=}
-- table, or nil for a registry that needs none. Progress per layer: bars
-- on a terminal, plain lines otherwise, nothing with -q or quiet.
function M.push(ref, opts)
  opts = opts or {}
  ref = M.map_ref(check_ref("push", ref))
  local name, tag = split_tag(ref)
  local auth = auth_of("push", opts.auth)
  local bars = progress.layers(ref, opts.quiet)
  local digest, size, failure
  local function on_line(m)
    if m.errorDetail or m.error then
      failure = (m.errorDetail and m.errorDetail.message) or m.error
      return
    end
    if type(m.aux) == "table" and m.aux.Digest then
      digest, size = m.aux.Digest, m.aux.Size
    elseif type(m.status) == "string" and not digest then
      digest = m.status:match("digest: (sha256:%x+)")
      size = tonumber(m.status:match("size: (%d+)"))
    end
    if opts.on_progress then opts.on_progress(m) end
    bars.update(m)
  end
  local status, body = request("push", "POST", "/images/" .. name .. "/push" .. query{{"tag", tag}},
                               {auth = auth, timeout_ms = 0,
                                idle_timeout_s = opts.idle_timeout_s or 600, on_line = on_line})
  bars.finish()
  expect("push", status, body, 200)
  if failure then fail("push", (tostring(failure):gsub("%s+$", ""))) end
  if not digest then
    -- An Engine that does not print the digest keeps it in RepoDigests.
    local image = M.inspect(ref)
    for _, rd in ipairs(image and image.RepoDigests or {}) do
      if rd:sub(1, #name + 1) == name .. "@" then digest = rd:sub(#name + 2) end
    end
  end
  if not digest then fail("push", "the registry's answer named no digest") end
  return {digest = digest, ref = ref, size = size}
end

-- ---- registry login --------------------------------------------------------

local ecr_cache = setmetatable({}, {__mode = "k"})

local function epoch(t)
  if type(t) == "number" then return t end
  return type(t) == "string" and time.parse(t) or nil
end

-- GetAuthorizationToken through ecr_client's endpoint and credentials, its
-- answer read in C (core.ecr_login): the token never becomes a Lua
-- string. Throttling, 5xx and lost connections are tried again, 3 times.
local function fetch_ecr_auth(ecr_client)
  local fgrun = require "fgrun"
  local pool = require "aws.transport.http_pool"
  local wire_log = require "aws.transport.wire_log"
  local name = "ecr.GetAuthorizationToken"
  local started = fgrun.monotonic()
  for attempt = 1, 3 do
    local req = ecr_client.build_request("get_authorization_token", {})
    wire_log.request(req)
    local auth, expires_or_err = require("core.ecr_login").fetch(pool.get(req.url), req)
    local ms = (fgrun.monotonic() - started) * 1000
    if auth then
      fgrun.log(2, "< 200 (the token is not shown)")
      wire_log.call(name, 200, attempt, ms)
      return auth, expires_or_err
    end
    local err = expires_or_err
    local again = not err.status or err.status >= 500 or err.status == 429
      or tostring(err.code):find("Throttl") ~= nil
    if not again or attempt == 3 then
      wire_log.call(name, err.status, attempt, ms, err)
      fail("ecr_login", ("GetAuthorizationToken: %s%s"):format(err.code,
        err.message ~= "" and (": " .. err.message) or ""), err.status)
    end
    wire_log.retry(name, attempt, 3, err, attempt)
    fgrun.sleep(attempt)
  end
end

-- ecr_login(ecr_client) -> auth for the registry's proxy endpoint (its
-- tostring names only the server), cached per client until a minute
-- before it expires. ecr_client: aws.ecr or aws.client("ecr", ...). The
-- token and the password stay in C memory.
function M.ecr_login(ecr_client)
  local cached = ecr_cache[ecr_client]
  if cached and os.time() < cached.expires then return cached.auth end
  local auth, expires_at = fetch_ecr_auth(ecr_client)
  local expires = (epoch(expires_at) or (os.time() + 3600)) - 60
  ecr_cache[ecr_client] = {auth = auth, expires = expires}
  return auth
end

-- auth{username=, password=, serveraddress=} -> auth for push.
function M.auth(t) return engine.auth(t) end

-- ---- containers --------------------------------------------------------------

-- run{image=, ports={[3000]=0}, env={NAME=value}, cmd={...}, name=}
-- -> container handle: :port(3000) (the host port on 127.0.0.1), :logs(),
-- :stop(), :remove(), :id(); `local c <close> = docker.run{...}` removes
-- it when the block ends, even by an error. A port mapped to 0 gets a free
-- host port.
function M.run(opts)
  if type(opts) ~= "table" then fail("run", "run{image = ..., ...} needs a table") end
  check_ref("run", opts.image)
  local exposed, bindings = {}, {}
  for port, host_port in pairs(opts.ports or {}) do
    local key = tostring(port):find("/") and tostring(port) or (tostring(port) .. "/tcp")
    exposed[key] = json.object{}
    bindings[key] = {{HostIp = "127.0.0.1",
                      HostPort = (host_port and host_port ~= 0) and tostring(host_port) or ""}}
  end
  local env
  if opts.env then
    env = {}
    for k, v in pairs(opts.env) do env[#env + 1] = k .. "=" .. tostring(v) end
    table.sort(env)
  end
  local cmd = opts.cmd
  if type(cmd) == "string" then cmd = {"/bin/sh", "-c", cmd} end
  local spec = json.object{
    Image = opts.image, Env = env and json.array(env), Cmd = cmd and json.array(cmd),
    ExposedPorts = json.object(exposed), Labels = json.object{["fgrun.smoke-test"] = "1"},
    HostConfig = json.object{PortBindings = json.object(bindings)},
  }
  local status, body = request("run", "POST", "/containers/create" .. query{{"name", opts.name}},
                               {body = json.encode(spec)})
  expect("run", status, body, 201)
  local id = json.decode(body).Id
  local ports = {}
  local handle = engine.container(connection("run"), id, ports)
  -- From here on a failure removes the container before raising.
  local ok, err = pcall(function()
    local st, b = request("run", "POST", "/containers/" .. id .. "/start")
    expect("run", st, b, 204, 304)
    st, b = request("run", "GET", "/containers/" .. id .. "/json")
    expect("run", st, b, 200)
    local settings = json.decode(b).NetworkSettings or {}
    for key, list in pairs(settings.Ports or {}) do
      if type(list) == "table" and list[1] and list[1].HostPort then
        ports[key] = math.tointeger(tonumber(list[1].HostPort))
      end
    end
  end)
  if not ok then
    pcall(handle.remove, handle)
    error(err, 0)
  end
  return handle
end

-- ---- build contexts (what a build would send) --------------------------------

-- context_files(dir[, dockerfile]) -> sorted list of the paths a build of
-- dir sends (folders included, without a trailing "/").
function M.context_files(dir, dockerfile)
  local files = engine.context_files(dir, dockerfile)
  table.sort(files)
  return files
end

-- context_write(dir, dockerfile, file) -> bytes: the tar a build would
-- send, written to file.
function M.context_write(dir, dockerfile, file)
  return engine.context_write(dir, dockerfile, file)
end

return M
