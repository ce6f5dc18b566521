-- A deployment's journal: what each step created and how to remove it, as
-- JSON data, kept in a store (fg/state.lua: a folder, or S3) that replaces
-- it whole on every save. It holds no secret; inputs that look like one are
-- refused.
local json = require "json"

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

-- journal.open(store, id) -> journal (empty when there is none); path is
-- its address, for messages. A corrupt journal or one from a newer format
-- is an error; it is left as it is.
function journal.open(store, id)
  local path = store:where(id)
  local self = setmetatable({ store = store, id = id, path = path }, journal)
  local text = store:read(id)
  if not text then
    self.data = { format = FORMAT, steps = json.array(), values = json.object(), outputs = json.object() }
    self.exists = false
    return self
  end
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

-- A store's refusal (the journal changed behind this run's back) makes
-- the journal stale (why, in self.stale): no longer this run's to act on.
function journal:check(ok, why)
  if not ok then
    self.stale = why
    error(why, 0)
  end
end

-- Raises (and makes the journal stale) when it changed in its store
-- since this run read or wrote it.
function journal:verify()
  self:check(self.store:unchanged(self.id))
end

-- A plan's copy: changes stay in memory, nothing is ever written.
function journal:keep_in_memory()
  self.in_memory = true
end

-- Writes the whole journal. Steps run as tasks (stdlib/async.lua) and
-- save from any of them: a save that must wait (the S3 store's write is a
-- network call, which yields) is followed by one more that includes every
-- change made meanwhile, and each caller returns only once a write that
-- began after its call has ended, so writes never overlap (each S3 write
-- needs the ETag of the one before) and none is lost.
function journal:save()
  if self.in_memory then return end
  self.wanted = (self.wanted or 0) + 1
  local mine = self.wanted
  while (self.written or 0) < mine do
    if self.writing then
      self.writing:get()
    else
      local target, done = self.wanted, require("async").future()
      self.writing = done
      self.data.updated_at = os.date("!%Y-%m-%dT%H:%M:%SZ")
      local ok, why = self.store:write(self.id, json.encode(self.data, { indent = 2, sort_keys = true }))
      self.writing = nil
      done:set(true)
      self:check(ok, why)
      self.written = target
    end
  end
  self.exists = true
end

function journal:remove()
  if self.in_memory then return end
  self:check(self.store:remove(self.id))
  self.exists = false
end

function journal:find(name)
  for i, s in ipairs(self.data.steps) do
    if s.name == name then return s, i end
  end
end

-- journal:add(entry [, after]): after the step named `after` when the
-- journal has it, else last.
function journal:add(entry, after)
  local i = after and select(2, self:find(after))
  table.insert(self.data.steps, i and i + 1 or #self.data.steps + 1, entry)
end

function journal:drop(name)
  local _, i = self:find(name)
  if i then table.remove(self.data.steps, i) end
end

function journal:steps()
  return self.data.steps
end

return journal
