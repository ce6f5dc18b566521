-- JMESPath parser: tokens -> AST, a top-down operator precedence (Pratt)
-- parser with the binding powers of the reference implementation.
--
-- Nodes are tables with a `type`: field{name}, literal{value}, current,
-- chain{children} (a.b[0]: each child applies to the previous result),
-- index{index}, slice{start, stop, step}, projection{left, right,
-- string_slice (its left side ends in a slice)}, value_projection{left,
-- right}, filter_projection{left, right, cond},
-- flatten{child}, comparator{op, left, right}, ["or"|"and"]{left, right},
-- ["not"]{child}, pipe{left, right}, multi_list{items},
-- multi_hash{keys, values}, call{name, args, pos}, expref{child}.

local lexer = require "jmespath.lexer"
local errors = require "jmespath.errors"

local parser = {}

local BP = {
  eof = 0, ident = 0, qident = 0, literal = 0, rbracket = 0, rparen = 0,
  comma = 0, rbrace = 0, number = 0, current = 0, expref = 0, colon = 0,
  pipe = 1, ["or"] = 2, ["and"] = 3,
  eq = 5, ne = 5, lt = 5, lte = 5, gt = 5, gte = 5,
  flatten = 9, star = 20, filter = 21, dot = 40, ["not"] = 45,
  lbrace = 50, lbracket = 55, lparen = 60,
}
-- A projection's right-hand side keeps everything binding tighter than this.
local PROJECTION_STOP = 10

local SHOW = {
  eof = "end of expression", dot = "'.'", star = "'*'", flatten = "'[]'",
  filter = "'[?'", lbracket = "'['", rbracket = "']'", lbrace = "'{'",
  rbrace = "'}'", lparen = "'('", rparen = "')'", comma = "','", colon = "':'",
  pipe = "'|'", ["or"] = "'||'", ["and"] = "'&&'", ["not"] = "'!'",
  expref = "'&'", current = "'@'", eq = "'=='", ne = "'!='", lt = "'<'",
  lte = "'<='", gt = "'>'", gte = "'>='", literal = "a literal",
}

local IDENTITY = { type = "current" }

local P = {}
P.__index = P

local function describe(tok)
  if tok.t == "ident" or tok.t == "qident" then return string.format("identifier %q", tok.v) end
  if tok.t == "number" then return "number " .. tok.v end
  return SHOW[tok.t] or tok.t
end

function P:fail(tok, fmt, ...)
  local what = fmt and string.format(fmt, ...) or ("unexpected " .. describe(tok))
  errors.at("syntax", self.expr, tok.pos, what)
end

function P:peek(k) return self.tokens[self.i + (k or 0)] end
function P:current() return self.tokens[self.i].t end
function P:advance() self.i = self.i + 1 end

function P:match(t)
  local tok = self.tokens[self.i]
  if tok.t ~= t then self:fail(tok, "expected %s but found %s", SHOW[t] or t, describe(tok)) end
  self.i = self.i + 1
  return tok
end

local nud, led = {}, {}

-- Deeper nesting than this is refused rather than exhausting the stack.
local MAX_DEPTH = 400

function P:expression(rbp)
  local tok = self.tokens[self.i]
  local depth = self.depth + 1
  if depth > MAX_DEPTH then self:fail(tok, "expression nested too deeply") end
  self.depth = depth
  self.i = self.i + 1
  local f = nud[tok.t]
  if f == nil then self:fail(tok) end
  local left = f(self, tok)
  while true do
    local cur = self.tokens[self.i]
    if rbp >= BP[cur.t] then
      self.depth = depth - 1
      return left
    end
    local g = led[cur.t]
    if g == nil then self:fail(cur) end
    self.i = self.i + 1
    left = g(self, left, cur)
  end
end

-- chain(left, right): left then right, flattening nested chains.
local function chain(left, right)
  if left.type == "chain" then
    left.children[#left.children + 1] = right
    return left
  end
  return { type = "chain", children = { left, right } }
end

function P:projection_rhs(rbp)
  local t = self:current()
  if BP[t] < PROJECTION_STOP then return IDENTITY end
  if t == "lbracket" or t == "filter" then return self:expression(rbp) end
  if t == "dot" then
    self:advance()
    return self:dot_rhs(rbp)
  end
  self:fail(self:peek())
end

function P:dot_rhs(rbp)
  local t = self:current()
  if t == "ident" or t == "qident" or t == "star" then return self:expression(rbp) end
  if t == "lbracket" then
    self:advance()
    return self:multi_list()
  end
  if t == "lbrace" then
    self:advance()
    return self:multi_hash()
  end
  self:fail(self:peek(), "expected an identifier, '*', '[' or '{' after '.' but found %s",
    describe(self:peek()))
end

function P:multi_list()
  local items = {}
  while true do
    items[#items + 1] = self:expression(0)
    if self:current() == "rbracket" then break end
    self:match("comma")
  end
  self:advance()
  return { type = "multi_list", items = items }
end

function P:multi_hash()
  local keys, values = {}, {}
  while true do
    local tok = self:peek()
    if tok.t ~= "ident" and tok.t ~= "qident" then
      self:fail(tok, "expected a key name but found %s", describe(tok))
    end
    self:advance()
    self:match("colon")
    keys[#keys + 1] = tok.v
    values[#values + 1] = self:expression(0)
    local t = self:current()
    if t == "rbrace" then break end
    self:match("comma")
  end
  self:advance()
  return { type = "multi_hash", keys = keys, values = values }
end

function P:index_or_slice()
  local t0, t1 = self:current(), self:peek(1).t
  if t0 == "colon" or t1 == "colon" then
    local parts, k = {}, 1
    while self:current() ~= "rbracket" do
      local tok = self:peek()
      if tok.t == "colon" then
        k = k + 1
        if k > 3 then self:fail(tok, "too many ':' in slice") end
      elseif tok.t == "number" and parts[k] == nil then
        parts[k] = tok.v
      else
        self:fail(tok)
      end
      self:advance()
    end
    self:advance()
    if parts[3] == 0 then
      errors.at("invalid-value", self.expr, self:peek(-1).pos, "slice step cannot be 0")
    end
    return { type = "slice", start = parts[1], stop = parts[2], step = parts[3] }
  end
  local tok = self:match("number")
  self:match("rbracket")
  return { type = "index", index = tok.v }
end

-- left[index] stays a chain; left[slice] starts a projection (of the
-- elements of an array; a sliced string is one value).
function P:project_if_slice(left, right)
  local node = chain(left, right)
  if right.type == "slice" then
    return { type = "projection", left = node, right = self:projection_rhs(BP.star),
             string_slice = true }
  end
  return node
end

nud.literal = function(_, tok) return { type = "literal", value = tok.v } end
nud.ident = function(_, tok) return { type = "field", name = tok.v } end
nud.qident = function(self, tok)
  if self:current() == "lparen" then
    self:fail(self:peek(), "a function name cannot be quoted")
  end
  return { type = "field", name = tok.v }
end
nud.current = function() return IDENTITY end
nud.star = function(self)
  local right
  if self:current() == "rbracket" then
    right = IDENTITY
  else
    right = self:projection_rhs(BP.star)
  end
  return { type = "value_projection", left = IDENTITY, right = right }
end
nud.filter = function(self, tok) return led.filter(self, IDENTITY, tok) end
nud.lbrace = function(self) return self:multi_hash() end
nud.lparen = function(self)
  local e = self:expression(0)
  self:match("rparen")
  return e
end
nud.flatten = function(self)
  return { type = "projection", left = { type = "flatten", child = IDENTITY },
           right = self:projection_rhs(BP.flatten) }
end
nud["not"] = function(self)
  return { type = "not", child = self:expression(BP["not"]) }
end
nud.lbracket = function(self)
  local t = self:current()
  if t == "number" or t == "colon" then
    return self:project_if_slice(IDENTITY, self:index_or_slice())
  elseif t == "star" and self:peek(1).t == "rbracket" then
    self.i = self.i + 2
    return { type = "projection", left = IDENTITY, right = self:projection_rhs(BP.star) }
  end
  return self:multi_list()
end
nud.expref = function(self)
  return { type = "expref", child = self:expression(BP.expref) }
end

led.dot = function(self, left)
  if self:current() == "star" then
    self:advance()
    return { type = "value_projection", left = left, right = self:projection_rhs(BP.dot) }
  end
  return chain(left, self:dot_rhs(BP.dot))
end
led.pipe = function(self, left)
  return { type = "pipe", left = left, right = self:expression(BP.pipe) }
end
led["or"] = function(self, left)
  return { type = "or", left = left, right = self:expression(BP["or"]) }
end
led["and"] = function(self, left)
  return { type = "and", left = left, right = self:expression(BP["and"]) }
end
led.lparen = function(self, left, tok)
  if left.type ~= "field" then self:fail(tok, "only a plain name can be called as a function") end
  local args = {}
  if self:current() ~= "rparen" then
    while true do
      args[#args + 1] = self:expression(0)
      if self:current() == "rparen" then break end
      self:match("comma")
    end
  end
  self:advance()
  return { type = "call", name = left.name, args = args, pos = tok.pos }
end
led.filter = function(self, left)
  local cond = self:expression(0)
  self:match("rbracket")
  local right
  if self:current() == "flatten" then
    right = IDENTITY
  else
    right = self:projection_rhs(BP.filter)
  end
  return { type = "filter_projection", left = left, right = right, cond = cond }
end
for _, op in ipairs { "eq", "ne", "lt", "lte", "gt", "gte" } do
  led[op] = function(self, left)
    return { type = "comparator", op = op, left = left, right = self:expression(BP[op]) }
  end
end
led.flatten = function(self, left)
  return { type = "projection", left = { type = "flatten", child = left },
           right = self:projection_rhs(BP.flatten) }
end
led.lbracket = function(self, left)
  local t = self:current()
  if t == "number" or t == "colon" then
    return self:project_if_slice(left, self:index_or_slice())
  end
  self:match("star")
  self:match("rbracket")
  return { type = "projection", left = left, right = self:projection_rhs(BP.star) }
end

-- parse(expr): the AST of expr; raises "syntax: ..." when it is not valid.
function parser.parse(expr)
  local self = setmetatable({ expr = expr, tokens = lexer.tokenize(expr), i = 1, depth = 0 }, P)
  local ast = self:expression(0)
  local tok = self:peek()
  if tok.t ~= "eof" then self:fail(tok) end
  return ast
end

return parser
