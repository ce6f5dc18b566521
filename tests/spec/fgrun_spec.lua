-- The fgrun host module.
local fgrun = require "fgrun"

describe("fgrun host module", function()
  it("has a version", function()
    assert.matches("^%d+%.%d+%.%d+", fgrun.version)
  end)

  it("makes random version 4 UUIDs", function()
    local a, b = fgrun.uuid4(), fgrun.uuid4()
    assert.matches("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-4%x%x%x%-[89ab]%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$", a)
    assert.are_not.equal(a, b)
  end)

  it("has clocks and a sleep", function()
    local t0, m0 = fgrun.now(), fgrun.monotonic()
    assert.is_true(math.abs(t0 - os.time()) < 2)
    fgrun.sleep(0.05)
    local slept = fgrun.monotonic() - m0
    assert.is_true(slept >= 0.05 and slept < 1, "slept " .. slept)
  end)

  it("reports the reserved options", function()
    assert.is_table(fgrun.options)
    assert.is_false(fgrun.options.destroy)
    assert.is_table(fgrun.options.defines)
  end)
end)
