-- Timestamps. Lua values carry them as ISO-8601 UTC strings
-- ("2015-01-25T08:00:00Z", fractional seconds kept when present); input also
-- takes epoch seconds. The wire uses epoch seconds (json), ISO-8601 (query,
-- ec2) or RFC 822 dates, per the model's timestampFormat.
local M = {}

local floor, format, tointeger = math.floor, string.format, math.tointeger

-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local MONTHS = {Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
                Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12}

-- Epoch seconds (integer, or float with a fraction) of an ISO-8601, RFC 822
-- or epoch text; nil when the text is none of these.
function M.parse(s)
  if type(s) == "number" then return s end
  local y, mo, d, h, mi, sec, frac, zone =
    s:match("^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?%d*)(.-)%s*$")
  if y then
    local offset = 0
    if zone ~= "" and zone ~= "Z" and zone ~= "z" then
      local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
      if not sign then return nil end
      offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "-" and -1 or 1)
    end
    local t = days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
      + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec) - offset
    if #frac > 1 and tonumber(frac) ~= 0 then return t + tonumber("0" .. frac) end
    return t
  end
  local d2, mon, y2, h2, mi2, s2 = s:match("^%a+, (%d+) (%a+) (%d+) (%d+):(%d+):(%d+) GMT$")
  if d2 and MONTHS[mon] then
    return days_from_civil(tonumber(y2), MONTHS[mon], tonumber(d2)) * 86400
      + tonumber(h2) * 3600 + tonumber(mi2) * 60 + tonumber(s2)
  end
  local n = tonumber(s)
  if n then return tointeger(n) or n end
  return nil
end

-- Whole seconds and the fraction's text (".123", or "" when none), to the microsecond.
local function whole_and_fraction(t)
  local us = floor(t * 1000000 + 0.5)
  local fraction = us % 1000000
  local digits = fraction == 0 and "" or (format(".%06d", fraction):gsub("0+$", ""))
  return tointeger(us // 1000000), digits
end

-- ISO-8601 UTC text of epoch seconds.
function M.iso(t)
  local whole, digits = whole_and_fraction(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", whole) .. digits .. "Z"
end

-- RFC 822 (HTTP date) text of epoch seconds.
function M.rfc822(t)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", tointeger(floor(t)))
end

-- The Lua value of a timestamp read from the wire: ISO UTC text passes as is.
function M.normalize(v)
  if type(v) == "string" and v:find("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*Z$") then
    return v
  end
  local t = M.parse(v)
  return t and M.iso(t) or v
end

return M
