-- The wire protocols by name: how a request is written and an answer read.
-- answer() turns one HTTP answer into the operation's output, or into an
-- error table (code, message, status, request_id, data) the transport can
-- classify for retries; answers that are not the protocol's become errors
-- with their status and a short, escaped excerpt.
local errors = require "aws.errors"

local M = {}

local function request_id_header(headers)
  return headers["x-amzn-requestid"] or headers["x-amz-request-id"]
end

local function error_shape(model, op, code)
  local refs = op.errors
  if not refs or not code then return nil end
  for i = 1, #refs do
    local shape = model:target(refs[i])
    if refs[i].shape == code or (shape.error and shape.error.code == code) then return shape end
  end
end

-- Member names that hold secrets where the models do not mark them sensitive.
local SECRET_MEMBERS = {authorizationToken = true, SecretString = true, SecretBinary = true,
                        SecretAccessKey = true, SessionToken = true, Password = true, password = true}

local function holds_secrets(model, shape, seen)
  if seen[shape] then return false end
  seen[shape] = true
  if shape.sensitive then return true end
  local t = shape.type
  if t == "structure" then
    for name, ref in pairs(shape.members or {}) do
      if SECRET_MEMBERS[name] or holds_secrets(model, model:target(ref), seen) then return true end
    end
  elseif t == "list" then
    return holds_secrets(model, model:target(shape.member), seen)
  elseif t == "map" then
    return holds_secrets(model, model:target(shape.value), seen)
  end
  return false
end

-- True when a successful answer of op may carry secrets (then no excerpt
-- of it goes into a message). Walked only on that rare path, then cached.
local function output_holds_secrets(model, op)
  local v = op._output_holds_secrets
  if v == nil then
    v = op.output and holds_secrets(model, model:target(op.output), {}) or false
    op._output_holds_secrets = v
  end
  return v
end

local function unexpected(status, body, why, model, op)
  local success = status >= 200 and status < 300
  local excerpt
  if success and model and output_holds_secrets(model, op) then
    excerpt = "(not shown: this answer may hold secrets)"
  else
    excerpt = errors.excerpt(body)
  end
  return {code = success and "InvalidResponse" or tostring(status), status = status,
          message = "unexpected answer (" .. why .. "): " .. excerpt}
end

local json_protocol = {}

function json_protocol.request(model, op, params)
  return require("aws.serialize_json").request(model, op, params)
end

function json_protocol.answer(model, op, status, headers, body)
  local parse = require "aws.parse_json"
  local tree, why = parse.decode(body)
  if status >= 200 and status < 300 then
    if not tree then return nil, unexpected(status, body, why, model, op) end
    return parse.output(model, op.output and model:target(op.output), tree)
  end
  local code, message = parse.error_code(headers, tree)
  if not code then return nil, unexpected(status, body, tree and "no error code" or why) end
  local err = {code = code, message = message, status = status, request_id = request_id_header(headers)}
  local shape = error_shape(model, op, code)
  if shape and tree then err.data = parse.output(model, shape, tree) end
  return nil, err
end

local xml_protocol = {}

function xml_protocol.request(model, op, params)
  return require("aws.serialize_query").request(model, op, params)
end

function xml_protocol.answer(model, op, status, headers, body)
  local parse = require "aws.parse_xml"
  local root, why = parse.decode(body)
  if status >= 200 and status < 300 then
    if not root then return nil, unexpected(status, body, why, model, op) end
    return parse.output(model, op, root)
  end
  if not root then return nil, unexpected(status, body, why) end
  if not parse.has_children(root) then return nil, unexpected(status, body, "no error element") end
  local code, message, request_id, node = parse.error_fields(root)
  if not code then return nil, unexpected(status, body, "no error code") end
  local err = {code = code, message = message, status = status,
               request_id = request_id or request_id_header(headers)}
  local shape = error_shape(model, op, code)
  if shape then err.data = parse.structure(model, shape, root, node) end
  return nil, err
end

-- rest-json: HTTP bindings (aws.rest) around a JSON body.
local rest_json = {}

local function read_json_body(model, shape, body)
  if shape.document then -- any JSON value
    local ok, v = pcall(require("json").decode, body)
    if not ok then return nil, tostring(v) end
    return v
  end
  local parse = require "aws.parse_json"
  local tree, why = parse.decode(body)
  if not tree then return nil, why end
  return parse.output(model, shape, tree)
end

local function write_json_body(model, shape, value)
  return require("aws.serialize_json").body(model, shape, value), "application/json"
end

function rest_json.request(model, op, params)
  local req = require("aws.rest").request(model, op, params, write_json_body, "{}")
  local content_type = req.content_type or (not req.streaming and req.body ~= "" and "application/json")
    or req.payload_content_type
  if content_type and not req.headers["Content-Type"] then req.headers["Content-Type"] = content_type end
  return req
end

function rest_json.answer(model, op, status, headers, body)
  local rest = require "aws.rest"
  if status >= 200 and status < 300 then
    local out, why = rest.answer(model, op, status, headers, body, read_json_body)
    if out == nil then return nil, unexpected(status, body, why, model, op) end
    return out
  end
  local parse = require "aws.parse_json"
  local tree, why = parse.decode(body)
  local code, message = parse.error_code(headers, tree)
  if not code then return nil, unexpected(status, body, tree and "no error code" or why) end
  local err = {code = code, message = message, status = status, request_id = request_id_header(headers)}
  local shape = error_shape(model, op, code)
  if shape then
    err.data = tree and parse.output(model, shape, tree) or setmetatable({}, require("json").object_mt)
    rest.read_headers(model, shape, status, headers, err.data)
  end
  return nil, err
end

-- rest-xml: HTTP bindings (aws.rest) around an XML body.
local rest_xml = {}

local function read_xml_body(model, shape, body)
  local parse = require "aws.parse_xml"
  local doc, why = parse.decode(body)
  if not doc then return nil, why end
  return parse.structure(model, shape, doc, 1)
end

local function write_xml_body(model, shape, value, ref)
  return require("aws.serialize_xml").body(model, shape, value, ref), "application/xml"
end

function rest_xml.request(model, op, params)
  local req = require("aws.rest").request(model, op, params, write_xml_body, "")
  -- a blob payload goes without a type unless the caller gives one (S3
  -- stores the object's type from it)
  local content_type = req.content_type
    or (req.payload_content_type ~= "application/octet-stream" and req.payload_content_type)
  if content_type and not req.headers["Content-Type"] then req.headers["Content-Type"] = content_type end
  return req
end

function rest_xml.answer(model, op, status, headers, body)
  local rest = require "aws.rest"
  if status >= 200 and status < 300 then
    local out, why = rest.answer(model, op, status, headers, body, read_xml_body)
    if out == nil then return nil, unexpected(status, body, why, model, op) end
    return out
  end
  local request_id = request_id_header(headers)
  if body == "" then -- HEAD, or an answer without a body: the status is the code
    return nil, {code = tostring(status), message = "", status = status, request_id = request_id,
                 bucket_region = headers["x-amz-bucket-region"]}
  end
  local parse = require "aws.parse_xml"
  local doc, why = parse.decode(body)
  if not doc then return nil, unexpected(status, body, why) end
  local code, message, body_request_id, node = parse.error_fields(doc)
  if not code then return nil, unexpected(status, body, "no error code") end
  -- S3: a bucket's region from the header, else from the error (AuthorizationHeaderMalformed's <Region>)
  local err = {code = code, message = message, status = status, request_id = body_request_id or request_id,
               bucket_region = headers["x-amz-bucket-region"] or (node and parse.child_text(doc, node, "Region"))}
  local shape = error_shape(model, op, code)
  if shape then
    err.data = parse.structure(model, shape, doc, node)
    rest.read_headers(model, shape, status, headers, err.data)
  end
  return nil, err
end

-- smithy-rpc-v2-cbor: a POST per operation, CBOR bodies.
local cbor_protocol = {}

function cbor_protocol.request(model, op, params)
  return require("aws.serialize_cbor").request(model, op, params)
end

function cbor_protocol.answer(model, op, status, headers, body)
  local parse = require "aws.parse_cbor"
  if status >= 200 and status < 300 then -- a body that cannot be read raises: see M.answer
    return parse.output(model, op.output and model:target(op.output), body)
  end
  local tree, why = parse.decode(body)
  local code, message = parse.error_code(headers, tree)
  if not code then return nil, unexpected(status, body, tree and "no error code" or why) end
  local err = {code = code, message = message, status = status, request_id = request_id_header(headers)}
  local shape = error_shape(model, op, code)
  if shape and tree then err.data = parse.output(model, shape, body) end
  return nil, err
end

local PROTOCOLS = {json = json_protocol, query = xml_protocol, ec2 = xml_protocol,
                   ["rest-json"] = rest_json, ["rest-xml"] = rest_xml,
                   ["smithy-rpc-v2-cbor"] = cbor_protocol}

-- botocore's order of preference when a model lists several protocols.
local PREFERRED = {"json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor", "query", "ec2"}

-- The protocol of a model's metadata, or nil and why: of the protocols it
-- lists, the first fgrun speaks in botocore's order of preference (so
-- CloudWatch, which lists smithy-rpc-v2-cbor, json and query, is json as
-- in boto3); else its protocol.
function M.of(metadata)
  local name = metadata.protocol
  if metadata.protocols then
    local listed = {}
    for _, candidate in ipairs(metadata.protocols) do listed[candidate] = true end
    for _, candidate in ipairs(PREFERRED) do
      if listed[candidate] and PROTOCOLS[candidate] then name = candidate break end
    end
  end
  local protocol = PROTOCOLS[name]
  if not protocol then
    local names = {}
    for n in pairs(PROTOCOLS) do names[#names + 1] = n end
    table.sort(names)
    return nil, "protocol " .. tostring(metadata.protocol) .. " is not implemented (fgrun speaks "
      .. table.concat(names, ", ") .. ")"
  end
  return protocol
end

-- answer() with parser failures (a malformed value) turned into errors too.
function M.answer(protocol, model, op, status, headers, body)
  local ok, result, err = pcall(protocol.answer, model, op, status, headers, body)
  if not ok then return nil, unexpected(status, body, tostring(result), model, op) end
  return result, err
end

return M
