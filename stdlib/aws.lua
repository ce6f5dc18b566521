-- AWS clients driven by the official service models, named as in boto3:
--   local aws = require "aws"
--   aws.ecs.describe_services{cluster = "c", services = {"s"}}
--   aws.client("ecs", {region = "eu-west-1"}).list_clusters()
--   for page in aws.iam.paginate("list_policies", {}) do ... end
--   aws.iam.all("list_policies", {Scope = "AWS"}).Policies
-- Values: structures and maps are tables marked json.object_mt, lists are
-- marked json.array_mt; integers are Lua integers, floats floats; blobs are
-- raw byte strings; timestamps are ISO-8601 UTC strings
-- ("2015-01-25T08:00:00Z", fractional seconds kept when present) and input
-- timestamps take such strings or epoch seconds. Every failure is raised as an
-- error object (aws.is_error): {service, operation, code, message, status,
-- request_id, retryable}; code "ValidationError" means nothing was sent.
local model = require "aws.model"
local client = require "aws.client"
local errors = require "aws.errors"
local catalog = require "aws.catalog"

local aws = {}

-- The client key (boto3's name, "_" for "-") of the recipe's services
-- whose botocore name differs otherwise: none today; any other key names
-- the botocore service of the same spelling with "-" for "_".
local function botocore_name(key)
  return (key:gsub("_", "-"))
end

local loaded = {} -- botocore name -> model, shared by the clients of a service

-- The model of a botocore service name: embedded, else from a botocore
-- data folder (aws.catalog), or nil.
local function service_model(service)
  local m = loaded[service]
  if m == nil then
    m = model.embedded(service)
    if not m then
      local folder = catalog.find(service)
      m = folder and model.from_folder(service, folder) or false
    end
    loaded[service] = m
  end
  return m or nil
end

-- aws.services() -> every client key a model exists for, sorted: the
-- embedded ones and those of the botocore data folders found.
function aws.services()
  return catalog.services()
end

-- aws.client(name, {region=, profile=, endpoint_url=, max_attempts=, retry_mode=,
--                    connect_timeout=, read_timeout=, operation_timeout=})
function aws.client(name, opts)
  local key = type(name) == "string" and name:gsub("-", "_") or nil
  local m = key and key:match("^[%w_]+$") and service_model(botocore_name(key))
  if not m then
    local folders = catalog.folders()
    error("aws: unknown service " .. tostring(name) .. " (aws.services() lists the "
          .. #aws.services() .. " known; models are embedded or read from "
          .. (#folders > 0 and table.concat(folders, ", ") or "a botocore data folder in FGRUN_MODELS")
          .. ")", 2)
  end
  return client.new(m, key, opts)
end

local function read_json(path)
  local f, err = io.open(path, "rb")
  if not f then error("aws.load_model: " .. err, 3) end
  local text = f:read("a")
  f:close()
  local ok, v = pcall(require("json").decode, text)
  if not ok then error("aws.load_model: " .. path .. ": " .. tostring(v), 3) end
  return v
end

-- aws.load_model(path_or_table [, opts]) -> client of any botocore-format
-- service-2 model. opts: the transport options
-- of aws.client, plus name (the client's name in messages) and paginators
-- (a paginators-1 table or path). A table is used in place: derived facts
-- are cached in its shapes under keys that start with "_".
function aws.load_model(source, opts)
  opts = opts or {}
  local t = type(source) == "string" and read_json(source) or source
  local paginators = opts.paginators
  if type(paginators) == "string" then paginators = read_json(paginators) end
  local m = model.from_table(t, paginators)
  local key = opts.name or (t.metadata.endpointPrefix or "service"):gsub("-", "_")
  return client.new(m, key, opts)
end

aws.is_error = errors.is_error

-- Snake-case name of an operation as boto3 spells it ("DescribeDBInstances"
-- -> "describe_db_instances").
aws.snake_name = model.snake_name

-- aws.ecs, aws.s3, ...: default clients of any known service, made on
-- first use.
return setmetatable(aws, {
  __index = function(self, key)
    if type(key) == "string" and key:match("^%l[%w_]*$") and service_model(botocore_name(key)) then
      local c = aws.client(key)
      rawset(self, key, c)
      return c
    end
  end,
})
