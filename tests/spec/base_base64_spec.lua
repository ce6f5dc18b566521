-- base.base64 (runtime/base/base64.c): the one base64 of the tree.
local base64 = require "base.base64"

describe("base.base64", function()
  it("encodes with padding (RFC 4648 test vectors)", function()
    local vectors = {[""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==",
                     fooba = "Zm9vYmE=", foobar = "Zm9vYmFy"}
    for plain, encoded in pairs(vectors) do
      assert.equal(encoded, base64.encode(plain))
      assert.equal(plain, base64.decode(encoded))
    end
  end)

  it("decodes either alphabet, skips line breaks and stops at '='", function()
    assert.equal("\251\255", base64.decode("+/8="))
    assert.equal("\251\255", base64.decode("-_8"))
    assert.equal("foobar", base64.decode("Zm9v\r\nYmFy"))
    assert.equal("f", base64.decode("Zg==ignored"))
  end)

  it("says where the text stops being base64", function()
    local v, err = base64.decode("Zm9v!")
    assert.is_nil(v)
    assert.equal("invalid base64 character at 5", err)
  end)

  it("round-trips every byte", function()
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local all = table.concat(t)
    for n = 0, 5 do
      assert.equal(all:sub(1, 250 + n), base64.decode(base64.encode(all:sub(1, 250 + n))))
    end
  end)
end)
