-- JMESPath timings: the cases of FGRUN_VECTORS/jmespath/benchmarks.json and
-- two realistic AWS queries. Prints a Markdown table (microseconds per
-- compile and per evaluation of the compiled expression) and writes the same
-- numbers as JSON to build/bench/jmespath.json.
--
--   build/fgrun tests/bench/jmespath_bench.lua

local json = require "json"
local jmespath = require "jmespath"

local time_us = dofile("tests/bench/time_us.lua")

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local A, O = json.array, json.object

-- An ECS DescribeServices response: one service, three deployments, 100
-- events.
local function ecs_describe_services()
  local events = {}
  for i = 1, 100 do
    events[i] = O {
      id = string.format("%08x-0000-4000-8000-%012d", i, i),
      createdAt = 1700000000 + i * 60,
      message = string.format("(service web) has reached a steady state. (%d)", i),
    }
  end
  local deployments = A {}
  for i, status in ipairs { "PRIMARY", "ACTIVE", "INACTIVE" } do
    deployments[i] = O {
      id = "ecs-svc/" .. (9000000000000000000 + i),
      status = status,
      taskDefinition = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:" .. (10 - i),
      desiredCount = 2, pendingCount = 0, runningCount = 2, failedTasks = 0,
      createdAt = 1700000000.5, updatedAt = 1700000100.25,
      launchType = "FARGATE",
      rolloutState = status == "PRIMARY" and "COMPLETED" or "IN_PROGRESS",
      rolloutStateReason = "ECS deployment ecs-svc/1 completed.",
      networkConfiguration = O { awsvpcConfiguration = O {
        subnets = A { "subnet-0a1b2c3d", "subnet-4e5f6a7b" },
        securityGroups = A { "sg-0123456789abcdef0" },
        assignPublicIp = "DISABLED",
      } },
    }
  end
  return O {
    failures = A {},
    services = A { O {
      serviceArn = "arn:aws:ecs:eu-west-1:123456789012:service/demo/web",
      serviceName = "web",
      clusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/demo",
      loadBalancers = A { O {
        targetGroupArn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef",
        containerName = "web", containerPort = 8080,
      } },
      status = "ACTIVE", desiredCount = 2, runningCount = 2, pendingCount = 0,
      launchType = "FARGATE", platformVersion = "LATEST",
      deployments = deployments,
      events = A(events),
    } },
  }
end

-- An IAM ListPolicies response with 1000 policies; 'x' is the 500th.
local function iam_list_policies()
  local policies = {}
  for i = 1, 1000 do
    local name = i == 500 and "x" or string.format("Policy%04d", i)
    policies[i] = O {
      PolicyName = name,
      PolicyId = string.format("ANPA%016d", i),
      Arn = "arn:aws:iam::aws:policy/" .. name,
      Path = "/", DefaultVersionId = "v1", AttachmentCount = i % 3,
      PermissionsBoundaryUsageCount = 0, IsAttachable = true,
      CreateDate = "2015-02-06T18:40:58Z", UpdateDate = "2019-11-11T18:08:46Z",
    }
  end
  return O { Policies = A(policies), IsTruncated = false }
end

local rows = {}

local function bench(name, kind, expr, data)
  local q = jmespath.compile(expr)
  rows[#rows + 1] = {
    name = name, kind = kind, expression = expr,
    compile_us = time_us(function() jmespath.compile(expr) end),
    search_us = time_us(function() q:search(data) end),
  }
end

-- The repository root, from this file's path (tests/bench/jmespath_bench.lua).
local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  return src:match("^(.*)/tests/bench/[^/]*$") or "."
end

local vectors = (os.getenv("FGRUN_VECTORS") or (repo_root() .. "/../shared/vectors"))
  .. "/jmespath/benchmarks.json"
local text = read_file(vectors)
if text then
  for _, group in ipairs(json.decode(text)) do
    for _, case in ipairs(group.cases) do
      bench(case.comment, case.bench, case.expression, group.given)
    end
  end
else
  io.stderr:write("benchmarks.json not found at ", vectors, ": only the AWS cases run\n")
end
bench("ECS DescribeServices, 100 events", "aws",
  "services[0].deployments[?status=='PRIMARY'] | [0].rolloutState", ecs_describe_services())
bench("IAM ListPolicies, 1000 policies", "aws",
  "Policies[?PolicyName=='x'].Arn", iam_list_policies())

local function short(s, n)
  if #s <= n then return s end
  return s:sub(1, n - 3) .. "..."
end

print("| case | bench | expression | compile (µs) | search (µs) |")
print("|---|---|---|---:|---:|")
for _, r in ipairs(rows) do
  print(string.format("| %s | %s | `%s` | %.2f | %.2f |", r.name, r.kind,
    short(r.expression, 48):gsub("|", "\\|"), r.compile_us, r.search_us))
end

os.execute("mkdir -p build/bench")
local out = assert(io.open("build/bench/jmespath.json", "w"))
local list = {}
for i, r in ipairs(rows) do list[i] = O(r) end
out:write(json.encode(O { unit = "microseconds", cases = A(list) }, { indent = 2, sort_keys = true }), "\n")
out:close()
print("\nwritten to build/bench/jmespath.json")
