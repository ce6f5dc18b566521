-- Output for people, on stderr: progress while something takes time, notes,
-- colour. Follows the command line: -q silences progress and notes,
-- --no-color / NO_COLOR turn colour off; a stderr that is not a terminal
-- gets plain timestamped lines instead of a line redrawn in place.
--
--   local ui = require "ui"
--   local p <close> = ui.progress("service web to be stable")
--   p:update("1/2 running, 1 pending")   -- latest status
--   p:sleep(15)                          -- elapsed time keeps counting
--   p:done("2/2 running")                -- or p:fail("rolled back")
--   ui.note("pushed %s", tag)            -- a line above any progress line
local term = require "ui.term"
local progress = require "ui.progress"

local ui = {}

-- ui.progress(what, opts) -> a progress (see ui/progress.lua for opts).
ui.progress = progress.new

-- ui.mode() -> "quiet", "tty" or "plain".
ui.mode = term.mode

-- ui.style(name, text): bold, dim, red, green, yellow, blue, cyan when
-- colour is on, else text unchanged.
ui.style = term.style

-- ui.duration(seconds) -> "42s", "2m05s", "1h02m".
ui.duration = progress.duration

-- ui.note(fmt, ...): a line on stderr (not with -q), above the progress line
-- being shown, timestamped when stderr is not a terminal.
function ui.note(fmt, ...)
  local mode = term.mode()
  if mode == "quiet" then return end
  local text = select("#", ...) > 0 and string.format(fmt, ...) or tostring(fmt)
  local current = progress.current()
  if current then return current:note(text) end
  if mode == "plain" then
    io.stderr:write(os.date("!%Y-%m-%dT%H:%M:%SZ "), text, "\n")
  else
    io.stderr:write(text, "\n")
  end
  io.stderr:flush()
end

return ui
