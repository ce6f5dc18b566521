-- The shape-directed response parsers (aws.protocol answer: JSON, query and
-- ec2 XML) over every operation of the nine embedded models. Input: byte 1
-- picks the service, bytes 2-3 the operation, byte 4 the status; the rest
-- is the body.
local model = require "aws.model"
local protocol = require "aws.protocol"
local SERVICES = { "sts", "secretsmanager", "ec2", "ecr", "iam", "ecs", "logs", "elbv2",
  "application-autoscaling" }
local STATUS = { 200, 400, 403, 404, 500, 503 }
local services = {}
for _, name in ipairs(SERVICES) do
  local m = assert(model.embedded(name), name)
  local names = m:operation_names()
  table.sort(names)
  services[#services + 1] = { model = m, protocol = assert(protocol.of(m.metadata)), names = names,
    ctype = m.metadata.protocol == "json" and "application/x-amz-json-1.1" or "text/xml" }
end
return function(s)
  if #s < 4 then return end
  local a, b, c, d = s:byte(1, 4)
  local svc = services[a % #services + 1]
  local name = svc.names[(b * 256 + c) % #svc.names + 1]
  local op = svc.model:operation(name)
  local headers = { ["content-type"] = svc.ctype, ["x-amzn-requestid"] = "fuzz" }
  protocol.answer(svc.protocol, svc.model, op, STATUS[d % #STATUS + 1], headers, s:sub(5))
end
