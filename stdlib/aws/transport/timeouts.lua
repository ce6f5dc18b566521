-- How long a client waits, in seconds, under the names botocore's Config
-- and the AWS SDK for Rust give them. The SDKs read none of them from the
-- environment or the config file, so fgrun follows botocore's convention
-- for settings that are (`name` in the profile, `AWS_<NAME>` in the
-- environment). Each comes from the client option, else the environment,
-- else the profile, else the default:
--   connect_timeout    10   to set up the connection (TCP and TLS)
--   read_timeout       60   with no byte received or sent (checked about
--                           once a second); 0 for none
--   operation_timeout  none a whole call: its attempts and the pauses
--                           between them; 0 for none
-- The defaults end a stalled connection within a minute, each attempt,
-- without cutting short a long transfer that keeps moving.
local M = {}

M.NAMES = { "connect_timeout", "read_timeout", "operation_timeout" }
M.DEFAULTS = { connect_timeout = 10, read_timeout = 60, operation_timeout = 0 }

local function env(name)
  local v = os.getenv(name)
  if v and v ~= "" then return v end
end

-- resolve(options, profile_settings) -> {connect_timeout=, read_timeout=,
-- operation_timeout=} in seconds (0: none), or nil plus what is wrong.
function M.resolve(o, settings)
  local t = {}
  for _, name in ipairs(M.NAMES) do
    local var = "AWS_" .. name:upper()
    local v, from = o[name], "the " .. name .. " option"
    if v == nil and env(var) then v, from = env(var), var end
    if v == nil and settings[name] ~= nil then v, from = settings[name], "the profile's " .. name end
    if v == nil then v = M.DEFAULTS[name] end
    local n = tonumber(v)
    if not n or n < 0 or n ~= n or n == math.huge or (name == "connect_timeout" and n == 0) then
      return nil, ("%s: %q is not a number of seconds%s"):format(from, tostring(v),
        name == "connect_timeout" and " above 0" or " (0 for none)")
    end
    t[name] = n
  end
  return t
end

-- The limits of one request (net.http's fields, milliseconds), given the
-- seconds left of the operation (nil: no operation_timeout).
function M.request_limits(t, remaining)
  local function ms(s) return math.max(1, math.ceil(s * 1000)) end
  return {
    connect_timeout_ms = ms(t.connect_timeout),
    read_timeout_ms = t.read_timeout > 0 and ms(t.read_timeout) or -1,
    timeout_ms = remaining and ms(remaining) or 0,
  }
end

return M
