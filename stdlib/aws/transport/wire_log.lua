-- Logging of AWS calls: -v one line per call and per retry, -vv the wire
-- (method, URL, headers, bodies), with credentials and secret values
-- redacted: the Authorization and token headers; the values of the shapes
-- the model marks sensitive (masked by the caller, aws.sensitive); and, as
-- a backstop, fields such as SecretString, SecretAccessKey, SessionToken,
-- passwords and auth tokens in JSON, XML and form-encoded bodies (CBOR
-- bodies are shown as JSON).
local fgrun = require "fgrun"

local M = {}

local BODY_SHOWN = 4096
local REDACTED = "<redacted>"

local SECRET_HEADERS = {
  ["authorization"] = true, ["x-amz-security-token"] = true,
  ["x-aws-ec2-metadata-token"] = true, ["cookie"] = true, ["set-cookie"] = true,
}

-- Field names (lowercase) whose values are secrets, wherever they appear.
local SECRET_FIELDS = {
  secretstring = true, secretbinary = true, secretaccesskey = true,
  sessiontoken = true, password = true, newpassword = true, oldpassword = true,
  authorizationtoken = true, token = true, privatekey = true, clientsecret = true,
  ["aws_secret_access_key"] = true, ["aws_session_token"] = true,
}
M.SECRET_FIELDS = SECRET_FIELDS

local function is_secret(name)
  return SECRET_FIELDS[name:lower()] == true
end

-- "Key": "value" -> "Key": "<redacted>", honouring escaped quotes.
local function redact_json(s)
  local out, pos = {}, 1
  while true do
    local a, b, key = s:find('"([%w_%-]+)"%s*:%s*"', pos)
    if not a then break end
    out[#out + 1] = s:sub(pos, b)
    local j = b + 1
    while j <= #s do
      local c = s:byte(j)
      if c == 92 then j = j + 2          -- backslash escape
      elseif c == 34 then break          -- closing quote
      else j = j + 1 end
    end
    if is_secret(key) then
      out[#out + 1] = REDACTED
    else
      out[#out + 1] = s:sub(b + 1, j - 1)
    end
    pos = j
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out)
end

local function redact_xml(s)
  return (s:gsub("<([%w_]+)>[^<]*</%1>", function(name)
    if is_secret(name) then return "<" .. name .. ">" .. REDACTED .. "</" .. name .. ">" end
  end))
end

-- key=value&...: a key is secret by its last dotted component
-- (e.g. Password, or PolicyDocument.member.1.SecretAccessKey).
local function redact_form(s)
  return (s:gsub("([%w%._%-]+)=[^&]*", function(key)
    local last = key:match("([^%.]+)$") or key
    if is_secret(last) then return key .. "=" .. REDACTED end
  end))
end

-- Redacts secrets in a body or query string of any of the three shapes.
function M.redact_body(s)
  if s == nil or s == "" then return s or "" end
  return redact_form(redact_xml(redact_json(s)))
end

function M.redact_header(name, value)
  if SECRET_HEADERS[name:lower()] or type(value) ~= "string" then return REDACTED end
  return value
end

-- A body given as a list of strings and secrets (aws.secret) shows the
-- strings and <redacted> for each secret.
local function joined(body)
  local parts = {}
  for i, part in ipairs(body) do parts[i] = type(part) == "string" and part or REDACTED end
  return table.concat(parts)
end

-- True when headers say the body is CBOR (the smithy-rpc-v2-cbor protocol).
local function is_cbor(headers)
  for k, v in pairs(headers or {}) do
    if k:lower() == "content-type" and type(v) == "string" and v:find("^application/cbor") then return true end
  end
  return false
end

-- A CBOR body as JSON text, so that it reads and redacts as JSON does.
local function cbor_as_json(body)
  local ok, v = pcall(require("aws.shape_cbor").value, body)
  if ok then ok, v = pcall(require("json").encode, v, {sort_keys = true}) end
  if not ok then return ("(%d bytes of CBOR that do not decode)"):format(#body) end
  return "(CBOR as JSON) " .. v
end

-- mask: the caller's masking of sensitive values (see aws.sensitive), or nil;
-- cbor: the body is CBOR (shown as JSON, then masked and redacted).
local function body_lines(prefix, body, mask, cbor)
  if type(body) == "table" then body = joined(body) end
  if body == nil or body == "" then return end
  if cbor then body = cbor_as_json(body) end
  local shown = M.redact_body(mask and mask(body) or body)
  local more = ""
  if #shown > BODY_SHOWN then
    more = (" ... (%d more bytes)"):format(#shown - BODY_SHOWN)
    shown = shown:sub(1, BODY_SHOWN)
  end
  fgrun.log(2, "%s%s%s", prefix, shown, more)
end

-- (rest-json and rest-xml put members in headers: a sensitive one is
-- masked there as in a body)
local function header_lines(prefix, headers, mask)
  local names = {}
  for k in pairs(headers or {}) do names[#names + 1] = k end
  table.sort(names, function(a, b) return a:lower() < b:lower() end)
  for _, k in ipairs(names) do
    local value = M.redact_header(k, headers[k])
    fgrun.log(2, "%s%s: %s", prefix, k, mask and mask(value) or value)
  end
end

-- -vv: the request as sent; mask(text) masks its sensitive values (in the
-- whole URL: rest protocols put members in its path and query string).
function M.request(req, mask)
  if fgrun.verbosity < 2 then return end
  local url = mask and mask(req.url) or req.url
  url = url:gsub("%?(.*)$", function(q) return "?" .. M.redact_body(q) end)
  fgrun.log(2, "> %s %s", req.method, url)
  header_lines("> ", req.headers, mask)
  body_lines("> ", req.body, mask, is_cbor(req.headers))
end

-- -vv: the answer as received (or the connection failure); mask as above.
function M.response(status, headers, body, ms, mask)
  if fgrun.verbosity < 2 then return end
  ms = math.floor(ms + 0.5)
  if not status then
    fgrun.log(2, "< (no answer: %s) %d ms", tostring(headers), ms)
    return
  end
  fgrun.log(2, "< %d (%d ms)", status, ms)
  header_lines("< ", headers, mask)
  body_lines("< ", body, mask, is_cbor(headers))
end

local function describe(err)
  local s = tostring(err.code or "error")
  if err.status then s = s .. (" (HTTP %d)"):format(err.status) end
  if err.message and err.message ~= "" then s = s .. ": " .. tostring(err.message) end
  return s
end
M.describe = describe

-- -v: one line per retry, saying why.
function M.retry(name, attempt, max, err, delay)
  if fgrun.verbosity < 1 then return end
  fgrun.log(1, "aws %s: attempt %d/%d failed: %s; retrying in %.2f s",
    name, attempt, max, describe(err), delay)
end

-- -v: one line per call.
function M.call(name, status, attempts, ms, err)
  if fgrun.verbosity < 1 then return end
  ms = math.floor(ms + 0.5)
  if err then
    fgrun.log(1, "aws %s: %s after %d attempt%s, %d ms", name, describe(err),
      attempts, attempts == 1 and "" or "s", ms)
  else
    fgrun.log(1, "aws %s %d, %d attempt%s, %d ms", name, status, attempts,
      attempts == 1 and "" or "s", ms)
  end
end

return M
