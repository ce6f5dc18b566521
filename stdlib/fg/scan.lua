-- The ECR image scan gate, as ECR behaves (ECR user guide, "Scan images
-- for software vulnerabilities"; StartImageScan and
-- DescribeImageScanFindings references):
--   * a scan may already run (scan on push): a missing scan is started,
--     and LimitExceededException (one basic scan per image per 24 h, the
--     scan on push included) means "already scanning": poll;
--   * registries with enhanced scanning (Amazon Inspector) answer ACTIVE,
--     not COMPLETE, and may answer before any finding counts exist: with
--     a gate, wait for the counts and fail closed when none arrive;
--   * some images are never scanned (UNSUPPORTED_IMAGE: e.g. FROM scratch;
--     FINDINGS_UNAVAILABLE, SCAN_ELIGIBILITY_EXPIRED, LIMIT_EXCEEDED,
--     FAILED, IMAGE_ARCHIVED): reported as not scanned, an error only when
--     a gate (fail_on_severity) is set.
--
--   scan.image{repository=, digest= | tag=, fail_on_severity=, timeout=600,
--              findings_timeout=300, delay=5, client=aws.ecr, say=function(text),
--              progress=false (no progress line)}
--     -> {status=, scanned=bool, counts={SEVERITY=n}, enhanced=bool, text=}
--   raises when a gate is set and the image has findings at or above it,
--   was not scanned, or its counts never arrived.
local fgrun = require "fgrun"
local wait = require "fg.wait"

local scan = {}

-- Worst first, as ECR names them (FindingSeverity, plus Inspector's UNTRIAGED).
scan.SEVERITIES = { "CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED", "UNTRIAGED" }

local NOT_SCANNED = {
  UNSUPPORTED_IMAGE = "ECR cannot scan this image (its base is not supported; an image FROM scratch never is)",
  FINDINGS_UNAVAILABLE = "its findings are unavailable",
  SCAN_ELIGIBILITY_EXPIRED = "its scan eligibility has expired",
  LIMIT_EXCEEDED = "the scan limit of the image was exceeded",
  FAILED = "the scan failed",
  IMAGE_ARCHIVED = "the image is archived",
}
local DONE = { COMPLETE = true, ACTIVE = true }

local code_of = require("fg.lookup").code

-- The rank of a severity name (1 = CRITICAL), or an error naming the valid ones.
function scan.rank(severity)
  for rank, s in ipairs(scan.SEVERITIES) do
    if s == tostring(severity):upper() then return rank end
  end
  error(("fail_on_severity must be one of %s, got %q"):format(table.concat(scan.SEVERITIES, ", "), tostring(severity)), 0)
end

-- "HIGH 1, LOW 3" (worst first) and the worst rank, or "no findings".
local function summary(counts)
  local parts, worst = {}, nil
  for rank, s in ipairs(scan.SEVERITIES) do
    local n = counts[s] or 0
    if n > 0 then
      parts[#parts + 1] = ("%s %d"):format(s, n)
      worst = worst or rank
    end
  end
  return #parts > 0 and table.concat(parts, ", ") or "no findings", worst
end
scan.summary = summary

-- Is the registry's scanning enhanced (Inspector)? A caller who may not
-- read the configuration is taken to have basic scanning.
local function enhanced_registry(ecr)
  local ok, r = pcall(ecr.get_registry_scanning_configuration, {})
  if not ok then
    fgrun.log(1, "image scan: the registry's scanning configuration could not be read (%s); taking basic scanning",
      tostring(code_of(r) or r))
    return false
  end
  return r.scanningConfiguration ~= nil and r.scanningConfiguration.scanType == "ENHANCED"
end

function scan.image(opts)
  local ecr = opts.client or require("aws").ecr
  local say = opts.say or function() end
  local gate = opts.fail_on_severity and scan.rank(opts.fail_on_severity)
  local image_id = opts.digest and { imageDigest = opts.digest } or { imageTag = opts.tag }
  local params = { repositoryName = opts.repository, imageId = image_id }
  local enhanced = enhanced_registry(ecr)
  local started = false
  local findings_deadline

  -- One poll: true with the answer when the scan has an outcome.
  local function poll()
    local ok, r = pcall(ecr.describe_image_scan_findings, params)
    if not ok then
      if code_of(r) ~= "ScanNotFoundException" then error(r, 0) end
      -- no scan yet: start one, unless a scan on push is already counted
      -- (LimitExceeded) or Inspector scans this registry by itself
      if not started and not enhanced then
        started = true
        local s_ok, s_err = pcall(ecr.start_image_scan, params)
        if not s_ok and code_of(s_err) ~= "LimitExceededException" then error(s_err, 0) end
        if not s_ok then fgrun.log(1, "image scan: already scanning (LimitExceededException)") end
      end
      return false, "no scan yet"
    end
    local status = r.imageScanStatus and r.imageScanStatus.status or "PENDING"
    if NOT_SCANNED[status] then return true, status, r end
    if not DONE[status] then return false, status end
    local findings = r.imageScanFindings
    local counts = findings and findings.findingSeverityCounts
    -- Inspector's answers carry enhancedFindings, whatever the registry
    -- configuration said (or could not say)
    enhanced = enhanced or (findings ~= nil and findings.enhancedFindings ~= nil)
    -- Basic scanning omits the counts when there is nothing to count;
    -- Inspector may answer before it has counted (aws-sdk issue 289).
    if counts == nil and (enhanced or status == "ACTIVE") and gate then
      findings_deadline = findings_deadline or fgrun.monotonic() + (opts.findings_timeout or 300)
      if fgrun.monotonic() < findings_deadline then return false, status .. ", no finding counts yet" end
    end
    return true, status, r
  end

  local ok, outcome = pcall(wait.wait_until, function()
    local done, state, r = poll()
    if done then return true, state, { status = state, answer = r } end
    return false, state
  end, { what = "image scan", timeout = opts.timeout or 600, delay = opts.delay or 5, max_delay = 15,
         params = params, progress = opts.progress })
  if not ok and code_of(outcome) ~= "WaiterTimeout" then error(outcome, 0) end
  local result = { status = ok and outcome.status or "TIMEOUT" }
  local answer = ok and outcome.answer or nil

  local counts = answer and answer.imageScanFindings and answer.imageScanFindings.findingSeverityCounts
  result.enhanced = enhanced
  local why = NOT_SCANNED[result.status]
  if result.status == "TIMEOUT" then
    why = ("no result within %d s"):format(opts.timeout or 600)
  elseif not why and counts == nil and (enhanced or result.status == "ACTIVE") then
    why = "the scan reported no finding counts"
  end
  if why then
    local description = answer and answer.imageScanStatus and answer.imageScanStatus.description
    result.scanned, result.counts = false, {}
    result.text = ("not scanned: %s%s"):format(why, description and (" (" .. description .. ")") or "")
    say(result.text)
    if gate then
      error(("the image was not scanned (%s) and fail_on_severity=%s is set: nothing runs an image the gate "
        .. "has not seen. Unset fail_on_severity to deploy it unscanned"):format(why, scan.SEVERITIES[gate]), 0)
    end
    return result
  end
  result.scanned, result.counts = true, counts or {}
  local text, worst = summary(result.counts)
  result.text = text
  say(text)
  if gate and worst and worst <= gate then
    error(("the image scan found %s findings at or above %s (fail_on_severity): nothing runs this image")
      :format(text, scan.SEVERITIES[gate]), 0)
  end
  return result
end

return scan
