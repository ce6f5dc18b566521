-- The AWS transport: credential chain, region, endpoints, retries and
-- redaction. Scenarios that depend on environment variables run in a
-- child `fgrun -e` with a clean environment; a loopback stub
-- (tests/lib/aws_stub.py) plays the container credentials endpoint, EC2
-- instance metadata and a misbehaving AWS endpoint; assume-role and the
-- redaction of real calls use moto (FGRUN_TEST_MOTO_URL).
local json = require "json"
local fgrun = require "fgrun"
local creds = require "aws.creds"
local transport = require "aws.transport"
local endpoint = require "aws.transport.endpoint"
local retry = require "aws.transport.retry"
local wire_log = require "aws.transport.wire_log"
local signer = require "aws.transport.signer"

local sandbox = dofile("tests/lib/sandbox.lua")
local FGRUN = sandbox.FGRUN
local MOTO = os.getenv("FGRUN_TEST_MOTO_URL")

local SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRETKEY"
local TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKENvalue0123456789"

local sh_quote, slurp, have_fgrun = sandbox.sh_quote, sandbox.slurp, sandbox.have_fgrun
local CLOSED = sandbox.CLOSED
local box = sandbox.new()
local tmp, write, child = box.tmp, box.write, box.child

-- The stub server, started once for this file, and JSON calls to its
-- control paths.
local stub_url, stub

local function start_stub()
  stub_url = "http://" .. box.server("tests/lib/aws_stub.py")
  stub = sandbox.control(stub_url)
end

-- An HTTPS stub with a self-signed certificate, for AWS_CA_BUNDLE.
local function start_tls_stub()
  local pem = tmp .. "/stub.pem"
  local cert = tmp .. "/stub-cert.pem"
  os.execute("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    .. " -addext subjectAltName=IP:127.0.0.1 -keyout " .. sh_quote(tmp .. "/stub-key.pem")
    .. " -out " .. sh_quote(cert) .. " >/dev/null 2>&1 && cat " .. sh_quote(tmp .. "/stub-key.pem")
    .. " " .. sh_quote(cert) .. " > " .. sh_quote(pem))
  local addr, pid = box.server("tests/lib/aws_stub.py", pem)
  return "https://" .. addr, cert, pid
end


local function stub_log()
  return stub("GET", "/__log")
end

local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

lazy_setup(function() start_stub() end)
lazy_teardown(function() box.close() end)

describe("credential chain", function()
  before_each(function()
    if not have_fgrun() then pending("needs " .. FGRUN) end
  end)

  it("takes environment variables first, with the session token", function()
    local r, output = child({ AWS_ACCESS_KEY_ID = "AKIDENV", AWS_SECRET_ACCESS_KEY = SECRET,
      AWS_SESSION_TOKEN = TOKEN }, "who()")
    assert.same({ akid = "AKIDENV", token = true, exp = false,
      source = "environment variables (AWS_ACCESS_KEY_ID)" }, r)
    assert.is_nil(output:find(SECRET, 1, true))
  end)

  it("rejects half a key pair in the environment", function()
    local r = child({ AWS_ACCESS_KEY_ID = "AKIDENV" }, "who()")
    assert.matches("secret access key", r.err)
  end)

  it("reads the profile from the credentials and config files", function()
    local cfg = write("config", "[default]\nregion = eu-west-1\n[profile cfgonly]\n"
      .. "aws_access_key_id = AKIDCFG\naws_secret_access_key = " .. SECRET .. "\n")
    local cred = write("credentials", "[default]\naws_access_key_id = AKIDDEFAULT\n"
      .. "aws_secret_access_key = " .. SECRET .. "\n[dev]\naws_access_key_id=AKIDDEV\n"
      .. "aws_secret_access_key=" .. SECRET .. "\naws_session_token=" .. TOKEN .. "\n")
    local env = { AWS_CONFIG_FILE = cfg, AWS_SHARED_CREDENTIALS_FILE = cred }
    local r = child(env, "who()")
    assert.equal("AKIDDEFAULT", r.akid)
    assert.equal("shared credentials file " .. cred .. " [default]", r.source)
    env.AWS_PROFILE = "dev"
    r = child(env, "who()")
    assert.same({ "AKIDDEV", true }, { r.akid, r.token })
    -- "~/" in the variables is the home directory, as in the CLI
    assert.equal("AKIDDEFAULT", child({ AWS_SHARED_CREDENTIALS_FILE = "~/credentials" }, "who()").akid)
    env.AWS_PROFILE = "cfgonly"
    r = child(env, "who()")
    assert.same({ "AKIDCFG", false }, { r.akid, r.token })
    assert.equal("config file " .. cfg .. " [profile cfgonly]", r.source)
    env.AWS_PROFILE = "sso"
    write("config", "[profile sso]\nsso_session = corp\nsso_account_id = 1\n")
    r = child(env, "who()")
    assert.matches("profile sso: sso_session corp has no %[sso%-session corp%] section", r.err)
    env.AWS_PROFILE = "nosuch"
    r = child(env, "who()")
    assert.matches("profile nosuch not found", r.err)
  end)

  it("lets an explicit profile hide environment credentials", function()
    local cred = write("credentials2", "[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = x\n")
    local env = { AWS_SHARED_CREDENTIALS_FILE = cred, AWS_ACCESS_KEY_ID = "AKIDENV",
      AWS_SECRET_ACCESS_KEY = SECRET }
    assert.equal("AKIDENV", child(env, "who()").akid)
    assert.equal("AKIDOPS", child(env, "who('ops')").akid)
    -- fgrun's --profile hides them, as the AWS CLI's does
    assert.equal("AKIDOPS", child(env, "who()", "--profile ops").akid)
    env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY = nil, nil
    assert.equal("AKIDOPS", child(env, "who()", "--profile ops").akid)
  end)

  it("runs credential_process and honours its Expiration", function()
    local exp = fgrun.now() + 3600
    local script = write("process.sh", "#!/bin/sh\ncat <<EOF\n" .. json.encode {
      Version = 1, AccessKeyId = "AKIDPROC", SecretAccessKey = SECRET, SessionToken = TOKEN,
      Expiration = iso8601(exp) } .. "\nEOF\n", "755")
    local cfg = write("config-proc", "[profile proc]\ncredential_process = " .. script .. "\n"
      .. "[profile broken]\ncredential_process = sh -c 'echo " .. SECRET .. "; exit 3'\n"
      .. "[profile garbage]\ncredential_process = echo " .. SECRET .. "\n")
    local env = { AWS_CONFIG_FILE = cfg, AWS_PROFILE = "proc" }
    local r, output = child(env, "who()")
    assert.same({ "AKIDPROC", true, "credential_process of profile proc" }, { r.akid, r.token, r.source })
    assert.is_true(math.abs(r.exp - math.floor(exp)) <= 1)
    assert.is_nil(output:find(SECRET, 1, true))
    env.AWS_PROFILE = "broken"
    r, output = child(env, "who()")
    assert.matches("credential_process: exited with status 3", r.err)
    assert.is_nil(r.err:find(SECRET, 1, true))
    assert.is_nil(output:find(SECRET, 1, true))   -- the process's output is not echoed
    env.AWS_PROFILE = "garbage"
    r = child(env, "who()")
    assert.matches("credential_process: the answer is not JSON", r.err)
    assert.is_nil(r.err:find(SECRET, 1, true))
  end)

  it("assumes a role through STS (moto) and caches it until expiry", function()
    if not MOTO then pending("FGRUN_TEST_MOTO_URL not set: moto_server not running") return end
    local cred = write("credentials-role", "[base]\naws_access_key_id = AKIDBASE\n"
      .. "aws_secret_access_key = " .. SECRET .. "\n")
    local cfg = write("config-role", "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\n"
      .. "source_profile = base\nrole_session_name = fgrun-test\nexternal_id = ext-1\n"
      .. "duration_seconds = 900\nregion = us-east-1\n"
      .. "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = deploy\n")
    local env = { AWS_CONFIG_FILE = cfg, AWS_SHARED_CREDENTIALS_FILE = cred,
      AWS_ENDPOINT_URL_STS = MOTO, AWS_PROFILE = "deploy" }
    local r = child(env, [[
      local a = credentials.get()
      local b = credentials.get()
      out{ same = rawequal(a, b), akid = a:access_key_id(), token = a:has_token(),
           ttl = a:expiration() - require("fgrun").now(), source = transport.credentials_source() }
    ]])
    assert.is_true(r.same)
    assert.is_true(r.token)
    assert.matches("^ASIA", r.akid)
    assert.is_true(r.ttl > 300 and r.ttl <= 900 + 5, "ttl " .. r.ttl)
    assert.matches("assumed role arn:aws:iam::123456789012:role/deployer %(profile deploy", r.source)
    env.AWS_PROFILE = "chained"
    r = child(env, "who()")
    assert.matches("^ASIA", r.akid)
    assert.matches("role/second", r.source)
  end)

  it("fetches container credentials with the authorization token", function()
    stub("POST", "/__creds", { AccessKeyId = "ASIACONTAINER", SecretAccessKey = SECRET,
      Token = TOKEN, Expiration = iso8601(fgrun.now() + 3600) })
    local env = { AWS_CONTAINER_CREDENTIALS_FULL_URI = stub_url .. "/creds",
      AWS_CONTAINER_AUTHORIZATION_TOKEN = "container-auth-token" }
    local r, output = child(env, "who()")
    assert.same({ "ASIACONTAINER", true }, { r.akid, r.token })
    assert.equal("container credentials (" .. stub_url .. "/creds)", r.source)
    assert.is_nil(output:find(SECRET, 1, true))
    -- the token from a file wins over the variable
    env.AWS_CONTAINER_AUTHORIZATION_TOKEN = "wrong"
    env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = write("token", "container-auth-token\n")
    assert.equal("ASIACONTAINER", child(env, "who()").akid)
    env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = nil
    r = child(env, "who()")
    assert.matches("container credentials from .*: HTTP 401", r.err)
    r = child({ AWS_CONTAINER_CREDENTIALS_FULL_URI = "http://10.0.0.9/creds" }, "who()")
    assert.matches("is http to 10.0.0.9 %(10.0.0.9%), which is neither loopback", r.err)
    local req = stub_log().requests[1]
    assert.equal("/creds", req.path)
  end)

  it("uses EC2 instance metadata with an IMDSv2 token", function()
    stub("POST", "/__creds", { AccessKeyId = "ASIAIMDS", SecretAccessKey = SECRET,
      Token = TOKEN, Expiration = iso8601(fgrun.now() + 3600) })
    stub_log()
    local r = child({ AWS_EC2_METADATA_SERVICE_ENDPOINT = stub_url }, "who()")
    assert.same({ "ASIAIMDS", "EC2 instance metadata (role stub-role)" }, { r.akid, r.source })
    local log = stub_log().requests
    assert.same({ "PUT", "/latest/api/token" }, { log[1].method, log[1].path })
    assert.equal("imds-session-token", log[2].headers["x-aws-ec2-metadata-token"])
    r = child({ AWS_EC2_METADATA_SERVICE_ENDPOINT = stub_url, AWS_EC2_METADATA_DISABLED = "true" }, "who()")
    assert.matches("AWS_EC2_METADATA_DISABLED=true", r.err)
  end)

  it("refreshes credentials within 5 minutes of expiry", function()
    local env = { AWS_CONTAINER_CREDENTIALS_FULL_URI = stub_url .. "/creds",
      AWS_CONTAINER_AUTHORIZATION_TOKEN = "container-auth-token" }
    local code = "for _ = 1, 3 do credentials.get() end out{}"
    stub("POST", "/__creds", { AccessKeyId = "ASIASOON", SecretAccessKey = SECRET,
      Token = TOKEN, Expiration = iso8601(fgrun.now() + 200) })
    child(env, code)
    assert.equal(3, stub_log().creds_served)
    stub("POST", "/__creds", { AccessKeyId = "ASIALATER", SecretAccessKey = SECRET,
      Token = TOKEN, Expiration = iso8601(fgrun.now() + 3600) })
    child(env, code)
    assert.equal(1, stub_log().creds_served)
  end)

  it("says which sources it tried when there are no credentials", function()
    local r = child({}, "who()")
    assert.matches("no AWS credentials found; tried: environment variables", r.err)
    assert.matches("shared credentials file", r.err)
    assert.matches("container credentials", r.err)
    assert.matches("EC2 instance metadata %(" .. CLOSED:gsub("%p", "%%%0"), r.err)
  end)
end)

describe("region", function()
  before_each(function()
    if not have_fgrun() then pending("needs " .. FGRUN) end
  end)

  local code = [[
    local r, why = transport.resolve_region()
    out{ region = r or false, why = why or false }
  ]]

  it("comes from AWS_REGION, AWS_DEFAULT_REGION, then the profile", function()
    local cfg = write("config-region", "[default]\nregion = ap-south-1\n")
    assert.equal("ap-south-1", child({ AWS_CONFIG_FILE = cfg }, code).region)
    assert.equal("eu-north-1", child({ AWS_CONFIG_FILE = cfg, AWS_DEFAULT_REGION = "eu-north-1" }, code).region)
    assert.equal("us-west-1", child({ AWS_CONFIG_FILE = cfg, AWS_DEFAULT_REGION = "eu-north-1",
      AWS_REGION = "us-west-1" }, code).region)
    assert.equal("sa-east-1", child({ AWS_REGION = "us-west-1" }, code, "--region sa-east-1").region)
  end)

  it("says how to set it when missing", function()
    local r = child({}, code)
    assert.is_false(r.region)
    assert.matches("AWS_REGION", r.why)
    local _, output = child({ AWS_ACCESS_KEY_ID = "A", AWS_SECRET_ACCESS_KEY = "B" },
      "transport.new{ service = 'ecs', metadata = { endpointPrefix = 'ecs', serviceId = 'ECS' } }")
    assert.matches("ecs.configuration: NoRegion: no AWS region: set AWS_REGION", output)
  end)
end)

describe("endpoints", function()
  local ecs = { endpointPrefix = "ecs", serviceId = "ECS", signingName = "ecs" }
  local elb = { endpointPrefix = "elasticloadbalancing", serviceId = "Elastic Load Balancing v2" }

  it("are regional by default, .com.cn in China, global for IAM", function()
    assert.same({ url = "https://ecs.us-west-2.amazonaws.com", signing_region = "us-west-2",
      signing_name = "ecs", source = "default" }, endpoint.resolve { metadata = ecs, region = "us-west-2" })
    assert.equal("https://ecs.cn-north-1.amazonaws.com.cn",
      endpoint.resolve { metadata = ecs, region = "cn-north-1" }.url)
    local iam = endpoint.resolve { metadata = { endpointPrefix = "iam", serviceId = "IAM" }, region = "eu-west-1" }
    assert.same({ "https://iam.amazonaws.com", "us-east-1", "iam" }, { iam.url, iam.signing_region, iam.signing_name })
    local logs = endpoint.resolve { metadata = { endpointPrefix = "logs", serviceId = "CloudWatch Logs" },
      region = "us-east-2" }
    assert.equal("https://logs.us-east-2.amazonaws.com", logs.url)
  end)

  it("name the SDKs' service keys", function()
    assert.equal("ELASTIC_LOAD_BALANCING_V2", endpoint.env_key("Elastic Load Balancing v2"))
    assert.equal("APPLICATION_AUTO_SCALING", endpoint.env_key("Application Auto Scaling"))
    assert.equal("CLOUDWATCH_LOGS", endpoint.env_key("CloudWatch Logs"))
    assert.equal("SECRETS_MANAGER", endpoint.env_key("Secrets Manager"))
  end)

  -- (http to made-up hosts: allow_http, or they would be refused as not
  -- this machine; tests/security/endpoint_http.sh tests that)
  it("take the option, then the [services] section, then the profile", function()
    local services = { elastic_load_balancing_v2 = { endpoint_url = "http://svc:1" } }
    local settings = { endpoint_url = "http://profile:2/" }
    assert.equal("http://opt:3", endpoint.resolve { metadata = elb, region = "us-east-1",
      endpoint_url = "http://opt:3/", services = services, settings = settings, allow_http = true }.url)
    assert.equal("http://svc:1", endpoint.resolve { metadata = elb, region = "us-east-1",
      services = services, settings = settings, allow_http = true }.url)
    assert.equal("http://profile:2", endpoint.resolve { metadata = elb, region = "us-east-1",
      settings = settings, allow_http = true }.url)
    assert.has_error(function()
      endpoint.resolve { metadata = elb, region = "us-east-1", endpoint_url = "ftp://x" }
    end)
  end)

  it("follow AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL over the config file", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    local cfg = write("config-ep", "[default]\nregion = us-east-1\nendpoint_url = http://profile:1\n"
      .. "services = local\n[services local]\necs =\n  endpoint_url = http://services:2\n")
    local code = [[
      local t = transport.new{ service = "ecs", metadata = { endpointPrefix = "ecs", serviceId = "ECS" } }
      local e = transport.new{ service = "elbv2", metadata = { endpointPrefix = "elasticloadbalancing",
        serviceId = "Elastic Load Balancing v2" } }
      out{ ecs = t.endpoint, elb = e.endpoint }
    ]]
    local allow = "1"
    local r = child({ AWS_CONFIG_FILE = cfg, FGRUN_ALLOW_HTTP_ENDPOINT = allow }, code)
    assert.same({ ecs = "http://services:2", elb = "http://profile:1" }, r)
    r = child({ AWS_CONFIG_FILE = cfg, AWS_ENDPOINT_URL = "http://global:3", FGRUN_ALLOW_HTTP_ENDPOINT = allow }, code)
    assert.same({ ecs = "http://services:2", elb = "http://global:3" }, r)
    r = child({ AWS_CONFIG_FILE = cfg, AWS_ENDPOINT_URL = "http://global:3", FGRUN_ALLOW_HTTP_ENDPOINT = allow,
      AWS_ENDPOINT_URL_ECS = "http://ecs:4", AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 = "http://elb:5" }, code)
    assert.same({ ecs = "http://ecs:4", elb = "http://elb:5" }, r)
    r = child({ AWS_CONFIG_FILE = cfg, AWS_ENDPOINT_URL = "http://global:3",
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = "true" }, code)
    assert.same({ ecs = "https://ecs.us-east-1.amazonaws.com",
      elb = "https://elasticloadbalancing.us-east-1.amazonaws.com" }, r)
  end)
end)

describe("signing", function()
  it("sets the URL and signing headers, the token as the credentials object", function()
    local cred = write("credentials-sign", "[s]\naws_access_key_id = AKIDSIGN\n"
      .. "aws_secret_access_key = " .. SECRET .. "\naws_session_token = " .. TOKEN .. "\n")
    local c = creds.from_file(cred, "s")
    local req = signer.sign({ method = "POST", path = "/", query = "b=2&a=1",
      headers = { ["content-type"] = "application/x-amz-json-1.1", host = "stale" }, body = "{}" },
      c, { base_url = "https://ecs.us-east-1.amazonaws.com:443", region = "us-east-1",
           service = "ecs", time = 1440938160 })
    assert.equal("https://ecs.us-east-1.amazonaws.com:443/?b=2&a=1", req.url)
    assert.equal("ecs.us-east-1.amazonaws.com", req.headers.Host)
    assert.is_nil(req.headers.host)
    assert.equal("20150830T123600Z", req.headers["X-Amz-Date"])
    assert.is_true(rawequal(c, req.headers["X-Amz-Security-Token"]))
    assert.equal("fgrun/" .. fgrun.version, req.headers["User-Agent"])
    assert.matches("^AWS4%-HMAC%-SHA256 Credential=AKIDSIGN/20150830/us%-east%-1/ecs/aws4_request, "
      .. "SignedHeaders=content%-type;host;x%-amz%-date;x%-amz%-security%-token, Signature=%x+$",
      req.headers.Authorization)
    assert.is_nil(tostring(c):find(SECRET, 1, true))
  end)

  it("reads HTTP dates", function()
    assert.equal(1440938160, signer.parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"))
    assert.is_nil(signer.parse_http_date("yesterday"))
  end)
end)

describe("retries", function()
  local c
  local function classify(status, headers, body)
    if status >= 200 and status < 300 then return nil end
    local ok, doc = pcall(json.decode, body)
    local code = ok and type(doc) == "table" and doc.__type or ("HTTP" .. status)
    return { code = code, message = ok and type(doc) == "table" and doc.message or body,
             status = status, request_id = headers["x-amzn-requestid"] }
  end

  local function client(o)
    o = o or {}
    return transport.new { service = "ecs", region = "us-east-1", endpoint_url = stub_url,
      metadata = { endpointPrefix = "ecs", serviceId = "ECS" }, credentials = c,
      max_attempts = o.max_attempts or 4, retry_mode = o.retry_mode, retry_base_delay = 0.01,
      read_timeout = o.read_timeout or 2, connect_timeout = 1 }
  end

  local function call(t)
    return t:send({ method = "POST", path = "/", headers = {
      ["Content-Type"] = "application/x-amz-json-1.1",
      ["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113.ListClusters" }, body = "{}" },
      { operation = "ListClusters", classify = classify })
  end

  lazy_setup(function()
    local cred = write("credentials-retry", "[r]\naws_access_key_id = AKIDRETRY\naws_secret_access_key = x\n")
    c = creds.from_file(cred, "r")
  end)

  before_each(function() stub_log() end)

  it("succeed within the attempt budget after throttling, 500 and 503", function()
    stub("POST", "/__script", { "throttle", "500", "503" })
    local status, headers, body, attempts = call(client())
    assert.equal(200, status)
    assert.equal(4, attempts)
    assert.is_true(json.decode(body).ok)
    assert.equal("application/json", headers["content-type"])
    local log = stub_log().requests
    assert.equal(4, #log)
    for i, r in ipairs(log) do
      assert.equal(("attempt=%d; max=4"):format(i), r.headers["amz-sdk-request"])
      assert.equal(log[1].headers["amz-sdk-invocation-id"], r.headers["amz-sdk-invocation-id"])
      assert.matches("^fgrun/", r.headers["user-agent"])
      assert.is_nil(r.headers.accept)   -- libcurl's own, unsigned headers are not sent
      assert.is_nil(r.headers.expect)
    end
  end)

  it("reuse one connection per endpoint", function()
    local t = client()
    for _ = 1, 3 do assert.equal(200, (call(t))) end
    local log = stub_log().requests
    assert.equal(3, #log)
    assert.equal(log[1].client_port, log[3].client_port)
  end)

  it("fail with the last error when out of attempts", function()
    stub("POST", "/__script", { "503", "throttle", "throttle", "throttle" })
    local status, err, attempts = call(client { max_attempts = 3 })
    assert.is_nil(status)
    assert.equal(3, attempts)
    assert.same({ "ThrottlingException", 400, true, true },
      { err.code, err.status, err.throttling, err.retryable })
    stub("POST", "/__script", {})
  end)

  it("do not retry an error that is not retryable", function()
    stub("POST", "/__script", { "denied" })
    local status, err, attempts = call(client())
    assert.is_nil(status)
    assert.same({ "AccessDeniedException", 1, false }, { err.code, attempts, err.retryable })
  end)

  it("retry a reset connection", function()
    stub("POST", "/__script", { "reset", "reset" })
    local status, _, _, attempts = call(client())
    assert.equal(200, status)
    -- libcurl itself retries once when a reused connection dies unanswered
    assert.is_true(attempts >= 2)
    assert.equal(3, #stub_log().requests)
  end)

  it("retry a stalled answer after the timeout, and report the timeout last", function()
    stub("POST", "/__script", { "stall:3" })
    local t0 = fgrun.monotonic()
    -- the read timeout is checked about once a second
    local status, _, _, attempts = call(client { read_timeout = 0.3 })
    assert.same({ 200, 2 }, { status, attempts })
    assert.is_true(fgrun.monotonic() - t0 < 2.5, "took " .. fgrun.monotonic() - t0)
    stub("POST", "/__script", { "stall:3", "stall:3" })
    local err
    status, err, attempts = call(client { read_timeout = 0.3, max_attempts = 2 })
    assert.is_nil(status)
    assert.same({ "RequestTimeout", 2 }, { err.code, attempts })
    assert.matches("^http://127%.0%.0%.1:%d+: no data for 0%.3 s %(read_timeout%)$", err.message)
  end)

  it("correct clock skew from the answer's Date", function()
    stub("POST", "/__script", { "skew:3600" })
    local t = client()
    local status, _, _, attempts = call(t)
    assert.same({ 200, 2 }, { status, attempts })
    assert.is_true(math.abs(t.clock_offset - 3600) < 5)
    local log = stub_log().requests
    local function date(r)
      local y, mo, d, h, mi, s = r.headers["x-amz-date"]:match("(%d%d%d%d)(%d%d)(%d%d)T(%d%d)(%d%d)(%d%d)Z")
      return require("base.time").parse(("%s-%s-%sT%s:%s:%sZ"):format(y, mo, d, h, mi, s))
    end
    assert.is_true(math.abs(date(log[2]) - date(log[1]) - 3600) < 5)
  end)

  it("work in adaptive mode", function()
    stub("POST", "/__script", { "throttle", "throttle" })
    local t = client { retry_mode = "adaptive" }
    local status, _, _, attempts = call(t)
    assert.same({ 200, 3 }, { status, attempts })
    assert.is_true(t.retry.limiter.enabled)
  end)

  it("read max_attempts and retry_mode from the environment and profile", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    local cfg = write("config-retry", "[default]\nregion = us-east-1\nmax_attempts = 7\nretry_mode = adaptive\n")
    local code = [[
      local t = transport.new{ service = "ecs", metadata = { endpointPrefix = "ecs", serviceId = "ECS" } }
      out{ max = t.max_attempts, mode = t.retry_mode }
    ]]
    assert.same({ max = 7, mode = "adaptive" }, child({ AWS_CONFIG_FILE = cfg }, code))
    assert.same({ max = 2, mode = "standard" }, child({ AWS_CONFIG_FILE = cfg,
      AWS_MAX_ATTEMPTS = "2", AWS_RETRY_MODE = "standard" }, code))
    assert.same({ max = 3, mode = "standard" }, child({ AWS_REGION = "us-east-1" }, code))
  end)

  it("verify TLS, trusting AWS_CA_BUNDLE", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    local url, cert, pid = start_tls_stub()
    local code = [[
      local t = transport.new{ service = "ecs", metadata = { endpointPrefix = "ecs", serviceId = "ECS" } }
      local status, err, attempts = t:send({ method = "POST", path = "/", headers = {}, body = "{}" },
        { operation = "X" })
      out{ status = status or false, code = not status and err.code or false,
           retryable = not status and err.retryable or false, message = not status and err.message or false }
    ]]
    local env = { AWS_ACCESS_KEY_ID = "a", AWS_SECRET_ACCESS_KEY = "b", AWS_REGION = "us-east-1",
      AWS_ENDPOINT_URL = url }
    local ok, r = pcall(child, env, code)
    local ok2, r2
    if ok then
      env.AWS_CA_BUNDLE = cert
      ok2, r2 = pcall(child, env, code)
    end
    os.execute("kill " .. pid)
    assert(ok, r)
    assert(ok2, r2)
    assert.same({ false, "ConnectionError", false }, { r.status, r.code, r.retryable })
    assert.matches("certificate", r.message)
    assert.equal(200, r2.status)
  end)

  it("give up on SIGINT, in a transfer or a backoff", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    for _, case in ipairs { { "stall:10" }, { "500", "500", "500", "500", "500" } } do
      stub("POST", "/__script", case)
      local code = "local t = require('aws.transport').new{ service = 'ecs', metadata = { endpointPrefix = 'ecs',"
        .. " serviceId = 'ECS' }, retry_base_delay = 60, max_attempts = 5 }"
        .. " t:send({ method = 'POST', path = '/', headers = {}, body = '{}' }, { operation = 'X' })"
      local t0 = fgrun.monotonic()
      local output = slurp("env -i PATH=" .. sh_quote(os.getenv("PATH")) .. " HOME=" .. sh_quote(tmp)
        .. " AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b AWS_REGION=us-east-1 AWS_ENDPOINT_URL=" .. stub_url
        .. " " .. FGRUN .. " -e " .. sh_quote(code) .. " 2>&1 & pid=$!; sleep 0.5; kill -INT $pid;"
        .. " wait $pid; echo status=$?")
      assert.is_true(fgrun.monotonic() - t0 < 3, "took " .. (fgrun.monotonic() - t0))
      assert.matches("interrupted", output)
      assert.matches("status=130", output)
    end
    stub("POST", "/__script", {})
  end)

  describe("policy", function()
    it("classifies the SDKs' throttling, transient and status codes", function()
      assert.same({ true, true }, (function(e) return { e.throttling, e.retryable } end)(
        retry.classify { code = "RequestLimitExceeded", status = 400 }))
      assert.is_true(retry.classify { code = "InternalError", status = 502 }.retryable)
      assert.is_true(retry.classify { code = "RequestTimeoutException", status = 408 }.retryable)
      assert.is_false(retry.classify { code = "ValidationException", status = 400 }.retryable)
      assert.is_false(retry.classify { code = "ThrottlingException", status = 400, retryable = false }.retryable)
    end)

    it("backs off with full jitter, capped at 20 s", function()
      local r = retry.new { max_attempts = 3 }
      for attempt = 1, 10 do
        local d = r:delay(attempt)
        assert.is_true(d >= 0 and d <= math.min(2 ^ (attempt - 1), 20))
      end
    end)

    it("spends and refunds the retry quota", function()
      local r = retry.new {}
      local n = 0
      while r:take { code = "ThrottlingException", status = 400 } do n = n + 1 end
      assert.equal(100, n)
      r:succeeded(5)
      assert.equal(5, r:take { code = "RequestTimeout", status = 408 })
      r:succeeded(5)
      assert.is_false(r:take { code = "RequestTimeout" })   -- a timeout costs 10
      assert.has_error(function() retry.new { mode = "fast" } end)
      assert.has_error(function() retry.new { max_attempts = 0 } end)
    end)

    it("slows the send rate after throttling in adaptive mode", function()
      local now = 1000
      local r = retry.new { mode = "adaptive", clock = function() return now end }
      for _ = 1, 20 do
        now = now + 0.1
        r:after_attempt(nil)
      end
      assert.equal(0, r:before_attempt())
      r:after_attempt { throttling = true }
      local rate = r.limiter.fill_rate
      assert.is_true(rate < 20)
      local waited = 0
      for _ = 1, 5 do waited = waited + r:before_attempt() end
      assert.is_true(waited > 0)
    end)
  end)
end)

describe("redaction", function()
  it("hides secret fields in JSON, XML and form bodies", function()
    local body = wire_log.redact_body('{"Name":"db","SecretString":"p\\"w1","Nested":{"password": "p2",'
      .. '"NextToken":"keep"},"authorizationToken":"QVdTOnB3"}')
    assert.equal('{"Name":"db","SecretString":"<redacted>","Nested":{"password": "<redacted>",'
      .. '"NextToken":"keep"},"authorizationToken":"<redacted>"}', body)
    assert.equal("<C><AccessKeyId>AKID</AccessKeyId><SecretAccessKey><redacted></SecretAccessKey></C>",
      wire_log.redact_body("<C><AccessKeyId>AKID</AccessKeyId><SecretAccessKey>s</SecretAccessKey></C>"))
    assert.equal("Action=CreateLoginProfile&UserName=u&Password=<redacted>",
      wire_log.redact_body("Action=CreateLoginProfile&UserName=u&Password=hunter2"))
    assert.equal("<redacted>", wire_log.redact_header("Authorization", "AWS4-HMAC-SHA256 ..."))
    assert.equal("<redacted>", wire_log.redact_header("X-Amz-Security-Token", "tok"))
  end)

  local function scan(output, secrets)
    for _, s in ipairs(secrets) do
      assert.is_nil(output:find(s, 1, true), "leaked: " .. s)
    end
  end

  it("keeps secrets out of -vv output (stub answers with secrets)", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    stub("POST", "/__script", { "secret", "secretxml" })
    local r, output = child({ AWS_ACCESS_KEY_ID = "AKIDREDACT", AWS_SECRET_ACCESS_KEY = SECRET,
      AWS_SESSION_TOKEN = TOKEN, AWS_REGION = "us-east-1", AWS_ENDPOINT_URL = stub_url }, [[
      local t = transport.new{ service = "secretsmanager", metadata = { endpointPrefix = "secretsmanager",
        serviceId = "Secrets Manager" } }
      local s1 = t:send({ method = "POST", path = "/", headers = { ["Content-Type"] = "application/x-amz-json-1.1",
        ["X-Amz-Target"] = "secretsmanager.CreateSecret" },
        body = '{"Name":"db","SecretString":"s3cr3t-in-request"}' }, { operation = "CreateSecret" })
      local s2 = t:send({ method = "POST", path = "/", headers = {}, body = "Action=X&Password=pw-in-form" },
        { operation = "X" })
      out{ s1 = s1, s2 = s2 }
    ]], "-vv")
    assert.same({ s1 = 200, s2 = 200 }, r)
    assert.matches("> X%-Amz%-Security%-Token: <redacted>", output)
    assert.matches("SecretString\":\"<redacted>", output)
    assert.matches("aws secretsmanager.CreateSecret 200, 1 attempt", output)
    scan(output, { SECRET, TOKEN, "s3cr3t-in-request", "s3cr3t-from-server", "srv-secret-key",
      "srv-session-token", "pw-in-form" })
  end)

  it("keeps secrets out of -vv output of real calls (moto)", function()
    if not have_fgrun() then pending("needs " .. FGRUN) return end
    if not MOTO then pending("FGRUN_TEST_MOTO_URL not set: moto_server not running") return end
    local name = "fgrun-redact-" .. math.random(1, 1e9)
    local r, output = child({ AWS_ACCESS_KEY_ID = "AKIDREDACT", AWS_SECRET_ACCESS_KEY = SECRET,
      AWS_SESSION_TOKEN = TOKEN, AWS_REGION = "us-east-1", AWS_ENDPOINT_URL = MOTO }, ([[
      local t = transport.new{ service = "secretsmanager", metadata = { endpointPrefix = "secretsmanager",
        serviceId = "Secrets Manager" } }
      local function call(target, body)
        local status, _, answer = t:send({ method = "POST", path = "/", headers = {
          ["Content-Type"] = "application/x-amz-json-1.1", ["X-Amz-Target"] = "secretsmanager." .. target },
          body = body }, { operation = target })
        return status, answer
      end
      local s1 = call("CreateSecret", '{"Name":"%s","SecretString":"s3cr3t-value-42"}')
      local s2, answer = call("GetSecretValue", '{"SecretId":"%s"}')
      local sts = transport.new{ service = "sts", metadata = { endpointPrefix = "sts", serviceId = "STS" } }
      local s3 = sts:send({ method = "POST", path = "/",
        headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
        body = "Action=GetSessionToken&Version=2011-06-15" }, { operation = "GetSessionToken" })
      out{ s1 = s1, s2 = s2, s3 = s3, got = answer:find("s3cr3t-value-42", 1, true) ~= nil }
    ]]):format(name, name), "-vv")
    assert.same({ s1 = 200, s2 = 200, s3 = 200, got = true }, r)
    assert.matches("< 200", output)
    scan(output, { SECRET, TOKEN, "s3cr3t-value-42" })
    local seen = 0
    for field in ("SecretAccessKey SessionToken"):gmatch("%S+") do
      for value in output:gmatch("<" .. field .. ">(.-)</" .. field .. ">") do
        assert.equal("<redacted>", value)
        seen = seen + 1
      end
    end
    assert.equal(2, seen)   -- GetSessionToken's answer was shown, redacted
  end)
end)
