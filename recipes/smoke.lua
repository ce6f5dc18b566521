-- A first look at fgrun: what the host carries. `make demo` runs it until
-- the Fargate recipe is in place.
local fgrun = require "fgrun"
local json = require "json"

print(("fgrun %s, %s"):format(fgrun.version, _VERSION))
local modules = {}
for name in pairs(package.preload) do modules[#modules + 1] = name end
table.sort(modules)
print("built-in modules: " .. table.concat(modules, ", "))
print("json round trip: " .. json.encode(json.decode('{"tags":[],"count":3,"ratio":0.5}'), {sort_keys = true}))
print("AWS endpoint for this demo: " .. (os.getenv("AWS_ENDPOINT_URL") or "(none)"))
