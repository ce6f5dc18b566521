-- What the Docker client shows while it works: build output line by line,
-- push progress per layer (bars on a terminal, plain lines otherwise,
-- nothing with -q), and notes. Everything goes to stderr.
local fgrun = require "fgrun"
local escape = require("fgrun.text").escape

local M = {}

local function clock()
  return fgrun.monotonic()
end

-- A note for the user (not with -q).
function M.note(text)
  if not fgrun.quiet then io.stderr:write(escape(text, true), "\n") end
end

-- A sink for build output arriving in pieces: write(chunk) hands each
-- complete line to on_line(line) when given, else to stderr (not with -q);
-- finish() flushes the last partial line. `last` is the last non-blank line.
function M.lines(on_line)
  local sink = {}
  local pending = ""
  local quiet = fgrun.quiet
  local function emit(line)
    if line:match("%S") then sink.last = line end
    if on_line then
      on_line(line)
    elseif not quiet then
      io.stderr:write(escape(line), "\n")
    end
  end
  function sink.write(chunk)
    pending = pending .. chunk
    while true do
      local line, rest = pending:match("^([^\n]*)\n(.*)$")
      if not line then break end
      emit((line:gsub("\r$", "")))
      pending = rest
    end
  end
  function sink.finish()
    if pending ~= "" then emit(pending) end
    pending = ""
  end
  return sink
end

local function human(n)
  if type(n) ~= "number" then return "?" end
  local units = {"B", "kB", "MB", "GB"}
  local i = 1
  while n >= 1000 and i < #units do n, i = n / 1000, i + 1 end
  return (i == 1 and "%d%s" or "%.1f%s"):format(n, units[i])
end

-- "<layer>: <status> [=====>    ] 1.2MB/4.5MB" (the bar when sizes are known).
local function bar_text(id, status, detail)
  local text = id .. ": " .. status
  if type(detail) == "table" and type(detail.total) == "number" and detail.total > 0 then
    local current = math.min(detail.current or 0, detail.total)
    local width = 30
    local filled = math.floor(width * current / detail.total)
    text = text .. " [" .. string.rep("=", filled) .. (filled < width and ">" or "")
      .. string.rep(" ", width - filled - 1) .. "] " .. human(current) .. "/" .. human(detail.total)
  end
  return text
end

M.bar_text = bar_text

-- Per-layer progress of a push (or pull) stream: update(message) with each
-- decoded message, finish() at the end. quiet: nothing shown.
function M.layers(ref, quiet)
  local h = fgrun
  local view = {}
  if h.quiet or quiet then
    function view.update() end
    function view.finish() end
    return view
  end
  local tty = fgrun.isatty(2)
  local order, index, last_status, last_draw = {}, {}, {}, {}
  local out = io.stderr

  local function redraw(i, text)
    local up = #order - i + 1
    out:write(("\27[%dA\r\27[2K%s\27[%dB\r"):format(up, text, up))
  end

  function view.update(m)
    local id, status = m.id, m.status
    if type(status) ~= "string" then return end
    status = escape(status)
    if type(id) == "string" then id = escape(id) end
    if type(id) ~= "string" or id == "" or id == ref then
      out:write(status, "\n")
      return
    end
    local changed = last_status[id] ~= status
    last_status[id] = status
    if not tty then
      if changed then out:write(id, ": ", status, "\n") end
      return
    end
    local text = bar_text(id, status, m.progressDetail)
    if not index[id] then
      order[#order + 1] = id
      index[id] = #order
      out:write(text, "\n")
      last_draw[id] = clock()
      return
    end
    -- Redraw on a new status at once; progress ticks at most every 0.1 s.
    local now = clock()
    if changed or now - (last_draw[id] or 0) >= 0.1 then
      redraw(index[id], text)
      last_draw[id] = now
    end
  end

  function view.finish()
    out:flush()
  end
  return view
end

return M
