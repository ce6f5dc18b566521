-- JMESPath lexer: expression string -> array of tokens {t = type, v = value,
-- pos = byte offset}. The last token is {t = "eof"}.
--
-- Types: ident, qident, number, literal (JSON `...` and raw '...' strings),
-- dot, star, flatten ([]), filter ([?), lbracket, rbracket, lbrace, rbrace,
-- lparen, rparen, comma, colon, pipe, or, and, not, expref (&), current (@),
-- eq, ne, lt, lte, gt, gte, eof.

local json = require "json"
local errors = require "jmespath.errors"

local sub, find = string.sub, string.find
local utf8_char = utf8.char

local lexer = {}

local SIMPLE = {
  ["."] = "dot", ["*"] = "star", ["]"] = "rbracket", ["{"] = "lbrace",
  ["}"] = "rbrace", ["("] = "lparen", [")"] = "rparen", [","] = "comma",
  [":"] = "colon", ["@"] = "current",
}

-- One-character token, or two characters when the second one matches.
local PAIRED = {
  ["|"] = { "|", "or", "pipe" },
  ["&"] = { "&", "and", "expref" },
  ["!"] = { "=", "ne", "not" },
  ["<"] = { "=", "lte", "lt" },
  [">"] = { "=", "gte", "gt" },
}

local JSON_ESCAPES = {
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n",
  r = "\r", t = "\t",
}

local function fail(expr, pos, fmt, ...)
  errors.at("syntax", expr, pos, string.format(fmt, ...))
end

-- Position just after the closing delimiter `q` starting the scan at i,
-- skipping backslash-escaped characters; and the raw text in between.
local function scan_delimited(expr, i, q, what)
  local j = i
  while true do
    local k = find(expr, "[\\" .. q .. "]", j)
    if k == nil then fail(expr, i - 1, "unterminated %s", what) end
    if sub(expr, k, k) == q then return k + 1, sub(expr, i, k - 1) end
    j = k + 2
  end
end

-- Decodes the body of a JSON string (between the quotes) to UTF-8.
local function json_unescape(expr, pos, s)
  if find(s, "[%z\1-\31]") then fail(expr, pos, "control character in quoted identifier") end
  if not find(s, "\\", 1, true) then return s end
  local out, n, i = {}, 0, 1
  local len = #s
  while i <= len do
    local k = find(s, "\\", i, true)
    if k == nil then
      n = n + 1; out[n] = sub(s, i)
      break
    end
    n = n + 1; out[n] = sub(s, i, k - 1)
    local e = sub(s, k + 1, k + 1)
    if e == "u" then
      local hex = sub(s, k + 2, k + 5)
      if not find(hex, "^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$") then
        fail(expr, pos, "invalid \\u escape in quoted identifier")
      end
      local cp = tonumber(hex, 16)
      i = k + 6
      if cp >= 0xD800 and cp <= 0xDBFF then
        local lo = sub(s, i, i + 5)
        if find(lo, "^\\u[dD][c-fC-F][0-9a-fA-F][0-9a-fA-F]$") then
          cp = 0x10000 + ((cp - 0xD800) << 10) + (tonumber(sub(lo, 3), 16) - 0xDC00)
          i = i + 6
        end
      end
      n = n + 1; out[n] = utf8_char(cp)
    else
      local c = JSON_ESCAPES[e]
      if c == nil then fail(expr, pos, "invalid escape '\\%s' in quoted identifier", e) end
      n = n + 1; out[n] = c
      i = k + 2
    end
  end
  return table.concat(out, "", 1, n)
end

local function decode_literal(expr, pos, text)
  text = text:gsub("\\`", "`"):match("^[ \t\n\r]*(.-)[ \t\n\r]*$")
  if text == "null" then return json.null end
  if text == "" then fail(expr, pos, "empty JSON literal") end
  local ok, v, err = pcall(json.decode, text)
  if not ok or v == nil then
    fail(expr, pos, "invalid JSON literal `%s` (%s)", text, tostring(ok and err or v))
  end
  return v
end

-- tokenize(expr): array of tokens; raises "syntax: ..." on bad input.
function lexer.tokenize(expr)
  local tokens, n = {}, 0
  local i, len = 1, #expr
  while true do
    i = find(expr, "[^ \t\n\r]", i)
    if i == nil then break end
    local c = sub(expr, i, i)
    local tok
    local s, e = find(expr, "^[A-Za-z_][A-Za-z0-9_]*", i)
    if s then
      tok = { t = "ident", v = sub(expr, s, e), pos = i }
      i = e + 1
    elseif SIMPLE[c] then
      tok = { t = SIMPLE[c], pos = i }
      i = i + 1
    elseif c == "[" then
      local nc = sub(expr, i + 1, i + 1)
      if nc == "]" then
        tok = { t = "flatten", pos = i }; i = i + 2
      elseif nc == "?" then
        tok = { t = "filter", pos = i }; i = i + 2
      else
        tok = { t = "lbracket", pos = i }; i = i + 1
      end
    elseif PAIRED[c] then
      local p = PAIRED[c]
      if sub(expr, i + 1, i + 1) == p[1] then
        tok = { t = p[2], pos = i }; i = i + 2
      else
        tok = { t = p[3], pos = i }; i = i + 1
      end
    elseif c == "=" then
      if sub(expr, i + 1, i + 1) ~= "=" then fail(expr, i, "'=' is not an operator (use '==')") end
      tok = { t = "eq", pos = i }; i = i + 2
    elseif c == "-" or find(c, "^[0-9]") then
      s, e = find(expr, "^-?[0-9]+", i)
      if not s then fail(expr, i, "'-' must be followed by digits") end
      tok = { t = "number", v = math.tointeger(tonumber(sub(expr, s, e))), pos = i }
      if tok.v == nil then fail(expr, i, "number out of range") end
      i = e + 1
    elseif c == '"' then
      local text
      local start = i
      i, text = scan_delimited(expr, i + 1, '"', "quoted identifier")
      tok = { t = "qident", v = json_unescape(expr, start, text), pos = start }
    elseif c == "'" then
      local text
      local start = i
      i, text = scan_delimited(expr, i + 1, "'", "raw string")
      tok = { t = "literal", v = (text:gsub("\\'", "'")), pos = start }
    elseif c == "`" then
      local text
      local start = i
      i, text = scan_delimited(expr, i + 1, "`", "JSON literal")
      tok = { t = "literal", v = decode_literal(expr, start, text), pos = start }
    else
      fail(expr, i, "unexpected character %q", c)
    end
    n = n + 1
    tokens[n] = tok
  end
  tokens[n + 1] = { t = "eof", pos = len + 1 }
  return tokens
end

return lexer
