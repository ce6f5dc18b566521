-- The AWS shared config and credentials files, read as the AWS CLI does:
-- AWS_CONFIG_FILE (default ~/.aws/config, sections [default] and
-- [profile NAME]) and AWS_SHARED_CREDENTIALS_FILE (default
-- ~/.aws/credentials, sections [NAME]). Secret values come back as `true`;
-- the secrets themselves are read in C (aws.creds).
local configfile = require "aws.config_file"

local M = {}

local function home_file(name)
  local home = os.getenv("HOME") or ""
  return home .. "/.aws/" .. name
end

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

-- "~/x" -> "$HOME/x", as the CLI expands these variables and paths.
local function expand_home(path)
  if path and path:sub(1, 2) == "~/" then return (os.getenv("HOME") or "") .. path:sub(2) end
  return path
end
M.expand_home = expand_home

function M.config_path()
  return expand_home(env("AWS_CONFIG_FILE")) or home_file("config")
end

function M.credentials_path()
  return expand_home(env("AWS_SHARED_CREDENTIALS_FILE")) or home_file("credentials")
end

-- The profile in use: the explicit option, else AWS_PROFILE (which fgrun's
-- --profile sets), else AWS_DEFAULT_PROFILE, else "default". The second
-- result says whether it was chosen explicitly (which hides environment
-- credentials, as in the CLI).
function M.profile_name(explicit)
  if explicit and explicit ~= "" then return explicit, true end
  return env("AWS_PROFILE") or env("AWS_DEFAULT_PROFILE") or "default", false
end

local function config_section(config, name)
  if name == "default" then
    return config["default"] or config["profile default"]
  end
  return config["profile " .. name]
end

-- Settings of one profile: the config file's section with the credentials
-- file's section laid over it (secret values are `true`). Returns the
-- table, and whether the profile exists in either file.
function M.profile(name)
  local config = configfile.load(M.config_path()) or {}
  local creds = configfile.load(M.credentials_path()) or {}
  local settings, found = {}, false
  local c = config_section(config, name)
  if c then
    found = true
    for k, v in pairs(c) do settings[k] = v end
  end
  local s = creds[name]
  if s then
    found = true
    for k, v in pairs(s) do settings[k] = v end
  end
  return settings, found, config_section(config, name) ~= nil, s ~= nil
end

-- The [services NAME] section named by a profile's `services` setting.
function M.services(settings)
  local name = settings and settings.services
  if type(name) ~= "string" then return nil end
  local config = configfile.load(M.config_path()) or {}
  return config["services " .. name]
end

-- The [sso-session NAME] section of the config file, or nil.
function M.sso_session(name)
  local config = configfile.load(M.config_path()) or {}
  return config["sso-session " .. name]
end

-- The config file section name for a profile, as creds.from_file wants it.
function M.config_section_name(name)
  if name == "default" then
    local config = configfile.load(M.config_path()) or {}
    if not config["default"] and config["profile default"] then return "profile default" end
    return "default"
  end
  return "profile " .. name
end

return M
