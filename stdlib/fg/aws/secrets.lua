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

-- The ARN of the key a secret names (a key id, key ARN, alias or alias
-- ARN), in the secret's partition, region and account. kms:Decrypt must
-- name the key itself: an alias ARN in a policy's Resource grants nothing
-- on the key behind it (KMS developer guide, "Using aliases to control
-- access to KMS keys"), so an alias is resolved with DescribeKey.
local function key_arn(key, secret_arn)
  local partition, region, account = secret_arn:match("^arn:([^:]+):secretsmanager:([^:]+):([^:]+):")
  if key:match("^alias/") then key = ("arn:%s:kms:%s:%s:%s"):format(partition, region, account, key) end
  if key:match("^arn:[^:]+:kms:[^:]*:[^:]*:alias/") then return aws.kms.describe_key{ KeyId = key }.KeyMetadata.Arn end
  if key:match("^arn:") then return key end
  return ("arn:%s:kms:%s:%s:key/%s"):format(partition, region, account, key)
end

-- secrets.resolve({NAME = value}) -> { arns = {secret ARNs}, kms_keys = {key ARNs} },
-- sorted; reads each secret (DescribeSecret) for its full ARN and key.
function secrets.resolve(map)
  local arns, keys, seen = {}, {}, {}
  for _, value in pairs(map or {}) do
    local s = aws.secretsmanager.describe_secret{ SecretId = secrets.secret_arn(value) }
    if not seen[s.ARN] then
      seen[s.ARN] = true
      arns[#arns + 1] = s.ARN
      local key = s.KmsKeyId
      if key and key ~= "" and key ~= "alias/aws/secretsmanager" and not seen[key] then
        seen[key] = true
        keys[#keys + 1] = key_arn(key, s.ARN)
      end
    end
  end
  table.sort(arns)
  table.sort(keys)
  return { arns = arns, kms_keys = keys }
end

return secrets
