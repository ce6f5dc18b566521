-- A unified diff of two texts, line by line, as `diff -u` prints it: a
-- plan shows the task definition and the service this way (ecspresso's
-- `diff` does the same for the JSON of both).
--
--   unified_diff.lines(old_text, new_text, {from = "a", to = "b", context = 3})
--     -> { "--- a", "+++ b", "@@ -1,4 +1,4 @@", " x", "-y", "+z", ... }, or {} when equal
local unified_diff = {}

local function split(text)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  if lines[#lines] == "" then lines[#lines] = nil end
  return lines
end

-- Above this many cells the longest common subsequence is not worked
-- out: the whole old text is shown removed and the new one added.
local MAX_CELLS = 4000000

-- The edit script: { {" "|"-"|"+", line}, ... } from a longest common
-- subsequence of lines (dynamic programming over the suffixes).
local function edits(a, b)
  local n, m = #a, #b
  local out = {}
  if n * m > MAX_CELLS then
    for _, l in ipairs(a) do out[#out + 1] = { "-", l } end
    for _, l in ipairs(b) do out[#out + 1] = { "+", l } end
    return out
  end
  local L = {}
  for i = n + 1, 1, -1 do
    local row, below = {}, L[i + 1]
    for j = m + 1, 1, -1 do
      if i > n or j > m then row[j] = 0
      elseif a[i] == b[j] then row[j] = below[j + 1] + 1
      else
        local down, right = below[j], row[j + 1]
        row[j] = down >= right and down or right
      end
    end
    L[i] = row
  end
  local i, j = 1, 1
  while i <= n or j <= m do
    if i <= n and j <= m and a[i] == b[j] then
      out[#out + 1] = { " ", a[i] }
      i, j = i + 1, j + 1
    elseif i <= n and (j > m or L[i + 1][j] >= L[i][j + 1]) then
      out[#out + 1] = { "-", a[i] } -- removals before additions, as diff -u
      i = i + 1
    else
      out[#out + 1] = { "+", b[j] }
      j = j + 1
    end
  end
  return out
end

function unified_diff.lines(old_text, new_text, opts)
  opts = opts or {}
  local context = opts.context or 3
  local a, b = split(old_text), split(new_text)
  local script = edits(a, b)
  -- line numbers in old and new before each edit
  local pos_a, pos_b, ia, ib = {}, {}, 1, 1
  local changed = {}
  for k, e in ipairs(script) do
    pos_a[k], pos_b[k] = ia, ib
    if e[1] ~= "+" then ia = ia + 1 end
    if e[1] ~= "-" then ib = ib + 1 end
    if e[1] ~= " " then changed[#changed + 1] = k end
  end
  if #changed == 0 then return {} end
  local out = { "--- " .. (opts.from or "old"), "+++ " .. (opts.to or "new") }
  local h = 1
  while h <= #changed do
    local first, last = changed[h], changed[h]
    -- join the changes whose context would touch
    while h < #changed and changed[h + 1] - last <= 2 * context + 1 do
      h = h + 1
      last = changed[h]
    end
    h = h + 1
    local from, to = math.max(1, first - context), math.min(#script, last + context)
    local count_a, count_b = 0, 0
    for k = from, to do
      if script[k][1] ~= "+" then count_a = count_a + 1 end
      if script[k][1] ~= "-" then count_b = count_b + 1 end
    end
    local start_a = count_a == 0 and pos_a[from] - 1 or pos_a[from]
    local start_b = count_b == 0 and pos_b[from] - 1 or pos_b[from]
    out[#out + 1] = ("@@ -%d,%d +%d,%d @@"):format(start_a, count_a, start_b, count_b)
    for k = from, to do out[#out + 1] = script[k][1] .. script[k][2] end
  end
  return out
end

return unified_diff
