-- S3's own rules, on top of the rest-xml protocol:
-- * addressing: virtual-hosted (bucket.s3.region.amazonaws.com) for
--   DNS-safe bucket names on AWS's endpoints; path style (/bucket/key) for
--   custom endpoints (endpoint_url, AWS_ENDPOINT_URL...) and other names;
-- * SigV4 as S3 wants it: the path signed as sent, x-amz-content-sha256
--   (UNSIGNED-PAYLOAD for a file streamed over TLS);
-- * checksum headers where the model requires them (httpChecksum) or the
--   caller names an algorithm (ChecksumAlgorithm: CRC32, SHA256);
-- * files streamed in constant memory, with progress:
--   s3.upload_file(path, bucket, key [, opts]) (multipart above
--   opts.threshold, 8 MiB as in boto3; parts of opts.part_size, 8 MiB) and
--   s3.download_file(bucket, key, path [, opts]); opts.progress(done, total)
--   and opts.extra (more PutObject / CreateMultipartUpload parameters);
-- * client.presign(op, params [, expires_seconds]) -> URL (query-string SigV4);
-- * a bucket in another region: the 301/400 answer's x-amz-bucket-region
--   is remembered and the call sent again there.
local digest = require "aws.digest"
local rest = require "aws.rest"

local M = {}

local MiB = 1024 * 1024
M.THRESHOLD = 8 * MiB
M.PART_SIZE = 8 * MiB
local MIN_PART = 5 * MiB         -- S3's smallest part but the last
local MAX_PARTS = 10000          -- S3's most parts per upload
local MAX_EXPIRES = 7 * 24 * 3600

function M.is_s3(model)
  return model.metadata.serviceId == "S3"
end

-- A bucket name that can be a host name label (and so virtual-hosted).
function M.dns_safe(bucket)
  return type(bucket) == "string" and #bucket >= 3 and #bucket <= 63
    and bucket:match("^[a-z0-9][a-z0-9%-]*[a-z0-9]$") ~= nil and not bucket:find("--", 1, true)
end

-- Adds S3's part to a request the protocol built: where the bucket goes,
-- the checksum headers.
function M.request(_, op, params, req)
  req.s3_bucket = params.Bucket
  local checksum = op.httpChecksum
  if not checksum then return req end
  local algorithm = checksum.requestAlgorithmMember and params[checksum.requestAlgorithmMember]
  if not algorithm and checksum.requestChecksumRequired then algorithm = "CRC32" end
  if algorithm then req.checksum = algorithm:upper() end
  return req
end

local CHECKSUM_FIELDS = {CRC32 = "crc32_base64", SHA256 = "sha256_base64"}

-- Sets the checksum header and the payload's SHA-256 from the digests of
-- the body (a string or a file range).
local function add_digests(req, https)
  local d
  if req.upload then
    if req.checksum or not https then
      d = assert(digest.file(req.upload.file, req.upload.offset, req.upload.length))
    end
  elseif req.checksum then
    d = digest.string(req.body or "")
  end
  if req.checksum then
    local field = CHECKSUM_FIELDS[req.checksum]
    if not field then
      error({code = "NotImplemented", message = "checksum algorithm " .. req.checksum
        .. " is not implemented (CRC32 and SHA256 are)"}, 0)
    end
    req.headers["x-amz-checksum-" .. req.checksum:lower()] = d[field]
  end
  if req.upload then req.payload_hash = https and "UNSIGNED-PAYLOAD" or d.sha256_hex end
end

-- What the signer does for S3 (transport.lua calls it before signing):
-- the addressing style, the digests, the payload hash header.
function M.before_signing(req, endpoint_url, custom_endpoint)
  local https = endpoint_url:match("^https:") ~= nil
  local bucket = req.s3_bucket
  if bucket and not custom_endpoint and M.dns_safe(bucket) and not (https and bucket:find(".", 1, true)) then
    local prefix = "/" .. rest.encode(bucket)
    if req.path:sub(1, #prefix) == prefix and (#req.path == #prefix or req.path:sub(#prefix + 1, #prefix + 1) == "/") then
      req.path = req.path:sub(#prefix + 1)
      if req.path == "" then req.path = "/" end
      req.host_prefix = bucket .. "."
    end
  end
  if not req.payload_hash then add_digests(req, https) end
  req.raw_path = true
  req.headers["x-amz-content-sha256"] = req.payload_hash or require("aws.sigv4").sha256_hex(req.body or "")
  req.payload_hash = req.headers["x-amz-content-sha256"]
end

-- ---- transfers --------------------------------------------------------

local function copy(t)
  local c = {}
  for k, v in pairs(t or {}) do c[k] = v end
  return c
end

local function file_size(path)
  local f, err = io.open(path, "rb")
  if not f then error({code = "FileError", message = err}, 0) end
  local size = f:seek("end")
  f:close()
  return size
end

-- Methods an S3 client gets. call(snake, params, stream) is the client's
-- call with the stream options of aws.transport (upload, download_file,
-- progress).
function M.methods(call)
  local methods = {}

  function methods.upload_file(path, bucket, key, opts)
    opts = opts or {}
    local size = file_size(path)
    local threshold = opts.threshold or M.THRESHOLD
    local progress = opts.progress
    if size <= threshold then
      local params = copy(opts.extra)
      params.Bucket, params.Key = bucket, key
      return call("put_object", params, {upload = {file = path, offset = 0, length = size},
        progress = progress})
    end
    local part_size = math.max(opts.part_size or M.PART_SIZE, MIN_PART, (size + MAX_PARTS - 1) // MAX_PARTS)
    local params = copy(opts.extra)
    params.Bucket, params.Key = bucket, key
    local upload_id = call("create_multipart_upload", params).UploadId
    local parts, done = {}, 0
    local ok, err = pcall(function()
      local n = 0
      for offset = 0, size - 1, part_size do
        n = n + 1
        local length = math.min(part_size, size - offset)
        local base = done
        local answer = call("upload_part", {Bucket = bucket, Key = key, UploadId = upload_id,
          PartNumber = n, ContentLength = length},
          {upload = {file = path, offset = offset, length = length},
           progress = progress and function(d) progress(base + d, size) end})
        parts[n] = {PartNumber = n, ETag = answer.ETag}
        done = done + length
        if progress then progress(done, size) end
      end
      return call("complete_multipart_upload", {Bucket = bucket, Key = key, UploadId = upload_id,
        MultipartUpload = {Parts = parts}})
    end)
    if ok then return err end
    -- nothing lost, nothing left behind: the parts are removed, the error raised
    pcall(call, "abort_multipart_upload", {Bucket = bucket, Key = key, UploadId = upload_id})
    error(err, 0)
  end

  function methods.download_file(bucket, key, path, opts)
    opts = opts or {}
    local params = copy(opts.extra)
    params.Bucket, params.Key = bucket, key
    local partial = path .. ".fgrun-partial"
    local ok, answer = pcall(call, "get_object", params, {download_file = partial, progress = opts.progress})
    if not ok then
      os.remove(partial)
      error(answer, 0)
    end
    local renamed, why = os.rename(partial, path)
    if not renamed then error({code = "FileError", message = why}, 0) end
    answer.Body = nil
    return answer
  end

  return methods
end

-- ---- presigned URLs -----------------------------------------------------

-- The query-string SigV4 of a prepared request (url and Host set by the
-- signer): the URL that lets its holder make the request until it expires.
function M.presign(req, creds, o, expires)
  expires = math.tointeger(expires or 3600)
  if not expires or expires < 1 or expires > MAX_EXPIRES then
    error({code = "ValidationError", message = "expires: whole seconds from 1 to 604800 (7 days)"}, 0)
  end
  -- built in C: a session token goes into the URL without becoming a Lua string
  return require("aws.presign").url(creds, {
    url = req.url:match("^([^?]*)"), path = req.url:match("^%a[%w+.-]*://[^/]+([^?]*)"), query = req.query,
    method = req.method, host = req.headers.Host, amz_date = require("aws.transport.signer").amz_date(o.time),
    region = o.region, service = o.service, expires = expires,
  })
end

return M
