-- base.percent (runtime/base/percent.c): RFC 3986 percent-encoding.
local percent = require "base.percent"

describe("base.percent", function()
  it("keeps only unreserved characters, with uppercase digits", function()
    assert.equal("AZaz09-._~", percent.encode("AZaz09-._~"))
    assert.equal("a%20b%2Fc%3D%26%25%2B", percent.encode("a b/c=&%+"))
    assert.equal("%C3%A9%00%FF", percent.encode("\195\169\0\255"))
  end)
end)
