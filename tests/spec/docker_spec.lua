-- The Docker client against real peers: podman's Docker-compatible API on
-- a private socket (FGRUN_TEST_DOCKER_HOST) and docker-registry on loopback
-- (FGRUN_TEST_REGISTRY), both started by tests/lib/services.sh. Build
-- contexts and .dockerignore need neither.
local docker = require "docker"
local engine = require "docker.engine"
local json = require "json"

local DOCKER_HOST = os.getenv("FGRUN_TEST_DOCKER_HOST")
local REGISTRY = os.getenv("FGRUN_TEST_REGISTRY")
local FGRUN = os.getenv("FGRUN")
local BUSYBOX = "/bin/busybox"
local RUN_ID = tostring(os.time()) .. tostring(math.random(1000, 9999))

-- ---- helpers ----------------------------------------------------------------

local function sh(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local made_dirs = {}
local function tmpdir()
  local dir = sh("mktemp -d /tmp/fgrun-docker-spec.XXXXXX"):gsub("%s+$", "")
  made_dirs[#made_dirs + 1] = dir
  return dir
end

teardown(function()
  for _, dir in ipairs(made_dirs) do sh("rm -rf " .. quote(dir)) end
end)

local function write(path, content)
  sh("mkdir -p " .. quote(path:match("^(.*)/[^/]*$")))
  local f = assert(io.open(path, "wb"))
  f:write(content)
  f:close()
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function http_get(url, headers)
  local args = ""
  for _, h in ipairs(headers or {}) do args = args .. " -H " .. quote(h) end
  return sh("curl -s -m 10 -D - " .. args .. " " .. quote(url))
end

local function sorted(t) table.sort(t) return t end

-- What `tar -t` lists of the context's tar stream, less trailing slashes.
local function tar_members(dir, dockerfile)
  local file = os.tmpname()
  docker.context_write(dir, dockerfile, file)
  local out = sh("tar -tf " .. quote(file))
  os.remove(file)
  local names = {}
  for line in out:gmatch("[^\n]+") do names[#names + 1] = (line:gsub("/$", "")) end
  return sorted(names)
end

local function need_engine()
  if not DOCKER_HOST then
    pending("FGRUN_TEST_DOCKER_HOST is not set (tests/lib/services.sh starts podman)")
    return false
  end
  docker.connect(DOCKER_HOST)
  return true
end

local function need_busybox()
  if not exists(BUSYBOX) then
    pending(BUSYBOX .. " is missing (Debian busybox-static)")
    return false
  end
  return true
end

-- A context that builds FROM scratch with busybox and one RUN step.
local function busybox_context(extra_dockerfile)
  local dir = tmpdir()
  sh("cp " .. BUSYBOX .. " " .. quote(dir .. "/busybox"))
  write(dir .. "/hello.txt", "hello from the context\n")
  write(dir .. "/Dockerfile", table.concat({
    "FROM scratch",
    "COPY busybox /bin/busybox",
    "COPY hello.txt /www/hello.txt",
    'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo built-by-run > /www/run.txt"]',
    extra_dockerfile or "",
    'CMD ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]',
  }, "\n") .. "\n")
  return dir
end

local busybox_image
-- Builds the busybox image once for the tests that need an image.
local function ensure_image()
  if not busybox_image then
    local r = docker.build{context = busybox_context(), tags = {"fgrun-spec/busybox:" .. RUN_ID},
                           on_output = function() end}
    busybox_image = {id = r.id, ref = "fgrun-spec/busybox:" .. RUN_ID}
  end
  return busybox_image
end

-- ---- build contexts ------------------------------------------------------------

describe("docker build context", function()
  local dir
  before_each(function()
    dir = tmpdir()
    write(dir .. "/Dockerfile", "FROM scratch\n")
    write(dir .. "/app/main.c", "int main(void) { return 0; }\n")
    write(dir .. "/app/main.o", "object")
    write(dir .. "/app/vendor/lib.o", "object")
    write(dir .. "/docs/README.md", "docs")
    write(dir .. "/docs/keep.md", "keep")
    write(dir .. "/secret.env", "KEY=1")
    write(dir .. "/node_modules/x/index.js", "js")
  end)
  after_each(function() sh("rm -rf " .. quote(dir)) end)

  it("sends every file when there is no .dockerignore", function()
    assert.same({"Dockerfile", "app", "app/main.c", "app/main.o", "app/vendor", "app/vendor/lib.o",
                 "docs", "docs/README.md", "docs/keep.md", "node_modules", "node_modules/x",
                 "node_modules/x/index.js", "secret.env"},
                docker.context_files(dir))
    assert.same(docker.context_files(dir), tar_members(dir))
  end)

  it("follows the Engine's rules: **, !exceptions, leading /, folders, cleaning", function()
    write(dir .. "/.dockerignore", table.concat({
      "# comment",
      "",
      "**/*.o",
      "/secret.env",
      "node_modules/",
      "docs",
      "!docs/keep.md",
      "  app/./vendor/../vendor  ",
    }, "\n"))
    local expected = {".dockerignore", "Dockerfile", "app", "app/main.c", "docs/keep.md"}
    assert.same(expected, docker.context_files(dir))
    assert.same(expected, tar_members(dir))
  end)

  it("lets a later pattern override an earlier exception", function()
    write(dir .. "/.dockerignore", "docs\n!docs/*.md\ndocs/README.md\n")
    local files = docker.context_files(dir)
    assert.truthy(table.concat(files, " "):find("docs/keep.md", 1, true))
    assert.falsy(table.concat(files, " "):find("README", 1, true))
  end)

  it("still sends the Dockerfile and .dockerignore when they are ignored", function()
    write(dir .. "/build/Dockerfile.prod", "FROM scratch\n")
    write(dir .. "/.dockerignore", "*\n")
    assert.same({".dockerignore", "Dockerfile"}, docker.context_files(dir))
    assert.same({".dockerignore", "build/Dockerfile.prod"},
                docker.context_files(dir, "build/Dockerfile.prod"))
    assert.same({".dockerignore", "build/Dockerfile.prod"}, tar_members(dir, "build/Dockerfile.prod"))
  end)

  it("stores symbolic links as links and never follows them out", function()
    sh("ln -s /etc " .. quote(dir .. "/etc-link") .. " && ln -s ../../etc/passwd "
       .. quote(dir .. "/app/passwd-link"))
    local files = docker.context_files(dir)
    local listed = table.concat(files, "\n")
    assert.truthy(listed:find("etc-link", 1, true))
    assert.falsy(listed:find("etc-link/", 1, true))
    local file = os.tmpname()
    docker.context_write(dir, nil, file)
    local verbose = sh("tar -tvf " .. quote(file))
    os.remove(file)
    assert.truthy(verbose:find("etc%-link %-> /etc"))
    assert.truthy(verbose:find("passwd%-link %-> %.%./%.%./etc/passwd"))
    assert.falsy(verbose:find("root:"))
  end)

  it("owns members by root and keeps file contents intact", function()
    local file = os.tmpname()
    docker.context_write(dir, nil, file)
    local verbose = sh("tar -tvf " .. quote(file))
    assert.truthy(verbose:find("0/0", 1, true))
    assert.falsy(verbose:find("[1-9]%d*/%d+ ") and not verbose:find(" 0/0 "))
    local content = sh("tar -xOf " .. quote(file) .. " app/main.c")
    os.remove(file)
    assert.equal("int main(void) { return 0; }\n", content)
  end)

  it("refuses a Dockerfile outside the context and a missing folder", function()
    assert.error_matches(function() docker.context_files(dir, "../Dockerfile") end,
                         "must be inside the context")
    assert.error_matches(function() docker.context_files(dir .. "/nope") end,
                         "cannot open the build context")
  end)

  it("names the line of a bad .dockerignore pattern", function()
    write(dir .. "/.dockerignore", "ok\n[unclosed\n")
    assert.error_matches(function() docker.context_files(dir) end, ".dockerignore line 2")
  end)
end)

describe("docker push progress", function()
  local progress = require "docker.progress"

  it("draws a bar from the layer's sizes", function()
    assert.equal("abc: Pushing [===============>              ] 50.0kB/100.0kB",
                 progress.bar_text("abc", "Pushing", {current = 50000, total = 100000}))
    assert.equal("abc: Pushed", progress.bar_text("abc", "Pushed", {}))
  end)

  it("redraws one bar per layer in place on a terminal", function()
    if not FGRUN then return pending("FGRUN is not set") end
    if not exists("/usr/bin/script") then return pending("script(1) is missing (util-linux)") end
    local script = os.tmpname()
    write(script, [[
local view = require("docker.progress").layers("reg/app:v1")
view.update{id = "aaa", status = "Preparing"}
view.update{id = "bbb", status = "Preparing"}
view.update{id = "aaa", status = "Pushing", progressDetail = {current = 5, total = 10}}
view.update{id = "aaa", status = "Pushed"}
view.finish()
]])
    local out = sh("script -qec " .. quote(quote(FGRUN) .. " " .. quote(script)) .. " /dev/null")
    os.remove(script)
    assert.truthy(out:find("aaa: Preparing\r?\nbbb: Preparing\r?\n"), out)
    -- two lines up, clear, redraw "aaa", two lines down
    assert.truthy(out:find("\27[2A\r\27[2Kaaa: Pushing [===============>", 1, true), out)
    assert.truthy(out:find("\27[2A\r\27[2Kaaa: Pushed\27[2B", 1, true), out)
  end)

  it("prints one plain line per layer status when not on a terminal, none with -q", function()
    if not FGRUN then return pending("FGRUN is not set") end
    local script = os.tmpname()
    write(script, [[
local view = require("docker.progress").layers("reg/app:v1")
view.update{status = "The push refers to repository [reg/app]"}
view.update{id = "aaa", status = "Preparing"}
for i = 1, 50 do view.update{id = "aaa", status = "Pushing", progressDetail = {current = i, total = 50}} end
view.update{id = "aaa", status = "Pushed"}
view.finish()
]])
    local out = sh(quote(FGRUN) .. " " .. quote(script) .. " </dev/null")
    local quiet = sh(quote(FGRUN) .. " -q " .. quote(script) .. " </dev/null")
    os.remove(script)
    assert.equal("The push refers to repository [reg/app]\naaa: Preparing\naaa: Pushing\naaa: Pushed\n", out)
    assert.equal("", quiet)
  end)
end)

-- ---- the Engine --------------------------------------------------------------------

describe("docker engine connection", function()
  it("says tcp:// is unsupported", function()
    local ok, err = pcall(docker.connect, "tcp://127.0.0.1:2375")
    assert.is_false(ok)
    assert.truthy(tostring(err):find("only unix:// sockets are supported", 1, true))
  end)

  it("names the socket when the engine is not running", function()
    local dir = tmpdir()
    docker.connect("unix://" .. dir .. "/none.sock")
    local ok, err = pcall(docker.ping)
    sh("rm -rf " .. quote(dir))
    assert.is_false(ok)
    assert.truthy(docker.is_error(err))
    assert.truthy(tostring(err):find(dir .. "/none.sock", 1, true))
    assert.truthy(tostring(err):find("is it running", 1, true))
  end)

  -- A stand-in engine that says only what its version is.
  local function fake_engine(ping_version, version_json)
    local dir = tmpdir()
    local script = dir .. "/engine.py"
    write(script, [[
import json, socketserver, sys
from http.server import BaseHTTPRequestHandler
ping_version, version_json = sys.argv[2], sys.argv[3]
class H(BaseHTTPRequestHandler):
    def address_string(self): return "unix"
    def log_message(self, *a): pass
    def do_GET(self):
        body = b"OK" if self.path == "/_ping" else version_json.encode()
        self.send_response(200)
        if self.path == "/_ping" and ping_version: self.send_header("Api-Version", ping_version)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
socketserver.UnixStreamServer.allow_reuse_address = True
with socketserver.UnixStreamServer(sys.argv[1], H) as s:
    s.handle_request(); s.handle_request()
]])
    local sock = dir .. "/engine.sock"
    sh("(timeout 20 python3 " .. quote(script) .. " " .. quote(sock) .. " " .. quote(ping_version)
       .. " " .. quote(version_json) .. " >/dev/null 2>&1 &)")
    for _ = 1, 100 do
      if sh("test -S " .. quote(sock) .. " && echo yes"):find("yes") then break end
      sh("sleep 0.05")
    end
    return sock, function() sh("rm -rf " .. quote(dir)) end
  end

  it("refuses an engine older than API 1.40, saying so", function()
    local sock, done = fake_engine("1.39", "{}")
    docker.connect("unix://" .. sock)
    local ok, err = pcall(docker.ping)
    done()
    assert.is_false(ok)
    assert.truthy(tostring(err):find("speaks API 1.39; fgrun needs 1.40 or later", 1, true))
  end)

  it("reads the version from /version when /_ping does not say it, and caps it", function()
    local sock, done = fake_engine("", '{"ApiVersion": "1.45"}')
    docker.connect("unix://" .. sock)
    local info = docker.ping()
    done()
    assert.equal("1.45", info.engine_api_version)
    assert.equal(info.client_api_version, info.api_version)
  end)

  it("negotiates the lower of the engine's and the client's versions", function()
    if not need_engine() then return end
    local info = docker.ping()
    local function num(v) local a, b = v:match("^(%d+)%.(%d+)$") return tonumber(a) * 1000 + tonumber(b) end
    assert.truthy(num(info.engine_api_version) >= 1040)
    assert.equal(math.min(num(info.engine_api_version), num(info.client_api_version)),
                 num(info.api_version))
    assert.equal(DOCKER_HOST:sub(8), info.socket)
    assert.equal("table", type(docker.version()))
  end)
end)

describe("docker build", function()
  it("builds FROM scratch with COPY and a RUN step, streaming its output", function()
    if not (need_engine() and need_busybox()) then return end
    local lines = {}
    local tag = "fgrun-spec/build:" .. RUN_ID
    local r = docker.build{context = busybox_context(), tags = {tag}, labels = {purpose = "spec"},
                           on_output = function(line) lines[#lines + 1] = line end}
    assert.truthy(r.id:match("^sha256:%x+$") or r.id:match("^%x+$"))
    local output = table.concat(lines, "\n")
    assert.truthy(output:find("RUN", 1, true))
    local image = assert(docker.inspect(tag))
    assert.equal(r.id:gsub("^sha256:", ""), (image.Id:gsub("^sha256:", "")))
    assert.equal("spec", image.Config.Labels.purpose)
    docker.remove_image(tag)
  end)

  it("passes build args and labels, and stops at the target stage", function()
    if not (need_engine() and need_busybox()) then return end
    local dir = tmpdir()
    write(dir .. "/Dockerfile", table.concat({
      "FROM scratch AS first", "ARG GREETING", "LABEL stage=first greeting=$GREETING",
      "FROM scratch AS second", "LABEL stage=second", ""}, "\n"))
    local tag = "fgrun-spec/target:" .. RUN_ID
    docker.build{context = dir, tags = {tag}, target = "first", buildargs = {GREETING = "hello"},
                 labels = {extra = "1"}, nocache = true, on_output = function() end}
    local labels = assert(docker.inspect(tag)).Config.Labels
    assert.equal("first", labels.stage)
    assert.equal("hello", labels.greeting)
    assert.equal("1", labels.extra)
    docker.remove_image(tag)
  end)

  it("sends the engine what .dockerignore leaves, with links as links", function()
    if not (need_engine() and need_busybox()) then return end
    local dir = busybox_context(table.concat({
      "COPY . /ctx/",
      'RUN ["/bin/busybox", "sh", "-c", "test ! -e /ctx/secret.env && test -e /ctx/keep.txt '
        .. '&& test -L /ctx/etc-link && test ! -e /ctx/logs"]'}, "\n"))
    write(dir .. "/secret.env", "KEY=1\n")
    write(dir .. "/keep.txt", "keep\n")
    write(dir .. "/logs/a.log", "log\n")
    write(dir .. "/.dockerignore", "secret.env\nlogs/\n")
    sh("ln -s /etc " .. quote(dir .. "/etc-link"))
    local r = docker.build{context = dir, on_output = function() end}
    assert.truthy(r.id)
    docker.remove_image(r.id, {force = true})
  end)

  it("gives up a running build at once on SIGINT", function()
    if not (need_engine() and need_busybox()) then return end
    if not FGRUN then return pending("FGRUN is not set") end
    local script = os.tmpname()
    write(script, string.format('require("docker").build{context = %q, on_output = function() end}\n',
                                busybox_context('RUN ["/bin/busybox", "sleep", "8"]')))
    local t0 = os.time()
    local out = sh("{ DOCKER_HOST=" .. quote(DOCKER_HOST) .. " timeout --preserve-status -s INT 2 "
                   .. quote(FGRUN) .. " " .. quote(script) .. "; echo \"exit $?\"; }")
    os.remove(script)
    assert.truthy(os.time() - t0 <= 5, out)
    assert.truthy(out:find("interrupted", 1, true), out)
    assert.truthy(out:find("exit 130", 1, true), out)
  end)

  it("refuses a request from inside its own output callback, and stays usable", function()
    if not (need_engine() and need_busybox()) then return end
    local ok, err = pcall(docker.build, {context = busybox_context(),
                                         on_output = function() docker.inspect("x") end})
    assert.is_false(ok)
    assert.truthy(tostring(err):find("busy", 1, true), tostring(err))
    assert.equal("table", type(docker.ping()))
  end)

  it("fails on a bad Dockerfile line with the engine's message", function()
    if not (need_engine() and need_busybox()) then return end
    local dir = tmpdir()
    write(dir .. "/Dockerfile", "FROM scratch\nFROMM nothing\n")
    local ok, err = pcall(docker.build, {context = dir, on_output = function() end})
    assert.is_false(ok)
    assert.truthy(docker.is_error(err))
    assert.equal("build", err.operation)
    assert.truthy(tostring(err.message):lower():find("fromm", 1, true), tostring(err))
  end)

  it("fails on a missing COPY source, naming it", function()
    if not (need_engine() and need_busybox()) then return end
    local dir = tmpdir()
    write(dir .. "/Dockerfile", "FROM scratch\nCOPY not-there.txt /x\n")
    local ok, err = pcall(docker.build, {context = dir, on_output = function() end})
    assert.is_false(ok)
    assert.truthy(tostring(err):find("not-there.txt", 1, true), tostring(err))
  end)

  it("fails a RUN step that exits non-zero even though HTTP said 200", function()
    if not (need_engine() and need_busybox()) then return end
    local ok, err = pcall(docker.build, {context = busybox_context('RUN ["/bin/busybox", "false"]'),
                                         on_output = function() end})
    assert.is_false(ok)
    assert.truthy(docker.is_error(err))
    assert.is_nil(err.status)
  end)
end)

describe("docker images", function()
  it("tags an image and inspects it; a missing image is nil and a message", function()
    if not (need_engine() and need_busybox()) then return end
    local img = ensure_image()
    assert.equal("fgrun-spec/tagged:t1", docker.tag(img.id, "fgrun-spec/tagged", "t1"))
    local image = assert(docker.inspect("fgrun-spec/tagged:t1"))
    assert.equal(img.id:gsub("^sha256:", ""), (image.Id:gsub("^sha256:", "")))
    local none, msg = docker.inspect("fgrun-spec/absent:" .. RUN_ID)
    assert.is_nil(none)
    assert.truthy(msg:find("absent", 1, true))
    docker.remove_image("fgrun-spec/tagged:t1")
  end)

  it("pushes to the registry, which then serves the manifest of that digest", function()
    if not (need_engine() and need_busybox()) then return end
    if not REGISTRY then return pending("FGRUN_TEST_REGISTRY is not set") end
    local img = ensure_image()
    local ref = docker.tag(img.id, REGISTRY .. "/fgrun-spec/pushed", "v1")
    local events = 0
    local r = docker.push(ref, {on_progress = function() events = events + 1 end})
    assert.truthy(r.digest:match("^sha256:%x+$"))
    assert.truthy(events > 0)
    local answer = http_get("http://" .. REGISTRY .. "/v2/fgrun-spec/pushed/manifests/v1", {
      "Accept: application/vnd.docker.distribution.manifest.v2+json",
      "Accept: application/vnd.oci.image.manifest.v1+json"})
    assert.truthy(answer:find("^HTTP/1.1 200"), answer)
    assert.equal(r.digest, answer:lower():match("docker%-content%-digest: (sha256:%x+)"))
    local manifest = json.decode(answer:match("\r\n\r\n(.*)$"))
    assert.equal(2, manifest.schemaVersion)
    docker.remove_image(ref)
  end)

  it("surfaces the error when the registry refuses the push", function()
    if not (need_engine() and need_busybox()) then return end
    local img = ensure_image()
    -- Nothing listens on port 1 of loopback.
    local ref = docker.tag(img.id, "127.0.0.1:1/fgrun-spec/refused", "x")
    local ok, err = pcall(docker.push, ref)
    docker.remove_image(ref)
    assert.is_false(ok)
    assert.truthy(docker.is_error(err))
    assert.equal("push", err.operation)
    assert.truthy(tostring(err):find("127.0.0.1:1", 1, true), tostring(err))
    assert.truthy(tostring(err):find("refused", 1, true), tostring(err))
  end)

  -- A registry of its own that wants a password (htpasswd), on a free port.
  local function start_locked_registry()
    local dir = tmpdir()
    local port = sh([[python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])']]):match("%d+")
    write(dir .. "/htpasswd", "fgrun:$2b$12$mqfWEePsTHq0Iz9/z8kj1ujpHZSezE5EHGc9BqSjpoXesRuQyA6yC\n")
    write(dir .. "/config.yml", table.concat({
      "version: 0.1", "log:", "  level: error", "storage:", "  filesystem:",
      "    rootdirectory: " .. dir .. "/data", "http:", "  addr: 127.0.0.1:" .. port,
      "auth:", "  htpasswd:", "    realm: fgrun-spec", "    path: " .. dir .. "/htpasswd", ""}, "\n"))
    local pid = sh("docker-registry serve " .. quote(dir .. "/config.yml") .. " >" .. quote(dir .. "/log")
                   .. " 2>&1 & echo $!"):match("%d+")
    for _ = 1, 100 do
      if sh("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" .. port .. "/v2/") == "401" then break end
      sh("sleep 0.1")
    end
    return "127.0.0.1:" .. port, function()
      sh("kill " .. pid .. "; sleep 0.2; rm -rf " .. quote(dir))
    end
  end

  it("surfaces the registry's message when it wants credentials", function()
    if not (need_engine() and need_busybox()) then return end
    if not exists("/usr/bin/docker-registry") then return pending("docker-registry is not installed") end
    local img = ensure_image()
    local locked, stop = start_locked_registry()
    local ref = docker.tag(img.id, locked .. "/fgrun-spec/locked", "x")
    local ok, err = pcall(docker.push, ref, {auth = {username = "fgrun", password = "wrong-secret",
                                                     serveraddress = locked}})
    docker.remove_image(ref)
    stop()
    assert.is_false(ok)
    assert.equal("push", err.operation)
    local text = tostring(err):lower()
    assert.truthy(text:find("unauthorized", 1, true) or text:find("authentication required", 1, true),
                  tostring(err))
    assert.falsy(tostring(err):find("wrong-secret", 1, true))
  end)

  it("maps an ECR host to the local registry with FGRUN_REGISTRY_MAP, and says so", function()
    if not (need_engine() and need_busybox()) then return end
    if not (REGISTRY and FGRUN) then return pending("FGRUN_TEST_REGISTRY or FGRUN is not set") end
    local img = ensure_image()
    local ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    local script = os.tmpname()
    write(script, string.format([[
local docker = require "docker"
local ref = docker.tag(%q, %q, "mapped")
local r = docker.push(%q)
print("REF " .. ref)
print("DIGEST " .. r.digest)
]], img.id, ecr .. "/fgrun-spec/mapped", ecr .. "/fgrun-spec/mapped:mapped"))
    local out, ok = sh("DOCKER_HOST=" .. quote(DOCKER_HOST) .. " FGRUN_REGISTRY_MAP="
                       .. quote(ecr .. "=" .. REGISTRY) .. " " .. quote(FGRUN) .. " " .. quote(script))
    os.remove(script)
    assert.truthy(ok, out)
    assert.truthy(out:find("registry " .. ecr .. " is mapped to " .. REGISTRY, 1, true), out)
    assert.truthy(out:find("REF " .. REGISTRY .. "/fgrun-spec/mapped:mapped", 1, true), out)
    local answer = http_get("http://" .. REGISTRY .. "/v2/fgrun-spec/mapped/manifests/mapped", {
      "Accept: application/vnd.docker.distribution.manifest.v2+json"})
    assert.truthy(answer:find("^HTTP/1.1 200"), answer)
    docker.remove_image(REGISTRY .. "/fgrun-spec/mapped:mapped")
  end)
end)

describe("docker.ecr_login", function()
  local base64 = require "base.base64"
  local password = "pa55-" .. RUN_ID .. "-never-shown"
  -- GetAuthorizationToken answered by tests/lib/fake_server.py: the answer
  -- is the file `answer` as it is when asked; answer.log counts the calls
  local dir, answer, url, server_pid

  setup(function()
    dir = tmpdir()
    answer = dir .. "/answer"
    write(answer, "{}")
    server_pid = sh("python3 tests/lib/fake_server.py canned " .. quote(dir .. "/port") .. " "
      .. quote(answer) .. " >/dev/null 2>&1 & echo $!"):gsub("%s+$", "")
    for _ = 1, 100 do
      if exists(dir .. "/port") then break end
      require("fgrun").sleep(0.05)
    end
    url = "http://127.0.0.1:" .. io.open(dir .. "/port"):read("a")
  end)
  teardown(function() sh("kill " .. server_pid) end)

  local function answer_with(token, expires_at)
    write(answer, json.encode({authorizationData = {{authorizationToken = token,
      proxyEndpoint = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", expiresAt = expires_at}}}))
  end
  local function calls()
    local f = io.open(answer .. ".log")
    local n = f and select(2, f:read("a"):gsub("\n", "")) or 0
    if f then f:close() end
    return n
  end
  local function client()
    return require("aws").client("ecr", {region = "us-east-1", endpoint_url = url,
      credentials = require("aws.creds").from_process(
        [=[printf '{"Version":1,"AccessKeyId":"testing","SecretAccessKey":"testing"}']=])})
  end

  it("returns auth for the proxy endpoint, cached, that never shows the password", function()
    answer_with(base64.encode("AWS:" .. password), os.time() + 12 * 3600)
    local before = calls()
    local ecr = client()
    local auth = docker.ecr_login(ecr)
    assert.equal(auth, docker.ecr_login(ecr))
    assert.equal(before + 1, calls())
    assert.equal("https://123456789012.dkr.ecr.us-east-1.amazonaws.com", auth.server)
    assert.falsy(tostring(auth):find(password, 1, true))
    assert.is_nil(auth.password)
  end)

  it("asks again once the token has expired", function()
    answer_with(base64.encode("AWS:" .. password), os.time() + 30)
    local before = calls()
    local ecr = client()
    docker.ecr_login(ecr)
    docker.ecr_login(ecr)
    assert.equal(before + 2, calls())
  end)

  it("rejects a malformed token without echoing it", function()
    answer_with(base64.encode(password), os.time() + 3600)
    local ok, err = pcall(docker.ecr_login, client())
    assert.is_false(ok)
    assert.truthy(tostring(err):find("malformed", 1, true))
    assert.falsy(tostring(err):find(password, 1, true))
  end)

  it("is accepted by push (a registry without auth ignores it)", function()
    if not (need_engine() and need_busybox()) then return end
    if not REGISTRY then return pending("FGRUN_TEST_REGISTRY is not set") end
    local img = ensure_image()
    local ref = docker.tag(img.id, REGISTRY .. "/fgrun-spec/with-auth", "v1")
    answer_with(base64.encode("AWS:" .. password), os.time() + 3600)
    local r = docker.push(ref, {auth = docker.ecr_login(client())})
    assert.truthy(r.digest:match("^sha256:%x+$"))
    docker.remove_image(ref)
  end)
end)

describe("docker with moto's ECR (local mode)", function()
  local MOTO = os.getenv("FGRUN_TEST_MOTO_URL")

  it("logs in with GetAuthorizationToken and pushes the repository's URI to the mapped registry", function()
    if not (need_engine() and need_busybox()) then return end
    if not (MOTO and REGISTRY and FGRUN) then
      return pending("FGRUN_TEST_MOTO_URL, FGRUN_TEST_REGISTRY or FGRUN is not set")
    end
    local img = ensure_image()
    local script = os.tmpname()
    write(script, [[
local aws, docker = require "aws", require "docker"
local creds = require("aws.creds").from_process(
  [=[printf '{"Version":1,"AccessKeyId":"testing","SecretAccessKey":"testing"}']=])
local ecr = aws.client("ecr", {region = "us-east-1", endpoint_url = os.getenv("FGRUN_TEST_MOTO_URL"),
                               credentials = creds})
local uri = ecr.create_repository{repositoryName = arg[2]}.repository.repositoryUri
-- (moto's tokens expire in 2015, so ecr_login caches none of them)
local auth = docker.ecr_login(ecr)
local ref = docker.tag(arg[1], uri, "v1")
local r = docker.push(uri .. ":v1", {auth = auth})
print("URI " .. uri)
print("AUTH " .. tostring(auth))
print("REF " .. ref)
print("DIGEST " .. r.digest)
]])
    local name = "fgrun-spec-ecr-" .. RUN_ID
    -- moto's ECR answers for account 123456789012.
    local host = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    local out, ok = sh("DOCKER_HOST=" .. quote(DOCKER_HOST) .. " FGRUN_REGISTRY_MAP=" .. quote(host .. "=" .. REGISTRY)
                       .. " " .. quote(FGRUN) .. " " .. quote(script) .. " " .. quote(img.id) .. " " .. quote(name))
    os.remove(script)
    assert.truthy(ok, out)
    assert.truthy(out:find("URI " .. host .. "/" .. name, 1, true), out)
    assert.truthy(out:find("AUTH docker registry auth for https://" .. host, 1, true), out)
    assert.truthy(out:find("registry " .. host .. " is mapped to " .. REGISTRY, 1, true), out)
    local digest = out:match("DIGEST (sha256:%x+)")
    local answer = http_get("http://" .. REGISTRY .. "/v2/" .. name .. "/manifests/v1", {
      "Accept: application/vnd.docker.distribution.manifest.v2+json"})
    assert.equal(digest, answer:lower():match("docker%-content%-digest: (sha256:%x+)"))
    docker.remove_image(REGISTRY .. "/" .. name .. ":v1")
  end)
end)

describe("docker.run", function()
  local function container_exists(id)
    local conn = assert(engine.connect(DOCKER_HOST))
    local status = conn:request("GET", "/containers/" .. id .. "/json")
    conn:close()
    return status == 200
  end

  -- The sample app when it has been built, else busybox httpd.
  local function served_image()
    local app = "build/app/fgrun-demo-app"
    if exists(app) then
      local dir = tmpdir()
      sh("cp " .. app .. " " .. quote(dir .. "/app"))
      write(dir .. "/Dockerfile", 'FROM scratch\nCOPY app /app\nENV PORT=3000\nENTRYPOINT ["/app"]\n')
      local tag = "fgrun-spec/app:" .. RUN_ID
      docker.build{context = dir, tags = {tag}, on_output = function() end}
      return tag, 3000, "/health", "healthy"
    end
    return ensure_image().ref, 8080, "/run.txt", "built-by-run"
  end

  it("publishes a port on loopback and serves from it", function()
    if not (need_engine() and need_busybox()) then return end
    local image, port, path, expect = served_image()
    local c <close> = docker.run{image = image, ports = {[port] = 0}, env = {GREETING = "hi"}}
    local host_port = c:port(port)
    assert.equal("integer", math.type(host_port))
    local answer = ""
    for _ = 1, 50 do
      answer = http_get("http://127.0.0.1:" .. host_port .. path)
      if answer:find(expect, 1, true) then break end
      sh("sleep 0.1")
    end
    assert.truthy(answer:find(expect, 1, true), answer)
    assert.equal("string", type(c:logs()))
    assert.error_matches(function() c:port(9999) end, "not published")
  end)

  it("removes the container when a failing block closes it", function()
    if not (need_engine() and need_busybox()) then return end
    local id
    local ok, err = pcall(function()
      local c <close> = docker.run{image = ensure_image().ref, ports = {[8080] = 0}}
      id = c:id()
      assert.truthy(container_exists(id))
      error("the script failed")
    end)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("the script failed", 1, true))
    assert.is_false(container_exists(id))
  end)

  it("stops, removes, and closes twice harmlessly", function()
    if not (need_engine() and need_busybox()) then return end
    local c = docker.run{image = ensure_image().ref, cmd = {"/bin/busybox", "sleep", "30"}}
    c:stop(1)
    c:remove()
    c:remove()
    getmetatable(c).__close(c)
    assert.is_false(container_exists(c:id()))
    assert.truthy(tostring(c):find("removed", 1, true))
  end)

  it("removes a container that cannot start and reports why", function()
    if not (need_engine() and need_busybox()) then return end
    local ok, err = pcall(docker.run, {image = ensure_image().ref, cmd = {"/no/such/program"}})
    assert.is_false(ok)
    assert.truthy(docker.is_error(err))
    assert.equal("run", err.operation)
  end)

  teardown(function()
    if busybox_image and DOCKER_HOST then
      docker.connect(DOCKER_HOST)
      pcall(docker.remove_image, busybox_image.ref, {force = true})
    end
  end)
end)
