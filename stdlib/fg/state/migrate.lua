-- Moves journals from one store to another (fgrun --state TO
-- --migrate-state [FROM]), such as a laptop's ./.fgrun to the S3 prefix a
-- team shares. Each journal is copied under both stores' locks (no run can
-- change it meanwhile), read back and compared, and only then removed from
-- where it was; a journal already at the destination is never overwritten.
local journal = require "fg.journal"
local state = require "fg.state"

local migrate = {}

local function move_one(source, dest, id)
  journal.open(source, id) -- a corrupt journal is refused, not moved
  local text = source:read(id)
  if dest:read(id) then
    error(("%s already has a journal for %s; nothing was moved. Compare the two, keep one, and run "
      .. "again"):format(dest:where(id), id), 0)
  end
  dest:write(id, text) -- only where there is none (If-None-Match on S3)
  if dest:read(id) ~= text then
    error(("the copy at %s does not read back the same; the original %s is kept"):format(dest:where(id),
      source:where(id)), 0)
  end
  source:remove(id)
end

-- migrate.run(from, to, say) -> the number of journals moved. from: a
-- folder or an S3 location (every journal in it) or one journal's
-- address; to: a location. say(fmt, ...) reports each one.
function migrate.run(from, to, say)
  local source, ids
  if from:match("%.json$") then
    local location, id = state.journal_address(from)
    source, ids = state.open(location), { id }
    if not source:exists(id) then error("no journal at " .. from, 0) end
  else
    source = state.open(from)
    ids = source:journals()
  end
  local dest = state.open(to)
  if dest.location == source.location then
    error(("--migrate-state: the journals are already in %s; name where they go with --state"):format(to), 0)
  end
  if #ids == 0 then error(("no journals in %s; nothing to migrate"):format(source.location), 0) end
  for _, id in ipairs(ids) do
    local source_lock = source:lock(id)
    local moved, err = pcall(function()
      local dest_lock = dest:lock(id)
      local ok, why = pcall(move_one, source, dest, id)
      dest_lock:release(true)
      if not ok then error(why, 0) end
    end)
    source_lock:release(moved)
    if not moved then error(err, 0) end
    say("moved %s to %s", source:where(id), dest:where(id))
  end
  return #ids
end

return migrate
