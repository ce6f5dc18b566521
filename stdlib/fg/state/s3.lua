-- Journals in S3 (--state s3://BUCKET/PREFIX), shared by a team and its CI:
-- PREFIX/<id>.json and PREFIX/<id>.lock. The store interface is described
-- in fg/state.lua; what S3 adds:
-- * the lock is an object created with If-None-Match: * (S3 lets exactly
--   one such write succeed), holding who took it (user, host, pid, time, an
--   ID); it is deleted with If-Match on its ETag, so a run never removes a
--   lock that is no longer its own. A holder killed with -9 leaves it
--   behind: `fgrun --state ... --force-unlock ID` clears it.
-- * the journal is written with If-Match on the ETag this run last read or
--   wrote (If-None-Match: * when there was none), so an update made behind
--   this run's back is refused, never overwritten; a PUT replaces an
--   object whole, so a reader sees the old or the new journal.
-- * a retried request whose first answer was lost finds its own write
--   (the same body) and takes it as done.
local aws = require "aws"
local escape = require("fgrun.text").escape
local fgrun = require "fgrun"
local json = require "json"
local run_holder = require "fg.state.holder"

local store = {}
store.__index = store

local Lock = {}
Lock.__index = Lock

local checked = {} -- buckets whose versioning this process has checked

-- store.open(bucket, prefix [, client]): client is the S3 client to use
-- (default aws.s3).
function store.open(bucket, prefix, client)
  return setmetatable({
    bucket = bucket, prefix = prefix, client = client,
    location = "s3://" .. bucket .. (prefix ~= "" and ("/" .. prefix) or ""),
    etags = {}, -- id -> the ETag of the journal as this run last saw it
  }, store)
end

function store:s3()
  return self.client or aws.s3
end

function store:key(id, ext)
  return (self.prefix ~= "" and (self.prefix .. "/") or "") .. id .. ext
end

function store:where(id)
  return "s3://" .. self.bucket .. "/" .. self:key(id, ".json")
end

-- A warning on standard error; what it quotes from S3 is escaped.
local function warn(fmt, ...)
  io.stderr:write("warning: ", escape(fmt:format(...)), "\n")
end

local function code_of(err) return type(err) == "table" and err.code or nil end

-- An answer that says a condition did not hold: someone else wrote first.
local function is_conflict(err)
  local code = code_of(err)
  return code == "PreconditionFailed" or code == "ConditionalRequestConflict"
end

local function is_missing(err)
  local code = code_of(err)
  return code == "NoSuchKey" or code == "NotFound" or code == "404"
end

-- Raises a message about the state for an S3 error: the causes users meet
-- (no bucket, no permission) said plainly, with what to do.
function store:fail(err, doing)
  local code = code_of(err)
  if code == "NoSuchBucket" then
    error(("the state bucket %s does not exist (%s); create it, with versioning on: aws s3api "
      .. "create-bucket --bucket %s, then aws s3api put-bucket-versioning --bucket %s "
      .. "--versioning-configuration Status=Enabled"):format(self.bucket, self.location, self.bucket, self.bucket), 0)
  end
  if code == "AccessDenied" or code == "403" or code == "AllAccessDisabled" then
    error(("%s in %s: access denied (%s). The credentials need s3:GetObject, s3:PutObject and "
      .. "s3:DeleteObject on arn:aws:s3:::%s/%s* and s3:ListBucket and s3:GetBucketVersioning on "
      .. "arn:aws:s3:::%s"):format(doing, self.location, tostring(err), self.bucket, self:key("", ""),
      self.bucket), 0)
  end
  error(("%s in %s: %s"):format(doing, self.location, tostring(err)), 0)
end

-- The bucket exists and keeps versions (recommended: every journal ever
-- written can be restored); a warning naming the bucket when it does not.
function store:check_bucket()
  if checked[self.bucket] then return end
  local ok, r = pcall(self:s3().get_bucket_versioning, { Bucket = self.bucket })
  if not ok and code_of(r) == "NoSuchBucket" then self:fail(r, "cannot use the state") end
  checked[self.bucket] = true
  if not ok then
    warn("cannot tell whether the state bucket %s keeps versions (%s)", self.bucket, tostring(r))
  elseif r.Status ~= "Enabled" then
    warn("the state bucket %s does not keep versions (versioning is %s), so a journal overwritten or "
      .. "deleted by mistake cannot be restored; turn it on: aws s3api put-bucket-versioning --bucket %s "
      .. "--versioning-configuration Status=Enabled", self.bucket, r.Status and r.Status:lower() or "off",
      self.bucket)
  end
end

-- The object's text and ETag, or nil when there is none.
function store:peek(key)
  local ok, r = pcall(self:s3().get_object, { Bucket = self.bucket, Key = key })
  if ok then return r.Body, r.ETag end
  if is_missing(r) then return nil end
  self:fail(r, "cannot read s3://" .. self.bucket .. "/" .. key)
end

function store:exists(id)
  local ok, r = pcall(self:s3().head_object, { Bucket = self.bucket, Key = self:key(id, ".json") })
  if ok then return true end
  if is_missing(r) then return false end
  self:fail(r, "cannot look for the journal")
end

function store:read(id)
  local text, etag = self:peek(self:key(id, ".json"))
  self.etags[id] = etag
  return text
end

-- The message for a journal that changed since this run last saw it.
function store:changed(id, there_now)
  return ("the journal %s was %s behind this run's back since it read it; nothing was overwritten. "
    .. "Another run may have cleared this deployment's lock (--force-unlock) and deployed: look at "
    .. "the journal's versions in the bucket before running again"):format(self:where(id),
    not there_now and "deleted" or self.etags[id] and "changed" or "created")
end

function store:write(id, text)
  local etag = self.etags[id]
  local params = { Bucket = self.bucket, Key = self:key(id, ".json"), Body = text,
                   ContentType = "application/json" }
  if etag then params.IfMatch = etag else params.IfNoneMatch = "*" end
  local ok, r = pcall(self:s3().put_object, params)
  if ok then
    self.etags[id] = r.ETag
    return true
  end
  if not (is_conflict(r) or (etag and is_missing(r))) then self:fail(r, "cannot write the journal") end
  local now, now_etag = self:peek(params.Key)
  if now == text then -- this run's own write, its answer lost and the request retried
    self.etags[id] = now_etag
    return true
  end
  return nil, self:changed(id, now ~= nil)
end

function store:unchanged(id)
  local ok, r = pcall(self:s3().head_object, { Bucket = self.bucket, Key = self:key(id, ".json") })
  if not ok and not is_missing(r) then self:fail(r, "cannot look at the journal") end
  local now = ok and r.ETag or nil
  if now == self.etags[id] then return true end
  return nil, self:changed(id, now ~= nil)
end

function store:remove(id)
  local etag = self.etags[id]
  if not etag then return true end -- never there, as far as this run knows
  local ok, r = pcall(self:s3().delete_object, { Bucket = self.bucket, Key = self:key(id, ".json"), IfMatch = etag })
  if ok or is_missing(r) then
    self.etags[id] = nil
    return true
  end
  if is_conflict(r) then
    return nil, ("the journal %s was changed behind this run's back; it was not removed"):format(self:where(id))
  end
  self:fail(r, "cannot remove the journal")
end

-- Text from the bucket, fit for a terminal (and not too long for one).
local function clean(v)
  return escape(tostring(v)):sub(1, 200)
end

local function describe_holder(h)
  local where = ("user %s on %s, pid %s, since %s"):format(clean(h.user), clean(h.host), clean(h.pid),
    clean(h.started_at))
  if h.ci then where = where .. ", " .. clean(h.ci) end
  return where
end

function store:lock(id)
  self:check_bucket()
  local info = run_holder()
  info.id, info.deployment = fgrun.uuid4(), id
  local body = json.encode(info, { sort_keys = true })
  local key = self:key(id, ".lock")
  for _ = 1, 3 do
    local ok, r = pcall(self:s3().put_object, { Bucket = self.bucket, Key = key, Body = body,
      IfNoneMatch = "*", ContentType = "application/json" })
    local etag = ok and r.ETag
    if not ok then
      if not is_conflict(r) then self:fail(r, "cannot take the deployment's lock") end
      local text, now_etag = self:peek(key)
      if text == body then
        etag = now_etag -- this run's own write, its answer lost and the request retried
      elseif text then
        local decoded, holder = pcall(json.decode, text)
        if not decoded or type(holder) ~= "table" then holder = { id = "?" } end
        error(("deployment %s is in use by another run (%s; lock ID %s, s3://%s/%s); wait for it to "
          .. "finish. If that run is gone (killed, its machine lost), clear its lock: fgrun --state %s "
          .. "--force-unlock %s"):format(id, describe_holder(holder), clean(holder.id), self.bucket, key,
          self.location, clean(holder.id)), 0)
      end
      -- released between the two calls: try again
    end
    if etag then
      return setmetatable({ store = self, key = key, etag = etag, id = info.id }, Lock)
    end
  end
  error(("cannot take the lock s3://%s/%s: it changed hands three times in a row; try again")
    :format(self.bucket, key), 0)
end

-- lock:release(): deletes the lock object if it is still this run's. A
-- failure is a warning: the run's work is done and recorded, and the next
-- run is told how to clear the lock.
function Lock:release()
  if self.released then return end
  self.released = true
  local st = self.store
  local ok, r = pcall(st:s3().delete_object, { Bucket = st.bucket, Key = self.key, IfMatch = self.etag })
  if ok or is_missing(r) then return end
  if is_conflict(r) then
    warn("the lock s3://%s/%s is no longer this run's (cleared with --force-unlock and taken by another "
      .. "run?); left as it is", st.bucket, self.key)
  else
    warn("cannot release the lock s3://%s/%s (%s); clear it with: fgrun --state %s --force-unlock %s",
      st.bucket, self.key, tostring(r), st.location, self.id)
  end
end

-- The keys directly under the prefix that end in ext.
function store:list(ext)
  local prefix = self:key("", "")
  local ok, r = pcall(self:s3().all, "list_objects_v2", { Bucket = self.bucket, Prefix = prefix })
  if not ok then self:fail(r, "cannot list the state") end
  local keys = {}
  for _, o in ipairs(r.Contents or {}) do
    local rest = o.Key:sub(#prefix + 1)
    if not rest:find("/", 1, true) and rest:sub(-#ext) == ext and #rest > #ext then keys[#keys + 1] = o.Key end
  end
  table.sort(keys)
  return keys
end

function store:journals()
  local ids = {}
  for _, key in ipairs(self:list(".json")) do ids[#ids + 1] = key:match("([^/]+)%.json$") end
  return ids
end

-- store:force_unlock(lock_id) -> the deployment and a description of the
-- holder whose lock was removed. Only the lock with that ID, and only if
-- it has not changed since it was read.
function store:force_unlock(lock_id)
  local held = {}
  for _, key in ipairs(self:list(".lock")) do
    local text, etag = self:peek(key)
    local decoded, info = pcall(json.decode, text or "")
    if decoded and type(info) == "table" and info.id == lock_id then
      local ok, r = pcall(self:s3().delete_object, { Bucket = self.bucket, Key = key, IfMatch = etag })
      if not ok and is_conflict(r) then
        error(("the lock s3://%s/%s changed while it was being cleared; look again"):format(self.bucket, key), 0)
      elseif not ok and not is_missing(r) then
        self:fail(r, "cannot clear the lock")
      end
      return clean(info.deployment), describe_holder(info)
    end
    if decoded and type(info) == "table" then held[#held + 1] = clean(info.id) .. " (" .. clean(info.deployment) .. ")" end
  end
  error(("no lock with ID %s in %s (released already?); locks there now: %s")
    :format(clean(lock_id), self.location, #held > 0 and table.concat(held, ", ") or "none"), 0)
end

return store
