-- fg.network (stdlib/fg/network.lua) and fg/account.lua on fake EC2 and
-- STS answers: subnets given (one VPC, one per zone, the VPC taken from
-- them), subnets chosen (two zones by default), and the partition of ARNs.
local fake = dofile("tests/lib/fake_client.lua")
local network = require "fg.network"
local account = require "fg.account"

local function subnet(id, vpc, zone, default, public)
  return { SubnetId = id, VpcId = vpc, AvailabilityZone = zone, DefaultForAz = default or false,
           MapPublicIpOnLaunch = public or false }
end

-- An EC2 client answering describe_subnets with `subnets` (filtered by the
-- IDs or VPC asked) and describe_vpcs with `vpcs`.
local function ec2(subnets, vpcs)
  local calls = {}
  local c = {}
  function c.describe_subnets(p)
    calls[#calls + 1] = { op = "describe_subnets", params = p }
    local out = {}
    for _, s in ipairs(subnets) do
      local want = true
      if p.SubnetIds then
        want = false
        for _, id in ipairs(p.SubnetIds) do if id == s.SubnetId then want = true end end
      end
      for _, f in ipairs(p.Filters or {}) do
        if f.Name == "vpc-id" and f.Values[1] ~= s.VpcId then want = false end
      end
      if want then out[#out + 1] = s end
    end
    if p.SubnetIds and #out < #p.SubnetIds then
      error(require("aws.errors").new{ code = "InvalidSubnetID.NotFound", message = "The subnet ID 'subnet-0404' does not exist" }, 0)
    end
    return { Subnets = out }
  end
  function c.all(op, p) return c[op](p) end
  function c.describe_vpcs() return { Vpcs = vpcs or { { VpcId = "vpc-d" } } } end
  return c, calls
end

local SIX = {
  subnet("subnet-0f", "vpc-d", "us-east-1f", true), subnet("subnet-0a", "vpc-d", "us-east-1a", true),
  subnet("subnet-0c", "vpc-d", "us-east-1c", true), subnet("subnet-0b", "vpc-d", "us-east-1b", true),
  subnet("subnet-0e", "vpc-d", "us-east-1e", true), subnet("subnet-0d", "vpc-d", "us-east-1d", true),
  subnet("subnet-1a", "vpc-1", "us-east-1a"), subnet("subnet-1b", "vpc-1", "us-east-1b"),
  subnet("subnet-1c", "vpc-1", "us-east-1a"),
}

local function fails(opts, pattern)
  local ok, err = pcall(network.resolve, opts)
  assert.is_false(ok, "expected an error")
  assert.matches(pattern, tostring(err))
end

describe("fg.network", function()
  it("takes two zones of the default VPC unless told otherwise, one default subnet each", function()
    local n = network.resolve{ client = ec2(SIX) }
    assert.are.same({ vpc = "vpc-d", subnets = { "subnet-0a", "subnet-0b" }, zones = { "us-east-1a", "us-east-1b" } }, n)
    assert.are.equal(3, #network.resolve{ client = ec2(SIX), zones = 3 }.subnets)
  end)

  it("in a given VPC without subnet_ids takes one subnet per zone, public ones first", function()
    local subnets = { subnet("subnet-2b", "vpc-2", "us-east-1a"), subnet("subnet-2a", "vpc-2", "us-east-1a", false, true),
                      subnet("subnet-2c", "vpc-2", "us-east-1b") }
    local n = network.resolve{ client = ec2(subnets), vpc_id = "vpc-2" }
    assert.are.same({ "subnet-2a", "subnet-2c" }, n.subnets)
  end)

  it("takes the VPC from the given subnets (issue 21 item 4)", function()
    local n = network.resolve{ client = ec2(SIX), subnet_ids = { "subnet-1b", "subnet-1a" } }
    assert.are.equal("vpc-1", n.vpc)
    assert.are.same({ "subnet-1a", "subnet-1b" }, n.subnets)
  end)

  it("refuses subnets of several VPCs, naming them", function()
    fails({ client = ec2(SIX), subnet_ids = { "subnet-1a", "subnet-0b" } },
      "subnet_ids span several VPCs: vpc%-1 %(subnet%-1a%), vpc%-d %(subnet%-0b%)")
  end)

  it("refuses subnets outside the vpc_id given", function()
    fails({ client = ec2(SIX), vpc_id = "vpc-d", subnet_ids = { "subnet-1a", "subnet-1b" } },
      "subnet_ids are in vpc%-1, not in vpc_id vpc%-d")
  end)

  it("refuses two subnets in one zone: the load balancer takes one per zone", function()
    fails({ client = ec2(SIX), subnet_ids = { "subnet-1a", "subnet-1c", "subnet-1b" } },
      "subnets subnet%-1a and subnet%-1c are both in zone us%-east%-1a")
  end)

  it("refuses subnets in fewer than two zones", function()
    fails({ client = ec2(SIX), subnet_ids = { "subnet-1a" } }, "span 1 Availability Zone%(s%); the load balancer needs two")
  end)

  it("names a subnet that does not exist, and one that is not an ID, before any call", function()
    fails({ client = ec2(SIX), subnet_ids = { "subnet-0a", "subnet-0404" } }, "subnet_ids: The subnet ID 'subnet%-0404' does not exist")
    local client, calls = ec2(SIX)
    fails({ client = client, subnet_ids = { "sg-12" } }, 'subnet_ids: "sg%-12" is not a subnet ID')
    assert.are.equal(0, #calls)
  end)

  it("says what to set when the region has no default VPC", function()
    fails({ client = ec2(SIX, {}) }, "has no default VPC: set vpc_id and subnet_ids")
  end)
end)

describe("fg.account", function()
  it("takes the partition from the caller's ARN and builds ARNs in it", function()
    for arn, partition in pairs{ ["arn:aws:iam::111:user/a"] = "aws", ["arn:aws-cn:sts::111:assumed-role/r/s"] = "aws-cn",
                                 ["arn:aws-us-gov:iam::111:user/a"] = "aws-us-gov" } do
      local sts = fake.client{ get_caller_identity = { { Account = "111", Arn = arn, UserId = "AID" } } }
      local me = account.caller(sts)
      assert.are.equal(partition, me.partition)
      assert.are.equal(("arn:%s:iam::111:policy/p"):format(partition),
        account.arn{ service = "iam", resource = "policy/p", partition = me.partition, account = me.account })
    end
    assert.are.equal("arn:aws:logs:eu-west-1:222:log-group:/x",
      account.arn{ service = "logs", region = "eu-west-1", account = "222", partition = "aws", resource = "log-group:/x" })
  end)
end)
