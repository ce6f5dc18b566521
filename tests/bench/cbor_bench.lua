-- The smithy-rpc-v2-cbor bodies beside JSON's: CloudWatch DescribeAlarms
-- with 100 alarms, decoded by its output shape from CBOR (aws.shape_cbor)
-- and from JSON (aws.shapejson, parse and walk) into the same values, and
-- written as CBOR by the shape. Prints a Markdown table (microseconds per
-- body) and writes the numbers as JSON to build/bench/cbor.json.
--
--   build/fgrun tests/bench/cbor_bench.lua
local json = require "json"
local model = require("aws.model").embedded("cloudwatch")
local shapecbor, shapejson = require "aws.shape_cbor", require "aws.shape_json"

local time_us = dofile("tests/bench/time_us.lua")

local shape = model:target(model:operation("DescribeAlarms").output)
local alarms = {}
for i = 1, 100 do
  alarms[i] = {
    AlarmName = "alarm-" .. i, AlarmArn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:alarm-" .. i,
    AlarmDescription = "CPU high on service " .. i, ActionsEnabled = true, OKActions = {},
    AlarmActions = {"arn:aws:sns:us-east-1:123456789012:ops"}, StateValue = "OK",
    StateReason = "Threshold Crossed: 1 datapoint [42.0] was not greater than the threshold (70.0).",
    StateUpdatedTimestamp = "2024-05-06T07:08:09.123Z", MetricName = "CPUUtilization", Namespace = "AWS/ECS",
    Statistic = "Average", Dimensions = {{Name = "ClusterName", Value = "c"}, {Name = "ServiceName", Value = "s" .. i}},
    Period = 60, EvaluationPeriods = 3, Threshold = 70.0, ComparisonOperator = "GreaterThanThreshold",
    AlarmConfigurationUpdatedTimestamp = "2024-05-01T00:00:00Z",
  }
end
local value = {MetricAlarms = alarms}
local cbor = shapecbor.encode(model, shape, value)
local text = require("aws.serialize_json").body(model, shape, value)

local function from_cbor() return shapecbor.output(model, shape, cbor) end
local function from_json() return shapejson.output(model, shape, assert(shapejson.parse(text))) end
assert(json.encode(from_cbor(), {sort_keys = true}) == json.encode(from_json(), {sort_keys = true}),
       "the two decoders disagree")

local r = {
  cbor_bytes = #cbor, json_bytes = #text,
  decode_cbor_us = time_us(from_cbor, 0.5), decode_json_us = time_us(from_json, 0.5),
  encode_cbor_us = time_us(function() return shapecbor.encode(model, shape, value) end, 0.5),
}
print("| CloudWatch DescribeAlarms, 100 alarms | CBOR | JSON |")
print("|---|---|---|")
print(("| body | %d bytes | %d bytes |"):format(r.cbor_bytes, r.json_bytes))
print(("| decoded by the output shape | %.0f µs | %.0f µs |"):format(r.decode_cbor_us, r.decode_json_us))
print(("| written by the shape | %.0f µs | |"):format(r.encode_cbor_us))
os.execute("mkdir -p build/bench")
local f = assert(io.open("build/bench/cbor.json", "w"))
f:write(json.encode(r, {indent = 1, sort_keys = true}), "\n")
f:close()
