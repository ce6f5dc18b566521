-- fg.wait_until (stdlib/fg/wait.lua), with a virtual clock.
local fake = dofile("tests/lib/fake_client.lua")
local wait = require "fg.wait"

local function catch(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return e
end

describe("fg.wait", function()
  local clock
  before_each(function() clock = fake.virtual_clock() end)
  after_each(function() clock.restore() end)

  describe("wait_until", function()
    it("polls until the check is done and returns its value", function()
      local n = 0
      local value = wait.wait_until(function(attempt)
        n = n + 1
        assert.equal(n, attempt)
        if n < 4 then return false, n .. "/4 ready" end
        return true, "4/4 ready", {ready = 4}
      end, {progress = false})
      assert.same({ready = 4}, value)
      assert.equal(4, n)
      assert.same({2, 3, 4.5}, clock.slept) -- delay 2, backoff 1.5
    end)

    it("caps the backoff at max_delay and returns the status without a value", function()
      local n = 0
      local v = wait.wait_until(function()
        n = n + 1
        return n == 6 or nil, "step " .. n
      end, {delay = 4, backoff = 2, max_delay = 10, progress = false})
      assert.equal("step 6", v)
      assert.same({4, 8, 10, 10, 10}, clock.slept)
    end)

    it("fails at once when the check says failed", function()
      local e = catch(wait.wait_until, function(attempt)
        if attempt == 2 then return "failed", "the bucket was deleted" end
        return false, "waiting for the bucket"
      end, {what = "bucket policy", progress = false})
      assert.equal("WaiterFailure", e.code)
      assert.equal("bucket policy", e.waiter)
      assert.equal("the bucket was deleted", e.message)
      assert.equal(2, e.attempts)
    end)

    it("times out with the last status, ending the last pause at the deadline", function()
      local e = catch(wait.wait_until, function() return false, "3 of 5 in use" end,
                      {what = "security group free", timeout = 60, delay = 10, backoff = 1,
                       params = {group = "sg-0123"}, progress = false})
      assert.equal("WaiterTimeout", e.code)
      assert.equal(60, e.elapsed)
      assert.equal(7, e.attempts)
      local text = tostring(e)
      assert.matches("^security group free timed out after 1m00s %(7 polls%)", text)
      assert.matches('parameters: {"group":"sg%-0123"}', text)
      assert.matches("last state: 3 of 5 in use", text)
    end)

    it("refuses a check that answers nonsense", function()
      local e = catch(wait.wait_until, function() return "yes" end, {progress = false})
      assert.matches("check returned yes", e)
    end)
  end)
end)
