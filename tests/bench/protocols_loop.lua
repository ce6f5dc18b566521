-- bench-helper (run by protocols_bench.sh). BENCH_OP (s3: ListObjectsV2,
-- route53: ListResourceRecordSets) called BENCH_CALLS times after one
-- warm-up call; or BENCH_OP=stream: upload_file then download_file of
-- BENCH_FILE to the bucket BENCH_BUCKET. Prints wall and CPU seconds as JSON.
local json = require "json"
local fgrun = require "fgrun"
local aws = require "aws"

local op = os.getenv("BENCH_OP")
if op == "stream" then
  local file, bucket = os.getenv("BENCH_FILE"), os.getenv("BENCH_BUCKET")
  local s3 = aws.s3
  s3.create_bucket{Bucket = bucket}
  local t0, c0 = fgrun.monotonic(), os.clock()
  s3.upload_file(file, bucket, "big")
  local t1 = fgrun.monotonic()
  s3.download_file(bucket, "big", file .. ".back")
  local t2 = fgrun.monotonic()
  print(json.encode{upload_s = t1 - t0, download_s = t2 - t1, cpu_s = os.clock() - c0})
  return
end
local calls = assert(tonumber(os.getenv("BENCH_CALLS") or "1000"))
local ops = {
  s3 = function() return aws.s3.list_objects_v2{Bucket = "bench"} end,
  route53 = function() return aws.route53.list_resource_record_sets{HostedZoneId = "Z1BENCH"} end,
}
local call = assert(ops[op], "BENCH_OP: s3, route53 or stream")
call()
local wall0, cpu0 = fgrun.monotonic(), os.clock()
for _ = 1, calls do call() end
print(json.encode{op = op, calls = calls, wall_s = fgrun.monotonic() - wall0, cpu_s = os.clock() - cpu0})
