-- Progress of one long task (a wait, a push): on a terminal one line redrawn
-- in place (what, elapsed, latest status, an optional bar); elsewhere plain
-- timestamped lines, one per change of status (and a reminder every
-- `heartbeat` seconds); nothing in quiet mode.
local fgrun = require "fgrun"
local term = require "ui.term"
local escape = require("fgrun.text").escape

local M = {}

local Progress = {}
Progress.__index = Progress
Progress.__name = "ui.Progress"

local SPINNER = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
local BAR_WIDTH = 20

-- The progress lines being shown on the terminal, innermost last: a note or
-- a nested progress clears the line, and the outer one is redrawn after.
local shown = {}

-- "0.4s", "42s", "2m05s", "1h02m".
function M.duration(seconds)
  if seconds < 9.95 and seconds ~= math.floor(seconds) then
    return string.format("%.1fs", seconds)
  end
  local s = math.floor(seconds + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return string.format("%dm%02ds", s // 60, s % 60) end
  return string.format("%dh%02dm", s // 3600, s % 3600 // 60)
end

local function timestamp(now)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(now))
end

-- text cut to at most n characters (UTF-8 aware), "…" marking the cut.
local function fit(text, n)
  local len = utf8.len(text)
  if not len then return text:sub(1, n) end -- not UTF-8: bytes will do
  if len <= n then return text end
  return text:sub(1, utf8.offset(text, n) - 1) .. "…"
end

-- A one-line view of a status: newlines and runs of spaces folded,
-- control bytes escaped (a status often quotes a server).
local function one_line(s)
  return escape((tostring(s):gsub("%s+", " ")))
end

-- new(what, opts): opts.mode ("tty", "plain", "quiet"; default from the
-- command line and stderr), opts.stream (default io.stderr), opts.clock and
-- opts.wall (functions, for tests), opts.heartbeat (plain mode, seconds;
-- default 60).
function M.new(what, opts)
  opts = opts or {}
  local clock = opts.clock or fgrun.monotonic
  local self = setmetatable({
    what = one_line(what),
    mode = opts.mode or term.mode(),
    stream = opts.stream or io.stderr,
    clock = clock,
    wall = opts.wall or fgrun.now,
    heartbeat = opts.heartbeat or 60,
    -- plain mode: a task that ends within this many seconds prints one
    -- line, its verdict; a longer one shows its start and each status
    quiet_for = opts.quiet_for or 2,
    held = {},
    started = clock(),
    frame = 0,
  }, Progress)
  if self.mode == "tty" then
    shown[#shown + 1] = self
    self:draw()
  elseif self.mode == "plain" then
    self:line("waiting")
  end
  return self
end

-- Writes the lines held back while the task was young.
function Progress:release()
  local held = self.held
  self.held = nil
  for _, l in ipairs(held or {}) do
    self.stream:write(l, "\n")
  end
end

function Progress:elapsed()
  return self.clock() - self.started
end

function Progress:line(text)
  local l = timestamp(self.wall()) .. " " .. self.what .. ": " .. text
  self.last_line_at = self.clock()
  if self.held and self:elapsed() < self.quiet_for then
    self.held[#self.held + 1] = l
    return
  end
  self:release()
  self.stream:write(l, "\n")
  self.stream:flush()
end

-- The line: spinner, what, elapsed, bar, status. When it is too wide, `what`
-- gives way first (down to MIN_WHAT characters), then the line is cut.
local MIN_WHAT = 20

function Progress:draw()
  self.frame = self.frame % #SPINNER + 1
  local rest = {"  ", M.duration(self:elapsed())}
  if self.fraction then
    local full = math.floor(math.max(0, math.min(1, self.fraction)) * BAR_WIDTH + 0.5)
    rest[#rest + 1] = string.format("  [%s%s] %3d%%", string.rep("#", full),
      string.rep(" ", BAR_WIDTH - full), math.floor(self.fraction * 100 + 0.5))
  end
  if self.status then rest[#rest + 1] = "  " .. self.status end
  rest = table.concat(rest)
  local width = term.width() - 1
  local room = width - 2 - (utf8.len(rest) or #rest)
  local what = fit(self.what, math.max(room, MIN_WHAT))
  self.stream:write("\r\27[K", fit(SPINNER[self.frame] .. " " .. what .. rest, width))
  self.stream:flush()
end

local function clear_line(p)
  p.stream:write("\r\27[K")
end

-- update(status [, fraction]): the latest status text (and, for transfers,
-- the fraction done, 0..1).
function Progress:update(status, fraction)
  if self.finished then return end
  local text = status ~= nil and one_line(status) or self.status
  local changed = text ~= self.status
  self.status, self.fraction = text, fraction
  if self.mode == "tty" then
    if shown[#shown] == self then self:draw() end
  elseif self.mode == "plain" then
    if changed or self.clock() - self.last_line_at >= self.heartbeat then
      local detail = text or "waiting"
      if fraction then detail = string.format("%s (%d%%)", detail, math.floor(fraction * 100 + 0.5)) end
      self:line(detail .. " (" .. M.duration(self:elapsed()) .. ")")
    end
  end
end

-- sleep(seconds): sleeps; on a terminal the elapsed time keeps counting.
-- Raises "interrupted" as fgrun.sleep does.
function Progress:sleep(seconds)
  if self.mode ~= "tty" or self.finished then return fgrun.sleep(seconds) end
  local stop = self.clock() + seconds
  while true do
    local left = stop - self.clock()
    if left <= 0 then return end
    fgrun.sleep(math.min(left, 1))
    if shown[#shown] == self then self:draw() end
  end
end

-- A line of text shown above the progress line (or as is, when not a terminal).
function Progress:note(text)
  if self.mode == "quiet" then return end
  if self.mode == "tty" then
    clear_line(self)
    self.stream:write(escape(text, true), "\n")
    if shown[#shown] == self and not self.finished then self:draw() end
    self.stream:flush()
  else
    self:release()
    self:line(one_line(text))
  end
end

local function finish(self, mark, text)
  if self.finished then return end
  self.finished = true
  if self.mode == "tty" then
    for i = #shown, 1, -1 do
      if shown[i] == self then table.remove(shown, i) end
    end
    clear_line(self)
    if mark then
      self.stream:write(mark, " ", self.what, " (", M.duration(self:elapsed()), ")",
                        text and ": " .. one_line(text) or "", "\n")
    end
    local outer = shown[#shown]
    if outer then outer:draw() end
    self.stream:flush()
  elseif self.mode == "plain" and mark then
    if mark ~= "done" then self:release() end
    self.held = nil -- a quick success: its verdict alone
    self:line(text)
  end
end

-- done([status]): the task succeeded; the final line stays.
function Progress:done(status)
  local took = M.duration(self:elapsed())
  if self.mode == "tty" then
    finish(self, term.style("green", "✓"), status)
  else
    finish(self, "done", "done in " .. took .. (status and " (" .. one_line(status) .. ")" or ""))
  end
end

-- fail([message]): the task failed; the final line stays.
function Progress:fail(message)
  local took = M.duration(self:elapsed())
  if self.mode == "tty" then
    finish(self, term.style("red", "✗"), message)
  else
    finish(self, true, "failed after " .. took .. (message and ": " .. one_line(message) or ""))
  end
end

-- close(): ends without a verdict (the line is cleared).
function Progress:close()
  finish(self, nil)
end

-- `local p <close> = ui.progress(...)`: an error leaving the block is the
-- verdict ("interrupted", a failed call); a normal exit just closes.
function Progress:__close(err)
  if err == nil then return self:close() end
  local text = tostring(err):match("^[^\n]*")
  self:fail(text)
end

-- The innermost progress line on the terminal, if any (ui.note uses it).
function M.current()
  return shown[#shown]
end

return M
