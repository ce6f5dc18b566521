-- The one-pass answer decoders (runtime/aws/shape_json.c: aws.shape_json,
-- runtime/aws/shape_xml.c: aws.shape_xml): values as stdlib/aws gives them
-- (see aws.lua), read the way json.decode and expat read the text.
local json = require "json"
local model = require "aws.model"
local shapejson = require "aws.shape_json"
local shapexml = require "aws.shape_xml"

local SHAPES = {
  Out = {type = "structure", members = {
    Int = {shape = "Int"}, Long = {shape = "Long"}, Dbl = {shape = "Dbl"}, When = {shape = "When"},
    Data = {shape = "Data"}, Doc = {shape = "Doc"}, Names = {shape = "Names"}, Tags = {shape = "Tags"},
    Flag = {shape = "Flag"}, Renamed = {shape = "Str", locationName = "wire"},
    Flat = {shape = "Names", flattened = true, locationName = "item"},
    Policy = {shape = "policyDocumentType"},
    Kind = {shape = "Str", locationName = "xsi:type", xmlAttribute = true},
    Plain = {shape = "Str", locationName = "plain", xmlAttribute = true},
  }},
  Int = {type = "integer"}, Long = {type = "long"}, Dbl = {type = "double"}, When = {type = "timestamp"},
  Data = {type = "blob"}, Doc = {type = "structure", members = {}, document = true},
  Names = {type = "list", member = {shape = "Str"}}, Str = {type = "string"}, Flag = {type = "boolean"},
  Tags = {type = "map", key = {shape = "Str"}, value = {shape = "Str"}},
  policyDocumentType = {type = "string"},
}

local function new_model()
  local shapes = json.decode(json.encode(SHAPES)) -- caches go on the shapes: a fresh copy each time
  return model.from_table({metadata = {protocol = "json", endpointPrefix = "t"}, operations = {}, shapes = shapes})
end

local function from_json(text)
  local m = new_model()
  return shapejson.output(m, m:shape("Out"), assert(shapejson.parse(text)))
end

local function from_xml(text)
  local m = new_model()
  return shapexml.structure(m, m:shape("Out"), assert(shapexml.parse(text)), 1)
end

describe("aws.shape_json", function()
  it("keeps the last of repeated keys, as json.decode does, a last null included", function()
    local v = from_json('{"Int": 1, "Int": 2, "Long": 3, "Long": null, "Tags": {"a": "x", "a": "y"}}')
    assert.are.equal(2, v.Int)
    assert.is_nil(v.Long)
    assert.are.equal("y", v.Tags.a)
  end)

  it("reads integer literals exactly and numbers by the shape's type", function()
    local v = from_json('{"Int": 5.0, "Long": 9007199254740993, "Dbl": 5}')
    assert.are.equal("integer", math.type(v.Int))
    assert.are.equal(5, v.Int)
    assert.are.equal(9007199254740993, v.Long)
    assert.are.equal("float", math.type(v.Dbl))
    assert.are.equal("-inf", tostring(from_json('{"Dbl": "-Infinity"}').Dbl))
  end)

  it("gives timestamps as ISO-8601 UTC text, from epoch seconds or other forms", function()
    assert.are.equal("2015-01-25T08:00:00.5Z", from_json('{"When": 1422172800.5}').When)
    assert.are.equal("1969-12-31T23:59:59Z", from_json('{"When": -1}').When)
    assert.are.equal("2015-01-25T08:00:00.123Z", from_json('{"When": "2015-01-25T08:00:00.123Z"}').When)
    assert.are.equal("2015-01-25T08:00:00Z", from_json('{"When": "Sun, 25 Jan 2015 08:00:00 GMT"}').When)
    assert.are.equal("2015-01-25T07:00:00Z", from_json('{"When": "2015-01-25T08:00:00+01:00"}').When)
  end)

  it("decodes blobs, leaves text that is not base64, and keeps documents as decoded", function()
    assert.are.equal("hello", from_json('{"Data": "aGVsbG8="}').Data)
    assert.are.equal("not base64!", from_json('{"Data": "not base64!"}').Data)
    local v = from_json('{"Doc": {"a": [1, null, {"b": 2.5}]}}')
    assert.are.equal(json.encode({a = {1, json.null, {b = 2.5}}}), json.encode(v.Doc))
  end)

  it("marks lists and structures, keeps nulls in lists, drops unknown members", function()
    local v = from_json('{"Names": ["a", null], "Unknown": {"x": 1}, "wire": "w"}')
    assert.are.equal(json.array_mt, getmetatable(v.Names))
    assert.are.equal(json.object_mt, getmetatable(v))
    assert.are.equal(json.null, v.Names[2])
    assert.are.equal("w", v.Renamed)
    assert.is_nil(v.Unknown)
    assert.are.equal("[]", json.encode(from_json('{"Names": []}').Names))
  end)

  it("tells why a body is not a JSON object, in json.decode's words", function()
    local _, why = pcall(json.decode, "{\"a\": 1,")
    assert.are.same({nil, why}, {shapejson.parse("{\"a\": 1,")})
    assert.are.same({nil, "not a JSON object"}, {shapejson.parse('"text"')})
    assert.are.equal("{}", json.encode(shapejson.value(assert(shapejson.parse(" \n")))))
  end)
end)

describe("aws.shape_xml", function()
  local PLAIN = '<?xml version="1.0" encoding="UTF-8"?>\n<Out xmlns="urn:x"><Int>7</Int><Dbl>1.5</Dbl>'
    .. '<Flag>true</Flag><wire>a &amp; b</wire><When>2015-01-25T08:00:00.000Z</When>'
    .. '<Names><member>x</member><member>y</member></Names><item>f1</item><item>f2</item>'
    .. '<Tags><entry><key>k</key><value>v</value></entry></Tags><Data>aGVsbG8=</Data>'
    .. '<Policy>%7B%22Version%22%3A%222012-10-17%22%7D</Policy></Out>'

  it("reads an answer into the shape's values", function()
    local v = from_xml(PLAIN)
    assert.are.equal(7, v.Int)
    assert.are.equal(1.5, v.Dbl)
    assert.is_true(v.Flag)
    assert.are.equal("a & b", v.Renamed)
    assert.are.equal("2015-01-25T08:00:00.000Z", v.When)
    assert.are.same({"x", "y"}, v.Names)
    assert.are.equal(json.array_mt, getmetatable(v.Names))
    assert.are.same({"f1", "f2"}, v.Flat)
    assert.are.equal("v", v.Tags.k)
    assert.are.equal("hello", v.Data)
    assert.are.equal("2012-10-17", v.Policy.Version)
  end)

  it("reads what only expat reads (comments, CDATA, character references) the same way", function()
    local fancy = PLAIN:gsub("<Int>7</Int>", "<!-- c --><Int>&#55;</Int>"):gsub("a &amp; b", "<![CDATA[a & b]]>")
    assert.are.equal(json.encode(from_xml(PLAIN), {sort_keys = true}),
                     json.encode(from_xml(fancy), {sort_keys = true}))
  end)

  it("reads xmlAttribute members from the element's attributes, a prefixed name under any prefix", function()
    local v = from_xml('<?xml version="1.0" encoding="UTF-8"?>\n<Out xmlns="urn:x" '
      .. 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="CanonicalUser" plain=""><Int>1</Int></Out>')
    assert.are.equal("CanonicalUser", v.Kind)
    assert.are.equal("", v.Plain)
    assert.are.equal(1, v.Int)
    -- values only expat reads (an entity; a tab, which it turns into a space), plain or not
    v = from_xml('<Out xmlns:xsi="u" xsi:type="A &amp; B" plain="a\tb"/>')
    assert.are.equal("A & B", v.Kind)
    assert.are.equal("a b", v.Plain)
    v = from_xml('<!-- c --><Out xmlns:xsi="u" xsi:type="T"/>')
    assert.are.equal("T", v.Kind)
    -- an unprefixed attribute is not a prefixed member, nor a namespace declaration any member
    v = from_xml('<Out type="x" xmlns:plain="y"><Int>2</Int></Out>')
    assert.is_nil(v.Kind)
    assert.is_nil(v.Plain)
  end)

  it("gives expat's message for a document that is not well-formed", function()
    assert.are.same({nil, "mismatched tag at line 1, column 8"}, {shapexml.parse("<a><b></a>")})
    assert.are.same({nil, "duplicate attribute at line 1, column 9"}, {shapexml.parse('<a x="1" x="2"/>')})
  end)

  it("finds children, tags and text for error answers", function()
    local doc = assert(shapexml.parse("<ErrorResponse><Error><Code>Boom</Code><Message/></Error></ErrorResponse>"))
    local err = shapexml.child(doc, 1, "Error")
    assert.are.equal("Error", shapexml.tag(doc, err))
    assert.are.equal("Boom", shapexml.text(doc, shapexml.child(doc, err, "Code")))
    assert.is_false(shapexml.text(doc, shapexml.child(doc, err, "Message")))
    assert.is_nil(shapexml.child(doc, err, "RequestId"))
    assert.are.equal("Response", shapexml.tag(assert(shapexml.parse("")), 1))
  end)
end)
