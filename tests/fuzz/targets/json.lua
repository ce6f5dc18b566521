-- json.decode, and encode of whatever it decoded (the round trip must not crash).
local json = require "json"
return function(s)
  local ok, v = pcall(json.decode, s)
  if ok then json.encode(v) json.encode(v, { indent = 2, sort_keys = true }) end
end
