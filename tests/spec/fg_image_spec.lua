-- The parts of the image step that need no Engine: the platform names
-- (stdlib/fg/image.lua) and the build context's content digest
-- (runtime/docker/digest.c) that decides whether a build can be skipped.
-- Build, push, skip and scan end to end: tests/cli/recipe.sh.
local image = require "fg.image"
local digest = require "docker.digest"

local function sh(cmd) assert(os.execute(cmd)) end

describe("fg.image.platform", function()
  it("maps the names people use to the Engine's and ECS's", function()
    assert.are.same({ docker = "linux/amd64", ecs = "X86_64" }, image.platform(nil))
    for _, n in ipairs({ "x86_64", "amd64", "linux/amd64", "X86_64" }) do
      assert.are.equal("X86_64", image.platform(n).ecs)
    end
    for _, n in ipairs({ "arm64", "aarch64", "linux/arm64", "ARM64" }) do
      assert.are.same({ docker = "linux/arm64", ecs = "ARM64" }, image.platform(n))
    end
  end)
  it("names the valid ones for anything else", function()
    local ok, err = pcall(image.platform, "riscv64")
    assert.is_false(ok)
    assert.matches('platform "riscv64": use x86_64 %(Fargate\'s default%) or arm64', err)
  end)
end)

describe("docker.digest.context", function()
  local dir
  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
    sh(("mkdir -p %s/src && printf 'FROM scratch\\n' > %s/Dockerfile && printf 'a' > %s/src/a && printf 'b' > %s/b")
      :format(dir, dir, dir, dir))
  end)
  after_each(function() sh("rm -rf " .. dir) end)

  it("is the same for a context only touched, and counts what a build sends", function()
    local d1, n = digest.context(dir)
    assert.matches("^sha256:%x+$", d1)
    assert.are.equal(4, n) -- Dockerfile, b, src, src/a
    sh(("touch -d '2001-01-01' %s/src/a %s/b"):format(dir, dir))
    assert.are.equal(d1, (digest.context(dir)))
  end)

  it("is the same for the same files written in another order", function()
    local other = dir .. "-2"
    sh(("mkdir -p %s && printf 'b' > %s/b && mkdir %s/src && printf 'a' > %s/src/a && printf 'FROM scratch\\n' > %s/Dockerfile")
      :format(other, other, other, other, other))
    local same = digest.context(other)
    sh("rm -rf " .. other)
    assert.are.equal(digest.context(dir), same)
  end)

  it("changes with a file's content, its permission bits, a new file, a renamed one, a link's target", function()
    local seen = { [digest.context(dir)] = "start" }
    local function changed(what, cmd)
      sh(cmd:gsub("DIR", dir))
      local d = digest.context(dir)
      assert.is_nil(seen[d], what .. " left the digest as it was after " .. tostring(seen[d]))
      seen[d] = what
    end
    changed("content", "printf 'A' > DIR/src/a")
    changed("mode", "chmod +x DIR/src/a")
    changed("new file", "printf '' > DIR/c")
    changed("rename", "mv DIR/c DIR/d")
    changed("link", "ln -s b DIR/l")
    changed("link target", "ln -sfn src DIR/l")
  end)

  it("leaves out what .dockerignore leaves out of the build", function()
    local before = digest.context(dir)
    sh(("printf 'tmp\\n' > %s/.dockerignore"):format(dir))
    local ignored = digest.context(dir)
    sh(("mkdir %s/tmp && printf 'x' > %s/tmp/junk"):format(dir, dir))
    assert.are.equal(ignored, (digest.context(dir)))
    assert.are_not.equal(before, ignored, ".dockerignore itself is sent")
  end)

  it("reads a large file in pieces", function()
    sh(("head -c 3000000 /dev/zero > %s/big"):format(dir))
    local d1 = digest.context(dir)
    sh(("printf '1' | dd of=%s/big bs=1 seek=2999999 conv=notrunc status=none"):format(dir))
    assert.are_not.equal(d1, (digest.context(dir)), "a change in the last chunk counts")
  end)

  it("says which folder cannot be read", function()
    local ok, err = pcall(digest.context, dir .. "/nonexistent")
    assert.is_false(ok)
    assert.matches("nonexistent", err)
  end)
end)
