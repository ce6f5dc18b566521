-- The smithy-rpc-v2-cbor bodies (runtime/aws/shape_cbor.c, cbor_read.c,
-- cbor_write.c: aws.shape_cbor): answers read into the values the json and
-- XML decoders give, hostile bodies refused with a message, requests
-- written by the input shape. Bodies are written out in hex from RFC 8949's
-- encoding rules (its Appendix A examples where one fits), not by the code
-- under test.
local json = require "json"
local model = require "aws.model"
local protocol = require "aws.protocol"
local shapecbor = require "aws.shape_cbor"

local SHAPES = {
  Out = {type = "structure", members = {
    Int = {shape = "Int"}, Long = {shape = "Long"}, Dbl = {shape = "Dbl"}, Flt = {shape = "Flt"},
    When = {shape = "When"}, Data = {shape = "Data"}, Names = {shape = "Names"}, Tags = {shape = "Tags"},
    Flag = {shape = "Flag"}, Str = {shape = "Str"}, Nested = {shape = "Out"},
  }},
  Int = {type = "integer"}, Long = {type = "long"}, Dbl = {type = "double"}, Flt = {type = "float"},
  When = {type = "timestamp"}, Data = {type = "blob"}, Flag = {type = "boolean"}, Str = {type = "string"},
  Names = {type = "list", member = {shape = "Str"}},
  Tags = {type = "map", key = {shape = "Str"}, value = {shape = "Str"}},
  Oops = {type = "structure", members = {message = {shape = "Str"}, Detail = {shape = "Str"}},
          exception = true},
}

local function new_model()
  local shapes = json.decode(json.encode(SHAPES)) -- caches go on the shapes: a fresh copy each time
  return model.from_table({metadata = {protocol = "smithy-rpc-v2-cbor", targetPrefix = "Svc",
                                       endpointPrefix = "svc"},
                           operations = {Op = {name = "Op", input = {shape = "Out"}, output = {shape = "Out"},
                                               errors = {{shape = "Oops"}}}},
                           shapes = shapes})
end

-- bytes of a hex text ("a1 61 61 01"; spaces ignored)
local function hex(s)
  return (s:gsub("%s", ""):gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function to_hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- text item of a short string (under 24 bytes)
local function text(s)
  return string.format("%02x", 0x60 + #s) .. to_hex(s)
end

local function read(body_hex)
  local m = new_model()
  return shapecbor.output(m, m:shape("Out"), hex(body_hex))
end

local function refused(body_hex, pattern)
  local m = new_model()
  local ok, err = pcall(shapecbor.output, m, m:shape("Out"), hex(body_hex))
  assert.is_false(ok)
  assert.matches(pattern, tostring(err))
end

describe("aws.shape_cbor answers", function()
  it("marks structures, maps and lists as json marks them", function()
    local v = read("a3" .. text("Names") .. "82" .. text("a") .. text("b")
                   .. text("Tags") .. "a1" .. text("k") .. text("v")
                   .. text("Nested") .. "a0")
    assert.are.equal(json.object_mt, getmetatable(v))
    assert.are.equal(json.array_mt, getmetatable(v.Names))
    assert.are.same({"a", "b"}, {v.Names[1], v.Names[2]})
    assert.are.equal(json.object_mt, getmetatable(v.Tags))
    assert.are.equal("v", v.Tags.k)
    assert.are.equal(json.object_mt, getmetatable(v.Nested))
    assert.are.equal('{"Names":["a","b"],"Nested":{},"Tags":{"k":"v"}}', json.encode(v, {sort_keys = true}))
  end)

  it("keeps integers exact to 64 bits and reads numbers by the shape's type", function()
    local v = read("a4" .. text("Long") .. "1b0020000000000001" -- 2^53 + 1
                   .. text("Int") .. "3b7fffffffffffffff"          -- -2^63
                   .. text("Dbl") .. "05" .. text("Flt") .. "f93c00") -- 1.0 in half precision
    assert.are.equal(9007199254740993, v.Long)
    assert.are.equal(math.mininteger, v.Int)
    assert.are.equal("float", math.type(v.Dbl))
    assert.are.equal(5.0, v.Dbl)
    assert.are.equal(1.0, v.Flt)
    assert.are.equal("integer", math.type(read("a1" .. text("Int") .. "fb4014000000000000").Int)) -- 5.0
    assert.are.equal(18446744073709551615.0, read("a1" .. text("Long") .. "1bffffffffffffffff").Long)
  end)

  it("gives timestamps (tag 1) as ISO-8601 UTC text", function()
    assert.are.equal("2013-03-21T20:04:00Z", read("a1" .. text("When") .. "c11a514b67b0").When)
    assert.are.equal("2013-03-21T20:04:00.5Z", read("a1" .. text("When") .. "c1fb41d452d9ec200000").When)
    assert.are.equal("1969-12-31T23:59:59Z", read("a1" .. text("When") .. "c120").When)
  end)

  it("gives blobs as their bytes, strings sent in chunks joined", function()
    local v = read("a2" .. text("Data") .. "5f42010243030405ff"
                   .. text("Str") .. "7f657374726561646d696e67ff")
    assert.are.equal("\1\2\3\4\5", v.Data)
    assert.are.equal("streaming", v.Str)
  end)

  it("skips unknown members whole and leaves null members out", function()
    local v = read("bf" .. text("Extra") .. "bf" .. text("x") .. "9f0102ff" .. text("y") .. "c11a514b67b0ff"
                   .. text("Str") .. "f6" .. text("Flag") .. "f5" .. text("Tags") .. "a2"
                   .. text("a") .. "f6" .. text("b") .. text("B") .. text("Names") .. "82f6" .. text("c") .. "ff")
    assert.is_nil(v.Extra)
    assert.is_nil(v.Str)
    assert.is_true(v.Flag)
    assert.are.same({b = "B"}, setmetatable(v.Tags, nil))
    assert.are.equal(json.null, v.Names[1]) -- a null list item stays, as the json decoder keeps it
    assert.are.equal("c", v.Names[2])
  end)

  it("reads an empty body as an empty structure", function()
    local v = read("")
    assert.are.equal(json.object_mt, getmetatable(v))
    assert.is_nil(next(v))
  end)

  it("refuses what is not one well-formed CBOR map, naming the byte", function()
    refused("a1" .. text("Str") .. "63616263" .. "00", "trailing data at byte 10")
    refused("a1" .. text("Str") .. "6361", "truncated at byte 6")
    refused("a1" .. text("Str") .. "1c", "malformed item at byte 6")
    refused("a1" .. text("Str") .. "ff", "unexpected break")
    refused("a1" .. text("Str") .. "7f01ff", "unexpected chunk in a string")
    refused("01", "not a map")
    refused("9b7fffffffffffffff", "not a map")
    refused("a1" .. text("Names") .. "9b7fffffffffffffff", "truncated") -- no 2^63-item table made first
    refused("a1" .. text("Extra") .. string.rep("81", 600) .. "00", "nested deeper than 512")
  end)

  it("refuses, before decoding, a body that would take more than 256 MiB as Lua values", function()
    local m = new_model()
    local names = hex("a1" .. text("Names") .. "9f") .. string.rep("\xa0", 4 * 1024 * 1024) .. "\xff"
    local ok, err = pcall(shapecbor.output, m, m:shape("Out"), names)
    assert.is_false(ok)
    assert.matches("would take about 36%d MiB to decode %(at most 256%)", err)
    -- as large a body of few items is read
    local big = string.rep("x", 4 * 1024 * 1024)
    local v = shapecbor.output(m, m:shape("Out"), hex("a1" .. text("Str") .. "5a00400000") .. big)
    assert.are.equal(big, v.Str)
  end)

  it("does not let a small body claim large tables at every level", function()
    -- 500 nested maps of 65535 claimed entries each, in 3.5 KB
    local hostile = hex("a1" .. text("Nested") .. string.rep("b9ffff" .. text("Nested"), 500) .. "00")
    local m = new_model()
    collectgarbage()
    local before = collectgarbage("count")
    collectgarbage("stop") -- what the failed decode allocated stays counted
    local ok = pcall(shapecbor.output, m, m:shape("Out"), hostile)
    local grown_kib = collectgarbage("count") - before
    collectgarbage("restart")
    assert.is_false(ok)
    assert.is_true(grown_kib < 16 * 1024, ("%.0f KiB"):format(grown_kib))
  end)
end)

describe("aws.shape_cbor requests", function()
  local function encode(params)
    local m = new_model()
    return shapecbor.encode(m, m:shape("Out"), params)
  end

  it("writes members in sorted order, null ones left out", function()
    assert.are.equal("a2" .. text("Int") .. "01" .. text("Str") .. text("a"),
                     to_hex(encode({Str = "a", Int = 1, Flag = json.null})))
  end)

  it("writes each type as its shape says", function()
    assert.are.equal("a1" .. text("Flt") .. "fa3fc00000", to_hex(encode({Flt = 1.5})))
    assert.are.equal("a1" .. text("Dbl") .. "fb3ff8000000000000", to_hex(encode({Dbl = 1.5})))
    assert.are.equal("a1" .. text("Data") .. "43616263", to_hex(encode({Data = "abc"})))
    assert.are.equal("a1" .. text("When") .. "c11a514b67b0", to_hex(encode({When = "2013-03-21T20:04:00Z"})))
    assert.are.equal("a1" .. text("When") .. "c1fb41d452d9ec200000", to_hex(encode({When = 1363896240.5})))
    assert.are.equal("a1" .. text("Long") .. "3b7fffffffffffffff", to_hex(encode({Long = math.mininteger})))
    assert.are.equal("a1" .. text("Dbl") .. "fb7ff0000000000000", to_hex(encode({Dbl = "Infinity"})))
  end)

  it("reads back what it writes", function()
    local params = {Int = -7, Long = 9007199254740993, Dbl = 0.1, Flag = false, Str = "x",
                    Names = {"a", "b"}, Tags = {k = "v"}, Data = "\0\255", When = "2020-01-01T00:00:00.25Z",
                    Nested = {Str = "inner", Nested = {Int = 3}}}
    local m = new_model()
    local got = shapecbor.output(m, m:shape("Out"), shapecbor.encode(m, m:shape("Out"), params))
    assert.are.equal(json.encode(params, {sort_keys = true}), json.encode(got, {sort_keys = true}))
  end)

  it("refuses a value its shape cannot take", function()
    assert.has_error(function() encode({When = "soon"}) end, "cbor: soon is not a timestamp")
    assert.has_error(function() encode({Flt = true}) end, "cbor: a float member holds a boolean value")
  end)
end)

describe("the smithy-rpc-v2-cbor protocol", function()
  local m = new_model()
  local cbor = assert(protocol.of(m.metadata))
  local op = m:operation("Op")

  it("posts to /service/<target prefix>/operation/<name> with the protocol's headers", function()
    local req = cbor.request(m, op, {Str = "a"})
    assert.are.equal("POST", req.method)
    assert.are.equal("/service/Svc/operation/Op", req.path)
    assert.are.equal("rpc-v2-cbor", req.headers["smithy-protocol"])
    assert.are.equal("application/cbor", req.headers["Accept"])
    assert.are.equal("application/cbor", req.headers["Content-Type"])
    assert.are.equal("a1" .. text("Str") .. text("a"), to_hex(req.body))
  end)

  it("names an error by __type, its members read by the error's shape", function()
    local body = hex("a3" .. text("__type") .. text("ns#Oops") .. text("message") .. text("no")
                     .. text("Detail") .. text("d"))
    local out, err = protocol.answer(cbor, m, op, 400, {["x-amzn-requestid"] = "r1"}, body)
    assert.is_nil(out)
    assert.are.equal("Oops", err.code)
    assert.are.equal("no", err.message)
    assert.are.equal("r1", err.request_id)
    assert.are.equal("d", err.data.Detail)
  end)

  it("makes an unreadable answer an error with its status and an escaped excerpt", function()
    local _, err = protocol.answer(cbor, m, op, 200, {}, hex("a1" .. text("Str")))
    assert.are.equal("InvalidResponse", err.code)
    assert.matches("truncated", err.message)
    local _, err2 = protocol.answer(cbor, m, op, 503, {}, "\255\1")
    assert.are.equal("503", err2.code)
    assert.matches("\\xff", err2.message, 1, true)
  end)
end)

describe("-vv and CBOR bodies", function()
  local FGRUN = os.getenv("FGRUN") or "build/fgrun"

  it("shows a CBOR body as JSON, its secrets redacted", function()
    local f = io.open(FGRUN, "rb")
    if not f then pending("needs " .. FGRUN) return end
    f:close()
    -- {"Name": "db", "SecretString": "hunter2"} and a body that is not CBOR
    local code = [[
      local wire_log = require "aws.transport.wire_log"
      local body = "\xa2\x64Name\x62db\x6cSecretString\x67hunter2"
      wire_log.request{method = "POST", url = "https://x/", body = body,
                       headers = {["Content-Type"] = "application/cbor"}}
      wire_log.response(400, {["content-type"] = "application/cbor"}, "\xa1\x61", 1)
    ]]
    local p = io.popen(FGRUN .. " -vv -e '" .. code:gsub("'", "'\\''") .. "' 2>&1")
    local output = p:read("a")
    p:close()
    assert.is_nil(output:find("hunter2", 1, true), output)
    assert.matches("(CBOR as JSON) {", output, 1, true)
    assert.matches([["SecretString":"<redacted>"]], output, 1, true)
    assert.matches([["Name":"db"]], output, 1, true)
    assert.matches("(2 bytes of CBOR that do not decode)", output, 1, true)
  end)
end)

-- A loopback CloudWatch that speaks only smithy-rpc-v2-cbor through
-- botocore's own codec and model (tests/lib/cbor_standin.py): what fgrun
-- writes, botocore reads, and the other way round.
describe("a CloudWatch that speaks only CBOR (botocore's codec)", function()
  local aws = require "aws"
  local catalog = require "aws.catalog"
  local http = require "http"
  local sandbox = dofile("tests/lib/sandbox.lua")
  local box, url, info

  lazy_setup(function()
    box = sandbox.new()
    local ok, where = pcall(box.server, "tests/lib/cbor_standin.py")
    if ok then
      url = "http://" .. where
      info = json.decode(http.get(url .. "/__model").body)
    end
  end)

  lazy_teardown(function()
    box.close()
  end)

  local function stored()
    return json.decode(http.get(url .. "/__alarms").body)
  end

  it("puts, describes and deletes an alarm, and reads its error", function()
    if not info then pending("cbor_standin.py (python3 with botocore) did not start: see " .. box.tmp) return end
    local t = assert(catalog.read(info.folder, "service-2"))
    t.metadata.protocols = {"smithy-rpc-v2-cbor"}
    local cw = aws.load_model(t, {
      name = "cloudwatch", region = "us-east-1", endpoint_url = url,
      credentials = require("aws.creds").from_process(
        [[printf '{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"SECRET"}']]),
    })
    cw.put_metric_alarm{
      AlarmName = "high-cpu", Namespace = "AWS/ECS", MetricName = "CPUUtilization", Statistic = "Average",
      Period = 60, EvaluationPeriods = 3, Threshold = 70.5, ComparisonOperator = "GreaterThanThreshold",
      Dimensions = {{Name = "ClusterName", Value = "c1"}}, ActionsEnabled = false,
    }
    local alarm = stored()["high-cpu"]
    assert.are.equal(70.5, alarm.Threshold)
    assert.are.equal("integer", math.type(alarm.EvaluationPeriods))
    assert.are.equal(3, alarm.EvaluationPeriods)
    assert.are.equal("c1", alarm.Dimensions[1].Value)
    assert.is_false(alarm.ActionsEnabled)

    local out = cw.describe_alarms{AlarmNames = {"high-cpu"}}
    local got = out.MetricAlarms[1]
    assert.are.equal(json.array_mt, getmetatable(out.MetricAlarms))
    assert.are.equal("high-cpu", got.AlarmName)
    assert.are.equal("float", math.type(got.Threshold))
    assert.are.equal(70.5, got.Threshold)
    assert.are.equal(3, got.EvaluationPeriods)
    assert.are.equal("2024-05-06T07:08:09Z", got.StateUpdatedTimestamp)
    assert.are.equal("OK", got.StateValue)

    cw.delete_alarms{AlarmNames = {"high-cpu"}}
    assert.is_nil(next(stored()))
    local ok, err = pcall(cw.delete_alarms, {AlarmNames = {"high-cpu"}})
    assert.is_false(ok)
    assert.are.equal("ResourceNotFound", err.code)
    assert.are.equal(404, err.status)
    assert.are.equal("no alarm high-cpu", err.message)
  end)
end)
