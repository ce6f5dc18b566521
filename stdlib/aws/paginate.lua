-- Pagination from paginators-1.json: pages follow the output token(s) until
-- none is left (or more_results is false); all() merges the result keys as
-- the AWS CLI does. As in boto3, params may hold PaginationConfig =
-- {PageSize =, MaxItems =, StartingToken =} (StartingToken: the output
-- token to resume from; a list when the operation has several).
local json = require "json"

local M = {}

local function as_list(v)
  if v == nil then return {} end
  if type(v) == "table" then return v end
  return {v}
end

-- Value at a dotted path ("imageScanFindings.findings") of a page.
local function lookup(page, path)
  local v = page
  for part in path:gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = v[part]
  end
  return v
end

local function store(page, path, value)
  local parent, last = page, nil
  for part in path:gmatch("[^.]+") do
    if last then
      if type(parent[last]) ~= "table" then parent[last] = setmetatable({}, json.object_mt) end
      parent = parent[last]
    end
    last = part
  end
  parent[last] = value
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

-- Cuts the result lists of a page so that at most room items remain;
-- returns how many items the page holds after the cut.
local function truncate(page, result_keys, room)
  local held = 0
  for _, path in ipairs(result_keys) do
    local items = lookup(page, path)
    if type(items) == "table" then
      for i = #items, room + 1, -1 do items[i] = nil end
      held = math.max(held, #items)
    end
  end
  return held
end

-- Iterator over the pages of call(params); paginator is the operation's entry.
function M.pages(call, paginator, params)
  local input_tokens = as_list(paginator.input_token)
  local output_tokens = as_list(paginator.output_token)
  local result_keys = as_list(paginator.result_key)
  local next_params = copy(params or {})
  local config = next_params.PaginationConfig or {}
  next_params.PaginationConfig = nil
  if config.PageSize and paginator.limit_key then next_params[paginator.limit_key] = config.PageSize end
  if config.StartingToken then
    local start = as_list(config.StartingToken)
    for i, name in ipairs(input_tokens) do next_params[name] = start[i] end
  end
  local room = config.MaxItems
  local seen = {}
  return function()
    if not next_params then return nil end
    local page = call(next_params)
    if room then
      room = room - truncate(page, result_keys, room)
      if room <= 0 then
        next_params = nil
        return page
      end
    end
    local more = true
    if paginator.more_results then more = lookup(page, paginator.more_results) and true or false end
    local tokens, any = {}, false
    for i, path in ipairs(output_tokens) do
      local token = lookup(page, path)
      if token ~= nil and token ~= "" and token ~= json.null then
        tokens[i] = token
        any = true
      end
    end
    local key = any and json.encode(tokens) or nil
    if not more or not any or seen[key] then
      next_params = nil
    else
      seen[key] = true
      next_params = copy(next_params)
      for i, name in ipairs(input_tokens) do next_params[name] = tokens[i] end
    end
    return page
  end
end

-- All pages merged: result key lists concatenated, other keys from the last page.
function M.all(call, paginator, params)
  local result_keys = as_list(paginator.result_key)
  local merged, last = {}, nil
  for page in M.pages(call, paginator, params) do
    last = page
    for i, path in ipairs(result_keys) do
      local items = lookup(page, path)
      local acc = merged[i]
      if not acc then
        acc = setmetatable({}, json.array_mt)
        merged[i] = acc
      end
      if type(items) == "table" then
        for _, item in ipairs(items) do acc[#acc + 1] = item end
      end
    end
  end
  local result = setmetatable(copy(last or {}), json.object_mt)
  for i, path in ipairs(result_keys) do store(result, path, merged[i]) end
  for _, path in ipairs(as_list(paginator.output_token)) do
    if not path:find(".", 1, true) then result[path] = nil end
  end
  if paginator.more_results then result[paginator.more_results] = nil end
  return result
end

return M
