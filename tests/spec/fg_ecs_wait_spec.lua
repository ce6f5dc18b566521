-- fg.wait_for_deployment (stdlib/fg/ecs/wait.lua) on recorded ECS, ELB and
-- CloudWatch Logs answers, with a virtual clock; then against moto.
local fake = dofile("tests/lib/fake_client.lua")
local wait = require "fg.ecs.wait"
local json = require "json"

local services = fake.load("deployment/services")
local tasks = fake.load("deployment/tasks")
local target_health = fake.load("deployment/target_health")
local task_definition = fake.load("deployment/task_definition")
local log_events = fake.load("deployment/log_events")

local function catch(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok, "expected an error")
  return e
end

-- A copy of a recorded answer (answers are shared between tests).
local function copy(v)
  return json.decode(json.encode(v))
end

-- The clients of a deployment wait: ecs answers from `script`; elbv2 and
-- logs from the recorded target health and log events.
local function clients(script)
  local ecs, calls = fake.client(script, "ecs")
  local elbv2, elb_calls = fake.client({describe_target_health = {target_health}}, "elbv2")
  local logs, log_calls = fake.client({get_log_events = {log_events}}, "logs")
  return {ecs = ecs, elbv2 = elbv2, logs = logs, calls = calls, elb_calls = elb_calls, log_calls = log_calls}
end

local function deploy(c, extra)
  local opts = {cluster = "prod", service = "web", client = c.ecs, elbv2 = c.elbv2, logs = c.logs,
                progress = false}
  for k, v in pairs(extra or {}) do opts[k] = v end
  return wait.wait_for_deployment(opts)
end

describe("fg.ecs.wait", function()
  local clock
  before_each(function() clock = fake.virtual_clock() end)
  after_each(function() clock.restore() end)
  describe("wait_for_deployment", function()
    it("succeeds when the PRIMARY deployment is COMPLETED with running = desired", function()
      local c = clients{describe_services = {services.in_progress, services.in_progress, services.completed}}
      local service = deploy(c)
      assert.equal(services.completed.services[1], service)
      assert.equal(3, #c.calls)
      assert.equal(0, fake.count(c.calls, "list_tasks")) -- no failed tasks: nothing more asked
      assert.same({1, 1}, clock.slept)
      assert.same({cluster = "prod", services = {"web"}}, c.calls[1].params)
    end)

    it("ignores a rollback that happened before this deployment", function()
      -- in_progress carries an old "rolling back" event from the day before
      local c = clients{describe_services = {services.in_progress, services.completed}}
      assert.equal(services.completed.services[1], deploy(c, {task_definition = "web:7"}))
    end)

    it("never reports success for a rolled-back deployment", function()
      -- the circuit breaker already rolled back: PRIMARY runs web:6, COMPLETED
      local c = clients{describe_services = {services.previous_only},
                        list_tasks = {tasks.list_3}, describe_tasks = {tasks.describe_1},
                        describe_task_definition = {task_definition}}
      local e = catch(deploy, c, {task_definition = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:7"})
      assert.equal("WaiterFailure", e.code)
      assert.matches("no deployment runs .*web:7; the PRIMARY one runs .*web:6", e.message)
      assert.equal(1, fake.count(c.calls, "describe_services"))
    end)

    it("fails at once on a circuit-breaker rollback, and gathers the cause", function()
      local c = clients{describe_services = {services.in_progress, services.rolled_back},
                        list_tasks = {tasks.list_3},
                        describe_tasks = {{tasks = {tasks.describe_3.tasks[1], tasks.describe_2.tasks[1],
                                                    tasks.describe_1.tasks[1]}}},
                        describe_task_definition = {task_definition}}
      local e = catch(deploy, c)
      assert.equal("WaiterFailure", e.code)
      assert.equal(2, fake.count(c.calls, "describe_services"))
      assert.matches("deployment ecs%-svc/7315624178392561280 failed: ECS deployment circuit breaker: tasks failed to start%.", e.message)
      local text = tostring(e)
      -- the service's latest events
      assert.matches("latest service events:", text)
      assert.matches("rolling back to deployment ecs%-svc/5520016342788906415", text)
      -- stopped tasks with their reason and the container's exit code
      assert.matches("77aa66bb55cc44dd33ee22ff11001234 %(web:7%): Essential container in task exited %[EssentialContainerExited%]", text)
      assert.matches("container app: exit code 1", text)
      -- unhealthy targets with their reason codes
      assert.matches("web%-tg 10%.0%.1%.17:8080 unhealthy Target%.ResponseCodeMismatch: Health checks failed with these codes: %[500%]", text)
      assert.matches("draining Target%.DeregistrationInProgress", text)
      assert.is_nil(text:find("10.0.2.99", 1, true)) -- healthy targets are not listed
      assert.equal("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg/6d0ecf831eec9f09",
                   c.elb_calls[1].params.TargetGroupArn)
      -- the newest stopped task's log lines, from its awslogs stream
      assert.matches("last log lines of 77aa66bb55cc44dd33ee22ff11001234 %(/ecs/web web/app/77aa66bb55cc44dd33ee22ff11001234%)", text)
      assert.matches("fatal: cannot start without a database", text)
      assert.same({logGroupName = "/ecs/web", logStreamName = "web/app/77aa66bb55cc44dd33ee22ff11001234",
                   limit = 10, startFromHead = false}, c.log_calls[1].params)
      assert.same({cluster = "prod", serviceName = "web", desiredStatus = "STOPPED"},
                  c.calls[3].params)
      assert.equal(services.rolled_back.services[1], e.service_state)
    end)

    it("fails when its deployment is no longer PRIMARY", function()
      local rolled = copy(services.rolled_back)
      rolled.services[1].deployments[2].rolloutState = "IN_PROGRESS"
      local c = clients{describe_services = {services.in_progress, rolled},
                        list_tasks = {tasks.none}, describe_task_definition = {task_definition}}
      local e = catch(deploy, c)
      assert.matches("deployment ecs%-svc/7315624178392561280 is ACTIVE, no longer PRIMARY: rolled back to ecs%-svc/5520016342788906415", e.message)
    end)

    it("fails when its deployment is gone", function()
      local c = clients{describe_services = {services.in_progress, services.previous_only},
                        list_tasks = {tasks.none}}
      local e = catch(deploy, c)
      assert.matches("deployment ecs%-svc/7315624178392561280 is gone", e.message)
    end)

    it("fails on a rolling-back event while its deployment is still PRIMARY", function()
      local c = clients{describe_services = {services.rolling_back_event}, list_tasks = {tasks.none}}
      local e = catch(deploy, c)
      assert.matches("circuit breaker is rolling back", e.message)
    end)

    it("fails when the same task failure repeats", function()
      local second, third = copy(services.failing), copy(services.failing)
      second.services[1].deployments[1].failedTasks = 2
      third.services[1].deployments[1].failedTasks = 3
      local c = clients{describe_services = {services.failing, second, third},
                        list_tasks = {tasks.list_1, tasks.list_2, tasks.list_3},
                        describe_tasks = {tasks.describe_1, tasks.describe_2, tasks.describe_3},
                        describe_task_definition = {task_definition}}
      local out = {text = ""}
      function out:write(...) self.text = self.text .. table.concat({...}) end
      function out:flush() end
      local e = catch(deploy, c, {progress = {mode = "plain", stream = out}})
      assert.equal("WaiterFailure", e.code)
      assert.equal(3, e.attempts)
      -- each stopped task was shown as it was seen
      local _, shown = out.text:gsub("task %x+ stopped: Essential container in task exited %(app: exit code 1%)", "")
      assert.equal(3, shown)
      assert.equal("the same task failure repeated 3 times: Essential container in task exited", e.message)
      -- each stopped task is described once
      assert.same({"arn:aws:ecs:us-east-1:123456789012:task/prod/4d3c2b1a0f9e4d8c7b6a5f4e3d2c1b0a"},
                  c.calls[6].params.tasks)
      assert.equal(3, fake.count(c.calls, "describe_tasks"))
      local text = tostring(e)
      assert.matches("77aa66bb55cc44dd33ee22ff11001234 %(web:7%)", text) -- newest first
      assert.matches("fatal: cannot start without a database", text)
      assert.matches("web: 0/2 running, 1 pending, rollout IN_PROGRESS, 3 failed tasks", text)
    end)

    it("counts only the failures of its own deployment's tasks", function()
      local other = copy(tasks.describe_1)
      other.tasks[1].startedBy = "ecs-svc/2290853215603412880" -- same task definition, older deployment
      local c = clients{describe_services = {services.failing}, list_tasks = {tasks.list_1},
                        describe_tasks = {other}, describe_task_definition = {task_definition}}
      local e = catch(deploy, c, {repeated_failures = 1, timeout = 20})
      assert.equal("WaiterTimeout", e.code)
      c = clients{describe_services = {services.failing}, list_tasks = {tasks.list_1},
                  describe_tasks = {tasks.describe_1}, describe_task_definition = {task_definition}}
      e = catch(deploy, c, {repeated_failures = 1, timeout = 20})
      assert.equal("WaiterFailure", e.code)
      assert.equal(1, e.attempts)
    end)

    it("explains a task that could not start (no log stream to read)", function()
      local c = clients{describe_services = {services.failing},
                        list_tasks = {tasks.list_1}, describe_tasks = {tasks.describe_pull_error},
                        describe_task_definition = {task_definition}}
      c.logs = fake.client({get_log_events = {{error = {code = "ResourceNotFoundException",
        message = "The specified log stream does not exist.", status = 400}}}}, "logs")
      local e = catch(deploy, c, {timeout = 30})
      assert.equal("WaiterTimeout", e.code)
      local text = tostring(e)
      assert.matches("^deployment of prod/web timed out after 30s", text)
      assert.matches("CannotPullContainerError: pull image manifest has been retried 5 time%(s%): failed to resolve ref", text)
      assert.matches("container app: CannotPullContainerError", text)
      assert.matches("no log stream web/app/9c0a7e1f3b2d4c5e8f6a7b8c9d0e1f2a in /ecs/web %(the container may never have started%)", text)
      assert.matches("last state: web: 0/2 running, 1 pending", text)
      assert.matches("PRIMARY ecs%-svc/7315624178392561280 web:7 IN_PROGRESS: 0/2 running, 1 pending, 1 failed", text)
    end)

    it("says when a stopped task's log stream cannot be named", function()
      local td = copy(task_definition)
      td.taskDefinition.containerDefinitions[1].logConfiguration.options["awslogs-stream-prefix"] = nil
      local c = clients{describe_services = {services.failing}, list_tasks = {tasks.list_1},
                        describe_tasks = {tasks.describe_1}, describe_task_definition = {td}}
      local e = catch(deploy, c, {timeout = 10})
      assert.matches("%(container app logs to awslogs without a stream prefix: its stream cannot be found%)", tostring(e))
      assert.equal(0, #c.log_calls)
    end)

    it("still explains what it can when a part cannot be read", function()
      local errors = require "aws.errors"
      local c = clients{describe_services = {services.in_progress}, list_tasks = {tasks.none}}
      c.elbv2.describe_target_health = function()
        error(errors.new{service = "elbv2", operation = "describe_target_health", code = "AccessDenied",
                         message = "not allowed", status = 403}, 0)
      end
      local e = catch(deploy, c, {timeout = 20})
      local text = tostring(e)
      assert.matches("%(could not read target health: elbv2%.describe_target_health: AccessDenied: not allowed", text)
      assert.matches("latest service events:", text)
    end)

    describe("once its tasks all run, polls when they can first be healthy", function()
      -- A rolling deployment on AWS's clock (createdAt 5000, the wait's
      -- first poll at local 1000): 2 tasks start `start` s in, the load
      -- balancer is active from `active` s; the rollout completes at `done`.
      local function rollout(start, active, done)
        local calls, t0 = {}, clock.now
        local function at() return clock.now - t0 end
        local function count(op) calls[op] = (calls[op] or 0) + 1 end
        local ecs = {
          describe_services = function()
            count("describe_services")
            local running = at() >= start and 2 or 0
            return {services = {{serviceName = "web", status = "ACTIVE", desiredCount = 2,
              runningCount = running, pendingCount = 2 - running,
              loadBalancers = {{targetGroupArn = "tg", containerName = "app", containerPort = 80}},
              deployments = {{id = "ecs-svc/1", status = "PRIMARY", taskDefinition = "arn:td/web:2",
                desiredCount = 2, runningCount = running, pendingCount = 2 - running, failedTasks = 0,
                createdAt = 5000, rolloutState = at() >= done and "COMPLETED" or "IN_PROGRESS"}}}}}
          end,
          describe_task_definition = function()
            count("describe_task_definition")
            return {taskDefinition = {containerDefinitions = {{name = "app", healthCheck = {interval = 30}}}}}
          end,
          list_tasks = function() count("list_tasks") return {taskArns = {"t1", "t2"}} end,
          describe_tasks = function()
            count("describe_tasks")
            return {tasks = {{taskArn = "t1", startedBy = "ecs-svc/1", startedAt = 5000 + start - 3},
                             {taskArn = "t2", startedBy = "ecs-svc/1", startedAt = 5000 + start}}}
          end,
        }
        local elbv2 = {
          describe_target_groups = function()
            count("describe_target_groups")
            return {TargetGroups = {{HealthCheckIntervalSeconds = 5, HealthyThresholdCount = 2,
                                     LoadBalancerArns = {"lb"}}}}
          end,
          describe_load_balancers = function()
            count("describe_load_balancers")
            return {LoadBalancers = {{State = {Code = at() >= active and "active" or "provisioning"}}}}
          end,
        }
        wait.wait_for_deployment{cluster = "prod", service = "web", client = ecs, elbv2 = elbv2, progress = false}
        return at(), calls
      end

      it("an update: its last task's start plus the container's first health check", function()
        local seen, calls = rollout(45, 0, 75)
        assert.equal(75, seen)
        for _, op in ipairs{"describe_task_definition", "describe_target_groups", "describe_load_balancers",
                            "list_tasks", "describe_tasks"} do
          assert.equal(1, calls[op], op .. ": read once")
        end
        local late = rollout(45, 0, 75.5)    -- never early: the next poll, a first pause later
        assert.equal(76, late)
      end)

      it("a first deploy: the targets' checks begin once the load balancer is seen active", function()
        local seen, calls = rollout(45, 180, 190)
        assert.is_true(seen >= 190 and seen <= 190 + 15, "seen at " .. seen)
        -- one more read a poll while it provisions, none after
        assert.is_true(calls.describe_load_balancers < calls.describe_services, "load balancer reads")
        assert.equal(1, calls.describe_tasks)
      end)

      it("without the permission to read the settings, polls as before", function()
        local ecs_error = {error = {code = "AccessDeniedException", message = "no", status = 400}}
        local running = copy(services.in_progress)
        local ours = running.services[1].deployments[1]
        ours.runningCount, ours.pendingCount, ours.failedTasks = 2, 0, 0
        local c = clients{describe_services = {running, running, running, services.completed},
                          describe_task_definition = {ecs_error}}
        assert.equal(services.completed.services[1], deploy(c))
        assert.same({1, 1, 1}, clock.slept)
        assert.equal(1, fake.count(c.calls, "describe_task_definition")) -- asked once, not each poll
      end)
    end)

    it("fails when the service does not exist", function()
      local missing = {services = {}, failures = {{arn = "arn:aws:ecs:us-east-1:123456789012:service/prod/web", reason = "MISSING"}}}
      local c = clients{describe_services = {missing}, list_tasks = {tasks.none}}
      local e = catch(deploy, c)
      assert.equal("service web not found in cluster prod (MISSING)", e.message)
    end)
  end)
end)

describe("fg.wait_for_deployment against moto", function()
  local moto = dofile("tests/lib/moto.lua")
  local ec2, elbv2, ecs, logs = moto.clients("ec2", "elbv2", "ecs", "logs")
  if not ec2 then return pending(moto.ABSENT) end
  local name = "d" .. tostring(os.time() % 100000) .. math.random(100, 999)
  local function td(image)
    return ecs.register_task_definition{family = name, containerDefinitions = {
      {name = "app", image = image, memory = 128, essential = true, portMappings = {{containerPort = 8080}},
       logConfiguration = {logDriver = "awslogs", options = {["awslogs-group"] = "/ecs/" .. name,
         ["awslogs-region"] = "us-east-1", ["awslogs-stream-prefix"] = "web"}}}}}.taskDefinition.taskDefinitionArn
  end
  local first, second, never

  setup(function()
    local vpc = ec2.create_vpc{CidrBlock = "10.78.0.0/16"}.Vpc.VpcId
    local tg = elbv2.create_target_group{Name = name, Protocol = "HTTP", Port = 8080, VpcId = vpc,
                                         TargetType = "ip"}.TargetGroups[1].TargetGroupArn
    ecs.create_cluster{clusterName = name}
    first, second, never = td("scratch:1"), td("scratch:2"), td("scratch:3")
    ecs.create_service{cluster = name, serviceName = "web", taskDefinition = first, desiredCount = 2,
      loadBalancers = {{targetGroupArn = tg, containerName = "app", containerPort = 8080}}}
  end)

  local function deploy_moto(extra)
    local o = {cluster = name, service = "web", client = ecs, elbv2 = elbv2, logs = logs,
               delay = 0.2, timeout = 10, progress = false}
    for k, v in pairs(extra) do o[k] = v end
    return require("fg.ecs.wait").wait_for_deployment(o)
  end

  it("succeeds once the deployment is complete (MOTO_ECS_SERVICE_RUNNING)", function()
    local service = deploy_moto{task_definition = first}
    assert.equal(2, service.runningCount)
    ecs.update_service{cluster = name, service = "web", taskDefinition = second}
    assert.equal(second, deploy_moto{task_definition = second}.taskDefinition)
  end)

  it("fails at once, with a diagnosis, for a task definition the service does not run", function()
    local ok, e = pcall(deploy_moto, {task_definition = never})
    assert.is_false(ok)
    assert.equal("WaiterFailure", e.code)
    assert.equal(1, e.attempts)
    assert.matches("no deployment runs", e.message)
    -- every part of the diagnosis was asked for without error
    assert.is_nil(tostring(e):find("could not read", 1, true), tostring(e))
  end)
end)
