-- Where deployment journals live: a folder on this machine (fg.state.folder)
-- or an S3 prefix a team and its CI share (fg.state.s3). Both are stores
-- with the same methods, so the deployment code does not know which:
--   store.location            the location as given ("./.fgrun", "s3://b/p")
--   store:where(id)           the journal's address, for messages
--   store:exists(id)          whether the journal is there
--   store:read(id)            its text, or nil when there is none
--   store:write(id, text)     replaces it whole (never half-written) -> true;
--                             on S3 only if nobody changed it since this run
--                             read it, else nil and why (nothing written)
--   store:remove(id)          removes it (with the same condition on S3)
--   store:unchanged(id)       true, or nil and why when it changed since this
--                             run last read or wrote it (S3; a folder's
--                             journal is guarded by its lock alone)
--   Other failures raise.
--   store:lock(id)            -> lock (lock:release(remove_file)); raises,
--                             naming the holder, when another run has it
--   store:journals()          the ids of every journal there, sorted
--   store:force_unlock(lock_id) clears a stale lock (S3: its holder died)
-- `id` is the deployment's name and environment ("fargate-alb.prod").
local state = {}

local DEFAULT = "./.fgrun"
state.DEFAULT = DEFAULT

-- state.is_s3(location) -> true for "s3://..." locations.
function state.is_s3(location)
  return type(location) == "string" and location:sub(1, 5) == "s3://"
end

-- state.open(location [, opts]) -> store. location: a folder, or
-- s3://bucket[/prefix]; opts.s3: the S3 client (default aws.s3).
function state.open(location, opts)
  location = location or DEFAULT
  if state.is_s3(location) then
    local bucket, prefix = location:match("^s3://([^/]+)/*(.-)/*$")
    if not bucket then
      error(("state location %s: want s3://BUCKET/PREFIX"):format(location), 0)
    end
    return require("fg.state.s3").open(bucket, prefix, opts and opts.s3)
  end
  return require("fg.state.folder").open(location)
end

-- state.journal_address(address) -> location, id for a journal's address
-- as fgrun prints it (".fgrun/app.prod.json", "s3://b/p/app.prod.json").
function state.journal_address(address)
  local location, id = address:match("^(.*)/([^/]+)%.json$")
  if not location then location, id = ".", address:match("^([^/]+)%.json$") end
  if not id or id == "" then error("not a journal address (want PATH/NAME.json or s3://BUCKET/PREFIX/NAME.json): " .. address, 0) end
  if location == "s3:/" then error("not a journal address (no bucket): " .. address, 0) end
  return location, id
end

-- state.holder() -> who this run is, for a lock (fg/state/holder.lua).
state.holder = require "fg.state.holder"

return state
