-- --confirm (or `confirm = true` in an environment file): before a run
-- changes anything, its plan is shown (fgrun --plan, run as a separate
-- process with the same command line, while this run holds the
-- deployment's lock) and the user answers y/N on the terminal. Without a
-- terminal it refuses unless --yes answers for the user.
local fgrun = require "fgrun"

local confirm = {}

-- Quoted for sh: every byte kept, nothing expanded.
local function quoted(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- This process's executable, by its pid (the shell's /proc/self is its own).
local function executable()
  local f = assert(io.open("/proc/self/stat", "r"))
  local pid = f:read("l"):match("^(%d+)")
  f:close()
  return "/proc/" .. pid .. "/exe"
end

-- The command line of the plan: this one's options with --plan instead of
-- --confirm, --yes and --json (the plan is for a person to read).
function confirm.plan_command(argv, exe)
  local first = 0
  while argv[first - 1] ~= nil do first = first - 1 end
  local words = { quoted(exe) }
  for i = first + 1, -1 do
    local a = argv[i]
    if a ~= "--confirm" and a ~= "--yes" and a ~= "--json" then words[#words + 1] = quoted(a) end
  end
  words[#words + 1] = "--plan"
  for i = 0, #argv do words[#words + 1] = quoted(argv[i]) end
  return "exec " .. table.concat(words, " ")
end

-- confirm.check(): before the lock, raises when no one can answer.
function confirm.check()
  if not arg or not arg[0] or arg[0] == "-" then
    error("--confirm needs the recipe as a file (its plan runs it once more)", 0)
  end
  if not fgrun.options.yes and not fgrun.isatty(0) then
    error("--confirm: standard input is not a terminal, so no one can answer; give --yes to go ahead "
      .. "after showing the plan, or leave confirm off for this run", 0)
  end
end

-- confirm.ask(d): shows the plan and asks; returns when the run may go
-- on, raises (nothing changed) when it may not.
function confirm.ask(d)
  io.stdout:flush()
  local _, how, status = os.execute(confirm.plan_command(arg, executable()))
  if fgrun.interrupted() or how == "signal" then error("interrupted", 0) end
  if status == 0 then return end -- no changes: nothing to agree to
  if status ~= 2 then error(("the plan failed (exit %s); nothing was changed"):format(tostring(status)), 0) end
  local what = d.destroying and "Destroy" or "Deploy"
  if fgrun.options.yes then
    io.stderr:write(("%s: going ahead (--yes)\n"):format(d.id))
    return
  end
  io.stderr:write(("%s these changes to %s? Only y or yes goes ahead [y/N]: "):format(what, d.id))
  io.stderr:flush()
  local answer = io.stdin:read("l")
  if fgrun.interrupted() then error("interrupted", 0) end
  answer = (answer or ""):lower():gsub("^%s+", ""):gsub("%s+$", "")
  if answer ~= "y" and answer ~= "yes" then error("not confirmed; nothing was changed", 0) end
end

return confirm
