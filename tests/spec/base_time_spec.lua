-- base.time (runtime/base/time.c): the one reader and writer of timestamps.
local time = require "base.time"

describe("base.time", function()
  it("reads ISO-8601 with fractions and offsets, integers when whole", function()
    assert.equal(1422172800, time.parse("2015-01-25T08:00:00Z"))
    assert.equal("integer", math.type(time.parse("2015-01-25T08:00:00.000Z")))
    assert.equal(1422172800.5, time.parse("2015-01-25T08:00:00.5Z"))
    assert.equal(1422169200, time.parse(" 2015-01-25t08:00:00+01:00 "))
    assert.equal(1422178200, time.parse("2015-01-25 08:00:00-0130"))
    assert.equal(1422172800, time.parse("2015-01-25T08:00:00"))
  end)

  it("reads RFC 822 dates, epoch text and numbers", function()
    assert.equal(1422172800, time.parse("Sun, 25 Jan 2015 08:00:00 GMT"))
    assert.equal(12, time.parse("12"))
    assert.equal(1000, time.parse("1e3"))
    assert.equal("integer", math.type(time.parse("1e3")))
    assert.equal(1.5, time.parse(1.5))
  end)

  it("refuses what is no timestamp", function()
    for _, s in ipairs{"", "abc", "2015-01-25T08:00:00ZZ", "2015-01-25T08:00:00+01:0",
                       "Sun, 25 Foo 2015 08:00:00 GMT", "2015-01-25"} do
      assert.is_nil(time.parse(s), s)
    end
    assert.is_nil(time.parse({}))
  end)

  it("writes ISO-8601 UTC text to the microsecond, and RFC 822", function()
    assert.equal("2015-01-25T08:00:00Z", time.iso(1422172800))
    assert.equal("2015-01-25T08:00:00.5Z", time.iso(1422172800.5))
    assert.equal("1969-12-31T23:59:59.999999Z", time.iso(-0.000001))
    assert.equal("999-12-31T23:59:59Z", time.iso(-30610224001))
    assert.equal("Sun, 25 Jan 2015 08:00:00 GMT", time.rfc822(1422172800.9))
    assert.equal("Thu, 01 Jan 1970 00:00:00 GMT", time.rfc822(0))
  end)

  it("normalizes what the wire sends; ISO UTC text passes as it is", function()
    assert.equal("2015-01-25T08:00:00.000Z", time.normalize("2015-01-25T08:00:00.000Z"))
    assert.equal("2015-01-25T07:00:00Z", time.normalize("2015-01-25T08:00:00+01:00"))
    assert.equal("2015-01-25T08:00:00Z", time.normalize(1422172800))
    assert.equal("not a date", time.normalize("not a date"))
  end)

  it("agrees with os.date over the whole range of four-digit years", function()
    math.randomseed(14)
    for _ = 1, 2000 do
      local t = math.random(-30610224000, 253402300799)
      assert.equal(os.date("!%Y-%m-%dT%H:%M:%SZ", t), time.iso(t))
      assert.equal(os.date("!%a, %d %b %Y %H:%M:%S GMT", t), time.rfc822(t))
      assert.equal(t, time.parse(time.iso(t)))
    end
  end)
end)
