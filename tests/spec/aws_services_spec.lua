-- The rest-xml and rest-json services and S3's rules against moto, through
-- the same client code the recipe uses: S3 buckets and objects (a 200 MiB
-- file streamed up and down in constant memory, multipart, a presigned GET
-- fetched with the http module), Route 53 hosted zones and record sets,
-- ACM, Lambda, CloudWatch alarms, SNS topics.
local aws = require "aws"
local http = require "http"
local moto = dofile("tests/lib/moto.lua")

local MOTO = os.getenv("FGRUN_TEST_MOTO_URL")
local FGRUN = os.getenv("FGRUN") or "build/fgrun"
local BIG_MIB = tonumber(os.getenv("FGRUN_TEST_S3_MIB") or "200")

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function slurp(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local function unique(prefix)
  return prefix .. tostring(os.time() % 100000) .. math.random(100, 999)
end

describe("aws services against moto", function()
  if not MOTO then
    pending("FGRUN_TEST_MOTO_URL is not set (tests/lib/services.sh starts moto_server)")
    return
  end
  local function client(name) return aws.client(name, moto.options(MOTO)) end
  local tmp = slurp("mktemp -d"):gsub("%s+$", "")
  teardown(function() os.execute("rm -rf " .. sh_quote(tmp)) end)

  it("s3: bucket and object round trips, listing, errors", function()
    local s3 = client("s3")
    local bucket = unique("fgrun-b")
    s3.create_bucket{Bucket = bucket}
    local names = {}
    for _, b in ipairs(s3.list_buckets{}.Buckets) do names[b.Name] = true end
    assert.is_true(names[bucket])
    s3.put_object{Bucket = bucket, Key = "dir/a b+c.txt", Body = "hello", ContentType = "text/plain",
                  Metadata = {owner = "fgrun"}}
    local got = s3.get_object{Bucket = bucket, Key = "dir/a b+c.txt"}
    assert.equal("hello", got.Body)
    assert.equal("text/plain", got.ContentType)
    assert.equal("fgrun", got.Metadata.owner)
    assert.equal(5, s3.head_object{Bucket = bucket, Key = "dir/a b+c.txt"}.ContentLength)
    for i = 1, 3 do s3.put_object{Bucket = bucket, Key = "many/" .. i, Body = tostring(i)} end
    local listed = s3.all("list_objects_v2", {Bucket = bucket, Prefix = "many/", MaxKeys = 2})
    assert.equal(3, #listed.Contents)
    local ok, err = pcall(s3.get_object, {Bucket = bucket, Key = "missing"})
    assert.is_false(ok)
    assert.equal("NoSuchKey", err.code)
    ok, err = pcall(s3.head_object, {Bucket = bucket, Key = "missing"})
    assert.is_false(ok)
    assert.equal("404", err.code)
    local deleted = s3.delete_objects{Bucket = bucket, Delete = {Objects = {
      {Key = "many/1"}, {Key = "many/2"}, {Key = "many/3"}, {Key = "dir/a b+c.txt"}}}}
    assert.equal(4, #deleted.Deleted)
    assert.equal(0, s3.list_objects_v2{Bucket = bucket}.KeyCount)
    -- the grantee's type is an XML attribute (xsi:type)
    local acl = s3.get_bucket_acl{Bucket = bucket}
    assert.equal("CanonicalUser", acl.Grants[1].Grantee.Type)
    assert.equal("FULL_CONTROL", acl.Grants[1].Permission)
    s3.delete_bucket{Bucket = bucket}
  end)

  it("s3: a presigned GET fetched with the http module", function()
    local s3 = client("s3")
    local bucket = unique("fgrun-p")
    s3.create_bucket{Bucket = bucket}
    s3.put_object{Bucket = bucket, Key = "k y", Body = "presigned body"}
    local url = s3.presign("get_object", {Bucket = bucket, Key = "k y"}, 300)
    assert.matches("X%-Amz%-Signature=%x+", url)
    local r = http.get(url)
    assert.equal(200, r.status)
    assert.equal("presigned body", r.body)
    s3.delete_object{Bucket = bucket, Key = "k y"}
    s3.delete_bucket{Bucket = bucket}
  end)

  it("s3: a " .. BIG_MIB .. " MiB file streamed up (multipart) and down in constant memory", function()
    local path = tmp .. "/big"
    assert.is_true(os.execute(("head -c %d /dev/urandom > %s"):format(BIG_MIB * 1048576, sh_quote(path))))
    local bucket = unique("fgrun-big")
    -- in a child, so that its peak memory is the transfer's own
    local script = tmp .. "/transfer.lua"
    local f = assert(io.open(script, "w"))
    f:write(([[
      local moto = dofile("tests/lib/moto.lua")
      local s3 = require("aws").client("s3", moto.options(%q))
      s3.create_bucket{Bucket = %q}
      local calls, last = 0, 0
      s3.upload_file(%q, %q, "big", {progress = function(done, total) calls = calls + 1 last = done end})
      s3.download_file(%q, "big", %q)
      local hwm = io.open("/proc/self/status"):read("a"):match("VmHWM:%%s*(%%d+)")
      -- the same object read into memory is over GetObject's cap
      local ok, err = pcall(s3.get_object, {Bucket = %q, Key = "big"})
      print(calls, last, hwm, ok, err.code, err.message)
    ]]):format(MOTO, bucket, path, bucket, bucket, path .. ".back", bucket))
    f:close()
    local out = slurp(FGRUN .. " " .. sh_quote(script) .. " 2>&1")
    local calls, last, hwm_kib, in_memory = out:match("^(%d+)%s+(%d+)%s+(%d+)%s+(.-)\n")
    assert.is_truthy(calls, out)
    -- the answer caps (aws/answer_limits.lua) count what is kept in memory:
    -- the download above was not cut off, the in-memory read is
    if BIG_MIB > 64 then
      assert.equal("false\tResponseTooLarge\tresponse over 67108864 bytes in memory "
        .. "(s3.download_file streams an object to a file)", in_memory)
    end
    assert.is_true(tonumber(calls) > 10, "progress calls")
    assert.equal(BIG_MIB * 1048576, tonumber(last))
    assert.is_true(tonumber(hwm_kib) < 64 * 1024, "peak memory " .. hwm_kib .. " KiB")
    assert.is_true(os.execute(("cmp -s %s %s"):format(sh_quote(path), sh_quote(path .. ".back"))))
    local s3 = client("s3")
    local head = s3.head_object{Bucket = bucket, Key = "big"}
    assert.equal(BIG_MIB * 1048576, head.ContentLength)
    assert.matches("%-%d+\"$", head.ETag) -- a multipart upload's ETag: "<md5>-<parts>"
    s3.delete_object{Bucket = bucket, Key = "big"}
    s3.delete_bucket{Bucket = bucket}
    os.remove(path)
    os.remove(path .. ".back")
  end)

  it("route53: hosted zone and record sets", function()
    local r53 = client("route53")
    local name = unique("z") .. ".example.com"
    local zone = r53.create_hosted_zone{Name = name, CallerReference = unique("ref")}.HostedZone
    assert.matches("^/hostedzone/", zone.Id)
    r53.change_resource_record_sets{HostedZoneId = zone.Id, ChangeBatch = {Changes = {{
      Action = "CREATE", ResourceRecordSet = {Name = "www." .. name, Type = "A", TTL = 60,
        ResourceRecords = {{Value = "192.0.2.1"}}}}}}}
    local found
    for _, rr in ipairs(r53.list_resource_record_sets{HostedZoneId = zone.Id}.ResourceRecordSets) do
      if rr.Type == "A" then found = rr end
    end
    assert.equal("www." .. name .. ".", found.Name)
    assert.equal("192.0.2.1", found.ResourceRecords[1].Value)
    assert.equal(60, found.TTL)
    r53.change_resource_record_sets{HostedZoneId = zone.Id, ChangeBatch = {Changes = {{
      Action = "DELETE", ResourceRecordSet = found}}}}
    r53.delete_hosted_zone{Id = zone.Id}
    local ok, err = pcall(r53.get_hosted_zone, {Id = zone.Id})
    assert.is_false(ok)
    assert.equal("NoSuchHostedZone", err.code)
  end)

  it("acm: request and describe a certificate", function()
    local acm = client("acm")
    local arn = acm.request_certificate{DomainName = "fgrun.example.com", ValidationMethod = "DNS"}.CertificateArn
    local cert = acm.describe_certificate{CertificateArn = arn}.Certificate
    assert.equal("fgrun.example.com", cert.DomainName)
    acm.delete_certificate{CertificateArn = arn}
  end)

  it("lambda: list functions (rest-json), a modeled error", function()
    local lambda = client("lambda")
    assert.is_table(lambda.list_functions{}.Functions)
    local ok, err = pcall(lambda.get_function, {FunctionName = "fgrun-none"})
    assert.is_false(ok)
    assert.equal("ResourceNotFoundException", err.code)
    assert.equal(404, err.status)
  end)

  it("cloudwatch: put and describe alarms", function()
    local cw = client("cloudwatch")
    local name = unique("fgrun-alarm")
    cw.put_metric_alarm{AlarmName = name, MetricName = "CPUUtilization", Namespace = "AWS/ECS",
      Statistic = "Average", Period = 60, EvaluationPeriods = 2, Threshold = 70.5,
      ComparisonOperator = "GreaterThanThreshold", Dimensions = {{Name = "ClusterName", Value = "c"}}}
    local alarm = cw.describe_alarms{AlarmNames = {name}}.MetricAlarms[1]
    assert.equal(70.5, alarm.Threshold)
    assert.equal(2, alarm.EvaluationPeriods)
    assert.equal("c", alarm.Dimensions[1].Value)
    cw.delete_alarms{AlarmNames = {name}}
    assert.equal(0, #cw.describe_alarms{AlarmNames = {name}}.MetricAlarms)
  end)

  it("sns: topics", function()
    local sns = client("sns")
    local arn = sns.create_topic{Name = unique("fgrun-topic")}.TopicArn
    local listed = {}
    for _, t in ipairs(sns.all("list_topics", {}).Topics) do listed[t.TopicArn] = true end
    assert.is_true(listed[arn])
    sns.delete_topic{TopicArn = arn}
  end)
end)
