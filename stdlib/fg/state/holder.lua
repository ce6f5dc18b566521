-- Who this run is, for a state lock (fg/state/folder.lua, fg/state/s3.lua):
-- holder() -> {user, host, pid, started_at, ci (the CI run's address,
-- when there is one)}.
local function read_all(path)
  local f = io.open(path, "r")
  if not f then return "" end
  local text = f:read("a")
  f:close()
  return text
end

-- The user's name from /etc/passwd when USER and LOGNAME are not set
-- (containers, CI), else "uid N".
local function user_name()
  local uid = read_all("/proc/self/status"):match("\nUid:%s+(%d+)") or "?"
  for line in read_all("/etc/passwd"):gmatch("[^\n]+") do
    local name, id = line:match("^([^:]+):[^:]*:(%d+):")
    if id == uid then return name end
  end
  return "uid " .. uid
end

local function holder()
  local ci
  local server, repo, run = os.getenv("GITHUB_SERVER_URL"), os.getenv("GITHUB_REPOSITORY"), os.getenv("GITHUB_RUN_ID")
  if server and repo and run then ci = ("%s/%s/actions/runs/%s"):format(server, repo, run) end
  return {
    user = os.getenv("USER") or os.getenv("LOGNAME") or user_name(),
    host = read_all("/proc/sys/kernel/hostname"):match("^[^\n]+") or "?",
    pid = tonumber(read_all("/proc/self/stat"):match("^(%d+)")) or 0,
    started_at = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    ci = ci,
  }
end

return holder
