-- Secrets Manager secrets given to containers by ARN. A value may name a
-- JSON key and version ("arn:...:secret:db-AbCdEf:password::"); what the
-- execution role needs is the secret's own ARN, and kms:Decrypt on its key
-- when the secret is encrypted with a customer managed key.
local aws = require "aws"

local secrets = {}

local ARN = "^arn:[%w%-]+:secretsmanager:[%w%-]+:%d%d%d%d%d%d%d%d%d%d%d%d:secret:"

-- secrets.check({NAME = value}) -> nil, or what is wrong (no AWS call).
function secrets.check(map)
  local names = {}
  for k in pairs(map) do names[#names + 1] = k end
  table.sort(names)
  for _, name in ipairs(names) do
    local v = map[name]
    if type(v) ~= "string" or not v:match(ARN) then
      return ("secret %s: %q is not a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:"
        .. "<account>:secret:<name>); give the secret's full ARN"):format(name, tostring(v))
    end
    if v:find("[*?]") then
      return ("secret %s: %q has a wildcard, which would grant more than that secret; give the secret's full ARN")
        :format(name, v)
    end
    local rest = v:sub(#v:match(ARN) + 1)
    local parts = select(2, rest:gsub(":", ""))
    if rest:match("^:") or (parts ~= 0 and parts ~= 3) then
      return ("secret %s: %q: after the secret's name comes nothing, or :<json-key>:<version-stage>:<version-id>")
        :format(name, v)
    end
  end
end

-- The secret's ARN without a JSON key or version.
function secrets.secret_arn(value)
  local head = value:match(ARN)
  return head .. value:sub(#head + 1):match("^[^:]+")
end

-- The alias ARN a secret's key is named by (an alias or alias ARN), in the
-- secret's partition, region and account; nil when it names the key itself.
local function alias_arn(key, secret_arn)
  local partition, region, account = secret_arn:match("^arn:([^:]+):secretsmanager:([^:]+):([^:]+):")
  if key:match("^alias/") then return ("arn:%s:kms:%s:%s:%s"):format(partition, region, account, key) end
  if key:match("^arn:[^:]+:kms:[^:]*:[^:]*:alias/") then return key end
end

-- The ARN of the key a secret names (a key id, key ARN, alias or alias
-- ARN). kms:Decrypt must name the key itself: an alias ARN in a policy's
-- Resource grants nothing on the key behind it (KMS developer guide,
-- "Using aliases to control access to KMS keys"), so an alias is resolved
-- with DescribeKey.
local function key_arn(key, secret_arn)
  local alias = alias_arn(key, secret_arn)
  if alias then return aws.kms.describe_key{ KeyId = alias }.KeyMetadata.Arn end
  if key:match("^arn:") then return key end
  local partition, region, account = secret_arn:match("^arn:([^:]+):secretsmanager:([^:]+):([^:]+):")
  return ("arn:%s:kms:%s:%s:key/%s"):format(partition, region, account, key)
end

-- Each secret once, sorted by ARN: { arn =, key = the customer managed key
-- as the secret names it, or nil } (DescribeSecret).
local function described(map)
  local out, seen = {}, {}
  for _, value in pairs(map or {}) do
    local s = aws.secretsmanager.describe_secret{ SecretId = secrets.secret_arn(value) }
    if not seen[s.ARN] then
      seen[s.ARN] = true
      local key = s.KmsKeyId
      if key == "" or key == "alias/aws/secretsmanager" then key = nil end
      out[#out + 1] = { arn = s.ARN, key = key }
    end
  end
  table.sort(out, function(a, b) return a.arn < b.arn end)
  return out
end

-- secrets.resolve({NAME = value}) -> { arns = {secret ARNs}, kms_keys = {key ARNs} },
-- sorted; reads each secret (DescribeSecret) for its full ARN and key.
function secrets.resolve(map)
  local arns, keys, seen = {}, {}, {}
  for _, s in ipairs(described(map)) do
    arns[#arns + 1] = s.arn
    if s.key and not seen[s.key] then
      seen[s.key] = true
      keys[#keys + 1] = key_arn(s.key, s.arn)
    end
  end
  table.sort(keys)
  return { arns = arns, kms_keys = keys }
end

-- The key ARN behind an alias ARN (ListAliases in its region), or nil when
-- it cannot be told (no such alias, ListAliases refused).
local function alias_target(alias)
  local partition, region, account = alias:match("^arn:([^:]+):kms:([^:]*):([^:]*):alias/")
  local ok, r = pcall(aws.client("kms", { region = region }).all, "list_aliases", {})
  for _, a in ipairs(ok and r.Aliases or {}) do
    if a.AliasArn == alias and a.TargetKeyId then
      return ("arn:%s:kms:%s:%s:key/%s"):format(partition, region, account, a.TargetKeyId)
    end
  end
end

-- secrets.needs({NAME = value}) -> a function for fg.preflight's needs (it
-- reads AWS, so it runs only when the preflight does): kms:DescribeKey on
-- the key behind each alias that names a secret's key, which resolve calls.
-- KMS authorizes DescribeKey on the key, not the alias, so the simulator is
-- asked about the key ListAliases names; an alias it cannot resolve is not
-- asked about (the preflight is advice: no false refusal).
function secrets.needs(map)
  return function()
    local out = {}
    for _, s in ipairs(described(map)) do
      local alias = s.key and alias_arn(s.key, s.arn)
      local key = alias and alias_target(alias)
      if key then
        out[#out + 1] = { action = "kms:DescribeKey", resource = key,
          why = ("secret %s is encrypted with the key of %s, resolved for kms:Decrypt"):format(s.arn,
            alias:match(":(alias/.*)$")) }
      end
    end
    return out
  end
end

return secrets
