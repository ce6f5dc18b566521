-- require "json": the public name of base.json (runtime/base/json.c), which
-- recipes use; see HACKING.md, "JSON and the array/object question".
return require "base.json"
