-- The JMESPath parser (and, when it compiles, a search over a small document).
local jmespath = require "jmespath"
local json = require "json"
local doc = json.decode('{"a": [1, 2, {"b": "c"}], "d": {"e": null, "f": [true, false]}, "g": "h"}')
return function(s)
  local ok, compiled = pcall(jmespath.compile, s)
  if ok and compiled then pcall(compiled.search, compiled, doc) end
end
