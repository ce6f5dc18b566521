-- stdlib/fg/unified_diff.lua: the plan's unified diffs, checked by GNU
-- patch applying them (old + diff = new) and against diff -u's hunks.
local unified_diff = require "fg.unified_diff"

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function read(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text
end

-- old and new as texts of lines; true when patch(1) turns old into new by the diff
local function patches(old, new)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir " .. dir))
  write(dir .. "/f", old)
  write(dir .. "/d", table.concat(unified_diff.lines(old, new, { from = "f", to = "f" }), "\n") .. "\n")
  local ok = os.execute(("patch -s %s/f %s/d"):format(dir, dir))
  local got = read(dir .. "/f")
  os.execute("rm -rf " .. dir)
  return ok and got == new
end

local function lines(t) return table.concat(t, "\n") .. "\n" end

describe("fg.unified_diff", function()
  it("gives nothing for equal texts", function()
    assert.same({}, unified_diff.lines("a\nb\n", "a\nb\n"))
  end)

  it("prints one hunk as diff -u does", function()
    local old = lines{ "{", '  "cpu": "256",', '  "family": "web",', '  "memory": "512"', "}" }
    local new = lines{ "{", '  "cpu": "512",', '  "family": "web",', '  "memory": "1024"', "}" }
    assert.same({ "--- old", "+++ new", "@@ -1,5 +1,5 @@", " {", '-  "cpu": "256",', '+  "cpu": "512",',
                  '   "family": "web",', '-  "memory": "512"', '+  "memory": "1024"', " }" },
      unified_diff.lines(old, new))
  end)

  it("splits far-apart changes into hunks with 3 lines of context", function()
    local a, b = {}, {}
    for i = 1, 40 do a[i], b[i] = "line " .. i, "line " .. i end
    b[5], b[35] = "changed 5", "changed 35"
    local d = unified_diff.lines(lines(a), lines(b))
    local hunks = {}
    for _, l in ipairs(d) do if l:match("^@@") then hunks[#hunks + 1] = l end end
    assert.same({ "@@ -2,7 +2,7 @@", "@@ -32,7 +32,7 @@" }, hunks)
  end)

  it("is applied by patch(1) to give the new text (insertions, removals, empty sides, random edits)", function()
    assert.is_true(patches("", "a\nb\n"))
    assert.is_true(patches("a\nb\n", ""))
    assert.is_true(patches("a\nb\nc\n", "x\na\nc\ny\n"))
    math.randomseed(16)
    for _ = 1, 60 do
      local a, b = {}, {}
      for i = 1, math.random(0, 30) do a[i] = "l" .. math.random(1, 8) end
      for i, l in ipairs(a) do b[i] = l end
      for _ = 1, math.random(1, 6) do
        local k = math.random(1, #b + 1)
        if math.random() < 0.5 and #b > 0 then table.remove(b, math.min(k, #b))
        else table.insert(b, k, "n" .. math.random(1, 8)) end
      end
      local old, new = #a > 0 and lines(a) or "", #b > 0 and lines(b) or ""
      if old ~= new then assert.is_true(patches(old, new), ("old %q new %q"):format(old, new)) end
    end
  end)
end)
