-- Journals in a folder on this machine (--state-dir, default ./.fgrun):
-- <id>.json written atomically (temporary file, fsync, rename) with mode
-- 0600, and <id>.lock, an flock that goes with its process (kill -9
-- included), holding a line that names the process. A folder or journal
-- that is not this user's alone is refused: a journal drives --destroy.
-- The store interface is described in fg/state.lua.
local fs = require "core.fs"
local run_holder = require "fg.state.holder"

local folder = {}
folder.__index = folder

function folder.open(dir)
  return setmetatable({ dir = dir, location = dir }, folder)
end

function folder:where(id)
  return self.dir .. "/" .. id .. ".json"
end

function folder:exists(id)
  return fs.exists(self:where(id))
end

-- Raises unless path belongs to this user and nobody else can write it.
local function check_private(path, what)
  local ok, why = fs.check_private(path)
  if not ok then
    error(("refusing the %s: %s. Whoever can write it could make fgrun remove or call what they "
      .. "choose; if it is yours, make it private (chown, chmod go-w)"):format(what, why), 0)
  end
end

function folder:read(id)
  local path = self:where(id)
  if fs.exists(self.dir) then check_private(self.dir, "state folder") end
  if fs.exists(path) then check_private(path, "journal") end
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

function folder:write(id, text)
  local ok, err = fs.write_atomic(self:where(id), text, 384)
  if not ok then error("cannot write the journal: " .. err, 0) end
  return true
end

function folder:remove(id)
  local ok, err = fs.remove(self:where(id))
  if not ok then error("cannot remove the journal: " .. err, 0) end
  return true
end

function folder:unchanged()
  return true
end

function folder:lock(id)
  local ok, err = fs.mkdir(self.dir, 448)
  if not ok then error(err, 0) end
  check_private(self.dir, "state folder")
  local h = run_holder()
  local lock, holder = fs.lock(self.dir .. "/" .. id .. ".lock",
    ("pid %d on %s since %s\n"):format(h.pid, h.host, h.started_at))
  if not lock then
    error(("deployment %s is in use by another run (%s); wait for it to finish")
      :format(id, (holder or "unknown"):gsub("%s+$", "")), 0)
  end
  return lock
end

-- The folder's journals; temporary files of a write in progress are not.
function folder:journals()
  local ids = {}
  local pattern = self.dir:gsub("[%*%?%[\\]", "\\%0") .. "/*.json"
  for _, path in ipairs(require("aws.model_files").glob(pattern)) do
    ids[#ids + 1] = path:match("([^/]+)%.json$")
  end
  table.sort(ids)
  return ids
end

function folder:force_unlock()
  error(("%s is a folder: its locks go with their process (flock), so none can be left behind; "
    .. "--force-unlock is for S3 state (--state s3://BUCKET/PREFIX)"):format(self.location), 0)
end

return folder
