-- AWS protocol conformance: every case of FGRUN_VECTORS/protocols (input
-- and output: ec2, query, json, json_1_0, rest-json, rest-xml,
-- smithy-rpc-v2-cbor and its query-compatible suites), read in place. Input
-- cases go through aws.load_model and build_request; output cases through
-- the response parser (aws.protocol). botocore's ignore list is honoured,
-- each skip printed with its reason; nothing else is skipped.
local json = require "json"
local aws = require "aws"
local model = require "aws.model"
local protocol = require "aws.protocol"
local timestamp = require "base.time"
local base64 = require "base.base64"
local shapecbor = require "aws.shape_cbor"

local null = json.null

-- fixed fake credentials: build_request signs, nothing is sent
local CREDENTIALS = require("aws.creds").from_process(
  [[printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"SECRET"}']])

local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  return src:match("^(.*)/tests/spec/[^/]*$") or "."
end

local VECTORS = (os.getenv("FGRUN_VECTORS") or (repo_root() .. "/../shared/vectors")) .. "/protocols"

local function read_json(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return json.decode(text)
end

local ignore = read_json(VECTORS .. "/botocore-ignore-list.json")


local function ignored(proto, direction, suite, case)
  if not ignore then return false end
  local general = ignore.general and ignore.general[direction]
  for _, name in ipairs(general and general.suites or {}) do
    if name == suite.description then return true end
  end
  local p = ignore.protocols and ignore.protocols[proto] and ignore.protocols[proto][direction]
  for _, id in ipairs(p and p.cases or {}) do
    if id == case.id then return true end
  end
  return false
end

-- The suite's metadata lacks what signing needs (endpointPrefix); a copy adds it.
local function case_model(suite, case)
  local metadata = {endpointPrefix = "protocoltest"}
  for k, v in pairs(suite.metadata) do metadata[k] = v end
  return {metadata = metadata, shapes = suite.shapes, operations = {[case.given.name] = case.given}}
end

-- Deep comparison of a parsed value with the vector's expectation, where
-- the vectors write timestamps as epoch seconds and special floats as text.
local function same(got, want)
  if want == null then return got == nil or got == null end
  if type(want) == "number" then
    if type(got) == "string" then got = timestamp.parse(got) end
    if want ~= want then return got ~= got end -- NaN
    return type(got) == "number" and (got == want or math.abs(got - want) < 1e-6)
  end
  if want == "NaN" and type(got) == "number" then return got ~= got end
  if want == "Infinity" and type(got) == "number" then return got == math.huge end
  if want == "-Infinity" and type(got) == "number" then return got == -math.huge end
  if type(want) ~= "table" then return got == want end
  if type(got) ~= "table" then return false end
  for k, v in pairs(want) do
    if not same(got[k], v) then return false end
  end
  for k, v in pairs(got) do
    if want[k] == nil and v ~= null then return false end
  end
  return true
end

local function form_pairs(body)
  local set = {}
  for pair in (body or ""):gmatch("[^&]+") do set[pair] = (set[pair] or 0) + 1 end
  return set
end

-- A canonical text of an XML document: each element's attributes and
-- children sorted, whitespace-only text dropped (the vectors' element order
-- is their parameters' order, which a Lua table does not keep).
local function xml_canonical(doc)
  local pos = 1
  doc = doc:gsub("^%s*<%?xml.-%?>", ""):gsub("^%s+", "")
  local function element()
    local name, attrs, closed, e = doc:match("^<([%w_:%-%.]+)(.-)(/?)>()", pos)
    assert(name, "not XML at " .. pos .. ": " .. doc:sub(pos, pos + 40))
    pos = e
    local list = {}
    for k, v in attrs:gmatch('([%w_:%-]+)%s*=%s*"([^"]*)"') do list[#list + 1] = k .. "=" .. v end
    table.sort(list)
    local children, texts = {}, {}
    if closed == "" then
      while true do
        local t, e2 = doc:match("^([^<]*)()", pos)
        if t:match("%S") then texts[#texts + 1] = t end
        pos = e2
        if doc:sub(pos, pos + 1) == "</" then
          pos = doc:match("^</[^>]*>()", pos)
          break
        end
        children[#children + 1] = element()
      end
    end
    table.sort(children)
    return "<" .. name .. " " .. table.concat(list, " ") .. ">" .. table.concat(texts) .. table.concat(children) .. "</>"
  end
  return element()
end

local function show(v)
  local ok, text = pcall(json.encode, v, {sort_keys = true})
  return ok and text or tostring(v)
end

-- assert with a message built only on failure
local function check(ok, message_fn)
  if not ok then error(message_fn(), 2) end
end

local function input_case(proto, suite, case)
  local client = aws.load_model(case_model(suite, case), {
    name = "test", region = "us-east-1", endpoint_url = "https://example.com",
    credentials = CREDENTIALS,
  })
  local params = case.params or {}
  local req = client.build_request(model.snake_name(case.given.name), params)
  local want = case.serialized
  assert.are.equal(want.method, req.method)
  local host, uri = req.url:match("^%a+://([^/]+)(.*)$")
  -- the path exactly; the query string's pairs in any order (signing sorts them)
  local path, query = uri:match("^([^?]*)%??(.*)$")
  local want_path, want_query = want.uri:match("^([^?]*)%??(.*)$")
  assert.are.equal(want_path, path)
  assert.are.same(form_pairs(want_query), form_pairs(query))
  if want.host then assert.are.equal(want.host, host) end
  if want.body and want.body ~= "" then
    local content_type = ""
    for k, v in pairs(req.headers) do
      if k:lower() == "content-type" then content_type = v end
    end
    if proto:find("^smithy%-rpc%-v2%-cbor") then -- base64 in the vectors; compared as decoded
      local got_body, want_body = shapecbor.value(req.body), shapecbor.value(base64.decode(want.body))
      check(same(got_body, want_body), function() return "body " .. show(got_body) .. " ~= " .. show(want_body) end)
    elseif proto == "json" or proto == "json_1_0" or (proto == "rest-json" and content_type:find("json")) then
      local got_body, want_body = json.decode(req.body), json.decode(want.body)
      check(same(got_body, want_body), function() return "body " .. req.body .. " ~= " .. want.body end)
    elseif proto == "rest-xml" and want.body:match("^%s*<") then
      assert.are.equal(xml_canonical(want.body), xml_canonical(req.body))
    elseif proto == "query" or proto == "ec2" then
      assert.are.same(form_pairs(want.body), form_pairs(req.body))
    else
      assert.are.equal(want.body, req.body)
    end
  elseif want.body == "" then
    assert.are.equal("", req.body)
  end
  for name, value in pairs(want.headers or {}) do
    local got
    for k, v in pairs(req.headers) do
      if k:lower() == name:lower() then got = v end
    end
    if name:lower() == "content-type" and got then got = got:match("^[^;]*") end
    assert.are.equal(value, got, "header " .. name)
  end
  for _, name in ipairs(want.forbidHeaders or {}) do
    for k in pairs(req.headers) do
      assert.are_not.equal(name:lower(), k:lower(), "forbidden header " .. name)
    end
  end
end

local function output_case(proto, suite, case)
  local t = case_model(suite, case)
  local m = model.from_table(t)
  local p = assert(protocol.of(t.metadata))
  local op = m:operation(case.given.name)
  op.name = case.given.name
  local headers = {}
  for k, v in pairs(case.response.headers or {}) do headers[k:lower()] = v end
  local body = case.response.body or ""
  if proto:find("^smithy%-rpc%-v2%-cbor") then body = base64.decode(body) end
  local result, err = protocol.answer(p, m, op, case.response.status_code, headers, body)
  if case.errorCode or case.error then
    check(err, function() return "expected error " .. tostring(case.errorCode) .. ", got " .. show(result) end)
    if case.errorCode then assert.are.equal(case.errorCode, err.code) end
    if case.errorMessage then assert.are.equal(case.errorMessage, err.message) end
    if case.error and next(case.error) then
      check(same(err.data, case.error), function() return "error data " .. show(err.data) .. " ~= " .. show(case.error) end)
    end
  else
    check(not err, function() return tostring(err.code) .. ": " .. tostring(err.message) end)
    check(same(result, case.result or {}), function() return "result " .. show(result) .. " ~= " .. show(case.result) end)
  end
end

local PROTOCOLS = {"ec2", "query", "json", "json_1_0", "json_1_0-query-compatible", "rest-json", "rest-xml",
                   "smithy-rpc-v2-cbor", "smithy-rpc-v2-cbor-query-compatible",
                   "smithy-rpc-v2-cbor-non-query-compatible"}

for _, direction in ipairs({"input", "output"}) do
  describe("AWS protocol conformance (" .. direction .. ")", function()
    for _, proto in ipairs(PROTOCOLS) do
      local path = VECTORS .. "/" .. direction .. "/" .. proto .. ".json"
      local suites = read_json(path)
      if not suites then
        pending(proto .. ": no vectors at " .. path .. " (set FGRUN_VECTORS)")
      else
        for _, suite in ipairs(suites) do
          for _, case in ipairs(suite.cases) do
            local name = proto .. " " .. case.id
            if ignored(proto, direction, suite, case) then
              pending(name .. ": in botocore's ignore list")
            else
              it(name, function()
                if direction == "input" then input_case(proto, suite, case) else output_case(proto, suite, case) end
              end)
            end
          end
        end
      end
    end
  end)
end
