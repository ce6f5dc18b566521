-- Service models (botocore's service-2.json format): the embedded ones,
-- decoded one operation or shape at a time, or any model given as a table.
-- Resolved shapes are the decoded JSON tables themselves; derived facts
-- (member maps, names) are cached on them under keys starting with "_".
local json = require "json"

local M = {}
local Model = {}
Model.__index = Model

-- botocore's xform_name: "DescribeDBInstances" -> "describe_db_instances".
function M.snake_name(name)
  if name:find("_", 1, true) then return name end
  local special = name:match("%u%u+s$")
  if special then name = name:sub(1, -#special - 1) .. "_" .. special:lower() end
  name = name:gsub("(.)(%u%l+)", "%1_%2")
  return (name:gsub("([%l%d])(%u)", "%1_%2"):lower())
end

-- The embedded model of a botocore service name ("ecs"), or nil.
function M.embedded(service)
  local models = require "aws.models"
  local metadata = models.get(service, "metadata")
  if not metadata then return nil end
  return setmetatable({
    name = service,
    metadata = json.decode(metadata),
    embedded = models,
    shapes = {},
    operations = {},
  }, Model)
end

-- The model of a service from a botocore data folder's version folder
-- (aws.catalog.find), read whole; its paginators and waiters on first use.
function M.from_folder(service, folder)
  local t = require("aws.catalog").read(folder, "service-2")
  if not t then error("aws: no service-2.json in " .. folder, 0) end
  local m = M.from_table(t)
  m.name, m.folder = service, folder
  return m
end

-- A model from a decoded service-2 table (used in place, not copied).
-- paginators: an optional decoded paginators-1 table.
function M.from_table(t, paginators)
  if type(t) ~= "table" or type(t.metadata) ~= "table" or type(t.operations) ~= "table"
    or type(t.shapes) ~= "table" then
    error("aws: a service model needs metadata, operations and shapes", 3)
  end
  return setmetatable({
    name = t.metadata.endpointPrefix,
    metadata = t.metadata,
    shapes = t.shapes,
    operations = t.operations,
    paginators = paginators and paginators.pagination or nil,
  }, Model)
end

function Model:shape(name)
  local s = self.shapes[name]
  if s == nil then
    local text = self.embedded and self.embedded.shape(self.name, name)
    if not text then error("aws: model has no shape " .. tostring(name), 0) end
    s = json.decode(text)
    self.shapes[name] = s
  end
  if not s._name then s._name = name end
  return s
end

-- The shape a member reference ({shape = "Name", locationName = ...}) points to.
function Model:target(ref)
  local s = ref._target
  if not s then
    s = self:shape(ref.shape)
    ref._target = s
  end
  return s
end

function Model:operation(name)
  local op = self.operations[name]
  if op == nil and self.embedded then
    local text = self.embedded.operation(self.name, name)
    if text then
      op = json.decode(text)
      self.operations[name] = op
    end
  end
  return op
end

-- All operation names, unsorted.
function Model:operation_names()
  if self.embedded then return self.embedded.operations(self.name) end
  local names = {}
  for name in pairs(self.operations) do names[#names + 1] = name end
  return names
end

-- snake_case name -> operation name, built on first use.
function Model:snake_names()
  local map = self._snake
  if not map then
    map = {}
    for _, name in ipairs(self:operation_names()) do map[M.snake_name(name)] = name end
    self._snake = map
  end
  return map
end

local DOCUMENT_FILES = {paginators = "paginators-1", waiters = "waiters-2"}

-- The model's "paginators" or "waiters" document, decoded, or nil.
function Model:document(kind)
  if self.embedded then
    local text = self.embedded.get(self.name, kind)
    return text and json.decode(text) or nil
  end
  if self.folder then return require("aws.catalog").read(self.folder, DOCUMENT_FILES[kind]) end
end

-- The paginator of an operation ({input_token=, output_token=, ...}) or nil.
function Model:paginator(op_name)
  if self.paginators == nil then
    local doc = self:document("paginators")
    self.paginators = doc and doc.pagination or false
  end
  return self.paginators and self.paginators[op_name] or nil
end

M.Model = Model
return M
