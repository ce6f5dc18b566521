-- JMESPath (https://jmespath.org/specification.html) for fgrun.
--
--   local jmespath = require "jmespath"
--   jmespath.search("services[0].status", data)   --> value, nil for null
--   local q = jmespath.compile("Policies[?PolicyName=='x'].Arn")
--   q:search(data)                                 --> compile once, run many
--
-- Values follow the json module: json.null is null inside arrays and
-- objects (search returns nil for a null result); tables marked with
-- json.array_mt / json.object_mt are arrays / objects, an unmarked table is
-- an array when it is a non-empty sequence 1..n. Arrays and objects built
-- by an expression are marked.
--
-- Errors are raised as strings "<kind>: <message>" where kind is one of
-- syntax, invalid-type, invalid-value, invalid-arity, unknown-function;
-- jmespath.error_kind(err) returns that kind (nil for other errors).

local json = require "json"
local parser = require "jmespath.parser"
local compiler = require "jmespath.compiler"
local errors = require "jmespath.errors"
local functions = require "jmespath.functions"

local null = json.null
local type = type

local jmespath = {}

local Compiled = {}
Compiled.__index = Compiled
Compiled.__name = "jmespath.Compiled"

function Compiled.__tostring(self)
  return "jmespath(" .. self.expression .. ")"
end

-- q:search(data): the result of the compiled expression on data.
function Compiled:search(data)
  if data == null then data = nil end
  local r = self.fn(data)
  if r == null then return nil end
  return r
end

Compiled.__call = Compiled.search

-- compile(expr): a reusable compiled expression; raises on a bad expression.
function jmespath.compile(expr)
  if type(expr) ~= "string" then
    errors.raise("invalid-type", "expression must be a string, got %s", type(expr))
  end
  local fn = compiler.compile(parser.parse(expr))
  return setmetatable({ expression = expr, fn = fn }, Compiled)
end

-- search() keeps the expressions it compiled; the cache is emptied when it
-- reaches CACHE_MAX entries, which keeps it bounded without bookkeeping.
local CACHE_MAX = 256
local cache, cached = {}, 0

-- search(expr, data): compile (cached) and evaluate.
function jmespath.search(expr, data)
  local q = cache[expr]
  if q == nil then
    q = jmespath.compile(expr)
    if cached >= CACHE_MAX then
      cache, cached = {}, 0
    end
    cache[expr] = q
    cached = cached + 1
  end
  return q:search(data)
end

jmespath.error_kind = errors.kind
jmespath.function_names = functions.names

return jmespath
