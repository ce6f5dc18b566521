-- A deployment's journal: what each step created and how to remove it, as
-- JSON data, written atomically (temporary file, fsync, rename) with mode
-- 0600. It holds no secret; inputs that look like one are refused.
local json = require "json"
local fs = require "fgrun.fs"

local journal = {}
journal.__index = journal

local FORMAT = 1

local SECRET_KEY = { "secret", "password", "passwd", "token", "credential", "privatekey" }

-- Refuses values under secret-looking keys (the token fg itself makes for
-- idempotent creates is not one: it only names a request).
local function check_no_secrets(value, path)
  if type(value) ~= "table" then return end
  for k, v in pairs(value) do
    local where = path .. "." .. tostring(k)
    if type(k) == "string" and type(v) == "string" and k ~= "idempotency_token" then
      local lk = k:lower():gsub("[_%-]", "")
      for _, s in ipairs(SECRET_KEY) do
        if lk:find(s, 1, true) and not lk:find("arn", 1, true) and not lk:find("name", 1, true) then
          error(("%s looks like a secret; journals hold no secrets (pass an ARN or a name instead)")
            :format(where), 0)
        end
      end
    end
    check_no_secrets(v, where)
  end
end
journal.check_no_secrets = check_no_secrets

-- journal.check_private(path, what): raises unless path belongs to this
-- user and nobody else can write it (a journal drives --destroy).
function journal.check_private(path, what)
  local ok, why = fs.check_private(path)
  if not ok then
    error(("refusing the %s: %s. Whoever can write it could make fgrun remove or call what they "
      .. "choose; if it is yours, make it private (chown, chmod go-w)"):format(what, why), 0)
  end
end

-- journal.open(path) -> journal (empty when the file does not exist).
-- A corrupt journal or one from a newer format is an error; the file is
-- left as it is; so is one that others could have written.
function journal.open(path)
  local self = setmetatable({ path = path }, journal)
  local dir = path:match("^(.*)/[^/]+$") or "."
  if fs.exists(dir) then journal.check_private(dir, "state folder") end
  if fs.exists(path) then journal.check_private(path, "journal") end
  local f = io.open(path, "rb")
  if not f then
    self.data = { format = FORMAT, steps = json.array(), values = json.object(), outputs = json.object() }
    self.exists = false
    return self
  end
  local text = f:read("a")
  f:close()
  local ok, data = pcall(json.decode, text)
  if not ok or type(data) ~= "table" or type(data.steps) ~= "table" then
    error(("journal %s is corrupt (%s); nothing was changed. Move it away to start afresh, "
      .. "or restore it from a backup"):format(path, ok and "not a journal" or tostring(data)), 0)
  end
  if math.type(data.format) ~= "integer" or data.format > FORMAT then
    error(("journal %s has format %s, which this fgrun (format %d) cannot read; nothing was "
      .. "changed. Use a newer fgrun"):format(path, tostring(data.format), FORMAT), 0)
  end
  data.values = data.values or json.object()
  data.outputs = data.outputs or json.object()
  self.data, self.exists = data, true
  return self
end

function journal:save()
  self.data.updated_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local ok, err = fs.write_atomic(self.path, json.encode(self.data, { indent = 2, sort_keys = true }), 384)
  if not ok then error("cannot write the journal: " .. err, 0) end
  self.exists = true
end

function journal:remove()
  local ok, err = fs.remove(self.path)
  if not ok then error("cannot remove the journal: " .. err, 0) end
  self.exists = false
end

function journal:find(name)
  for i, s in ipairs(self.data.steps) do
    if s.name == name then return s, i end
  end
end

function journal:add(entry)
  self.data.steps[#self.data.steps + 1] = entry
end

function journal:drop(name)
  local _, i = self:find(name)
  if i then table.remove(self.data.steps, i) end
end

function journal:steps()
  return self.data.steps
end

return journal
