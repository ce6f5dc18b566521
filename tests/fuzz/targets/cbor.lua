-- The smithy-rpc-v2-cbor bodies (aws.shape_cbor): generic decoding, answers
-- read by the output shapes of every operation of four embedded models
-- (CloudWatch, which lists the protocol, and the widest shapes: EC2, ECS,
-- S3) through aws.protocol, and what an answer decoded to written back by
-- the same shape. Input: byte 1 picks the service, bytes 2-3 the operation,
-- byte 4 the status; the rest is the body.
local model = require "aws.model"
local protocol = require "aws.protocol"
local shapecbor = require "aws.shape_cbor"
local SERVICES = { "cloudwatch", "ec2", "ecs", "s3" }
local STATUS = { 200, 400, 500 }
local cbor = assert(protocol.of({ protocol = "smithy-rpc-v2-cbor" }))
local services = {}
for _, name in ipairs(SERVICES) do
  local m = assert(model.embedded(name), name)
  local names = m:operation_names()
  table.sort(names)
  services[#services + 1] = { model = m, names = names }
end
return function(s)
  if #s < 4 then return end
  local a, b, c, d = s:byte(1, 4)
  local body = s:sub(5)
  pcall(shapecbor.value, body)
  local svc = services[a % #services + 1]
  local m = svc.model
  local op = m:operation(svc.names[(b * 256 + c) % #svc.names + 1])
  local out = protocol.answer(cbor, m, op, STATUS[d % #STATUS + 1], { ["x-amzn-requestid"] = "fuzz" }, body)
  if out and op.output then pcall(shapecbor.encode, m, m:target(op.output), out) end
end
