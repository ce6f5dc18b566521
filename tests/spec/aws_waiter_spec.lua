-- Waiters (aws.waiter) on recorded answers: the acceptors as botocore
-- matches them, the polling schedule, options and the errors. The clock is
-- virtual (fake_client.virtual_clock), so no test really sleeps.
local fake = dofile("tests/lib/fake_client.lua")
local waiter = require "aws.waiter"
local json = require "json"

local elbv2 = fake.load("waiters/elbv2")
local ecs = fake.load("waiters/ecs")

local quiet = {progress = false}

-- A name part no earlier run against the same moto used.
local function unique() return tostring(os.time() % 100000) .. math.random(100, 999) end

local function with(opts)
  local t = {progress = false}
  for k, v in pairs(opts) do t[k] = v end
  return t
end

local function catch(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return e
end

describe("aws.waiter", function()
  local clock
  before_each(function() clock = fake.virtual_clock() end)
  after_each(function() clock.restore() end)

  describe("names", function()
    it("lists the embedded waiters of a service in snake_case", function()
      local client = fake.client({}, "ecs")
      local names = waiter.names(client)
      assert.is_true(#names >= 4)
      for _, n in ipairs{"services_inactive", "services_stable", "tasks_running", "tasks_stopped"} do
        assert.is_truthy(table.concat(names, " "):find(n, 1, true), n)
      end
      local lb = waiter.names(fake.client({}, "elbv2"))
      assert.same({"load_balancer_available", "load_balancer_exists", "load_balancers_deleted",
                   "target_deregistered", "target_in_service"}, lb)
      assert.is_truthy(table.concat(waiter.names(fake.client({}, "ecr")), " "):find("image_scan_complete"))
    end)

    it("refuses an unknown waiter, naming the known ones", function()
      local e = catch(waiter.wait, fake.client({}, "elbv2"), "load_balancer_ready", {}, quiet)
      assert.equal("UnknownWaiter", e.code)
      assert.matches("load_balancer_available", e.message)
    end)

    it("takes the waiter's own name too", function()
      local client = fake.client({describe_load_balancers = {elbv2.active}}, "elbv2")
      assert.equal(elbv2.active, waiter.wait(client, "LoadBalancerAvailable", {Names = {"web"}}, quiet))
    end)
  end)

  describe("path, pathAll and pathAny", function()
    it("succeeds when every member matches (pathAll), after one more poll", function()
      local client, calls = fake.client({describe_load_balancers = {elbv2.provisioning, elbv2.active}}, "elbv2")
      local out, polls = waiter.wait(client, "load_balancer_available", {Names = {"web"}}, quiet)
      assert.equal(elbv2.active, out)
      assert.equal(2, polls)
      assert.equal(2, #calls)
      assert.same({"web"}, calls[1].params.Names)
      assert.same({1}, clock.slept) -- the first pause, once: nothing after success
    end)

    it("does not sleep when the first answer already satisfies it", function()
      local client, calls = fake.client({describe_load_balancers = {elbv2.active}}, "elbv2")
      waiter.wait(client, "load_balancer_available", {Names = {"web"}}, quiet)
      assert.equal(1, #calls)
      assert.same({}, clock.slept)
    end)

    it("fails at once on a failure acceptor (pathAny)", function()
      local client, calls = fake.client({describe_services = {ecs.rolling, ecs.missing}}, "ecs")
      local e = catch(waiter.wait, client, "services_stable", {cluster = "prod", services = {"web"}}, quiet)
      assert.equal("WaiterFailure", e.code)
      assert.equal(2, #calls)
      assert.equal("ecs services_stable", e.waiter)
      assert.matches('failures%[%]%.reason', e.message)
      assert.matches('"MISSING" at least once', e.message)
      assert.matches("service/prod/web: MISSING", e.last_state)
      assert.same({"pathAny", "failures[].reason", "MISSING", "failure"},
                  {e.acceptor.matcher, e.acceptor.argument, e.acceptor.expected, e.acceptor.state})
      assert.equal(ecs.missing, e.response)
    end)

    it("fails on a DRAINING service", function()
      local client = fake.client({describe_services = {ecs.draining}}, "ecs")
      local e = catch(waiter.wait, client, "services_stable", {cluster = "prod", services = {"web"}}, quiet)
      assert.equal("WaiterFailure", e.code)
      assert.matches("DRAINING", e.message)
    end)

    it("waits for one deployment with running = desired (a boolean path)", function()
      local client, calls = fake.client({describe_services = {ecs.rolling, ecs.rolling, ecs.stable}}, "ecs")
      local out = waiter.wait(client, "services_stable", {cluster = "prod", services = {"web"}}, quiet)
      assert.equal(ecs.stable, out)
      assert.equal(3, #calls)
    end)

    it("services_inactive succeeds on INACTIVE", function()
      local client = fake.client({describe_services = {ecs.draining, ecs.inactive}}, "ecs")
      assert.equal(ecs.inactive, waiter.wait(client, "services_inactive", {cluster = "prod", services = {"web"}}, quiet))
    end)

    it("does not count an empty list as all matching (pathAll)", function()
      local client, calls = fake.client({describe_target_health = {elbv2.targets_none}}, "elbv2")
      local e = catch(waiter.wait, client, "target_in_service", {TargetGroupArn = "arn:tg"},
                      with{max_attempts = 3})
      assert.equal("WaiterTimeout", e.code)
      assert.equal(3, #calls)
      assert.equal(3, e.attempts)
      assert.matches("no targets", e.last_state)
    end)

    it("tasks_running: an empty list is not success, a STOPPED task is failure", function()
      local client = fake.client({describe_tasks = {ecs.tasks_none, ecs.tasks_starting, ecs.tasks_running}}, "ecs")
      local out, polls = waiter.wait(client, "tasks_running", {cluster = "prod", tasks = {"t"}}, quiet)
      assert.equal(ecs.tasks_running, out)
      assert.equal(3, polls)
      local failing = fake.client({describe_tasks = {ecs.tasks_starting, ecs.tasks_one_stopped}}, "ecs")
      local e = catch(waiter.wait, failing, "tasks_running", {cluster = "prod", tasks = {"t"}}, quiet)
      assert.equal("WaiterFailure", e.code)
      assert.matches("1 RUNNING, 1 STOPPED", e.last_state)
    end)

    it("tells the progress the state it sees", function()
      local seen = {}
      local client = fake.client({describe_tasks = {ecs.tasks_starting, ecs.tasks_running}}, "ecs")
      waiter.wait(client, "tasks_running", {cluster = "prod", tasks = {"t"}}, with{
        on_poll = function(result, attempt) seen[#seen + 1] = {result, attempt} end})
      assert.equal(2, #seen)
      assert.equal(ecs.tasks_starting, seen[1][1])
      assert.equal(1, seen[1][2])
      assert.equal(2, seen[2][2])
    end)
  end)

  describe("error and status matchers", function()
    it("retries on an expected error code, then succeeds", function()
      local client, calls = fake.client({describe_load_balancers = {elbv2.not_found, elbv2.provisioning, elbv2.active}}, "elbv2")
      waiter.wait(client, "load_balancer_available", {Names = {"web"}}, quiet)
      assert.equal(3, #calls)
    end)

    it("succeeds on an expected error code (load_balancers_deleted)", function()
      local seen
      local client = fake.client({describe_load_balancers = {elbv2.active, elbv2.not_found}}, "elbv2")
      local out, polls = waiter.wait(client, "load_balancers_deleted", {Names = {"web"}},
        with{on_poll = function(r) seen = r end})
      assert.is_nil(out)
      assert.equal(2, polls)
      assert.equal("LoadBalancerNotFound", seen.code)
    end)

    it("fails at once on an error no acceptor expects, as botocore does", function()
      local client, calls = fake.client({describe_services = {ecs.cluster_not_found}}, "ecs")
      local e = catch(waiter.wait, client, "services_stable", {cluster = "nope", services = {"web"}}, quiet)
      assert.equal("WaiterFailure", e.code)
      assert.equal(1, #calls)
      assert.matches("An error occurred %(ClusterNotFoundException%): Cluster not found.", e.message)
      assert.equal("ClusterNotFoundException", e.cause.code) -- for callers that take "not found" as gone
      assert.is_nil(e.acceptor)
    end)

    it("matches the HTTP status (status matcher)", function()
      local client = fake.client({describe_load_balancers = {elbv2.not_found, elbv2.provisioning}}, "elbv2")
      local out, polls = waiter.wait(client, "load_balancer_exists", {Names = {"web"}}, quiet)
      assert.equal(elbv2.provisioning, out)
      assert.equal(2, polls)
    end)

    it("takes true for any error and false for none", function()
      local defs = {version = 2, waiters = {
        Gone = {operation = "DescribeThing", delay = 1, maxAttempts = 5,
                acceptors = {{matcher = "error", expected = true, state = "success"}}},
        There = {operation = "DescribeThing", delay = 1, maxAttempts = 5,
                 acceptors = {{matcher = "error", expected = false, state = "success"},
                              {matcher = "error", expected = "Throttled", state = "retry"}}},
      }}
      local thing = {Thing = {State = "x"}}
      local throttled = {error = {code = "Throttled", message = "slow down", status = 400}}
      local other = {error = {code = "NoSuchThing", message = "none", status = 404}}
      local client, calls = fake.client({describe_thing = {thing, thing, other}})
      waiter.attach(client, defs)
      local _, polls = waiter.wait(client, "gone", {}, quiet)
      assert.equal(3, polls)
      client = waiter.attach(fake.client({describe_thing = {throttled, thing}}), defs)
      local out = waiter.wait(client, "there", {}, quiet)
      assert.equal(thing, out)
      assert.equal(3, #calls)
    end)

    it("lets failures that are not the service's answer through", function()
      local errors = require "aws.errors"
      local client = {model = function() return {name = "elbv2"} end,
        describe_load_balancers = function() error(errors.new{code = "ValidationError", message = "bad"}, 0) end}
      local e = catch(waiter.wait, client, "load_balancer_available", {}, quiet)
      assert.equal("ValidationError", e.code)
      client.describe_load_balancers = function() error("interrupted", 0) end
      assert.equal("interrupted", catch(waiter.wait, client, "load_balancer_available", {}, quiet))
    end)
  end)

  describe("schedule", function()
    it("uses the given delay", function()
      local client = fake.client({describe_load_balancers = {elbv2.provisioning, elbv2.provisioning, elbv2.active}}, "elbv2")
      waiter.wait(client, "load_balancer_available", {}, with{delay = 2})
      assert.same({2, 2}, clock.slept)
    end)

    it("polls after 1 s, then every tenth of the time waited, at most the waiter's delay", function()
      local client = fake.client({describe_load_balancers = {elbv2.provisioning}}, "elbv2")
      local e = catch(waiter.wait, client, "load_balancer_available", {Names = {"web"}}, quiet)
      local waited = 0
      for i, pause in ipairs(clock.slept) do
        if i == 1 then assert.equal(1, pause) end
        assert.is_true(pause >= 1 and pause <= 15, "pause " .. pause)
        if waited < 600 - 15 then
          assert.is_true(math.abs(pause - math.min(15, math.max(1, waited / 10))) < 1e-9, "pause " .. i)
        end
        waited = waited + pause
      end
      assert.equal(15, clock.slept[#clock.slept - 1]) -- the waiter's delay caps the pauses
      assert.equal("WaiterTimeout", e.code)
    end)

    it("gives up after the waiter's whole time (its delay times its attempts) by default", function()
      local client, calls = fake.client({describe_load_balancers = {elbv2.provisioning}}, "elbv2")
      local e = catch(waiter.wait, client, "load_balancer_available", {Names = {"web"}}, quiet)
      assert.equal("WaiterTimeout", e.code)
      assert.equal(600, e.elapsed) -- 15 s x 40 attempts of LoadBalancerAvailable
      assert.matches("600s timeout", e.message)
      assert.is_true(#calls < 80, #calls .. " polls in 10 minutes")
    end)

    it("multiplies its pauses by FGRUN_WAIT_SCALE (a simulator's scaled time)", function()
      local code = [[
        local fake = dofile("tests/lib/fake_client.lua")
        local clock = fake.virtual_clock()
        local elbv2 = fake.load("waiters/elbv2")
        local client = fake.client({describe_load_balancers = {elbv2.provisioning, elbv2.provisioning,
                                                               elbv2.active}}, "elbv2")
        require("aws.waiter").wait(client, "load_balancer_available", {}, {progress = false})
        print(table.concat(clock.slept, " "))]]
      local p = io.popen("FGRUN_WAIT_SCALE=0.1 " .. (os.getenv("FGRUN") or "build/fgrun") .. " -e '" .. code .. "'")
      local out = p:read("a")
      p:close()
      assert.equal("0.1 0.1\n", out)
    end)

    it("waits longer after a throttled poll instead of failing", function()
      local throttled = {error = {code = "Throttling", message = "Rate exceeded", status = 400}}
      local client, calls = fake.client({describe_load_balancers = {elbv2.provisioning, throttled, throttled,
        elbv2.provisioning, elbv2.active}}, "elbv2")
      local out = waiter.wait(client, "load_balancer_available", {Names = {"web"}}, with{delay = 2})
      assert.equal(elbv2.active, out)
      assert.equal(5, #calls)
      assert.same({2, 4, 8, 8}, clock.slept) -- doubled after each throttled poll
    end)

    describe("an expected end (a check's expect_at)", function()
      local poll = require "aws.waiter.poll"
      -- a wait of `timeout` s whose check expects success at `at` (an offset
      -- from the start) and has it at `done` (nil: never); the times polled
      local function run(at, done, timeout, expect)
        local start, polled = clock.now, {}
        pcall(poll.poll, {waiter = "w", timeout = timeout, progress = false, check = function()
          local t = clock.now - start
          polled[#polled + 1] = math.floor(t * 1e6 + 0.5) / 1e6
          if done and t >= done then return {state = "success", value = t} end
          return {state = "retry", status = "not yet", expect_at = (expect or function() return start + at end)(t)}
        end})
        return polled
      end

      it("is polled at when it comes before the next poll", function()
        local polled = run(60, 60, 600)
        assert.equal(60, polled[#polled])
        local plain = run(math.huge, 60, 600)   -- nothing expected: a tenth of the time waited late
        assert.is_true(plain[#plain] > 60, "without it, seen at " .. plain[#plain])
        assert.equal(#plain, #polled)
      end)

      it("once passed, polls a first pause apart for a tenth of the time waited until it, then as before", function()
        local polled = run(60, nil, 120)
        local after = {}
        for _, t in ipairs(polled) do
          if t >= 60 then after[#after + 1] = t - 60 end
        end
        assert.same({0, 1, 2, 3, 4, 5, 6}, {table.unpack(after, 1, 7)})
        assert.is_true(after[8] - after[7] > 6, "back to a tenth of the time waited")
      end)

      it("never polls more than twice a first pause, whatever the check expects", function()
        local polled = run(nil, nil, 100, function() return clock.now + 0.01 end)
        for i = 3, #polled - 1 do -- the last: at the deadline
          assert.is_true(polled[i] - polled[i - 2] >= 1 - 1e-6, "polls " .. i - 2 .. " to " .. i)
        end
        assert.is_true(#polled <= 2 * 100 + 1)
      end)

      it("is ignored when it is later than the next poll", function()
        local polled = run(1000, 60, 600)
        assert.same(run(math.huge, 60, 600), polled)
      end)
    end)

    it("with a timeout, polls until the deadline instead of counting attempts", function()
      local client, calls = fake.client({describe_load_balancers = {elbv2.provisioning}}, "elbv2")
      local e = catch(waiter.wait, client, "load_balancer_available", {Names = {"web"}},
                      with{timeout = 100, delay = 30})
      assert.equal("WaiterTimeout", e.code)
      assert.same({30, 30, 30, 10}, clock.slept) -- the last pause ends at the deadline
      assert.equal(5, #calls)
      assert.equal(100, e.elapsed)
      local long = fake.client({describe_load_balancers = {elbv2.provisioning}}, "elbv2")
      local e2 = catch(waiter.wait, long, "load_balancer_available", {}, with{timeout = 1200})
      assert.equal(1200, e2.elapsed)
    end)
  end)

  describe("timeout errors", function()
    it("name the waiter, the parameters, the elapsed time and the last state", function()
      local client = fake.client({describe_services = {ecs.rolling}}, "ecs")
      local e = catch(waiter.wait, client, "services_stable", {cluster = "prod", services = {"web"}},
                      with{timeout = 600})
      assert.is_true(waiter.is_wait_error(e))
      local text = tostring(e)
      assert.matches("^ecs services_stable timed out after 10m00s %(%d+ polls%)", text)
      assert.matches('parameters: {"cluster":"prod","services":%["web"%]}', text)
      assert.matches("last state: web: 1/2 running, 1 pending, 2 deployments, rollout IN_PROGRESS", text)
      assert.matches("PRIMARY ecs%-svc/7315624178392561280 web:7 IN_PROGRESS: 1/2 running, 1 pending", text)
      assert.matches("ACTIVE ecs-svc/2290853215603412880 web:6 COMPLETED: 1/0 running", text, 1, true)
      assert.same({cluster = "prod", services = {"web"}}, e.params)
      assert.equal(ecs.rolling, e.response)
    end)

    it("say which acceptor last matched, and the observed values, for other operations", function()
      local client = fake.client({describe_load_balancers = {elbv2.provisioning}}, "elbv2")
      local e = catch(waiter.wait, client, "load_balancer_available", {Names = {"web"}}, with{max_attempts = 2})
      local text = tostring(e)
      assert.matches("web: provisioning", text)
      assert.matches('last matched: For expression "LoadBalancers%[%]%.State%.Code" we matched expected path: "provisioning" at least once', text)
    end)

    it("show the last error code when the service kept answering with one", function()
      local client = fake.client({describe_load_balancers = {elbv2.not_found}}, "elbv2")
      local e = catch(waiter.wait, client, "load_balancer_available", {Names = {"web"}}, with{max_attempts = 2})
      assert.matches("last state: error LoadBalancerNotFound", tostring(e))
    end)
  end)

  describe("status texts", function()
    it("observe the acceptors' expressions when there is no summary", function()
      local acceptors = require "aws.waiter.acceptors"
      local defs = json.decode(require("aws.models").get("ecr", "waiters"))
      local a = defs.waiters.ImageScanComplete.acceptors
      local text = acceptors.observe(a, {output = json.decode('{"imageScanStatus":{"status":"IN_PROGRESS"}}')})
      assert.equal('imageScanStatus.status = "IN_PROGRESS"', text)
    end)
  end)
end)

describe("aws waiters against moto", function()
  local moto = dofile("tests/lib/moto.lua")
  local ec2, lbs, ecs_client = moto.clients("ec2", "elbv2", "ecs")
  if not ec2 then return pending(moto.ABSENT) end
  local suffix = "w" .. unique()
  local fast = {delay = 0.2, timeout = 10, progress = false}
  local lb_arn

  it("load_balancer_available after create_load_balancer", function()
    local vpc = ec2.create_vpc{CidrBlock = "10.77.0.0/16"}.Vpc.VpcId
    local a = ec2.create_subnet{VpcId = vpc, CidrBlock = "10.77.1.0/24", AvailabilityZone = "us-east-1a"}.Subnet.SubnetId
    local b = ec2.create_subnet{VpcId = vpc, CidrBlock = "10.77.2.0/24", AvailabilityZone = "us-east-1b"}.Subnet.SubnetId
    local lb = lbs.create_load_balancer{Name = suffix, Subnets = {a, b}}.LoadBalancers[1]
    assert.equal("provisioning", lb.State.Code)
    lb_arn = lb.LoadBalancerArn
    local out = lbs.wait("load_balancer_available", {LoadBalancerArns = {lb_arn}}, fast)
    assert.equal("active", out.LoadBalancers[1].State.Code)
  end)

  it("load_balancers_deleted after delete_load_balancer", function()
    assert.is_string(lb_arn)
    lbs.delete_load_balancer{LoadBalancerArn = lb_arn}
    local out, polls = lbs.wait("load_balancers_deleted", {LoadBalancerArns = {lb_arn}}, fast)
    assert.is_nil(out) -- LoadBalancerNotFound is the success
    assert.equal(1, polls)
  end)

  it("target_in_service after register_targets, target_deregistered after deregister_targets", function()
    local vpc = ec2.create_vpc{CidrBlock = "10.79.0.0/16"}.Vpc.VpcId
    local tg = lbs.create_target_group{Name = suffix, Protocol = "HTTP", Port = 8080, VpcId = vpc,
                                       TargetType = "ip"}.TargetGroups[1].TargetGroupArn
    local targets = {{Id = "10.79.1.10", Port = 8080}}
    lbs.register_targets{TargetGroupArn = tg, Targets = targets}
    local out = lbs.wait("target_in_service", {TargetGroupArn = tg}, fast)
    assert.equal("healthy", out.TargetHealthDescriptions[1].TargetHealth.State)
    lbs.deregister_targets{TargetGroupArn = tg, Targets = targets}
    lbs.wait("target_deregistered", {TargetGroupArn = tg, Targets = targets}, fast)
  end)

  it("services_stable with MOTO_ECS_SERVICE_RUNNING, services_inactive after delete_service", function()
    ecs_client.create_cluster{clusterName = suffix}
    local td = ecs_client.register_task_definition{family = suffix, containerDefinitions = {
      {name = "app", image = "scratch", memory = 128, essential = true}}}.taskDefinition
    ecs_client.create_service{cluster = suffix, serviceName = "web", taskDefinition = td.taskDefinitionArn, desiredCount = 2}
    local out = ecs_client.wait("services_stable", {cluster = suffix, services = {"web"}}, fast)
    assert.equal(2, out.services[1].runningCount)
    ecs_client.update_service{cluster = suffix, service = "web", desiredCount = 0}
    ecs_client.delete_service{cluster = suffix, service = "web"}
    out = ecs_client.wait("services_inactive", {cluster = suffix, services = {"web"}}, fast)
    assert.equal("INACTIVE", out.services[1].status)
  end)

  it("fails at once on a service error no acceptor expects", function()
    local ok, e = pcall(ecs_client.wait, "services_stable", {cluster = suffix .. "-none", services = {"web"}}, fast)
    assert.is_false(ok)
    assert.equal("WaiterFailure", e.code)
    assert.matches("ClusterNotFoundException", e.message)
    assert.equal(1, e.attempts)
  end)
end)
