-- The json module: decoding, encoding, and the array/object marks.
local json = require "json"

describe("json.decode", function()
  it("keeps integers as integers and floats as floats", function()
    local v = json.decode("[1, -7, 2.5, 1e3, 9007199254740993, 9223372036854775807]")
    assert.are.equal("integer", math.type(v[1]))
    assert.are.equal(-7, v[2])
    assert.are.equal("float", math.type(v[3]))
    assert.are.equal("float", math.type(v[4]))
    assert.are.equal(9007199254740993, v[5])
    assert.are.equal(math.maxinteger, v[6])
  end)

  it("reads integers beyond 64 bits as floats", function()
    local v = json.decode("[123456789012345678901234567890]")
    assert.are.equal("float", math.type(v[1]))
  end)

  it("gives null as json.null and marks arrays and objects", function()
    local v = json.decode('{"a": null, "b": [], "c": {}, "d": "x\\u00e9\\n"}')
    assert.are.equal(json.null, v.a)
    assert.are.equal(json.array_mt, getmetatable(v.b))
    assert.are.equal(json.object_mt, getmetatable(v.c))
    assert.are.equal(json.object_mt, getmetatable(v))
    assert.are.equal("xé\n", v.d)
  end)

  it("does not mistake digits inside strings for numbers", function()
    local v = json.decode('{"s": "12.5e3 -4", "n": 7, "t": "\\"9\\"", "m": 8}')
    assert.are.equal(7, v.n)
    assert.are.equal("integer", math.type(v.m))
    assert.are.equal('"9"', v.t)
  end)

  it("names the byte offset of malformed input", function()
    local ok, err = pcall(json.decode, '{"a": tru}')
    assert.is_false(ok)
    assert.matches("malformed JSON at byte %d+", err)
    ok, err = pcall(json.decode, '[1] [2]')
    assert.is_false(ok)
    assert.matches("byte 5 %(trailing data%)", err)
    assert.has_error(function() json.decode("") end)
    assert.has_error(function() json.decode(nil) end)
  end)
end)

describe("json.encode", function()
  it("round-trips empty arrays and objects distinctly", function()
    local s = '{"a":[],"b":{},"c":[[],{}]}'
    assert.are.equal(s, json.encode(json.decode(s), {sort_keys = true}))
  end)

  it("writes unmarked tables by shape", function()
    assert.are.equal("[1,2,3]", json.encode({1, 2, 3}))
    assert.are.equal("{}", json.encode({}))
    assert.are.equal('{"1":"a","x":"b"}', json.encode({"a", x = "b"}, {sort_keys = true}))
    assert.are.equal("[]", json.encode(json.array()))
    assert.are.equal("{}", json.encode(json.object({})))
  end)

  it("keeps integers exact and floats as floats", function()
    assert.are.equal("[9007199254740993,1.0,0.1,-2.5e-07]",
      json.encode({9007199254740993, 1.0, 0.1, -2.5e-7}))
  end)

  it("escapes strings", function()
    assert.are.equal([["a\"b\\c\n\t\u0001é"]], json.encode('a"b\\c\n\t\1é'))
  end)

  it("indents and sorts keys", function()
    local s = json.encode({b = {1, 2}, a = json.null, c = {}}, {indent = 2, sort_keys = true})
    assert.are.equal('{\n  "a": null,\n  "b": [\n    1,\n    2\n  ],\n  "c": {}\n}', s)
  end)

  it("sorts number keys and many keys alike", function()
    assert.are.equal('{"-7":1,"1":"a","2.5":"b","x":{"3":2,"y":1}}',
      json.encode({ [1] = "a", [2.5] = "b", x = { y = 1, [3] = 2 }, [-7] = 1 }, { sort_keys = true }))
    local t, keys = {}, {}
    for i = 1, 100 do t["k" .. i] = i keys[#keys + 1] = "k" .. i end
    table.sort(keys)
    local order = {}
    for k in json.encode(t, { sort_keys = true }):gmatch('"(k%d+)"') do order[#order + 1] = k end
    assert.are.same(keys, order)
  end)

  it("refuses what JSON cannot hold", function()
    assert.has_error(function() json.encode({f = print}) end)
    assert.has_error(function() json.encode(0/0) end)
    assert.has_error(function() json.encode({[{}] = 1}) end)
    local t = {} t.self = t
    assert.has_error(function() json.encode(t) end)
  end)
end)

describe("json marks", function()
  it("tells arrays apart", function()
    assert.is_true(json.is_array(json.array()))
    assert.is_true(json.is_array({1, 2}))
    assert.is_false(json.is_array({}))
    assert.is_false(json.is_array(json.object({1})))
    assert.is_false(json.is_array("x"))
  end)
end)
