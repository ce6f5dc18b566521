-- JMESPath: the compliance suite (FGRUN_VECTORS/jmespath, read in place)
-- plus the module's own promises (compile reuse, marks, errors).

local json = require "json"
local jmespath = require "jmespath"

local null, array_mt, object_mt = json.null, json.array_mt, json.object_mt

-- The repository root, from this file's path (tests/spec/jmespath_spec.lua).
local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local root = src:match("^(.*)/tests/spec/[^/]*$")
  if root then return root end
  if src:match("^tests/spec/") then return "." end
  return "."
end

local function vectors_dir()
  local base = os.getenv("FGRUN_VECTORS") or (repo_root() .. "/../shared/vectors")
  return base .. "/jmespath"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function list_json_files(dir)
  local names = {}
  local ok, lfs = pcall(require, "lfs")
  if ok then
    if not pcall(lfs.attributes, dir) or lfs.attributes(dir, "mode") ~= "directory" then return nil end
    for name in lfs.dir(dir) do
      if name:match("%.json$") then names[#names + 1] = name end
    end
  else
    local p = io.popen('ls -1 "' .. dir .. '" 2>/dev/null')
    for name in p:lines() do
      if name:match("%.json$") then names[#names + 1] = name end
    end
    p:close()
    if #names == 0 then return nil end
  end
  table.sort(names)
  return names
end

local function kind_of(v)
  if v == nil or v == null then return "null" end
  local t = type(v)
  if t ~= "table" then return t end
  local mt = getmetatable(v)
  if mt == array_mt then return "array" end
  if mt == object_mt then return "object" end
  return "unmarked table"
end

-- Deep equality with marks: arrays and objects must carry their marks,
-- numbers compare by value, nil and json.null are both null. With
-- `unordered`, arrays compare as multisets (JSON objects have no order, so
-- `*` on objects, keys() and values() may list in any order).
local function same(a, b, unordered)
  local ka, kb = kind_of(a), kind_of(b)
  if ka ~= kb then return false end
  if ka == "array" then
    if #a ~= #b then return false end
    if not unordered then
      for i = 1, #a do
        if not same(a[i], b[i], false) then return false end
      end
      return true
    end
    local used = {}
    for i = 1, #a do
      local found = false
      for j = 1, #b do
        if not used[j] and same(a[i], b[j], true) then
          used[j], found = true, true
          break
        end
      end
      if not found then return false end
    end
    return true
  elseif ka == "object" then
    for k, v in pairs(a) do
      if b[k] == nil or not same(v, b[k], unordered) then return false end
    end
    for k in pairs(b) do
      if a[k] == nil then return false end
    end
    return true
  elseif ka == "null" then
    return true
  end
  return a == b
end

-- Does the expression list an object's members (whose order is undefined)?
local function lists_object_members(expr)
  local bare = expr:gsub("%[%*%]", "")
  return bare:find("*", 1, true) or expr:find("keys(", 1, true) or expr:find("values(", 1, true)
end

local function show(v)
  if v == nil then return "null" end
  local ok, s = pcall(json.encode, v)
  return ok and s or tostring(v)
end

describe("jmespath compliance", function()
  local dir = vectors_dir()
  local files = list_json_files(dir)
  if not files then
    pending("no vectors at " .. dir .. " (set FGRUN_VECTORS)")
    return
  end
  for _, file in ipairs(files) do
    if file ~= "benchmarks.json" then
      local suite = json.decode(assert(read_file(dir .. "/" .. file)))
      describe(file, function()
        for gi, group in ipairs(suite) do
          for ci, case in ipairs(group.cases) do
            local expr = case.expression
            local label = expr:gsub("%c", function(c) return string.format("\\x%02x", c:byte()) end)
            it(string.format("%s group %d case %d: %s", file, gi, ci, label), function()
              local ok, got = pcall(jmespath.search, expr, group.given)
              if case.error then
                assert.is_false(ok, "expected a " .. case.error .. " error, got " .. show(got))
                assert.are.equal(case.error, jmespath.error_kind(got), tostring(got))
              else
                assert(ok, tostring(got))
                local want = case.result
                local equal = same(got, want, false)
                equal = equal or (lists_object_members(expr) and same(got, want, true))
                assert(equal, "expected " .. show(want) .. ", got " .. show(got)
                  .. " (" .. kind_of(got) .. ")")
              end
            end)
          end
        end
      end)
    end
  end
end)

describe("jmespath module", function()
  it("compiles once and evaluates many times", function()
    local q = jmespath.compile("items[?state=='running'].id")
    assert.are.equal("jmespath(items[?state=='running'].id)", tostring(q))
    for i = 1, 3 do
      local data = json.decode(string.format(
        '{"items":[{"id":"a","state":"running"},{"id":"b%d","state":"running"},{"id":"c","state":"stopped"}]}', i))
      assert.are.same({ "a", "b" .. i }, q:search(data))
    end
    assert.are.same({}, q:search(json.decode('{"items":[]}')))
    assert.is_nil(q:search(json.decode('{"other":1}')))
    assert.are.equal("a", q(json.decode('{"items":[{"id":"a","state":"running"}]}'))[1])
  end)

  it("keeps arrays and objects apart in results", function()
    local r = jmespath.search("foo", json.decode('{"foo": []}'))
    assert.are.equal(array_mt, getmetatable(r))
    r = jmespath.search("foo", json.decode('{"foo": {}}'))
    assert.are.equal(object_mt, getmetatable(r))
    r = jmespath.search("keys(@)", json.decode("{}"))
    assert.are.equal(array_mt, getmetatable(r))
    assert.are.equal("[]", json.encode(r))
    r = jmespath.search("foo[*].bar", json.decode('{"foo": [{"x": 1}]}'))
    assert.are.equal(array_mt, getmetatable(r))
    assert.are.equal(0, #r)
    r = jmespath.search("{a: a}", json.decode("{}"))
    assert.are.equal(object_mt, getmetatable(r))
    assert.are.equal(null, r.a)
    r = jmespath.search("[a, b]", json.decode('{"b": 2}'))
    assert.are.equal(array_mt, getmetatable(r))
    assert.are.equal(null, r[1])
    assert.are.equal(2, r[2])
  end)

  it("reads unmarked Lua tables by shape", function()
    assert.are.equal(2, jmespath.search("length(@)", { 1, 2 }))
    assert.are.equal("object", jmespath.search("type(@)", {}))
    assert.are.equal("array", jmespath.search("type(a)", { a = { "x" } }))
    assert.are.equal("object", jmespath.search("type(@)", { [1] = "x", y = 2 }))
    assert.are.equal("x", jmespath.search("a[0]", { a = { "x" } }))
    assert.is_nil(jmespath.search("a[0]", { a = { [1] = "x", y = 2 } }))
  end)

  it("returns nil for a null result and treats json.null as null", function()
    assert.is_nil(jmespath.search("a", json.decode('{"a": null}')))
    assert.is_nil(jmespath.search("@", null))
    assert.is_true(jmespath.search("a == `null`", json.decode('{"a": null}')))
    assert.is_true(jmespath.search("missing == a", json.decode('{"a": null}')))
    assert.are.equal("null", jmespath.search("type(a)", json.decode('{"a": null}')))
  end)

  it("keeps integers where the spec allows and compares numbers by value", function()
    assert.are.equal("integer", math.type(jmespath.search("length(@)", json.decode("[1,2,3]"))))
    assert.are.equal("integer", math.type(jmespath.search("sum(@)", json.decode("[1,2,3]"))))
    assert.are.equal("integer", math.type(jmespath.search("floor(`1.5`)", nil)))
    assert.is_true(jmespath.search("a == `1`", json.decode('{"a": 1.0}')))
    assert.are.equal(2.5, jmespath.search("avg(@)", json.decode("[2,3]")))
    assert.are.equal("1.0", jmespath.search("to_string(`1.0`)", nil))
  end)

  it("counts code points in strings", function()
    local data = json.decode('{"s": "añ✓𝄞z"}')
    assert.are.equal(5, jmespath.search("length(s)", data))
    assert.are.equal("z𝄞✓ña", jmespath.search("reverse(s)", data))
    assert.are.equal("ñ✓", jmespath.search("s[1:3]", data))
    assert.are.equal("z✓a", jmespath.search("s[::-2]", data))
    assert.are.equal("abc", jmespath.search("'abcdef'[:3]", nil))
  end)

  it("orders strings by code point", function()
    local data = json.decode('["é", "z", "Z", "a", "𝄞", "ａ"]')
    assert.are.same({ "Z", "a", "z", "é", "ａ", "𝄞" }, jmespath.search("sort(@)", data))
    assert.are.equal("𝄞", jmespath.search("max(@)", data))
    assert.is_true(jmespath.search("'a' < 'b'", nil))
    assert.is_nil(jmespath.search("'a' < `1`", nil))
  end)

  it("raises errors with a machine-checkable kind and a readable message", function()
    local cases = {
      { "foo[", "syntax", "syntax: expected '*' but found end of expression at column 5 in \"foo[\"" },
      { "foo ||", "syntax", "at column 7" },
      { "sum(`[\"a\"]`)", "invalid-type",
        "invalid-type: sum() argument 1 must be array[number], got array of strings" },
      { "length(`1`)", "invalid-type", "length() argument 1 must be string|array|object, got number" },
      { "abs(`1`, `2`)", "invalid-arity", "invalid-arity: abs() takes 1 argument, got 2" },
      { "merge()", "invalid-arity", "merge() takes at least 1 argument, got 0" },
      { "nope(@)", "unknown-function", "unknown-function: nope() is not a JMESPath function" },
      { "[::0]", "invalid-value", "invalid-value: slice step cannot be 0" },
      { "`{bad`", "syntax", "invalid JSON literal" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(jmespath.search, c[1], json.decode("{}"))
      assert.is_false(ok, c[1])
      assert.are.equal("string", type(err))
      assert.are.equal(c[2], jmespath.error_kind(err), err)
      assert.is_truthy(err:find(c[3], 1, true), err)
    end
    assert.is_nil(jmespath.error_kind("something else: x"))
    assert.is_nil(jmespath.error_kind({}))
  end)

  it("keeps syntax errors short for long or deeply nested expressions", function()
    local ok, err = pcall(jmespath.compile, string.rep("(", 5000) .. "a" .. string.rep(")", 5000))
    assert.is_false(ok)
    assert.are.equal("syntax", jmespath.error_kind(err))
    assert.is_truthy(err:find("nested too deeply", 1, true), err)
    assert.is_true(#err < 200, err)
    ok, err = pcall(jmespath.compile, string.rep("a.", 200) .. "]")
    assert.is_false(ok)
    assert.is_truthy(err:find("at column 401", 1, true), err)
    assert.is_true(#err < 200, err)
  end)

  it("follows long field paths without nesting limits", function()
    local data = json.object { a = "leaf" }
    for _ = 1, 3000 do data = json.object { a = data } end
    assert.are.equal("leaf", jmespath.search(string.rep("a.", 3000) .. "a", data))
    assert.is_nil(jmespath.search(string.rep("a.", 3002) .. "a", data))
  end)

  it("evaluates waiter acceptors on AWS-shaped output", function()
    local out = json.decode([[{"services": [{"status": "ACTIVE", "desiredCount": 2,
      "runningCount": 2, "deployments": [{"status": "PRIMARY", "rolloutState": "COMPLETED"}]}],
      "failures": []}]])
    assert.is_true(jmespath.search(
      "length(services[?!(length(deployments) == `1` && runningCount == desiredCount)]) == `0`", out))
    assert.are.same({ "ACTIVE" }, jmespath.search("services[].status", out))
    assert.are.equal("COMPLETED",
      jmespath.search("services[0].deployments[?status=='PRIMARY'] | [0].rolloutState", out))
    assert.are.equal("MISSING", jmespath.search("failures[].reason", out)[1] or "MISSING")
  end)

  it("keeps evaluating the same compiled object after errors", function()
    local q = jmespath.compile("sum(@)")
    assert.is_false(pcall(q.search, q, json.decode('["x"]')))
    assert.are.equal(6, q:search(json.decode("[1,2,3]")))
  end)
end)
