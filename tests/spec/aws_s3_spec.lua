-- S3's rules (aws.s3) without a server: addressing, SigV4 as S3 signs,
-- checksum headers, presigned URLs (AWS's documented example).
local aws = require "aws"
local fgrun = require "fgrun"

local function creds(id, secret)
  return require("aws.creds").from_process(
    ([[printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}']]):format(id, secret))
end

local CREDS = creds("AKID", "SECRET")

local function client(opts)
  opts = opts or {}
  opts.region = opts.region or "us-east-1"
  opts.credentials = opts.credentials or CREDS
  return aws.client("s3", opts)
end

describe("aws.s3", function()
  it("addresses DNS-safe buckets virtual-hosted on AWS, others path style", function()
    local req = client({region = "eu-west-1"}).build_request("get_object", {Bucket = "my-bucket", Key = "a/b c"})
    assert.equal("https://my-bucket.s3.eu-west-1.amazonaws.com/a/b%20c", req.url)
    req = client().build_request("list_objects_v2", {Bucket = "My_Bucket"})
    assert.equal("https://s3.us-east-1.amazonaws.com/My_Bucket?list-type=2", req.url)
    req = client().build_request("list_objects_v2", {Bucket = "a.b.c"}) -- dots break TLS names
    assert.equal("https://s3.us-east-1.amazonaws.com/a.b.c?list-type=2", req.url)
  end)

  it("uses path style on a custom endpoint", function()
    local req = client({endpoint_url = "https://s3.example.test"}).build_request("get_object",
      {Bucket = "my-bucket", Key = "k"})
    assert.equal("https://s3.example.test/my-bucket/k", req.url)
  end)

  it("signs the path as sent (no second encoding) with x-amz-content-sha256", function()
    local req = client().build_request("put_object", {Bucket = "b-1", Key = "a b/c+d", Body = "x"})
    assert.equal("https://b-1.s3.us-east-1.amazonaws.com/a%20b/c%2Bd", req.url)
    assert.equal(require("aws.sigv4").sha256_hex("x"), req.headers["x-amz-content-sha256"])
    assert.matches("SignedHeaders=[^,]*x%-amz%-content%-sha256", req.headers.Authorization)
    assert.is_nil(req.headers["Content-Type"]) -- S3 keeps binary/octet-stream
  end)

  it("adds the checksum header the model requires, or the algorithm asked for", function()
    local req = client().build_request("delete_objects", {Bucket = "bkt", Delete = {Objects = {{Key = "k"}}}})
    assert.matches("^[%w+/]+=*$", req.headers["x-amz-checksum-crc32"])
    req = client().build_request("put_object", {Bucket = "bkt", Key = "k", Body = "hello", ChecksumAlgorithm = "SHA256"})
    assert.equal("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", req.headers["x-amz-checksum-sha256"])
    req = client().build_request("put_object", {Bucket = "bkt", Key = "k", Body = "hello", ChecksumAlgorithm = "CRC32"})
    assert.equal("NhCmhg==", req.headers["x-amz-checksum-crc32"])
  end)

  it("presigns with the query-string fields of SigV4 at the given time and expiry", function()
    local real_now = fgrun.now
    fgrun.now = function() return 1369353600 end -- 2013-05-24T00:00:00Z
    local ok, url = pcall(function()
      return client({credentials = creds("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                     endpoint_url = "https://examplebucket.s3.amazonaws.com"})
        .presign("get_object", {Bucket = "examplebucket", Key = "test.txt"}, 86400)
    end)
    fgrun.now = real_now
    assert.is_true(ok, url)
    -- the example's URL is virtual-hosted: the same canonical request
    assert.matches("X%-Amz%-Signature=", url)
    assert.matches("X%-Amz%-Credential=AKIAIOSFODNN7EXAMPLE%%2F20130524%%2Fus%-east%-1%%2Fs3%%2Faws4_request", url)
    assert.matches("X%-Amz%-Expires=86400", url)
  end)

  it("presigns with session credentials: the token signed into the URL, exactly as botocore does", function()
    local token = "FwoGZXIvYXdzE//+token/with=chars"
    local session = require("aws.creds").from_process(([[printf '{"Version":1,"AccessKeyId":"%s",]]
      .. [["SecretAccessKey":"%s","SessionToken":"%s"}']]):format("AKIAIOSFODNN7EXAMPLE",
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", token))
    local real_now = fgrun.now
    fgrun.now = function() return 1369353600 end -- 2013-05-24T00:00:00Z
    local ok, url = pcall(function()
      return client({credentials = session, endpoint_url = "https://s3.example.test"})
        .presign("get_object", {Bucket = "examplebucket", Key = "a b/test.txt"}, 86400)
    end)
    fgrun.now = real_now
    assert.is_true(ok, url)
    assert.matches("X-Amz-Security-Token=FwoGZXIvYXdzE%2F%2F%2Btoken%2Fwith%3Dchars", url, 1, true)
    -- botocore's URL for the same request at the same time (boto3, in a child)
    local p = io.popen([[python3 - 2>&1 <<'EOF'
import datetime
import boto3, botocore.auth
from botocore.config import Config
botocore.auth.get_current_datetime = lambda *a, **k: datetime.datetime(2013, 5, 24)
s3 = boto3.client("s3", region_name="us-east-1", endpoint_url="https://s3.example.test",
                  aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                  aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  aws_session_token="]] .. token .. [[",
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))
print(s3.generate_presigned_url("get_object", Params={"Bucket": "examplebucket", "Key": "a b/test.txt"},
                                ExpiresIn=86400))
EOF]])
    local boto = p:read("a"):gsub("%s+$", "")
    p:close()
    if not boto:match("^https://") then pending("no boto3 to compare with: " .. boto) return end
    local function parts(u)
      local base, query = u:match("^([^?]*)%?(.*)$")
      local set = {}
      for pair in query:gmatch("[^&]+") do set[pair] = true end
      return base, set
    end
    local base, set = parts(url)
    local boto_base, boto_set = parts(boto)
    assert.equal(boto_base, base)
    assert.same(boto_set, set) -- the signature included
  end)

  it("reads a bucket's region from a redirect's header, or from the error's <Region>", function()
    local model = require("aws.model").embedded("s3")
    local protocol = require "aws.protocol"
    local rest_xml = assert(protocol.of(model.metadata))
    local op = model:operation("GetObject")
    op.name = "GetObject"
    local _, err = protocol.answer(rest_xml, model, op, 400, {}, '<?xml version="1.0" encoding="UTF-8"?>\n'
      .. "<Error><Code>AuthorizationHeaderMalformed</Code><Message>wrong region</Message>"
      .. "<Region>eu-central-1</Region><RequestId>r</RequestId></Error>")
    assert.equal("AuthorizationHeaderMalformed", err.code)
    assert.equal("eu-central-1", err.bucket_region)
    _, err = protocol.answer(rest_xml, model, op, 301, {["x-amz-bucket-region"] = "eu-west-1"}, "")
    assert.equal("301", err.code)
    assert.equal("eu-west-1", err.bucket_region)
  end)

  it("refuses an expiry over seven days", function()
    local ok, err = pcall(client().presign, "get_object", {Bucket = "b-1", Key = "k"}, 8 * 24 * 3600)
    assert.is_false(ok)
    assert.matches("604800", tostring(err))
  end)
end)
