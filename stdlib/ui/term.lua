-- What stderr is: a terminal or not, its width, whether to colour.
local fgrun = require "fgrun"

local M = {}

local tty -- cached: stderr does not change while a script runs

-- True when stderr is a terminal.
function M.stderr_is_tty()
  if tty == nil then
    if fgrun.isatty then
      tty = fgrun.isatty(2) and true or false
    elseif fgrun.color then
      tty = true -- the host colours only a terminal
    else
      -- No colour says nothing (NO_COLOR, --no-color): ask the shell, once.
      tty = os.execute("test -t 2") == true
    end
  end
  return tty
end

-- "quiet" (-q), "tty" (one updating line) or "plain" (timestamped lines).
-- With -v the log lines of calls go to stderr too, and would land in the
-- middle of a redrawn line: then progress is plain lines as well.
function M.mode()
  if fgrun.quiet then return "quiet" end
  if (fgrun.verbosity or 0) > 0 then return "plain" end
  return M.stderr_is_tty() and "tty" or "plain"
end

local columns -- cached

-- Columns of the terminal: $COLUMNS, else what stty says, else 80.
function M.width()
  if not columns then
    local n = math.tointeger(tonumber(os.getenv("COLUMNS") or ""))
    if not n then
      local p = io.popen("stty size 2>/dev/null </dev/tty")
      local answer = p and p:read("a") or ""
      if p then p:close() end
      n = math.tointeger(tonumber(answer:match("^%d+ (%d+)") or ""))
    end
    columns = (n and n > 20) and n or 80
  end
  return columns
end

local CODES = {bold = "1", dim = "2", red = "31", green = "32", yellow = "33",
               blue = "34", cyan = "36"}

-- text wrapped in the ANSI style `name` when colour is on, else unchanged.
function M.style(name, text)
  if not fgrun.color or not CODES[name] then return text end
  return "\27[" .. CODES[name] .. "m" .. text .. "\27[0m"
end

return M
