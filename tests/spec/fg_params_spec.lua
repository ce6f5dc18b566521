-- Environment files per recipe (stdlib/fg/params.lua): env/<env>.lua is
-- shared by the recipes of a folder, env/<recipe>.<env>.lua or
-- env/<recipe>/<env>.lua is one recipe's; a key one recipe takes is not an
-- error in another's run.
local params = require "fg.params"

local dir
local function write(path, text)
  os.execute(("mkdir -p %q"):format((dir .. "/" .. path):match("^(.*)/")))
  local f = assert(io.open(dir .. "/" .. path, "w"))
  f:write(text)
  f:close()
end

local DEFAULTS = { count = 1, port = 3000, name = "x" }

local function resolve(env, recipe, defines)
  local notes = {}
  local ok, p = pcall(params.resolve, DEFAULTS, { dir = dir, env = env, recipe = recipe, defines = defines or {},
                                                  note = function(t) notes[#notes + 1] = t end })
  return ok, p, notes
end

before_each(function()
  dir = os.tmpname()
  os.remove(dir)
end)
after_each(function() os.execute("rm -rf " .. dir) end)

describe("fg.params environment files", function()
  it("reads the shared file, then the recipe's own, then -D", function()
    write("env/prod.lua", "return { count = 2, port = 8080 }")
    write("env/web.prod.lua", "return { count = 3 }")
    local ok, p = resolve("prod", "web", { "name=y" })
    assert.is_true(ok, tostring(p))
    assert.are.same({ 3, 8080, "y" }, { p.count, p.port, p.name })
  end)

  it("reads env/<recipe>/<env>.lua too, alone", function()
    write("env/web/prod.lua", "return { port = 9000 }")
    local ok, p = resolve("prod", "web")
    assert.is_true(ok, tostring(p))
    assert.are.equal(9000, p.port)
  end)

  it("lets a shared file hold another recipe's keys, and says so", function()
    write("env/prod.lua", "return { count = 2, queue_url = 'https://sqs' }")
    local ok, p, notes = resolve("prod", "web")
    assert.is_true(ok, tostring(p))
    assert.are.equal(2, p.count)
    assert.matches('"queue_url" is not a parameter of web; ignored', notes[1], 1, true)
    assert.matches("env/web.prod.lua", notes[1], 1, true)
  end)

  it("refuses an unknown key in the recipe's own file, naming the file", function()
    write("env/web.prod.lua", "return { queue_url = 'x' }")
    local ok, err = resolve("prod", "web")
    assert.is_false(ok)
    assert.matches('unknown parameter "queue_url" %(.*env/web%.prod%.lua%)', err)
  end)

  it("checks types in shared files too", function()
    write("env/prod.lua", "return { count = 'many' }")
    local ok, err = resolve("prod", "web")
    assert.is_false(ok)
    assert.matches("parameter count %(.*env/prod%.lua%): expected integer", err)
  end)

  it("refuses both spellings of one recipe's file", function()
    write("env/web.prod.lua", "return {}")
    write("env/web/prod.lua", "return {}")
    local ok, err = resolve("prod", "web")
    assert.is_false(ok)
    assert.matches("both .*web%.prod%.lua and .*web/prod%.lua exist; keep one", err)
  end)

  it("names every file it looked for when there is none", function()
    local ok, err = resolve("staging", "web")
    assert.is_false(ok)
    assert.matches("no file .*env/staging%.lua, .*env/web%.staging%.lua or .*env/web/staging%.lua", err)
  end)

  it("another recipe's file is not read", function()
    write("env/prod.lua", "return {}")
    write("env/worker.prod.lua", "return { count = 'not read' }")
    local ok, p = resolve("prod", "web")
    assert.is_true(ok, tostring(p))
    assert.are.equal(1, p.count)
  end)
end)
