-- Base64 (RFC 4648) for blob members: AWS sends and takes blobs as base64 text.
local M = {}

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local encode_map, decode_map = {}, {}
for i = 1, 64 do
  local c = ALPHABET:sub(i, i)
  encode_map[i - 1] = c
  decode_map[c:byte()] = i - 1
end
decode_map[("-"):byte()] = 62 -- the URL-safe alphabet decodes too
decode_map[("_"):byte()] = 63

local byte, char, concat = string.byte, string.char, table.concat

function M.encode(s)
  local out, n = {}, 0
  for i = 1, #s - 2, 3 do
    local a, b, c = byte(s, i, i + 2)
    local v = a << 16 | b << 8 | c
    n = n + 1
    out[n] = encode_map[v >> 18] .. encode_map[v >> 12 & 63] .. encode_map[v >> 6 & 63] .. encode_map[v & 63]
  end
  local rest = #s % 3
  if rest == 1 then
    local v = byte(s, #s) << 16
    out[n + 1] = encode_map[v >> 18] .. encode_map[v >> 12 & 63] .. "=="
  elseif rest == 2 then
    local a, b = byte(s, #s - 1, #s)
    local v = a << 16 | b << 8
    out[n + 1] = encode_map[v >> 18] .. encode_map[v >> 12 & 63] .. encode_map[v >> 6 & 63] .. "="
  end
  return concat(out)
end

-- Returns the bytes, or nil and a reason when s is not base64.
function M.decode(s)
  local out, n = {}, 0
  local acc, bits = 0, 0
  for i = 1, #s do
    local c = byte(s, i)
    local v = decode_map[c]
    if v then
      acc = (acc << 6 | v) & 0xFFFFFF
      bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        n = n + 1
        out[n] = char(acc >> bits & 255)
      end
    elseif c == 61 then -- '=': padding ends the data
      break
    elseif c ~= 10 and c ~= 13 and c ~= 32 then
      return nil, "invalid base64 character at " .. i
    end
  end
  return concat(out)
end

return M
