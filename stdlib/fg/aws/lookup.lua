-- lookup(fn, params, codes) -> fn(params), or nil when AWS answers with
-- one of the error codes that mean "not there" (read-only calls of find
-- and read).
return function(fn, params, codes)
  local ok, result = pcall(fn, params)
  if ok then return result end
  local code = type(result) == "table" and result.code
  for _, c in ipairs(codes) do
    if code == c then return nil end
  end
  error(result, 0)
end
