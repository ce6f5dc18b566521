-- Which AWS services fgrun can make clients for, and where their models
-- come from: the pinned models embedded in the binary (models/), then any
-- other service of a botocore data/ folder, loaded on first use. Folders
-- searched, in order: FGRUN_MODELS (a data folder, or several separated by
-- ':'), then where botocore is usually installed (Debian's python3-botocore,
-- pip in the system, the user's or pyenv's Pythons, AWS CLI v2).
-- Service names are botocore's ("sso-oidc"); client keys are boto3's with
-- "_" for "-" ("sso_oidc").
local files = require "aws.model_files"

local M = {}

local USUAL = {
  "/usr/lib/python3/dist-packages/botocore/data",
  "/usr/local/lib/python3*/dist-packages/botocore/data",
  "/usr/local/lib/python3*/site-packages/botocore/data",
  "/usr/lib/python3*/site-packages/botocore/data",
  "$HOME/.local/lib/python3*/site-packages/botocore/data",
  "$HOME/.pyenv/versions/*/lib/python3*/site-packages/botocore/data",
  "/usr/local/aws-cli/v2/current/dist/awscli/botocore/data",
}

local folders_cache

-- The data folders that exist, in search order.
function M.folders()
  if folders_cache then return folders_cache end
  local found, seen = {}, {}
  local function add(pattern)
    local matches = files.glob(pattern)
    for i = #matches, 1, -1 do -- newest Python first
      local d = matches[i]
      if not seen[d] and #files.glob(d .. "/sts") > 0 then
        seen[d] = true
        found[#found + 1] = d
      end
    end
  end
  for dir in (os.getenv("FGRUN_MODELS") or ""):gmatch("[^:]+") do add(dir) end
  local home = os.getenv("HOME") or ""
  for _, pattern in ipairs(USUAL) do
    add((pattern:gsub("%$HOME", function() return home end)))
  end
  folders_cache = found
  return found
end

-- Forgets the folders found (after FGRUN_MODELS changed).
function M.reset()
  folders_cache = nil
end

-- The newest API version folder of a service in the data folders
-- ("…/data/ecs/2014-11-13"), or nil.
function M.find(service)
  if not service:match("^[%w%-]+$") then return nil end
  for _, dir in ipairs(M.folders()) do
    local versions = files.glob(dir .. "/" .. service .. "/*/service-2.json*")
    if #versions > 0 then return (versions[#versions]:match("^(.*)/[^/]*$")) end
  end
end

-- A document of a version folder ("service-2", "paginators-1", "waiters-2"),
-- decoded; nil when absent.
function M.read(folder, name)
  local path = folder .. "/" .. name .. ".json"
  local text = files.read(path)
  if not text then
    local gz, why = files.read(path .. ".gz")
    if not gz and #files.glob(path .. ".gz") > 0 then error("aws: " .. why, 0) end
    text = gz
  end
  if not text then return nil end
  local ok, v = pcall(require("json").decode, text)
  if not ok then error("aws: " .. path .. ": " .. tostring(v), 0) end
  return v
end

-- Every service with a model: embedded or in a data folder, as sorted
-- client keys ("application_autoscaling", ..., "sso_oidc", ...).
function M.services()
  local set = {}
  for _, name in ipairs(require("aws.models").list()) do set[name] = true end
  for _, dir in ipairs(M.folders()) do
    for _, path in ipairs(files.glob(dir .. "/*/*/service-2.json*")) do
      set[path:match("([^/]+)/[^/]+/[^/]+$")] = true
    end
  end
  local keys = {}
  for name in pairs(set) do keys[#keys + 1] = (name:gsub("-", "_")) end
  table.sort(keys)
  return keys
end

return M
