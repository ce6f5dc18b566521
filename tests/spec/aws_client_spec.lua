-- The model-driven AWS client: API, validation, errors, requests (offline),
-- then every operation of the original recipe against moto_server
-- (FGRUN_TEST_MOTO_URL; pending when it is not set).
local json = require "json"
local aws = require "aws"
local model = require "aws.model"
local protocol = require "aws.protocol"

local MOTO = os.getenv("FGRUN_TEST_MOTO_URL")
local CREDENTIALS = dofile("tests/lib/moto.lua").credentials
local NOWHERE = "http://127.0.0.1:9" -- discard port: nothing listens, nothing is sent

local function offline(name)
  return aws.client(name, {region = "us-east-1", endpoint_url = NOWHERE, credentials = CREDENTIALS})
end

local function raised(fn, ...)
  local ok, e = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  assert.is_true(aws.is_error(e), "expected an aws error object, got " .. tostring(e))
  return e
end

describe("aws client", function()
  it("names operations as boto3 does", function()
    assert.are.equal("describe_db_instances", aws.snake_name("DescribeDBInstances"))
    assert.are.equal("list_tags_for_resource", aws.snake_name("ListTagsForResource"))
    assert.are.equal("get_open_id_token", aws.snake_name("GetOpenIdToken"))
    assert.are.equal("create_vpc_endpoint", aws.snake_name("CreateVpcEndpoint"))
    assert.are.equal("describe_instances_v2", aws.snake_name("DescribeInstancesV2"))
  end)

  it("lists operations, sorted", function()
    local ops = offline("ecs").operations()
    assert.is_true(#ops > 50)
    for i = 2, #ops do assert.is_true(ops[i - 1] < ops[i]) end
    local found = {}
    for _, op in ipairs(ops) do found[op] = true end
    assert.is_true(found.describe_services and found.register_task_definition)
  end)

  it("gives default clients for the nine services and accepts boto3's names", function()
    for _, name in ipairs({"sts", "secretsmanager", "ec2", "ecr", "iam", "ecs", "logs",
                           "elbv2", "application_autoscaling"}) do
      assert.is_table(aws[name], name)
    end
    assert.is_table(aws.client("application-autoscaling").operations())
    assert.has_error(function() aws.client("nosuch") end)
    local ok, e = pcall(aws.client, "ecs", {regoin = "us-east-1"})
    assert.is_false(ok)
    assert.matches("aws: unknown client option regoin (known: allow_http_endpoint, connect_timeout, credentials, "
      .. "endpoint_url, max_attempts, operation_timeout, profile, read_timeout, region, retry_base_delay, "
      .. "retry_mode)", e, 1, true)
  end)

  it("rejects a wrong type with the path, sending nothing", function()
    local e = raised(offline("ecs").register_task_definition, {
      family = "f",
      containerDefinitions = {{name = "web", image = "img", portMappings = {{containerPort = "3000"}}}},
    })
    assert.are.equal("ValidationError", e.code)
    assert.are.equal('ecs.register_task_definition: containerDefinitions[1].portMappings[1].containerPort: '
      .. 'expected integer, got string "3000"', tostring(e))
    assert.is_nil(e.status)
  end)

  it("rejects unknown members, listing the valid ones", function()
    local e = raised(offline("ecs").describe_services, {cluster = "c", service = {"s"}})
    assert.are.equal("ValidationError", e.code)
    assert.matches('unknown parameter "service"; valid parameters: cluster, include, services', e.message, 1, true)
  end)

  it("rejects missing required members and out-of-range values", function()
    local ecs = offline("ecs")
    assert.matches('missing required parameter "services"', raised(ecs.describe_services, {cluster = "c"}).message, 1, true)
    local e = raised(offline("logs").put_retention_policy, {logGroupName = "", retentionInDays = 7})
    assert.matches("logGroupName: length 0 is below the minimum of 1", e.message, 1, true)
    e = raised(offline("ec2").describe_subnets, {MaxResults = 1})
    assert.matches("MaxResults: value 1 is below the minimum of 5", e.message, 1, true)
    e = raised(offline("iam").list_policies, {MaxItems = 5000})
    assert.matches("MaxItems: value 5000 is above the maximum of 1000", e.message, 1, true)
    -- enums are AWS's to check: a new value passes
    local req = ecs.build_request("create_cluster", {clusterName = "c", settings = {{name = "futureSetting", value = "x"}}})
    assert.matches("futureSetting", req.body, 1, true)
  end)

  it("raises transport failures as error objects", function()
    local c = aws.client("ecs", {region = "us-east-1", endpoint_url = NOWHERE, credentials = CREDENTIALS,
                                 max_attempts = 1})
    local e = raised(c.list_clusters, {})
    assert.are.equal("ConnectionError", e.code)
    assert.are.equal("list_clusters", e.operation)
    assert.are.equal(1, e.attempts)
    assert.matches("^ecs.list_clusters: ConnectionError: ", tostring(e))
  end)

  it("never shows the values of sensitive members", function()
    local e = raised(offline("secretsmanager").create_secret, {Name = "n", SecretString = {"hunter2"}})
    assert.matches("SecretString: expected string, got table (sensitive, not shown)", e.message, 1, true)
  end)

  it("rejects an unknown operation clearly", function()
    local e = raised(function() return offline("ecs").describe_everything end)
    assert.are.equal("UnknownOperation", e.code)
  end)

  it("builds signed json requests without sending them", function()
    local req = offline("ecs").build_request("describe_services", {cluster = "c", services = {"a", "b"}})
    assert.are.equal("POST", req.method)
    assert.are.equal(NOWHERE .. "/", req.url)
    assert.are.equal("AmazonEC2ContainerServiceV20141113.DescribeServices", req.headers["X-Amz-Target"])
    assert.are.equal("application/x-amz-json-1.1", req.headers["Content-Type"])
    assert.are.same({cluster = "c", services = {"a", "b"}}, json.decode(req.body))
    local authz
    for k, v in pairs(req.headers) do if k:lower() == "authorization" then authz = v end end
    assert.matches("^AWS4%-HMAC%-SHA256 Credential=testing/%d+/us%-east%-1/ecs/aws4_request", authz)
  end)

  it("builds ec2 and query requests with lists, structures and tokens", function()
    local ec2 = offline("ec2")
    local req = ec2.build_request("authorize_security_group_ingress", {
      GroupId = "sg-1",
      IpPermissions = {{IpProtocol = "tcp", FromPort = 3000, ToPort = 3000,
                        UserIdGroupPairs = {{GroupId = "sg-2"}}}},
    })
    assert.matches("Action=AuthorizeSecurityGroupIngress&Version=", req.body, 1, true)
    assert.matches("IpPermissions.1.Groups.1.GroupId=sg-2", req.body, 1, true)
    assert.matches("IpPermissions.1.FromPort=3000", req.body, 1, true)
    req = ec2.build_request("run_instances", {MinCount = 1, MaxCount = 1, ImageId = "ami-1"})
    assert.matches("ClientToken=%x+%-", req.body) -- idempotency token filled in
    req = offline("iam").build_request("create_role", {RoleName = "r", AssumeRolePolicyDocument = "{}",
                                                       Tags = {{Key = "k", Value = "v w"}}})
    assert.matches("Tags.member.1.Value=v%20w", req.body, 1, true)
    assert.matches("AssumeRolePolicyDocument=%7B%7D", req.body, 1, true)
  end)

  it("takes : calls as . calls", function()
    local ecs = offline("ecs")
    local req = ecs:build_request("list_clusters", {})
    assert.are.equal("POST", req.method)
  end)

  it("loads any botocore-format model", function()
    local c = aws.load_model({
      metadata = {protocol = "json", jsonVersion = "1.1", targetPrefix = "Demo", endpointPrefix = "demo",
                  apiVersion = "2020-01-01", signatureVersion = "v4"},
      operations = {PutThing = {name = "PutThing", http = {method = "POST", requestUri = "/"},
                                input = {shape = "PutThingInput"}}},
      shapes = {PutThingInput = {type = "structure", required = {"When"},
                                 members = {When = {shape = "Stamp"}, Data = {shape = "Bytes"}}},
                Stamp = {type = "timestamp"}, Bytes = {type = "blob"}},
    }, {region = "us-east-1", endpoint_url = NOWHERE, credentials = CREDENTIALS})
    local req = c.build_request("put_thing", {When = "2015-01-25T08:00:00Z", Data = "hi"})
    assert.are.same({When = 1422172800, Data = "aGk="}, json.decode(req.body))
    assert.are.equal("Demo.PutThing", req.headers["X-Amz-Target"])
  end)

  it("loads a model and its paginators from files", function()
    local model_path, pages_path = os.tmpname(), os.tmpname()
    local f = assert(io.open(model_path, "w"))
    f:write(json.encode{
      metadata = {protocol = "query", apiVersion = "2020-01-01", endpointPrefix = "demo"},
      operations = {ListThings = {name = "ListThings", input = {shape = "In"}}},
      shapes = {In = {type = "structure", members = {NextToken = {shape = "S"}}}, S = {type = "string"}},
    })
    f:close()
    f = assert(io.open(pages_path, "w"))
    f:write('{"pagination":{"ListThings":{"input_token":"NextToken","output_token":"NextToken","result_key":"Things"}}}')
    f:close()
    local c = aws.load_model(model_path, {paginators = pages_path, name = "demo", region = "us-east-1",
                                          endpoint_url = NOWHERE, credentials = CREDENTIALS})
    os.remove(model_path)
    os.remove(pages_path)
    assert.are.same({"list_things"}, c.operations())
    assert.are.equal("Things", c.model():paginator("ListThings").result_key)
    assert.are.equal("Action=ListThings&Version=2020-01-01&NextToken=t",
                     c.build_request("list_things", {NextToken = "t"}).body)
    local e = raised(c.paginate, "nope", {})
    assert.are.equal("UnknownOperation", e.code)
  end)

  describe("answers", function()
    local ec2 = model.embedded("ec2")
    local ecs = model.embedded("ecs")
    local xml_protocol = assert(protocol.of(ec2.metadata))
    local json_protocol = assert(protocol.of(ecs.metadata))
    local function ec2_op(name)
      local op = ec2:operation(name)
      op.name = name
      return op
    end

    it("parse XML into marked tables with typed values", function()
      local body = [[<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
        <requestId>r-1</requestId>
        <subnetSet><item><subnetId>subnet-1</subnetId><availableIpAddressCount>251</availableIpAddressCount>
          <defaultForAz>true</defaultForAz><tagSet/></item></subnetSet></DescribeSubnetsResponse>]]
      local out = assert(protocol.answer(xml_protocol, ec2, ec2_op("DescribeSubnets"), 200, {}, body))
      assert.are.equal(json.object_mt, getmetatable(out))
      assert.are.equal(json.array_mt, getmetatable(out.Subnets))
      local s = out.Subnets[1]
      assert.are.equal("subnet-1", s.SubnetId)
      assert.are.equal(251, s.AvailableIpAddressCount)
      assert.are.equal("integer", math.type(s.AvailableIpAddressCount))
      assert.is_true(s.DefaultForAz)
      assert.are.equal(json.array_mt, getmetatable(s.Tags))
    end)

    it("parse JSON timestamps to ISO-8601 UTC and keep floats", function()
      local op = ecs:operation("DescribeServices")
      op.name = "DescribeServices"
      local body = '{"services":[{"serviceName":"s","createdAt":1422172800.5,"desiredCount":2}],"failures":[]}'
      local out = assert(protocol.answer(json_protocol, ecs, op, 200, {}, body))
      assert.are.equal("2015-01-25T08:00:00.5Z", out.services[1].createdAt)
      assert.are.equal(2, out.services[1].desiredCount)
      assert.are.equal(json.array_mt, getmetatable(out.failures))
    end)

    it("turn AWS errors into codes and messages", function()
      local _, err = protocol.answer(xml_protocol, ec2, ec2_op("DescribeVpcs"), 400, {},
        "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>gone</Message></Error></Errors>"
        .. "<RequestID>req-9</RequestID></Response>")
      assert.are.same({"InvalidVpcID.NotFound", "gone", 400, "req-9"}, {err.code, err.message, err.status, err.request_id})
      local op = ecs:operation("DescribeServices")
      _, err = protocol.answer(json_protocol, ecs, op, 400, {["x-amzn-requestid"] = "r-2"},
        '{"__type":"com.amazonaws#ClusterNotFoundException","message":"Cluster not found."}')
      assert.are.same({"ClusterNotFoundException", "Cluster not found.", "r-2"}, {err.code, err.message, err.request_id})
    end)

    it("turn answers that are not the protocol's into errors with an excerpt", function()
      local _, err = protocol.answer(xml_protocol, ec2, ec2_op("DescribeVpcs"), 500, {},
        "<html><body>Internal\nServer Error</body></html>")
      assert.are.equal(500, err.status)
      assert.matches("<html><body>Internal Server Error", err.message, 1, true)
      _, err = protocol.answer(xml_protocol, ec2, ec2_op("DescribeVpcs"), 200, {}, "<DescribeVpcsResponse><vpcSet>")
      assert.are.equal("InvalidResponse", err.code)
      assert.matches("unexpected answer", err.message, 1, true)
      _, err = protocol.answer(json_protocol, ecs, ecs:operation("ListClusters"), 503, {}, "")
      assert.are.equal("503", err.code)
      assert.matches("(empty body)", err.message, 1, true)
      _, err = protocol.answer(json_protocol, ecs, ecs:operation("ListClusters"), 200, {}, "\1\2{not json")
      assert.are.equal("InvalidResponse", err.code)
      assert.matches("\\x01\\x02", err.message, 1, true)
    end)

    it("keep secrets of a broken answer out of messages", function()
      local sm = model.embedded("secretsmanager")
      local op = sm:operation("GetSecretValue")
      local _, err = protocol.answer(assert(protocol.of(sm.metadata)), sm, op, 200, {},
        '{"Name":"db","SecretString":"hunter2')
      assert.are.equal("InvalidResponse", err.code)
      assert.is_nil(err.message:find("hunter2", 1, true))
      assert.matches("not shown", err.message, 1, true)
    end)

    it("give error objects one line", function()
      local e = require("aws.errors").new{service = "ecs", operation = "describe_services",
        code = "ClusterNotFoundException", message = "Cluster not found.", status = 400, request_id = "1234"}
      assert.are.equal("ecs.describe_services: ClusterNotFoundException: Cluster not found. (HTTP 400, request 1234)",
        tostring(e))
      assert.is_true(aws.is_error(e))
      assert.is_false(aws.is_error({code = "x"}))
    end)
  end)
end)

describe("aws client against moto", function()
  if not MOTO then
    pending("FGRUN_TEST_MOTO_URL is not set (tests/lib/services.sh starts moto_server)")
    return
  end
  local opts = {region = "us-east-1", endpoint_url = MOTO, credentials = CREDENTIALS}
  local c = setmetatable({}, {__index = function(t, name)
    local client = aws.client(name, opts)
    rawset(t, name, client)
    return client
  end})
  local suffix = tostring(os.time() % 100000)
  local s = {} -- what the recipe creates, shared by the steps in order

  it("sts.get_caller_identity and secretsmanager.get_random_password", function()
    assert.matches("^%d+$", c.sts.get_caller_identity{}.Account)
    local pw = c.secretsmanager.get_random_password{ExcludePunctuation = true, ExcludeUppercase = true,
      PasswordLength = 6, RequireEachIncludedType = true}.RandomPassword
    assert.are.equal(6, #pw)
  end)

  it("ec2: default VPC and subnets, security groups and rules", function()
    local vpcs = c.ec2.describe_vpcs{Filters = {{Name = "is-default", Values = {"true"}}}}.Vpcs
    s.vpc = assert(vpcs[1]).VpcId
    local subnets = c.ec2.describe_subnets{Filters = {{Name = "vpc-id", Values = {s.vpc}},
                                                      {Name = "default-for-az", Values = {"true"}}}}.Subnets
    assert.is_true(#subnets >= 2)
    s.subnets = {}
    for i, sn in ipairs(subnets) do
      assert.are.equal(s.vpc, sn.VpcId)
      s.subnets[i] = sn.SubnetId
    end
    s.alb_sg = c.ec2.create_security_group{GroupName = "alb-sg-" .. suffix,
      Description = "Security group for Fargate ALB", VpcId = s.vpc}.GroupId
    s.task_sg = c.ec2.create_security_group{GroupName = "task-sg-" .. suffix,
      Description = "Security group for Fargate tasks", VpcId = s.vpc}.GroupId
    for _, port in ipairs({80, 443}) do
      c.ec2.authorize_security_group_ingress{GroupId = s.alb_sg, IpPermissions = {{IpProtocol = "tcp",
        FromPort = port, ToPort = port, IpRanges = {{CidrIp = "0.0.0.0/0"}}}}}
    end
    local r = c.ec2.authorize_security_group_ingress{GroupId = s.task_sg, IpPermissions = {{IpProtocol = "tcp",
      FromPort = 3000, ToPort = 3000, UserIdGroupPairs = {{GroupId = s.alb_sg}}}}}
    assert.is_true(r.Return)
    for _, port in ipairs({443, 80}) do
      c.ec2.authorize_security_group_egress{GroupId = s.task_sg, IpPermissions = {{IpProtocol = "tcp",
        FromPort = port, ToPort = port, IpRanges = {{CidrIp = "0.0.0.0/0"}}}}}
    end
    local sg = c.ec2.describe_security_groups{GroupIds = {s.task_sg}}.SecurityGroups[1]
    assert.are.equal(s.alb_sg, sg.IpPermissions[1].UserIdGroupPairs[1].GroupId)
  end)

  it("ecr: repository with scan on push and AES256", function()
    local repo = c.ecr.create_repository{repositoryName = "fargate-demo-" .. suffix,
      imageScanningConfiguration = {scanOnPush = true},
      encryptionConfiguration = {encryptionType = "AES256"}}.repository
    assert.is_true(repo.imageScanningConfiguration.scanOnPush)
    local found = c.ecr.describe_repositories{repositoryNames = {repo.repositoryName}}.repositories
    assert.are.equal(repo.repositoryUri, found[1].repositoryUri)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[.%d]*Z$", found[1].createdAt)
    s.repo = repo.repositoryName
  end)

  it("iam: roles, managed and own policies, paginated policy listing", function()
    local trust = json.encode{Version = "2012-10-17", Statement = {{Effect = "Allow",
      Principal = {Service = "ecs-tasks.amazonaws.com"}, Action = "sts:AssumeRole"}}}
    s.exec_role = "ecsTaskExecutionRole-" .. suffix
    s.task_role = "ecsTaskRole-" .. suffix
    c.iam.create_role{RoleName = s.exec_role, AssumeRolePolicyDocument = trust}
    s.managed = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    c.iam.attach_role_policy{RoleName = s.exec_role, PolicyArn = s.managed}
    -- a policy document may be given as a table
    c.iam.create_role{RoleName = s.task_role, AssumeRolePolicyDocument = json.decode(trust)}
    local policy = c.iam.create_policy{PolicyName = s.task_role .. "-Policy",
      PolicyDocument = json.encode{Version = "2012-10-17", Statement = {{Effect = "Allow",
        Action = {"logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"}, Resource = "*"}}}}.Policy
    local pages, listed = 0, 0
    for page in c.iam.paginate("list_policies", {}) do
      pages = pages + 1
      listed = listed + #page.Policies
    end
    assert.is_true(pages > 1, "expected several pages, got " .. pages)
    -- boto3's PaginationConfig: page size, an item cap, a starting token
    local sizes = {}
    for page in c.iam.paginate("list_policies", {PaginationConfig = {PageSize = 40, MaxItems = 100}}) do
      sizes[#sizes + 1] = #page.Policies
    end
    assert.are.same({40, 40, 20}, sizes)
    local first = c.iam.list_policies{MaxItems = 10}
    local rest = c.iam.all("list_policies", {PaginationConfig = {StartingToken = first.Marker, MaxItems = 5}})
    assert.are.equal(5, #rest.Policies)
    assert.are_not.equal(first.Policies[1].Arn, rest.Policies[1].Arn)
    local all = c.iam.all("list_policies", {})
    assert.are.equal(listed, #all.Policies)
    assert.is_nil(all.Marker)
    for _, p in ipairs(all.Policies) do
      if p.PolicyName == s.task_role .. "-Policy" then s.policy = p.Arn end
    end
    assert.are.equal(policy.Arn, s.policy)
    c.iam.attach_role_policy{RoleName = s.task_role, PolicyArn = s.policy}
    s.exec_role_arn = c.iam.get_role{RoleName = s.exec_role}.Role.Arn
    s.task_role_arn = c.iam.get_role{RoleName = s.task_role}.Role.Arn
    assert.matches("^arn:aws:iam::%d+:role/", s.exec_role_arn)
    -- policy documents come URL-encoded; they are handed over decoded, as botocore does
    local doc = c.iam.get_role{RoleName = s.exec_role}.Role.AssumeRolePolicyDocument
    assert.are.equal("ecs-tasks.amazonaws.com", doc.Statement[1].Principal.Service)
  end)

  it("ecs and logs: cluster with capacity providers, log group, task definition", function()
    s.cluster = "fargate-cluster-" .. suffix
    local cluster = c.ecs.create_cluster{clusterName = s.cluster, capacityProviders = {"FARGATE", "FARGATE_SPOT"},
      defaultCapacityProviderStrategy = {{capacityProvider = "FARGATE", weight = 1, base = 1},
                                         {capacityProvider = "FARGATE_SPOT", weight = 4}}}.cluster
    assert.are.equal(s.cluster, cluster.clusterName)
    s.family = "fargate-task-" .. suffix
    s.log_group = "/ecs/" .. s.family
    c.logs.create_log_group{logGroupName = s.log_group}
    c.logs.put_retention_policy{logGroupName = s.log_group, retentionInDays = 7}
    local td = c.ecs.register_task_definition{
      family = s.family, networkMode = "awsvpc", requiresCompatibilities = {"FARGATE"},
      cpu = "256", memory = "512", executionRoleArn = s.exec_role_arn, taskRoleArn = s.task_role_arn,
      containerDefinitions = {{
        name = "fargate-demo-container", image = "repo:latest",
        portMappings = {{containerPort = 3000, protocol = "tcp"}}, essential = true,
        logConfiguration = {logDriver = "awslogs", options = {["awslogs-group"] = s.log_group,
          ["awslogs-region"] = "us-east-1", ["awslogs-stream-prefix"] = "ecs"}},
        environment = {{name = "NODE_ENV", value = "production"}, {name = "PORT", value = "3000"}},
        healthCheck = {command = {"CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"},
          interval = 30, timeout = 5, retries = 3, startPeriod = 60},
      }},
    }.taskDefinition
    assert.are.equal(3000, td.containerDefinitions[1].portMappings[1].containerPort)
    assert.are.equal(s.log_group, td.containerDefinitions[1].logConfiguration.options["awslogs-group"])
    s.task_def = td.taskDefinitionArn
  end)

  it("elbv2: load balancer, target group, listener", function()
    local lb = c.elbv2.create_load_balancer{Name = "fargate-alb-" .. suffix, Subnets = s.subnets,
      SecurityGroups = {s.alb_sg}, Scheme = "internet-facing", Type = "application",
      IpAddressType = "ipv4"}.LoadBalancers[1]
    s.lb = lb.LoadBalancerArn
    local found = c.elbv2.describe_load_balancers{LoadBalancerArns = {s.lb}}.LoadBalancers[1]
    assert.are.equal(lb.DNSName, found.DNSName)
    s.tg = c.elbv2.create_target_group{Name = "fargate-tg-" .. suffix, Protocol = "HTTP", Port = 3000,
      VpcId = s.vpc, TargetType = "ip", HealthCheckEnabled = true, HealthCheckPath = "/health",
      HealthCheckIntervalSeconds = 30, HealthCheckTimeoutSeconds = 5, HealthyThresholdCount = 2,
      UnhealthyThresholdCount = 3, Matcher = {HttpCode = "200"}}.TargetGroups[1].TargetGroupArn
    c.elbv2.create_listener{LoadBalancerArn = s.lb, Protocol = "HTTP", Port = 80,
      DefaultActions = {{Type = "forward", TargetGroupArn = s.tg}}}
    local listeners = c.elbv2.describe_listeners{LoadBalancerArn = s.lb}.Listeners
    assert.are.equal(80, listeners[1].Port)
    s.listener = listeners[1].ListenerArn
  end)

  it("ecs: service, tasks, target health, scaling, log streams", function()
    s.service = "fargate-service-" .. suffix
    local svc = c.ecs.create_service{serviceName = s.service, cluster = s.cluster, taskDefinition = s.family,
      desiredCount = 3, launchType = "FARGATE", platformVersion = "LATEST",
      networkConfiguration = {awsvpcConfiguration = {subnets = s.subnets, securityGroups = {s.task_sg},
                                                     assignPublicIp = "ENABLED"}},
      loadBalancers = {{targetGroupArn = s.tg, containerName = "fargate-demo-container", containerPort = 3000}},
      healthCheckGracePeriodSeconds = 120,
      deploymentConfiguration = {maximumPercent = 200, minimumHealthyPercent = 50,
                                 deploymentCircuitBreaker = {enable = true, rollback = true}},
      enableExecuteCommand = true}.service
    assert.are.equal(3, svc.desiredCount)
    local described = c.ecs.describe_services{cluster = s.cluster, services = {s.service}}.services
    assert.are.equal(s.service, described[1].serviceName)
    local tasks = c.ecs.list_tasks{cluster = s.cluster, serviceName = s.service}.taskArns
    assert.are.equal(json.array_mt, getmetatable(tasks))
    if #tasks > 0 then
      local t = c.ecs.describe_tasks{cluster = s.cluster, tasks = tasks}.tasks
      assert.are.equal(#tasks, #t)
    end
    local health = c.elbv2.describe_target_health{TargetGroupArn = s.tg}.TargetHealthDescriptions
    assert.are.equal(json.array_mt, getmetatable(health))
    local resource = "service/" .. s.cluster .. "/" .. s.service
    c.application_autoscaling.register_scalable_target{ServiceNamespace = "ecs", ResourceId = resource,
      ScalableDimension = "ecs:service:DesiredCount", MinCapacity = 2, MaxCapacity = 10}
    for _, m in ipairs({{"cpu", "ECSServiceAverageCPUUtilization", 70.0},
                        {"memory", "ECSServiceAverageMemoryUtilization", 80.0}}) do
      local arn = c.application_autoscaling.put_scaling_policy{ServiceNamespace = "ecs", ResourceId = resource,
        ScalableDimension = "ecs:service:DesiredCount", PolicyName = s.service .. "-" .. m[1] .. "-scaling",
        PolicyType = "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration = {TargetValue = m[3],
          PredefinedMetricSpecification = {PredefinedMetricType = m[2]},
          ScaleOutCooldown = 300, ScaleInCooldown = 300}}.PolicyARN
      assert.matches("^arn:aws:autoscaling:", arn)
    end
    local streams = c.logs.describe_log_streams{logGroupName = s.log_group, orderBy = "LastEventTime",
                                                descending = true}.logStreams
    assert.are.equal(json.array_mt, getmetatable(streams))
    local updated = c.ecs.update_service{cluster = s.cluster, service = s.service, desiredCount = 0}.service
    assert.are.equal(0, updated.desiredCount)
  end)

  it("surfaces AWS errors as structured errors", function()
    local e = raised(c.ecs.describe_services, {cluster = "no-such-cluster-" .. suffix, services = {"x"}})
    assert.are.equal("ClusterNotFoundException", e.code)
    assert.are.equal(400, e.status)
    assert.matches("^ecs.describe_services: ClusterNotFoundException: ", tostring(e))
    e = raised(c.iam.get_role, {RoleName = "no-such-role-" .. suffix})
    assert.are.equal("NoSuchEntity", e.code)
    assert.are.equal(404, e.status)
    assert.is_string(e.request_id)
  end)

  it("tears everything down", function()
    local resource = "service/" .. s.cluster .. "/" .. s.service
    for _, kind in ipairs({"cpu", "memory"}) do
      c.application_autoscaling.delete_scaling_policy{PolicyName = s.service .. "-" .. kind .. "-scaling",
        ServiceNamespace = "ecs", ResourceId = resource, ScalableDimension = "ecs:service:DesiredCount"}
    end
    c.application_autoscaling.deregister_scalable_target{ServiceNamespace = "ecs", ResourceId = resource,
      ScalableDimension = "ecs:service:DesiredCount"}
    c.ecs.delete_service{cluster = s.cluster, service = s.service, force = true}
    c.ecs.delete_cluster{cluster = s.cluster}
    c.ecs.deregister_task_definition{taskDefinition = s.task_def}
    c.elbv2.delete_listener{ListenerArn = s.listener}
    c.elbv2.delete_target_group{TargetGroupArn = s.tg}
    c.elbv2.delete_load_balancer{LoadBalancerArn = s.lb}
    c.logs.delete_log_group{logGroupName = s.log_group}
    c.ec2.delete_security_group{GroupId = s.task_sg}
    c.ec2.delete_security_group{GroupId = s.alb_sg}
    c.iam.detach_role_policy{RoleName = s.exec_role, PolicyArn = s.managed}
    c.iam.detach_role_policy{RoleName = s.task_role, PolicyArn = s.policy}
    c.iam.delete_policy{PolicyArn = s.policy}
    c.iam.delete_role{RoleName = s.exec_role}
    c.iam.delete_role{RoleName = s.task_role}
    c.ecr.delete_repository{repositoryName = s.repo}
    local e = raised(c.ecr.describe_repositories, {repositoryNames = {s.repo}})
    assert.are.equal("RepositoryNotFoundException", e.code)
  end)
end)
