-- fg.retry: calls a function again while it fails with codes that AWS's
-- eventual consistency makes temporary (a role not yet assumable by ECS, a
-- security group still in use while network interfaces drain).
local fgrun = require "fgrun"

local retry = {}

local error_code = require("fg.lookup").code

local function matches(on, err)
  if type(on) == "function" then return on(err) end
  local code = error_code(err)
  if not code then return false end
  for _, c in ipairs(on or {}) do
    if c == code then return true end
  end
  return false
end

-- retry.call(fn, {on={codes} or function(err), timeout=60, delay=1,
-- max_delay=10, what=}) -> fn's results. Errors that do not match `on`
-- and the last error at the deadline are raised as they are.
function retry.call(fn, opts)
  opts = opts or {}
  local deadline = fgrun.monotonic() + (opts.timeout or 60)
  local delay, max_delay = opts.delay or 1, opts.max_delay or 10
  local attempt = 1
  while true do
    local result = table.pack(pcall(fn))
    if result[1] then return table.unpack(result, 2, result.n) end
    local err = result[2]
    if not matches(opts.on, err) or fgrun.monotonic() + delay > deadline then
      error(err, 0)
    end
    fgrun.log(1, "retry %d of %s in %.1f s: %s", attempt, opts.what or "call", delay,
      tostring(error_code(err) or err))
    fgrun.sleep(delay)
    delay = math.min(delay * 1.5, max_delay)
    attempt = attempt + 1
  end
end

return retry
