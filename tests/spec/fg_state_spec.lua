-- Where journals live (fg.state): the folder store and the S3 store behind
-- one interface. S3 against moto: conditional writes (If-None-Match on
-- the lock, If-Match on the journal's ETag), a change behind the store's
-- back refused, a lost answer's retry taken as done, locks naming their
-- holder, --force-unlock by ID only, clear errors for a missing bucket.
local aws = require "aws"
local state = require "fg.state"
local journal = require "fg.journal"
local moto = dofile("tests/lib/moto.lua")
local sandbox = dofile("tests/lib/sandbox.lua")

local MOTO = sandbox.MOTO

describe("fg.state", function()
  it("reads a journal's address as a location and an id", function()
    assert.same({ ".fgrun", "app.prod" }, { state.journal_address(".fgrun/app.prod.json") })
    assert.same({ ".", "app" }, { state.journal_address("app.json") })
    assert.same({ "s3://b/team/x", "app.dev" }, { state.journal_address("s3://b/team/x/app.dev.json") })
    assert.has_error(function() state.journal_address("s3://app.json") end)
    assert.has_error(function() state.journal_address("app.lua") end)
  end)

  it("opens a folder or an S3 prefix", function()
    assert.equal("./.fgrun", state.open(nil).location)
    local s = state.open("s3://bucket//team/fgrun/")
    assert.equal("s3://bucket/team/fgrun", s.location)
    assert.equal("s3://bucket/team/fgrun/app.prod.json", s:where("app.prod"))
    assert.equal("s3://bucket/app.json", state.open("s3://bucket"):where("app"))
    assert.has_error(function() state.open("s3:///nobucket") end)
  end)

  it("names who holds a lock", function()
    local h = state.holder()
    assert.is_string(h.user)
    assert.is_string(h.host)
    assert.is_true(h.pid > 0)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT", h.started_at)
  end)

  describe("folder store", function()
    local box = sandbox.new()
    local dir = box.tmp .. "/state"
    teardown(box.close)

    it("writes, reads, lists and removes journals", function()
      local s = state.open(dir)
      assert.is_nil(s:read("a"))
      assert.is_false(s:exists("a"))
      local lock = s:lock("a") -- makes the folder
      assert.is_true(s:write("a", "{}"))
      assert.is_true(s:write("b.dev", "{}"))
      assert.equal("{}", s:read("a"))
      assert.same({ "a", "b.dev" }, s:journals())
      assert.is_true(s:remove("a"))
      assert.is_false(s:exists("a"))
      lock:release(true)
      assert.has_error(function() s:force_unlock("x") end)
    end)

    it("refuses a second lock, naming the process that holds it", function()
      local s = state.open(dir)
      local lock = s:lock("a")
      local ok, err = pcall(s.lock, s, "a")
      assert.is_false(ok)
      assert.matches("deployment a is in use by another run %(pid %d+ on .* since ", err)
      lock:release(true)
      s:lock("a"):release(true)
    end)
  end)

  describe("S3 store against moto", function()
    if not MOTO then
      pending("FGRUN_TEST_MOTO_URL is not set (tests/lib/services.sh starts moto_server)")
      return
    end
    local s3 = aws.client("s3", moto.options(MOTO))
    local bucket = "fgrun-state-" .. tostring(os.time() % 100000) .. math.random(100, 999)
    s3.create_bucket{ Bucket = bucket }
    s3.put_bucket_versioning{ Bucket = bucket, VersioningConfiguration = { Status = "Enabled" } }
    local function open(prefix) return state.open("s3://" .. bucket .. "/" .. prefix, { s3 = s3 }) end
    local function body(key) return s3.get_object{ Bucket = bucket, Key = key }.Body end

    it("creates a journal only where there is none, then writes on its ETag", function()
      local a, b = open("p1"), open("p1")
      assert.is_nil(a:read("app"))
      assert.is_nil(b:read("app"))
      assert.is_true(a:write("app", "one"))
      -- b read nothing: creating it now would overwrite a's
      local ok, why = b:write("app", "two")
      assert.is_nil(ok)
      assert.truthy(why:find("s3://" .. bucket .. "/p1/app.json was created behind this run's back", 1, true))
      assert.equal("one", body("p1/app.json"))
      assert.is_true(a:write("app", "three"))
      assert.equal("three", b:read("app"))
      assert.is_true(b:write("app", "four"))
      assert.is_true(b:unchanged("app"))
      assert.is_nil(a:unchanged("app"))
      -- a's ETag is now stale: refused, nothing overwritten
      ok, why = a:write("app", "five")
      assert.is_nil(ok)
      assert.matches("was changed behind this run's back since it read it; nothing was overwritten", why)
      assert.equal("four", body("p1/app.json"))
      ok = a:remove("app")
      assert.is_nil(ok)
      assert.is_true(a:exists("app"))
      assert.is_true(b:remove("app"))
      assert.is_false(a:exists("app"))
    end)

    it("takes a retried write whose first answer was lost as done", function()
      local a = open("p2")
      a:read("app")
      assert.is_true(a:write("app", "v1"))
      -- as if the next PUT reached S3 and its answer was lost: the object
      -- already holds this run's text when the retry's If-Match fails
      s3.put_object{ Bucket = bucket, Key = "p2/app.json", Body = "v2" }
      assert.is_true(a:write("app", "v2"))
      assert.is_true(a:write("app", "v3")) -- on the ETag it found
      assert.equal("v3", body("p2/app.json"))
      assert.is_true(a:remove("app"))
    end)

    it("locks across stores: the second is refused and told the holder and the ID", function()
      local a, b = open("p3"), open("p3")
      local lock = a:lock("app.prod")
      local info = require("json").decode(body("p3/app.prod.lock"))
      assert.equal(lock.id, info.id)
      assert.equal("app.prod", info.deployment)
      local ok, err = pcall(b.lock, b, "app.prod")
      assert.is_false(ok)
      assert.matches("deployment app.prod is in use by another run %(user .+ pid " .. info.pid, err)
      assert.truthy(err:find("lock ID " .. lock.id, 1, true))
      assert.truthy(err:find("fgrun --state s3://" .. bucket .. "/p3 --force-unlock " .. lock.id, 1, true))
      lock:release()
      local again = b:lock("app.prod")
      again:release()
      assert.same({}, s3.list_objects_v2{ Bucket = bucket, Prefix = "p3/" }.Contents or {})
    end)

    it("never releases a lock that is no longer its own", function()
      local a, b = open("p4"), open("p4")
      local stale = a:lock("app")
      assert.has_error(function() b:force_unlock("not-an-id") end)
      local dep, holder = b:force_unlock(stale.id)
      assert.equal("app", dep)
      assert.matches("pid %d+", holder)
      local current = b:lock("app")
      stale:release() -- a warning, and the new holder's lock stays
      assert.equal(current.id, require("json").decode(body("p4/app.lock")).id)
      current:release()
    end)

    it("lists the journals directly under its prefix", function()
      local a = open("p5")
      a:read("x")
      a:write("x", "{}")
      s3.put_object{ Bucket = bucket, Key = "p5/deeper/y.json", Body = "{}" }
      s3.put_object{ Bucket = bucket, Key = "p5/z.lock", Body = "{}" }
      assert.same({ "x" }, a:journals())
    end)

    it("opens journals from S3 as from a folder", function()
      local a = open("p6")
      local j = journal.open(a, "app")
      assert.is_false(j.exists)
      j:add({ name = "step", status = "done", result = { id = "r-1" } })
      j:save()
      local k = journal.open(open("p6"), "app")
      assert.equal("r-1", k:find("step").result.id)
      k:add({ name = "other", status = "done", result = { id = "r-2" } })
      k:save()
      assert.has_error(function() j:save() end)
      assert.matches("changed behind this run's back", j.stale)
      k:remove()
      assert.is_false(a:exists("app"))
    end)

    it("says plainly that a bucket does not exist", function()
      local s = state.open("s3://no-such-bucket-" .. bucket .. "/p", { s3 = s3 })
      local ok, err = pcall(s.lock, s, "app")
      assert.is_false(ok)
      assert.matches("the state bucket no%-such%-bucket%-.* does not exist", err)
      assert.matches("put%-bucket%-versioning", err)
    end)
  end)
end)
