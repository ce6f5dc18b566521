-- Retry decisions as the AWS SDKs define them ("standard" and "adaptive"
-- modes): which errors are retried, exponential backoff with full jitter
-- capped at 20 s, the retry quota, and adaptive mode's client-side rate
-- limiter (a token bucket whose rate follows CUBIC).
local fgrun = require "fgrun"

local M = {}

local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

M.THROTTLING = set {
  "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
  "TooManyRequestsException", "ProvisionedThroughputExceededException",
  "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
  "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
  "EC2ThrottledException",
}
M.TRANSIENT = set { "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete" }
M.TRANSIENT_STATUS = set { 500, 502, 503, 504 }
M.CLOCK_SKEW = set {
  "RequestTimeTooSkewed", "RequestExpired", "InvalidSignatureException",
  "SignatureDoesNotMatch", "AuthFailure", "RequestInTheFuture",
}

local MAX_BACKOFF = 20
local QUOTA = 500
local RETRY_COST = 5
local TIMEOUT_COST = 10
local NO_RETRY_INCREMENT = 1

-- Fills err.throttling and err.retryable where the classifier left them nil.
function M.classify(err)
  if err.throttling == nil then
    err.throttling = M.THROTTLING[err.code] == true or err.status == 429
  end
  if err.retryable == nil then
    err.retryable = err.throttling or M.TRANSIENT[err.code] == true
      or M.TRANSIENT_STATUS[err.status] == true
      or err.code == "ConnectionError"
  end
  return err
end

-- Adaptive mode's rate limiter (botocore's ClientRateLimiter, compacted).
local Limiter = {}
Limiter.__index = Limiter

local BETA, SCALE, MIN_RATE, SMOOTH, BUCKET = 0.7, 0.4, 0.5, 0.8, 0.5

local function new_limiter(clock)
  local now = clock()
  return setmetatable({
    clock = clock, enabled = false,
    fill_rate = MIN_RATE, capacity = 1, tokens = 0, last_refill = nil,
    measured = 0, count = 0, last_bucket = math.floor(now),
    w_max = 0, k = 0, last_fail = now,
  }, Limiter)
end

function Limiter:refill()
  local now = self.clock()
  if self.last_refill then
    self.tokens = math.min(self.capacity, self.tokens + (now - self.last_refill) * self.fill_rate)
  end
  self.last_refill = now
end

function Limiter:set_rate(rate)
  self:refill()
  self.fill_rate = math.max(rate, MIN_RATE)
  self.capacity = math.max(rate, 1)
  self.tokens = math.min(self.tokens, self.capacity)
end

-- Seconds to wait before the next send (0 when it may go now); takes a token.
function Limiter:acquire()
  if not self.enabled then return 0 end
  self:refill()
  local wait = 0
  if self.tokens < 1 then
    wait = (1 - self.tokens) / self.fill_rate
    self.tokens = 1
  end
  self.tokens = self.tokens - 1
  return wait
end

function Limiter:update(throttled)
  local now = self.clock()
  local bucket = math.floor(now / BUCKET) * BUCKET
  self.count = self.count + 1
  if bucket > self.last_bucket then
    self.measured = (self.count / (bucket - self.last_bucket)) * SMOOTH + self.measured * (1 - SMOOTH)
    self.count, self.last_bucket = 0, bucket
  end
  local rate
  if throttled then
    local current = self.enabled and math.min(self.measured, self.fill_rate) or self.measured
    self.w_max = current
    self.k = ((self.w_max * (1 - BETA)) / SCALE) ^ (1 / 3)
    self.last_fail = now
    rate = current * BETA
    self.enabled = true
  else
    rate = SCALE * (now - self.last_fail - self.k) ^ 3 + self.w_max
  end
  self:set_rate(math.min(rate, 2 * self.measured))
end

local Retry = {}
Retry.__index = Retry

-- new{mode = "standard"|"adaptive", max_attempts = n, base = seconds}
function M.new(o)
  local mode = o.mode or "standard"
  if mode == "legacy" then mode = "standard" end
  if mode ~= "standard" and mode ~= "adaptive" then
    error(("retry_mode %q: expected standard or adaptive"):format(tostring(mode)), 0)
  end
  local max = math.tointeger(tonumber(o.max_attempts) or 3)
  if not max or max < 1 then
    error(("max_attempts %q: expected a whole number of at least 1"):format(tostring(o.max_attempts)), 0)
  end
  return setmetatable({
    mode = mode, max_attempts = max, base = o.base or 1, quota = QUOTA,
    limiter = mode == "adaptive" and new_limiter(o.clock or fgrun.monotonic) or nil,
  }, Retry)
end

-- Seconds to wait before sending attempt number `attempt` (adaptive mode).
function Retry:before_attempt()
  return self.limiter and self.limiter:acquire() or 0
end

-- Records an answer for the rate limiter.
function Retry:after_attempt(err)
  if self.limiter then self.limiter:update(err ~= nil and err.throttling == true) end
end

-- Takes retry quota for a retry after err; false when the quota is spent.
-- Returns the amount taken (to refund on success).
function Retry:take(err)
  local cost = err.code == "RequestTimeout" and err.status == nil and TIMEOUT_COST or RETRY_COST
  if self.quota < cost then return false end
  self.quota = self.quota - cost
  return cost
end

-- On success: refund what the last retry took, or a little when none was needed.
function Retry:succeeded(taken)
  self.quota = math.min(QUOTA, self.quota + (taken or NO_RETRY_INCREMENT))
end

-- Full jitter: random(0, 1) * min(base * 2^(attempt-1), 20 s).
function Retry:delay(attempt)
  return math.random() * math.min(self.base * 2 ^ (attempt - 1), MAX_BACKOFF)
end

return M
