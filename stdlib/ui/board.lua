-- The lines at the bottom of a terminal that show what is in progress: one
-- row per task in flight (stdlib/async.lua; the main thread counts as
-- one), redrawn in place. A row shows its owner's outermost progress (a
-- step: its name and seconds) with the status of its innermost one (what
-- that step waits on). Text written above the board (notes, a report's
-- lines) clears it and draws it again underneath.
local async = require "async"

local M = {}

local MAX_ROWS = 12

local MAIN = {} -- the owner of progress made outside any task

-- One board per stream: {owners = {owner, ...} in order of arrival,
-- stacks = {[owner] = {progress, ...}}, drawn = lines on screen}.
local boards = setmetatable({}, { __mode = "k" })

local function board_of(stream)
  local b = boards[stream]
  if not b then
    b = { owners = {}, stacks = {}, drawn = 0 }
    boards[stream] = b
  end
  return b
end

local function owner()
  return async.current() or MAIN
end

-- Erases the rows drawn on the stream; the cursor ends where the first was.
local function clear(stream, b)
  stream:write("\r\27[K")
  for _ = 2, b.drawn do stream:write("\27[A\27[K") end
  b.drawn = 0
end

-- Draws every row again. render(progress, outermost) -> the row's text.
function M.redraw(stream, render)
  local b = board_of(stream)
  clear(stream, b)
  local lines = {}
  for i, o in ipairs(b.owners) do
    local stack = b.stacks[o]
    if i > MAX_ROWS then
      lines[#lines + 1] = ("… and %d more"):format(#b.owners - MAX_ROWS)
      break
    end
    lines[#lines + 1] = render(stack[#stack], stack[1])
  end
  stream:write(table.concat(lines, "\n"))
  b.drawn = #lines
  stream:flush()
end

-- While rows are shown, the loop redraws them once a second, so that the
-- seconds count while every task waits.
local renderer
local function tick()
  local any = false
  for stream, b in pairs(boards) do
    if #b.owners > 0 then
      any = true
      M.redraw(stream, renderer)
    end
  end
  if not any then async.every_second(nil) end
end

-- A progress starts: a row of its own, or the new top of its owner's row.
-- render: how rows are drawn (kept for the clock).
function M.push(p, render)
  if render then
    renderer = render
    async.every_second(tick)
  end
  local b = board_of(p.stream)
  local o = owner()
  p.owner = o
  if not b.stacks[o] then
    b.stacks[o] = {}
    b.owners[#b.owners + 1] = o
  end
  table.insert(b.stacks[o], p)
end

-- A progress ends; returns true when an outer progress of a task still
-- stands for it (its verdict is that one's to give).
function M.remove(p)
  local b = board_of(p.stream)
  local stack = b.stacks[p.owner]
  if not stack then return false end
  for i = #stack, 1, -1 do
    if stack[i] == p then table.remove(stack, i) end
  end
  if #stack == 0 then
    b.stacks[p.owner] = nil
    for i, o in ipairs(b.owners) do
      if o == p.owner then table.remove(b.owners, i) break end
    end
    return false
  end
  return p.owner ~= MAIN
end

-- Writes text (ending with a newline) above the board, then redraws it;
-- to: the stream the text goes to when it is not the board's (standard
-- output on the same terminal).
function M.above(stream, text, render, to)
  local b = board_of(stream)
  clear(stream, b)
  if to and to ~= stream then
    stream:flush()
    to:write(text)
    to:flush()
  else
    stream:write(text)
  end
  if #b.owners > 0 and render then M.redraw(stream, render) else stream:flush() end
end

-- How many rows are on the stream's screen now.
function M.rows(stream)
  return board_of(stream).drawn
end

-- Is p the progress its row shows?
function M.on_top(p)
  local stack = board_of(p.stream).stacks[p.owner]
  return stack ~= nil and stack[#stack] == p
end

-- The progress the running code would report to: its owner's innermost,
-- else the newest of any row (on the stream given, default stderr).
function M.current(stream)
  local b = board_of(stream or io.stderr)
  local stack = b.stacks[owner()] or b.stacks[b.owners[#b.owners]]
  return stack and stack[#stack]
end

-- The outermost progress of p's row.
function M.outermost(p)
  local stack = board_of(p.stream).stacks[p.owner]
  return stack and stack[1] or p
end

return M
