-- An ACM certificate validated by DNS: requested, its validation CNAME
-- records written into the Route 53 hosted zone, then awaited until ACM
-- says ISSUED, in the background (the step's wait: what reads only its ARN
-- goes on; an HTTPS listener waits for it with `ready`). Removed records first, then the certificate; ACM refuses to
-- delete a certificate a listener still uses (and for a few seconds after),
-- so the removal retries ResourceInUseException (a recipe removes the
-- listener first by declaring it after the certificate).
--
-- ACM gives the same validation record to every certificate of one name in
-- an account, and renewal needs it as long as the certificate lives. So a
-- replacement that shares a record with the certificate it replaces
-- (another key type) writes it with a TTL of its own generation (300 + N):
-- Route 53 deletes a record set only when given its exact values, and the
-- old certificate's removal (the old TTL) then leaves the new one's record
-- alone ("does not match" counts as gone).
local aws = require "aws"
local T = require "fg.aws.type"
local route53 = require "fg.aws.route53"
local fg_wait = require "fg.wait"
local lookup = require("fg.lookup").call

-- ACM user guide, "DNS validation": ACM keeps trying for 72 hours; a
-- deploy waits at most this long (the records are usually seen in minutes).
local VALIDATION_TIMEOUT = 3600
local VALIDATION_TTL = 300

local function describe(arn)
  local r = lookup(aws.acm.describe_certificate, { CertificateArn = arn }, { "ResourceNotFoundException" })
  return r and r.Certificate
end

-- The validation records, one per name (a wildcard and its apex share one),
-- or nil while ACM has not filled them in yet (seconds after the request).
local function records_of(c)
  local seen, list = {}, {}
  for _, o in ipairs(c.DomainValidationOptions or {}) do
    local rr = o.ResourceRecord
    if not rr then return nil end
    local name = route53.name(rr.Name)
    if not seen[name] then
      seen[name] = true
      list[#list + 1] = { name = name, value = route53.name(rr.Value), type = rr.Type }
    end
  end
  table.sort(list, function(a, b) return a.name < b.name end)
  return #list > 0 and list or nil
end

local function record_set(r)
  return { Name = r.name, Type = r.type, TTL = r.ttl or VALIDATION_TTL, ResourceRecords = { { Value = r.value } } }
end

local function result_of(c, zone)
  return { arn = c.CertificateArn, domain = c.DomainName, zone = zone, records = records_of(c) }
end

-- Writes the validation records (asking ACM for them until it has them).
local function write_records(props, result, ctx)
  local records = result.records
  if not records then
    records = fg_wait.wait_until(function()
      local c = describe(result.arn)
      local list = c and records_of(c)
      if list then return true, "validation records known", list end
      return false, "ACM has not given the validation records yet"
    end, { what = "certificate " .. props.domain .. " validation records", timeout = 300, delay = 1, max_delay = 5 })
  end
  local shared = {}
  for _, old in ipairs(ctx.replacing and (ctx.replacing.results or { ctx.replacing.result }) or {}) do
    for _, r in ipairs(type(old) == "table" and old.zone == props.zone and old.records or {}) do shared[r.name] = true end
  end
  for _, r in ipairs(records) do
    r.ttl = VALIDATION_TTL + (shared[r.name] and ctx.generation or 0)
    route53.upsert(props.zone, record_set(r))
  end
  return { arn = result.arn, domain = props.domain, zone = props.zone, records = records }
end

-- Until ISSUED; a certificate that failed or timed out stops the wait with
-- ACM's reason.
local function wait_issued(props, result)
  fg_wait.wait_until(function()
    local c = describe(result.arn)
    local status = c and c.Status or "gone"
    if status == "ISSUED" then return true, status end
    if status ~= "PENDING_VALIDATION" then
      return "failed", ("%s%s"):format(status, c and c.FailureReason and (": " .. c.FailureReason) or "")
    end
    return false, status .. " (the CNAME records are in zone " .. props.zone .. ")"
  end, { what = "certificate " .. props.domain, timeout = VALIDATION_TIMEOUT, delay = 5, max_delay = 30 })
end

-- ACM's idempotency token: \w+, at most 32 characters.
local function token(ctx) return (tostring(ctx.token or ""):gsub("%W", "")):sub(1, 32) end

return T.define{
  kind = "acm_certificate",
  doc = "an ACM certificate, validated by DNS records in a Route 53 hosted zone",
  fields = {
    { "domain", "string", required = true, replace = true, doc = "the name it is for, e.g. app.example.com",
      check = function(v) if #v > 253 or not v:match("^[%w%*][%w%.%-]*%w$") then return "not a DNS name" end end },
    { "alternative_names", "strings", normalize = T.sorted, replace = true, doc = "more names it covers" },
    { "zone", "string", required = true, replace = true, doc = "the Route 53 hosted zone id for the validation records" },
    { "key_algorithm", { "RSA_2048", "EC_prime256v1", "EC_secp384r1" }, default = "RSA_2048", replace = true,
      doc = "the key type" },
  },
  -- by its tags; while replacing, the old certificates (same tags) are not the one sought
  find = function(props, ctx)
    local old = {}
    for _, o in ipairs(ctx.replacing and (ctx.replacing.results or { ctx.replacing.result }) or {}) do
      if type(o) == "table" and o.arn then old[o.arn] = true end
    end
    local r = aws.acm.list_certificates{ Includes = { keyTypes = { props.key_algorithm } } }
    for _, s in ipairs(r.CertificateSummaryList or {}) do
      if s.DomainName == props.domain and not old[s.CertificateArn] then
        local tags = lookup(aws.acm.list_tags_for_certificate, { CertificateArn = s.CertificateArn },
          { "ResourceNotFoundException" })
        local mine = 0
        for _, t in ipairs(tags and tags.Tags or {}) do
          if ctx.tag_map[t.Key] ~= nil and ctx.tag_map[t.Key] == t.Value then mine = mine + 1 end
        end
        local c = mine == 2 and describe(s.CertificateArn)
        if c then return result_of(c, props.zone) end
      end
    end
  end,
  read = function(result)
    local c = describe(result.arn)
    if not c then return nil end
    local sans = {}
    for _, n in ipairs(c.SubjectAlternativeNames or {}) do
      if n ~= c.DomainName then sans[#sans + 1] = n end
    end
    return { domain = c.DomainName, alternative_names = #sans > 0 and sans or nil, zone = result.zone,
             key_algorithm = c.KeyAlgorithm and c.KeyAlgorithm:gsub("-", "_") or T.UNKNOWN }
  end,
  create = function(props, ctx)
    local names = props.alternative_names and { props.domain, table.unpack(props.alternative_names) } or nil
    local arn = aws.acm.request_certificate{ DomainName = props.domain, SubjectAlternativeNames = names,
      ValidationMethod = "DNS", KeyAlgorithm = props.key_algorithm, IdempotencyToken = token(ctx), Tags = ctx.tags,
    }.CertificateArn
    return write_records(props, { arn = arn }, ctx)
  end,
  -- found after a crash (or adopted): the records are written again (the wait follows)
  converge = function(props, found, ctx)
    local c = describe(found.arn)
    if c and c.Status == "ISSUED" and found.records and found.records[1].ttl then return found end
    return write_records(props, found, ctx)
  end,
  wait = wait_issued,
  undo = function(r)
    local list = {}
    for _, rec in ipairs(r.records or {}) do list[#list + 1] = route53.removal(r.zone, record_set(rec)) end
    -- ACM answers ResourceInUseException until it notices the listener is gone
    list[#list + 1] = { call = "acm.delete_certificate", params = { CertificateArn = r.arn },
                        retry_on = { "ResourceInUseException" }, timeout = 600 }
    return list
  end,
  id = function(r) return r.domain .. " " .. r.arn:match("[^/]+$") end,
}
