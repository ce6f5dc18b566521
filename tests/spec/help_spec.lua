-- help (stdlib/help.lua, texts in stdlib/fg/docs.lua): the deployment
-- library described in scripts and at the prompt.
local help = require "help"
local docs = require "fg.docs"
local fg = require "fg"

describe("help", function()
  it("documents every entry's value, none stale", function()
    for _, entry in ipairs(docs) do
      local ok, v = pcall(entry.value)
      assert.is_true(ok and v ~= nil, entry.name .. " names nothing")
      assert.are.equal(entry.text, help.text(v), entry.name)
    end
  end)

  it("describes fg.deployment, d:step and a deployment itself", function()
    assert.matches("^fg%.deployment%(name", help.text(fg.deployment))
    local deployment = require "fg.deployment"
    assert.matches("^d:step%(name, spec%)", help.text(deployment.step))
    local d = setmetatable({}, deployment)
    assert.matches("^fg%.deployment%(name", help.text(d))
    assert.is_nil(help.text(print))
  end)

  it("every public function of fg has a text", function()
    local missing = {}
    for k, v in pairs(fg) do
      if type(v) == "function" and not help.text(v) then missing[#missing + 1] = "fg." .. k end
    end
    table.sort(missing)
    -- the host's --destroy JOURNAL, --force-unlock and --migrate-state, not for recipes
    assert.are.same({ "fg.destroy_journal", "fg.force_unlock", "fg.migrate_state" }, missing)
  end)

  it("is callable from a script and prints", function()
    local p = io.popen(([[%s -e 'require("help")(require("fg").image.push)' 2>&1]]):format(os.getenv("FGRUN") or "build/fgrun"))
    local out = p:read("a")
    p:close()
    assert.matches("^fg%.image%.push%(d, build, repository", out)
  end)
end)
