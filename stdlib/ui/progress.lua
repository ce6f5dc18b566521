-- Progress of one long task (a wait, a push): on a terminal one line redrawn
-- in place (what, elapsed, latest status, an optional bar), one per task in
-- flight (ui/board.lua); elsewhere plain timestamped lines, one per change
-- of status (and a reminder every `heartbeat` seconds); nothing in quiet
-- mode.
local fgrun = require "fgrun"
local term = require "ui.term"
local escape = require("fgrun.text").escape
local async = require "async"
local board = require "ui.board"

local M = {}

local Progress = {}
Progress.__index = Progress
Progress.__name = "ui.Progress"

local SPINNER = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
local BAR_WIDTH = 20

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

local render -- a row's text (below)

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
    board.push(self, render)
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

-- A row: spinner, what, elapsed, bar, status. When it is too wide, `what`
-- gives way first (down to MIN_WHAT characters), then the line is cut. A
-- progress inside another of the same task (a wait inside a step) shows as
-- the outer one's what and elapsed time with its own bar and status.
local MIN_WHAT = 20

function render(p, outer)
  p.frame = p.frame % #SPINNER + 1
  local rest = {"  ", M.duration(outer:elapsed())}
  if p.fraction then
    local full = math.floor(math.max(0, math.min(1, p.fraction)) * BAR_WIDTH + 0.5)
    rest[#rest + 1] = string.format("  [%s%s] %3d%%", string.rep("#", full),
      string.rep(" ", BAR_WIDTH - full), math.floor(p.fraction * 100 + 0.5))
  end
  local status = p.status
  if p ~= outer then status = status and (p.what .. ": " .. status) or p.what end
  if status then rest[#rest + 1] = "  " .. status end
  rest = table.concat(rest)
  local width = term.width() - 1
  local room = width - 2 - (utf8.len(rest) or #rest)
  local what = fit(outer.what, math.max(room, MIN_WHAT))
  return fit(SPINNER[p.frame] .. " " .. what .. rest, width)
end

function Progress:draw()
  board.redraw(self.stream, render)
end

-- update(status [, fraction]): the latest status text (and, for transfers,
-- the fraction done, 0..1).
function Progress:update(status, fraction)
  if self.finished then return end
  local text = status ~= nil and one_line(status) or self.status
  local changed = text ~= self.status
  self.status, self.fraction = text, fraction
  if self.mode == "tty" then
    if board.on_top(self) then self:draw() end
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
  if self.mode ~= "tty" or self.finished then return async.sleep(seconds) end
  local stop = self.clock() + seconds
  while true do
    local left = stop - self.clock()
    if left <= 0 then return end
    async.sleep(math.min(left, 1))
    if board.on_top(self) then self:draw() end
  end
end

-- A line of text shown above the progress line (or as is, when not a terminal).
function Progress:note(text)
  if self.mode == "quiet" then return end
  if self.mode == "tty" then
    board.above(self.stream, escape(text, true) .. "\n", render)
  else
    self:release()
    self:line(one_line(text))
  end
end

local function finish(self, mark, text)
  if self.finished then return end
  self.finished = true
  if self.mode == "tty" then
    local nested = board.remove(self)
    local verdict = ""
    if mark and not nested then
      verdict = mark .. " " .. self.what .. " (" .. M.duration(self:elapsed()) .. ")"
        .. (text and ": " .. one_line(text) or "") .. "\n"
    end
    board.above(self.stream, verdict, render)
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

-- The innermost progress line of the running task (or, outside tasks, the
-- newest) on the terminal, if any (ui.note uses it).
function M.current()
  return board.current()
end

-- Writes text above the progress lines of stream (redrawn under it); to:
-- the stream the text goes to, when another (default: stream).
function M.above(stream, text, to)
  board.above(stream, text, render, to)
end

-- Writes text to `to`, first clearing the progress lines shown on stderr
-- (which are then drawn again under it).
function M.print(to, text)
  if board.rows(io.stderr) > 0 then return board.above(io.stderr, text, render, to) end
  to:write(text)
  to:flush()
end

return M
